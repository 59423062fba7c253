"""Pre-flight checks: can this machine, and every inventory host, run carehard's plays?

Each problem is one line that names the host, says what is wrong and how to fix it. Checks of a
host stop at its first failing step (no point testing sudo on a host we cannot log in to), and
nothing here raises: an unexpected error is one more problem line, never a traceback.

problem.py        the Problem line, its format, and the failing step that becomes one
control_node.py   this machine: ansible-core, the roles' collections, restic
hosts.py          the inventory's hosts in parallel, each by its connection, secrets scrubbed
local_connection.py, winrm_host.py, ssh_host.py   one host by its connection
directory_host.py a directory (group directories): its variables, TCP, TLS and the CA, the bind
ssh_settings.py   where and how an SSH host is logged in to (Ansible's variables, ssh options, ssh_config)
python_sudo.py    python3 and sudo, checked by commands on the host
inventory_vars.py booleans and secrets of the inventory, read without Ansible
"""

from __future__ import annotations

from carehard.doctor.control_node import check_local
from carehard.doctor.hosts import check_hosts
from carehard.doctor.problem import Problem, format_problem
from carehard.doctor.ssh_settings import parse_ssh_options

__all__ = ["Problem", "check_hosts", "check_local", "format_problem", "parse_ssh_options"]
