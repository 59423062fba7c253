"""The WinRM connection carehard builds for Windows hosts: the variables it derives, the settings it
refuses on one line, and a real run that shows ansible-playbook got them (ntlm over https on the
inventory's port) against a closed local port: no Windows host is needed."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.doctor import check_hosts
from carehard.engine import winrm
from carehard.engine.inventory import InventoryHost, list_hosts, local_inventory
from carehard.engine.run import _merged_host_vars, _write_host_vars
from carehard.errors import UsageError
from tests.clirun import carehard, load_report

WINDOWS = ("windows_workstations",)
USER = {"ansible_user": "carehard-admin", "ansible_password": "Not-A-Real-Passw0rd"}


def everything(module: str) -> bool:
    return True


def without(*missing: str) -> Callable[[str], bool]:
    return lambda module: module not in missing


def found(command: str) -> str | None:
    return f"/usr/bin/{command}"


def lost(command: str) -> str | None:
    return None


def windows_host(**host_vars: Any) -> InventoryHost:
    return InventoryHost("win-01", {**USER, **host_vars}, WINDOWS)


def settings(host: InventoryHost, installed: Callable[[str], bool] = everything) -> dict[str, Any]:
    return winrm.connection_vars(host, installed=installed, which=found)


def refusal(host: InventoryHost, installed: Callable[[str], bool] = everything, which: Any = found) -> str:
    with pytest.raises(UsageError) as caught:
        winrm.connection_vars(host, installed=installed, which=which)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"host {host.name}: ")
    return message


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# --- which hosts are Windows hosts ------------------------------------------------------------------


def test_is_windows() -> None:
    assert winrm.is_windows(InventoryHost("w", {}, WINDOWS))
    assert winrm.is_windows(InventoryHost("w", {"ansible_connection": "winrm"}, ()))
    assert winrm.is_windows(InventoryHost("w", {"ansible_connection": "psrp"}, ("linux_workstations",)))
    # Windows over OpenSSH is the inventory's own choice: no WinRM variables for it.
    assert not winrm.is_windows(InventoryHost("w", {"ansible_connection": "ssh"}, WINDOWS))
    assert not winrm.is_windows(InventoryHost("l", {}, ("linux_workstations",)))
    assert winrm.connection_vars(InventoryHost("l", {}, ("linux_workstations",))) == {}


def test_inventory_host_connection_and_port_for_the_windows_group() -> None:
    host = InventoryHost("w", {}, WINDOWS)
    assert (host.connection, host.port) == ("winrm", 5986)
    assert InventoryHost("w", {"ansible_winrm_scheme": "http"}, WINDOWS).port == 5985
    # Ansible's winrm plugin reads ansible_port, then ansible_winrm_port: the last one set wins.
    assert InventoryHost("w", {"ansible_port": 1, "ansible_winrm_port": 5999}, WINDOWS).port == 5999
    assert InventoryHost("l", {}, ("linux_workstations",)).port == 22


# --- the variables carehard derives -----------------------------------------------------------------


def test_default_is_ntlm_over_https_on_5986() -> None:
    assert settings(windows_host()) == {
        "ansible_connection": "winrm",
        "ansible_port": 5986,
        "ansible_winrm_scheme": "https",
        "ansible_winrm_transport": "ntlm",
    }


def test_a_upn_user_gets_kerberos() -> None:
    assert (
        settings(windows_host(ansible_user="adm-ws@HOPITAL.EXAMPLE"))["ansible_winrm_transport"] == "kerberos"
    )
    # ansible_winrm_user wins over ansible_user in the winrm plugin, and so here.
    host = windows_host(ansible_user="adm@HOPITAL.EXAMPLE", ansible_winrm_user="local-admin")
    assert settings(host)["ansible_winrm_transport"] == "ntlm"
    # A vaulted or templated user cannot be read: NTLM, which takes both account forms.
    host = windows_host(ansible_user="{{ vault_windows_user }}")
    assert settings(host)["ansible_winrm_transport"] == "ntlm"


def test_what_the_inventory_sets_is_kept() -> None:
    host = windows_host(
        ansible_winrm_transport="credssp",
        ansible_winrm_server_cert_validation="ignore",
        ansible_port="5986",
    )
    got = settings(host)
    assert got["ansible_winrm_transport"] == "credssp"
    assert got["ansible_winrm_server_cert_validation"] == "ignore"
    assert got["ansible_port"] == 5986
    assert "ansible_winrm_server_cert_validation" not in settings(windows_host())  # validate: say nothing
    assert settings(windows_host(ansible_winrm_transport=["ntlm"]))["ansible_winrm_transport"] == ["ntlm"]


def test_http_only_when_the_inventory_chose_it() -> None:
    by_scheme = settings(windows_host(ansible_winrm_scheme="http"))
    assert (by_scheme["ansible_winrm_scheme"], by_scheme["ansible_port"]) == ("http", 5985)
    by_port = settings(windows_host(ansible_port=5985))  # Ansible's own rule: 5985 is http
    assert (by_port["ansible_winrm_scheme"], by_port["ansible_port"]) == ("http", 5985)
    other = settings(windows_host(ansible_port=45986))
    assert (other["ansible_winrm_scheme"], other["ansible_port"]) == ("https", 45986)
    assert winrm.endpoint(other) == ("https", 45986)


def test_templates_are_left_to_ansible() -> None:
    host = windows_host(ansible_port="{{ winrm_port }}", ansible_winrm_transport="{{ transport }}")
    got = settings(host)
    assert "ansible_winrm_scheme" not in got  # depends on the port, which only Ansible knows
    assert winrm.endpoint(got) == (None, None)
    assert winrm.connection_overlay([host], installed=everything) == {
        "win-01": {"ansible_connection": "winrm"}
    }


def test_overlay_adds_only_what_the_inventory_lacks_and_only_for_windows() -> None:
    hosts = [
        windows_host(ansible_winrm_transport="ntlm", ansible_connection="winrm"),
        InventoryHost("win-02", {**USER, "ansible_winrm_scheme": "http"}, WINDOWS),
        InventoryHost("lin-01", {"ansible_user": "admin"}, ("linux_workstations",)),
        InventoryHost("win-03", {"ansible_connection": "ssh"}, WINDOWS),
    ]
    assert winrm.connection_overlay(hosts, installed=everything) == {
        "win-01": {"ansible_port": 5986, "ansible_winrm_scheme": "https"},
        "win-02": {"ansible_connection": "winrm", "ansible_port": 5985, "ansible_winrm_transport": "ntlm"},
    }


def test_kerberos_with_a_password_needs_kinit() -> None:
    host = windows_host(ansible_user="adm@HOPITAL.EXAMPLE")
    message = refusal(host, which=lost)
    assert "kinit" in message and "krb5-user" in message
    # A ticket the user got: no password, or kinit mode manual.
    manual = windows_host(ansible_user="adm@HOPITAL.EXAMPLE", ansible_winrm_kinit_mode="manual")
    assert winrm.connection_vars(manual, installed=everything, which=lost)["ansible_winrm_transport"] == (
        "kerberos"
    )


def test_psrp_keeps_its_own_variables() -> None:
    host = InventoryHost("ps-01", {**USER, "ansible_connection": "psrp"}, WINDOWS)
    assert settings(host) == {
        "ansible_connection": "psrp",
        "ansible_port": 5986,
        "ansible_psrp_protocol": "https",
    }
    basic = InventoryHost(
        "ps-01", {"ansible_connection": "psrp", "ansible_psrp_protocol": "http", "ansible_psrp_auth": "basic"}
    )
    assert "ansible_psrp_auth basic over http" in refusal(basic)
    kerberos = InventoryHost("ps-01", {"ansible_connection": "psrp", "ansible_psrp_auth": "kerberos"})
    assert "pypsrp[kerberos]" in refusal(kerberos, installed=without("gssapi", "krb5"))
    assert settings(kerberos, installed=without("krb5"))["ansible_psrp_auth"] == "kerberos"
    assert "pip install 'pypsrp'" in refusal(host, installed=without("pypsrp"))


# --- what carehard refuses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host_vars", "installed", "expected"),
    [
        (
            {"ansible_winrm_transport": "digest"},
            everything,
            "ansible_winrm_transport 'digest' is not a WinRM",
        ),
        ({"ansible_winrm_transport": "ntlm,spnego"}, everything, "'spnego' is not a WinRM transport"),
        (
            {"ansible_winrm_transport": "basic", "ansible_winrm_scheme": "http"},
            everything,
            "ansible_winrm_transport basic over http sends the password in clear",
        ),
        (
            {"ansible_winrm_transport": "plaintext", "ansible_port": 5985},
            everything,
            "ansible_winrm_transport plaintext over http sends the password in clear",
        ),
        (
            {"ansible_winrm_scheme": "http", "ansible_port": 5986},
            everything,
            "ansible_winrm_scheme is http but ansible_port is 5986",
        ),
        (
            {"ansible_winrm_scheme": "https", "ansible_winrm_port": 5985},
            everything,
            "ansible_winrm_scheme is https but ansible_winrm_port is 5985",
        ),
        ({"ansible_winrm_scheme": "ftp"}, everything, "ansible_winrm_scheme is 'ftp': set it to https"),
        ({"ansible_port": "winrm"}, everything, "ansible_port is 'winrm', not a port number"),
        (
            {"ansible_winrm_transport": "certificate", "ansible_winrm_cert_pem": "/etc/carehard/c.pem"},
            everything,
            "certificate needs ansible_winrm_cert_key_pem",
        ),
        (
            {"ansible_winrm_transport": "certificate"},
            everything,
            "certificate needs ansible_winrm_cert_pem",
        ),
        (
            {"ansible_winrm_transport": "kerberos"},
            without("kerberos"),
            "needs the pykerberos Python package here: `",
        ),
        ({"ansible_winrm_transport": "credssp"}, without("requests_credssp"), "pywinrm[credssp]"),
        ({}, without("winrm"), "reached over WinRM, which needs the pywinrm Python package"),
        (
            {"ansible_winrm_server_cert_validation": "no"},
            everything,
            "ansible_winrm_server_cert_validation is 'no'",
        ),
    ],
)
def test_refused_settings_name_the_variable(
    host_vars: dict[str, Any], installed: Callable[[str], bool], expected: str
) -> None:
    assert expected in refusal(windows_host(**host_vars), installed=installed)


def test_kerberos_packages_are_the_ones_pywinrm_imports() -> None:
    """pywinrm 0.5 and Ansible's winrm plugin import `kerberos` (pykerberos) for Kerberos, and
    `requests_credssp` for CredSSP: carehard asks for exactly those."""
    asked: list[str] = []

    def record(module: str) -> bool:
        asked.append(module)
        return True

    winrm.connection_vars(
        windows_host(ansible_winrm_transport="kerberos,credssp"), installed=record, which=found
    )
    assert asked == ["winrm", "kerberos", "requests_credssp"]


# --- the inventory ansible-runner gets -------------------------------------------------------------


def test_host_vars_file_is_private(tmp_path: Path) -> None:
    path = _write_host_vars(tmp_path, "run-1", {"win-01": {"ansible_winrm_transport": "ntlm"}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text()) == {
        "all": {"hosts": {"win-01": {"ansible_winrm_transport": "ntlm"}}}
    }


def test_host_vars_merge_into_a_dict_inventory() -> None:
    inventory = local_inventory()
    merged = _merged_host_vars(inventory, {"localhost": {"x": 1}, "other": {"y": 2}})
    assert merged["all"]["children"]["linux_workstations"]["hosts"]["localhost"]["x"] == 1
    assert merged["all"]["hosts"] == {"other": {"y": 2}}
    assert "x" not in inventory["all"]["children"]["linux_workstations"]["hosts"]["localhost"]  # a copy
    assert _merged_host_vars(inventory, {}) is inventory


# --- through the command line ----------------------------------------------------------------------


def write_inventory(path: Path, host_vars: dict[str, Any]) -> Path:
    body = {"all": {"children": {"windows_workstations": {"hosts": {"win-01": host_vars}}}}}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def cli_env(tmp_path: Path) -> dict[str, str]:
    """A scratch state dir, and no proxy: the WinRM request must go to 127.0.0.1 and nowhere else."""
    env = {
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "CAREHARD_STATE_DIR": "",
        "NO_PROXY": "*",
        "no_proxy": "*",
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[name] = ""
    return env


def test_audit_reaches_ansible_with_ntlm_over_https(tmp_path: Path) -> None:
    port = closed_port()
    inventory = write_inventory(
        tmp_path / "hosts.yml", {"ansible_host": "127.0.0.1", "ansible_port": port, **USER}
    )
    out = tmp_path / "out"
    result = carehard("audit", "-i", inventory, "--output", out, "--only", "RA-WIN-01", env=cli_env(tmp_path))
    assert result.returncode == 3, result.stdout + result.stderr
    report = load_report(out)
    (host,) = report["hosts"]
    assert host["name"] == "win-01" and host["reachable"] is False
    assert [(r["control"], r["status"]) for r in host["results"]] == [("RA-WIN-01", "unreachable")]
    said = " ".join(host["errors"])
    # The winrm plugin names each transport it tried, and requests the pool (scheme) and port.
    assert "ntlm: " in said, said
    assert f"HTTPSConnectionPool(host='127.0.0.1', port={port})" in said, said
    assert "ssl: " not in said and "plaintext: " not in said  # not Ansible's Basic auth fallback
    assert USER["ansible_password"] not in json.dumps(report)
    # The variables went in as a second inventory source, kept with the run, private.
    (added,) = (tmp_path / "state" / "carehard" / "runs").glob("*/*.hostvars.yml")
    assert stat.S_IMODE(added.stat().st_mode) == 0o600
    assert yaml.safe_load(added.read_text())["all"]["hosts"]["win-01"] == {
        "ansible_connection": "winrm",
        "ansible_winrm_scheme": "https",
        "ansible_winrm_transport": "ntlm",
    }


def test_doctor_reports_the_closed_winrm_port(tmp_path: Path) -> None:
    port = closed_port()
    inventory = write_inventory(
        tmp_path / "hosts.yml", {"ansible_host": "127.0.0.1", "ansible_port": port, **USER}
    )
    result = carehard("doctor", "-i", inventory, env=cli_env(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [ln for ln in result.stdout.splitlines() if "win-01" in ln]
    assert lines == [
        f"problem [winrm-port] win-01 (127.0.0.1:{port}): WinRM port {port} is closed (connection refused): "
        "enable the WinRM HTTPS listener on the host (`winrm quickconfig -transport:https`) "
        f"and allow TCP {port} in Windows Defender Firewall"
    ]


def test_basic_over_http_is_refused_before_any_run(tmp_path: Path) -> None:
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {
            "ansible_host": "127.0.0.1",
            "ansible_winrm_scheme": "http",
            "ansible_winrm_transport": "basic",
            **USER,
        },
    )
    env = cli_env(tmp_path)
    for command in (["audit"], ["harden", "--yes"]):
        result = carehard(*command, "-i", inventory, "--output", tmp_path / "out", env=env)
        assert result.returncode == 2, result.stdout + result.stderr
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert lines == [
            "carehard: error: host win-01: ansible_winrm_transport basic over http sends the password in "
            "clear: use ntlm or kerberos, or set ansible_winrm_scheme: https (port 5986)"
        ]
    assert not (tmp_path / "state" / "carehard" / "runs").exists()
    assert not (tmp_path / "out" / "report.json").exists()


def test_doctor_reports_a_refused_setting_on_one_line() -> None:
    host = InventoryHost(
        "win-09", {"ansible_host": "127.0.0.1", "ansible_port": 5986, "ansible_winrm_scheme": "http"}, WINDOWS
    )
    problems = check_hosts([host], timeout=1)
    assert [(p.host, p.check) for p in problems] == [("win-09", "winrm-auth")]
    assert problems[0].message == (
        "win-09 (127.0.0.1:5986): ansible_winrm_scheme is http but ansible_port is 5986, WinRM's HTTPS port: "
        "set ansible_winrm_scheme: https (or ansible_port: 5985 for an HTTP listener)"
    )


def test_the_example_inventory_windows_hosts() -> None:
    """inventories/example as Ansible lists it: NTLM over HTTPS for its Windows workstations."""
    example = Path(__file__).resolve().parents[2] / "inventories" / "example"
    hosts = list_hosts(example)
    windows = sorted(h.name for h in hosts if winrm.is_windows(h))
    assert windows == ["poste-accueil-01.hopital.example", "poste-radio-01.hopital.example"]
    overlay = winrm.connection_overlay(hosts, installed=everything)
    assert overlay == {
        "poste-accueil-01.hopital.example": {
            "ansible_connection": "winrm",
            "ansible_winrm_scheme": "https",
            "ansible_winrm_transport": "ntlm",
        },
        "poste-radio-01.hopital.example": {
            "ansible_connection": "winrm",
            "ansible_port": 5986,
            "ansible_winrm_scheme": "https",
            "ansible_winrm_transport": "ntlm",
        },
    }


def test_a_vendor_window_on_a_refused_windows_host_never_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from carehard.jobs.vendor_window import VendorWindowJob
    from carehard.vendors import Vendor, Window

    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    vendor = Vendor("acme", "acme", "", ("ssh-ed25519 AAAA x",), WINDOWS, 3600, "1h", "rdp", ("192.0.2.5",))
    host = windows_host(ansible_winrm_transport="plaintext", ansible_winrm_scheme="http")
    window = Window(vendor, (host,), "close", datetime.now(UTC), None, "", "tester")
    with pytest.raises(UsageError, match="plaintext over http sends the password in clear"):
        VendorWindowJob(tmp_path / "hosts.yml", window)
    assert not (tmp_path / "state").exists()


def test_fully_qualified_connection_names() -> None:
    host = InventoryHost("w", {"ansible_connection": "ansible.builtin.winrm"}, ())
    assert winrm.is_windows(host) and host.connection == "winrm"
    assert "ansible_connection" not in winrm.connection_overlay([host], installed=everything)["w"]
