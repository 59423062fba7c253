"""The engine: the only caller of ansible-runner, the only reader of its events, and what a run is
made of (control selection, inventory, WinRM connection, run lock)."""
