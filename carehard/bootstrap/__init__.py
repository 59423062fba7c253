"""`carehard bootstrap`: a new Linux host made ready for carehard over a first password login.

host_keys.py      known_hosts: fingerprints, recording, the policies (a key is recorded only once shown)
admin_key.py      the admin's key pair on this machine (made with ssh-keygen when missing)
connect.py        the first look without the password, then the password login
remote_steps.py   the steps on the host (account, sudo rule, authorized key), as root or through sudo -S
orchestration.py  the whole run: plan, look, one password prompt, steps, doctor's checks
"""

from __future__ import annotations

from carehard.bootstrap.orchestration import HostPlan, Tally, bootstrap, plan_hosts

__all__ = ["HostPlan", "Tally", "bootstrap", "plan_hosts"]
