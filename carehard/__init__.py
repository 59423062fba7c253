"""carehard: harden health and care establishments' fleets, lock down vendor access, prove backups restore."""

__version__ = "0.1.0"
