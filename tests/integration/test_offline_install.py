"""The offline install (docs/install.md): `scripts/wheelhouse.sh build` makes a wheelhouse from this
checkout for Python 3.13, a Debian 13 test host (no route out, no python3-venv, python3 is 3.13)
installs it with the install.sh it holds, and audits itself with the carehard it got. install.sh
refuses a Python the wheelhouse was not built for, and the build refuses what it cannot make.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.own_hosts import own_hosts
from tests.testhosts import harness

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WHEELHOUSE_SH = REPO / "scripts" / "wheelhouse.sh"
PYTHON = "3.13"  # Debian 13's python3
ON_HOST = "/var/tmp/carehard-wheelhouse"
ROOT_LOGIN_OFF = "/etc/ssh/sshd_config.d/00-offline-test.conf"


def wheelhouse_sh(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(WHEELHOUSE_SH), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        timeout=900,
        check=False,
    )


def as_root(host: harness.TestHost, command: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """harness's sudo, with time for what takes minutes on a loaded machine (the install, the audit)."""
    return subprocess.run(
        [
            "ssh",
            *host.ssh_options(),
            f"{harness.ADMIN}@{host.address}",
            f"sudo -n sh -c {shlex.quote(command)}",
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("carehard: error: "), proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse") / "out"
    proc = wheelhouse_sh("build", out, "--python", PYTHON)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def trixie(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.TestHost]:
    with own_hosts(tmp_path_factory.mktemp("offline"), "off", 1, suites=("trixie",)) as hosts:
        yield hosts[0]


def pins(requirements: Path) -> dict[str, tuple[str, str]]:
    """name -> (version, sha256) of a requirements-X.Y.txt."""
    found = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([\w.]+)==(\S+) --hash=sha256:([0-9a-f]{64})", line)
        if match:
            found[match[1]] = (match[2], match[3])
    return found


def test_the_wheelhouse_pins_by_hash_every_wheel_it_holds(wheelhouse: Path) -> None:
    pinned = pins(wheelhouse / f"requirements-{PYTHON}.txt")
    assert [p.name for p in wheelhouse.glob("requirements-*.txt")] == [f"requirements-{PYTHON}.txt"]
    assert {"carehard", "ansible_core", "ansible", "ansible_runner", "pip"} <= set(pinned)
    assert pinned["ansible_core"][0].startswith(("2.17.", "2.18.", "2.19."))
    wheels = {p.name: p for p in wheelhouse.glob("*.whl")}
    assert len(wheels) == len(pinned), sorted(wheels)
    for name, (version, digest) in pinned.items():
        wheel = next(w for w in wheels.values() if w.name.startswith(f"{name}-{version}-"))
        assert subprocess.run(["sha256sum", wheel], capture_output=True, text=True).stdout.startswith(digest)
        for interpreter, abi in re.findall(r"-(cp\d+)-(cp\d+)-", wheel.name):
            assert interpreter == abi == "cp313", f"{wheel.name}: a wheel for another Python than {PYTHON}"
    assert os.access(wheelhouse / "install.sh", os.X_OK)


def test_install_refuses_a_python_the_wheelhouse_has_no_wheels_for(wheelhouse: Path, tmp_path: Path) -> None:
    if sys.version_info[:2] == (3, 13):
        pytest.skip("this test's Python is the wheelhouse's own")
    prefix = tmp_path / "carehard"
    proc = subprocess.run(
        [wheelhouse / "install.sh", "--python", sys.executable, "--prefix", prefix, "--no-link"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = one_error_line(proc)
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"is Python {here}; this wheelhouse has wheels for Python {PYTHON} only" in line
    assert not prefix.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("{out}", "--python", "3.10"), "--python: carehard needs Python >=3.11,<3.14, not 3.10"),
        (("{out}", "--python", "3.14"), "not 3.14"),
        (("{out}", "--python", "three"), "--python three: give a Python version as X.Y"),
        (("{out}", "--bogus"), "unknown option --bogus"),
        (("{kept}",), "kept already exists and is not empty: remove it or choose another output directory"),
    ],
)
def test_build_refuses_in_one_line_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "file").touch()
    proc = wheelhouse_sh("build", *(a.format(out=tmp_path / "out", kept=tmp_path / "kept") for a in args))
    assert says in one_error_line(proc)
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["file"]


def test_an_offline_debian_13_host_installs_it_and_audits_itself(
    wheelhouse: Path, trixie: harness.TestHost
) -> None:
    offline = trixie.sudo("timeout 5 bash -c 'exec 3<>/dev/tcp/151.101.0.223/443'", check=False)
    assert offline.returncode != 0, "the test host reaches the internet: the install would not be offline"
    # No python3-venv: install.sh must do without ensurepip.
    assert trixie.sudo("python3 -m venv /tmp/probe; s=$?; rm -rf /tmp/probe; exit $s", check=False).returncode
    login = f"{' '.join(trixie.ssh_options())} {harness.ADMIN}@{trixie.address}"
    copy = subprocess.run(
        f"tar -C {wheelhouse} -cf - . | ssh {login} 'sudo mkdir -p {ON_HOST} && sudo tar -C {ON_HOST} -xf -'",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert copy.returncode == 0, copy.stderr

    refused = trixie.sudo(f"{ON_HOST}/install.sh --prefix /etc", check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "carehard: error: /etc exists and is not a carehard installation: choose another --prefix"
    )

    installed = as_root(trixie, f"{ON_HOST}/install.sh")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (
        "installed in /opt/carehard (Python 3.13); the command: /usr/local/bin/carehard" in installed.stdout
    )

    # The admin account's own shell finds the command, as a site's administrator would.
    version = trixie.ssh(harness.ADMIN, "carehard --version")
    assert (
        version.stdout.strip()
        == f"carehard, version {pins(wheelhouse / 'requirements-3.13.txt')['carehard'][0]}"
    )
    controls = json.loads(trixie.ssh(harness.ADMIN, "carehard controls list --format json").stdout)
    assert {"WL-SSH-01", "WL-SSH-02"} <= {c["id"] for c in controls}

    # One of the two controls made compliant, so the audit must read this host to tell them apart.
    trixie.sudo(f"echo 'PermitRootLogin no' > {ROOT_LOGIN_OFF}")
    audit = as_root(trixie, "cd /root && carehard audit --only WL-SSH-01,WL-SSH-02 --output /root/out")
    assert audit.returncode == 1, audit.stdout + audit.stderr  # a control failed
    report = json.loads(trixie.sudo("cat /root/out/report.json").stdout)
    [host] = report["hosts"]
    assert host["name"] == "localhost" and host["facts"]["os_version"].startswith("13")
    assert {r["control"]: r["status"] for r in host["results"]} == {"WL-SSH-01": "pass", "WL-SSH-02": "fail"}
