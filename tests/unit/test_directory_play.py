"""The directory play (playbooks/directory_audit.yml): a `directories` host runs in it alone, on the
control node, whatever the site's group_vars say of the connection, the Python and become; a
directory that does not answer fails the read task with one line, and the password shows nowhere.
The play is run for real by ansible-playbook against a closed port of this machine (nothing listens:
no LDAP needed, nothing read or written)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from carehard.catalog import load_catalog
from carehard.engine.inventory import InventoryHost
from carehard.engine.plays import batches, host_controls, plays_of

ROOT = Path(__file__).resolve().parents[2]
DIRECTORY = InventoryHost("chu-example.fr", {}, ("directories",))
LINUX = InventoryHost("pc1", {}, ("linux_workstations",))
PASSWORD = "Pa55-never-shown-7f3e"


def test_a_directory_host_is_in_the_directory_play_only_and_runs_alone() -> None:
    catalog = load_catalog()
    plays = plays_of("site.yml")
    assert [p.hosts for p in plays if p.targets(DIRECTORY)] == ["directories"]
    every = [c.id for c in catalog.all()]
    ad = host_controls(DIRECTORY, plays, catalog, every)
    assert ad and {catalog[c].family for c in ad} == {"directory_audit"}
    assert not any(c.startswith("AD-") for c in host_controls(LINUX, plays, catalog, every))
    runs = batches([LINUX, DIRECTORY], plays, catalog, every, None)
    assert [sorted(b.controls) for b in runs] == [["pc1"], ["chu-example.fr"]]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_play_reads_from_the_control_node_without_become_and_a_silent_dc_is_one_line(
    tmp_path: Path,
) -> None:
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    # A site's group_vars for its workstations: SSH, sudo, the hosts' Python. Were any of them used for
    # the directory host, the task would fail otherwise (no such sudo, no such Python, no such host).
    (inventory / "group_vars" / "all.yml").write_text(
        yaml.safe_dump(
            {
                "ansible_become": True,
                "ansible_become_exe": "/nonexistent/sudo",
                "ansible_connection": "ssh",
                "ansible_python_interpreter": "/nonexistent/python3",
            }
        )
    )
    port = closed_port()
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "directories": {
                    "hosts": {
                        "chu-example.fr": {
                            "ansible_host": "192.0.2.1",
                            "carehard_directory_domain": "chu-example.fr",
                            "carehard_directory_server": "127.0.0.1",
                            "carehard_directory_port": port,
                            "carehard_directory_user": "svc-carehard@chu-example.fr",
                            "carehard_directory_password": PASSWORD,
                            "carehard_directory_timeout": 5,
                        }
                    }
                }
            }
        )
    )
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "--check",
            "-i",
            str(inventory / "hosts.yml"),
            str(ROOT / "playbooks" / "directory_audit.yml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert PASSWORD not in proc.stdout + proc.stderr
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    names = [t["task"]["name"].split(" : ", 1)[-1] for t in tasks]
    read = tasks[names.index("Read the directory over LDAP (search only, paged)")]
    result = read["hosts"]["chu-example.fr"]
    assert result["failed"]
    assert result["msg"].startswith(f"127.0.0.1:{port} refused the connection (")
    assert "\n" not in result["msg"] and "Traceback" not in json.dumps(result)
    assert result["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    # No assert ran after the read failed: every AD- control of that directory is an error.
    assert not [n for n in names if n.startswith("AD-")]
