"""Pre-flight checks: can this machine, and every inventory host, run carehard's plays?

Each problem is one line that names the host, says what is wrong and how to fix it. Checks of a
host stop at its first failing step (no point testing sudo on a host we cannot log in to), and
nothing here raises: an unexpected error is one more problem line, never a traceback.
"""

from __future__ import annotations

import configparser
import getpass
import importlib.util
import json
import logging
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import paramiko

from carehard.engine import winrm
from carehard.engine.inventory import WINDOWS_CONNECTIONS, InventoryHost
from carehard.errors import UsageError
from carehard.paths import ANSIBLE_ROOT

# paramiko logs connection failures (with tracebacks) at ERROR: without a handler they would reach
# stderr through logging's last resort. The problems we return already say what went wrong.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

MIN_ANSIBLE_CORE = (2, 17)
TESTED_BELOW = (2, 20)
COLLECTIONS = ("ansible.posix", "community.general", "ansible.windows", "community.windows")
MAX_WORKERS = 32
# Where Ansible's interpreter discovery looks, in its order (ansible-core INTERPRETER_PYTHON_FALLBACK).
PYTHON_FALLBACK = (
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python3.9",
    "python3.8",
    "/usr/bin/python3",
    "python3",
)
DEFAULT_USER_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
ACCEPTS_UNKNOWN = frozenset({"no", "off", "false", "accept-new"})

Runner = Callable[[str, str | None], tuple[int, str, str]]


@dataclass(frozen=True)
class Problem:
    host: str  # inventory host name, or "local" for this machine
    # reachable, host-key, auth, python3, become, winrm-auth, winrm-port, ansible-core, collection, restic
    check: str
    message: str  # one line: what is wrong and the fix, naming the host
    warning: bool = False  # worth knowing, but does not stop a run (e.g. restic missing here)


def format_problem(p: Problem) -> str:
    kind = "warning" if p.warning else "problem"
    return f"{kind} [{p.check}] {_one_line(p.message)}"


# --------------------------------------------------------------------------------------------------
# This machine


def check_local() -> list[Problem]:
    """ansible-core version, the collections the roles use, restic for backup verification."""
    problems: list[Problem] = []
    for check, fn in (("ansible-core", _check_ansible_core), ("collection", _check_collections)):
        try:
            problems += fn()
        except Exception as exc:
            problems.append(Problem("local", check, f"local: cannot check {check}: {_describe(exc)}"))
    if shutil.which("restic") is None:
        problems.append(
            Problem(
                "local",
                "restic",
                "local: restic is not on PATH: backup restore tests need it: install restic "
                "(`apt-get install restic` or `dnf install restic`) where `carehard backup verify` runs",
                warning=True,
            )
        )
    return problems


def _check_ansible_core() -> list[Problem]:
    version = _ansible_core_version()
    pip = f"{sys.executable} -m pip install 'ansible-core>=2.17,<2.20'"
    if version is None:
        return [
            Problem(
                "local", "ansible-core", f"local: ansible-core is not installed for {sys.executable}: {pip}"
            )
        ]
    parsed = _version_tuple(version)
    if parsed < MIN_ANSIBLE_CORE:
        return [
            Problem(
                "local", "ansible-core", f"local: ansible-core {version} is too old (needs >= 2.17): {pip}"
            )
        ]
    if parsed >= TESTED_BELOW:
        return [
            Problem(
                "local",
                "ansible-core",
                f"local: ansible-core {version} is newer than carehard is tested with (< 2.20): "
                f"if a play misbehaves, {pip}",
                warning=True,
            )
        ]
    return []


def _ansible_core_version() -> str | None:
    try:
        return metadata.version("ansible-core")
    except metadata.PackageNotFoundError:
        pass
    try:
        from ansible.release import __version__

        return str(__version__)
    except ImportError:
        return None


def _version_tuple(version: str) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", version.split("+")[0])[:3]
    return tuple(int(n) for n in numbers)


def _check_collections() -> list[Problem]:
    galaxy = _sibling("ansible-galaxy")
    installed = _galaxy_collections(galaxy)
    problems = []
    for name in COLLECTIONS:
        present = name in installed if installed is not None else _importable_collection(name)
        if not present:
            problems.append(
                Problem(
                    "local",
                    "collection",
                    f"local: Ansible collection {name} is not installed (the roles use it): "
                    f"run `{galaxy} collection install {name}` or `pip install ansible`",
                )
            )
    return problems


def _galaxy_collections(galaxy: str) -> set[str] | None:
    """Collections ansible-galaxy sees, in every configured path; None if it cannot tell us."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    cfg = ANSIBLE_ROOT / "ansible.cfg"
    if "ANSIBLE_CONFIG" not in env and cfg.exists():
        env["ANSIBLE_CONFIG"] = str(cfg)
    try:
        proc = subprocess.run(
            [galaxy, "collection", "list", "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        data = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {name for body in data.values() if isinstance(body, dict) for name in body}


def _importable_collection(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"ansible_collections.{name}") is not None
    except (ImportError, ValueError):
        return False


def _sibling(tool: str) -> str:
    path = Path(sys.executable).with_name(tool)
    return str(path) if path.exists() else tool


# --------------------------------------------------------------------------------------------------
# Inventory hosts


def check_hosts(hosts: list[InventoryHost], timeout: float = 10.0) -> list[Problem]:
    """Check every host in parallel; problems come back in the order of the hosts."""
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(hosts))) as pool:
        results = list(pool.map(lambda h: _check_host(h, timeout), hosts))
    return [p for problems in results for p in problems]


class _Fail(Exception):
    """A failed step: the check's name and the one-line message (without the host label)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


@contextmanager
def _step(check: str) -> Iterator[None]:
    """Turn any unexpected error inside a step into that step's failure."""
    try:
        yield
    except _Fail:
        raise
    except Exception as exc:
        raise _Fail(check, f"{check} check failed: {_describe(exc)}") from None


def _check_host(host: InventoryHost, timeout: float) -> list[Problem]:
    label = host.name
    secrets: list[str] = []
    try:
        with _step("reachable"):
            secrets = _secret_values(host.vars)
            label = _label(host)
            if host.connection == "local":
                _check_local_host(host, timeout)
            elif host.connection in WINDOWS_CONNECTIONS:
                _check_winrm(host, timeout)
            else:
                _check_ssh(host, timeout)
    except _Fail as fail:
        return [Problem(host.name, fail.check, _scrub(f"{label}: {fail.message}", secrets))]
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        return [Problem(host.name, "reachable", _scrub(f"{label}: doctor failed: {_describe(exc)}", secrets))]
    return []


def _label(host: InventoryHost) -> str:
    if host.connection == "local":
        return f"{host.name} (local)"
    address = f"[{host.address}]" if ":" in host.address else host.address
    return f"{host.name} ({address}:{_port(host)})"


def _port(host: InventoryHost) -> int | str:
    if host.connection in WINDOWS_CONNECTIONS:
        try:
            return host.port
        except (TypeError, ValueError):  # a template: only Ansible can evaluate it
            return "?"
    for name in ("ansible_port", "ansible_ssh_port"):
        if host.vars.get(name) not in (None, ""):
            return int(host.vars[name])
    return host.port


# --- local connection ------------------------------------------------------------------------------


def _check_local_host(host: InventoryHost, timeout: float) -> None:
    interpreter = str(host.vars.get("ansible_python_interpreter") or "")
    if interpreter and not interpreter.startswith("auto") and "{{" not in interpreter:
        with _step("python3"):
            _check_python(_local_runner(timeout), [interpreter], explicit=True)
    # else: the play runs with this very Python (sys.executable), which is recent enough.
    if _become_wanted(host.vars) and os.geteuid() != 0:
        with _step("become"):
            _check_become(_local_runner(timeout), host.vars, getpass.getuser())


def _local_runner(timeout: float) -> Runner:
    def run(command: str, stdin: str | None) -> tuple[int, str, str]:
        proc = subprocess.run(
            ["/bin/sh", "-c", command],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return proc.returncode, proc.stdout, proc.stderr

    return run


# --- WinRM -----------------------------------------------------------------------------------------


def _check_winrm(host: InventoryHost, timeout: float) -> None:
    with _step("winrm-auth"):
        # The settings carehard runs the host with (transport, scheme, port), and what they need here.
        try:
            settings = winrm.connection_vars(host)
        except winrm.WinRMSettingError as exc:
            raise _Fail("winrm-auth", exc.detail) from None
        except UsageError as exc:
            raise _Fail("winrm-auth", str(exc)) from None
    scheme, port = winrm.endpoint(settings)
    if port is None:
        raise _Fail(
            "winrm-port",
            "the WinRM port or scheme is a template doctor cannot evaluate: "
            "give ansible_port (and ansible_winrm_scheme) as plain values to check it",
        )
    https = scheme != "http"
    listener = "HTTPS" if https else "HTTP"
    fix = (
        f"enable the WinRM {listener} listener on the host "
        f"(`winrm quickconfig{' -transport:https' if https else ''}`) "
        f"and allow TCP {port} in Windows Defender Firewall"
    )
    with _step("winrm-port"):
        try:
            socket.create_connection((host.address, port), timeout=timeout).close()
        except socket.gaierror as exc:
            raise _Fail(
                "winrm-port", f"cannot resolve {host.address} ({exc.strerror}): fix ansible_host or DNS"
            ) from None
        except ConnectionRefusedError:
            raise _Fail("winrm-port", f"WinRM port {port} is closed (connection refused): {fix}") from None
        except TimeoutError:
            raise _Fail(
                "winrm-port",
                f"no answer on WinRM port {port} within {timeout:g}s (host down or port filtered): "
                f"check the address and network, then {fix}",
            ) from None
        except OSError as exc:
            raise _Fail(
                "winrm-port",
                f"WinRM port {port} unreachable: {_describe(exc)}: check address and network, then {fix}",
            ) from None


# --- SSH -------------------------------------------------------------------------------------------


def parse_ssh_options(args: str) -> dict[str, list[str]]:
    """OpenSSH options given on a command line: `-o Key=Value`, `-o Key Value`, `-oKey=Value`,
    `-o "Key Value"`, plus -i (IdentityFile), -J (ProxyJump), -p (Port), -l (User), -F (config).

    Keys come back lower-cased, each with its values in order (OpenSSH uses the first, except
    IdentityFile, which accumulates).
    """
    try:
        tokens = shlex.split(args)
    except ValueError:
        tokens = args.split()
    flags = {"-i": "identityfile", "-J": "proxyjump", "-p": "port", "-l": "user", "-F": "configfile"}
    options: dict[str, list[str]] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        key, value = "", ""
        if token.startswith("-o"):
            body = token[2:]
            if not body and i < len(tokens):
                body = tokens[i]
                i += 1
            body = body.strip()
            match = re.match(r"([A-Za-z0-9]+)\s*(?:=\s*|\s+)(.*)$", body, re.S)
            if match:
                key, value = match.group(1), match.group(2)
            elif body and i < len(tokens) and not tokens[i].startswith("-"):
                key, value = body, tokens[i]
                i += 1
        elif token[:2] in flags:
            key = flags[token[:2]]
            value = token[2:]
            if not value and i < len(tokens):
                value = tokens[i]
                i += 1
        if key:
            options.setdefault(key.lower(), []).append(value.strip().strip("\"'"))
    return options


@dataclass
class _SshTarget:
    name: str  # inventory name
    address: str  # ansible_host
    hostname: str  # what we connect to (after ssh_config HostName)
    port: int
    user: str
    key_files: list[str] = field(default_factory=list)
    allow_agent: bool = True
    known_hosts: list[str] = field(default_factory=list)  # user files, as written (with ~)
    strict: str = "ask"
    proxy: str | None = None  # a shell command for paramiko.ProxyCommand
    proxy_desc: str = ""
    password: str | None = None
    password_note: str = ""


def _ssh_target(host: InventoryHost) -> _SshTarget:
    v = host.vars
    cmdline = _ansible_ssh_options(v)
    config = _ssh_config(cmdline, host.address)

    def first(key: str) -> str | None:
        values = cmdline.get(key)
        if values:
            return values[0]
        value = config.get(key)
        if isinstance(value, list):
            return str(value[0]) if value else None
        return str(value) if value not in (None, "") else None

    hostname = str(config.get("hostname") or host.address)
    port_var = next((v[n] for n in ("ansible_port", "ansible_ssh_port") if v.get(n) not in (None, "")), None)
    port = int(port_var if port_var is not None else (first("port") or 22))
    user_var = next((v[n] for n in ("ansible_user", "ansible_ssh_user") if v.get(n)), None)
    user = str(user_var or first("user") or getpass.getuser())

    key_files: list[str] = []
    key_var = v.get("ansible_ssh_private_key_file") or v.get("ansible_private_key_file")
    if key_var:
        key_files.append(str(key_var))
    key_files += cmdline.get("identityfile", [])
    config_keys = config.get("identityfile") or []
    key_files += [str(k) for k in (config_keys if isinstance(config_keys, list) else [config_keys])]
    key_files = [_expand(k, user, hostname) for k in dict.fromkeys(key_files) if k and k.lower() != "none"]

    known = first("userknownhostsfile")
    known_hosts = list(DEFAULT_USER_KNOWN_HOSTS) if known is None else known.split()
    known_hosts = [k for k in known_hosts if k.lower() != "none"]

    password, note = _secret(v, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
    target = _SshTarget(
        name=host.name,
        address=host.address,
        hostname=hostname,
        port=port,
        user=user,
        key_files=key_files,
        allow_agent=(first("identitiesonly") or "no").lower() not in ("yes", "true"),
        known_hosts=known_hosts,
        strict=(first("stricthostkeychecking") or "ask").lower(),
        password=password,
        password_note=note,
    )
    jump, command = first("proxyjump"), first("proxycommand")
    if jump and jump.lower() != "none":
        target.proxy, target.proxy_desc = _jump_command(jump, hostname, port), f"ProxyJump {jump}"
    elif command and command.lower() != "none":
        expanded = (
            command.replace("%h", hostname).replace("%p", str(port)).replace("%r", user).replace("%%", "%")
        )
        target.proxy, target.proxy_desc = (
            shlex.join(["/bin/sh", "-c", f"exec {expanded}"]),
            f"ProxyCommand {command}",
        )
    return target


def _ansible_ssh_options(v: Mapping[str, Any]) -> dict[str, list[str]]:
    """The ssh options Ansible would pass, in its order: ssh_args, host_key_checking, common, extra."""
    parts: list[str] = [str(v.get("ansible_ssh_args") or "")]
    checking = _host_key_checking(v)
    if checking is False:
        parts.append("-o StrictHostKeyChecking=no")
    parts += [str(v.get("ansible_ssh_common_args") or ""), str(v.get("ansible_ssh_extra_args") or "")]
    merged: dict[str, list[str]] = {}
    for part in parts:
        for key, values in parse_ssh_options(part).items():
            merged.setdefault(key, []).extend(values)
    return merged


def _host_key_checking(v: Mapping[str, Any]) -> bool | None:
    for name in ("ansible_ssh_host_key_checking", "ansible_host_key_checking"):
        if v.get(name) is not None:
            return _bool(v[name])
    if os.environ.get("ANSIBLE_HOST_KEY_CHECKING"):
        return _bool(os.environ["ANSIBLE_HOST_KEY_CHECKING"])
    cfg = Path(os.environ.get("ANSIBLE_CONFIG") or ANSIBLE_ROOT / "ansible.cfg")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(cfg, encoding="utf-8")
        value = parser.get("defaults", "host_key_checking", fallback=None)
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return None if value is None else _bool(value)


def _ssh_config(cmdline: Mapping[str, list[str]], address: str) -> Mapping[str, Any]:
    """What the user's ssh_config (or -F file) says for this address; empty if unreadable."""
    path = Path(
        os.path.expanduser(cmdline["configfile"][0] if cmdline.get("configfile") else "~/.ssh/config")
    )
    if not path.is_file():
        return {}
    try:
        return paramiko.SSHConfig.from_path(str(path)).lookup(address)
    except Exception:  # a config paramiko cannot read: ssh itself will say so when the play runs
        return {}


def _jump_command(jump: str, hostname: str, port: int) -> str:
    hops = jump.split(",")
    last = hops[-1].removeprefix("ssh://")
    cmd = ["ssh", "-o", "BatchMode=yes"]
    if len(hops) > 1:
        cmd += ["-J", ",".join(hops[:-1])]
    user, _, hostport = last.rpartition("@")
    jhost, jport = hostport, ""
    if hostport.startswith("["):
        jhost, _, rest = hostport[1:].partition("]")
        jport = rest.removeprefix(":")
    elif hostport.count(":") == 1:
        jhost, jport = hostport.split(":")
    if user:
        cmd += ["-l", user]
    if jport:
        cmd += ["-p", jport]
    cmd += ["-W", f"[{hostname}]:{port}", jhost]
    return shlex.join(cmd)


def _expand(path: str, user: str, hostname: str) -> str:
    path = path.replace("%d", str(Path.home())).replace("%u", getpass.getuser())
    path = path.replace("%r", user).replace("%h", hostname).replace("%%", "%")
    return os.path.expanduser(path)


class _UnknownHostKey(Exception):
    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__("unknown host key")
        self.key = key


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    def __init__(self, accept: bool) -> None:
        self.accept = accept

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if not self.accept:
            raise _UnknownHostKey(key)


def _check_ssh(host: InventoryHost, timeout: float) -> None:
    with _step("reachable"):
        target = _ssh_target(host)
        sock = _open_socket(target, timeout)
    client = paramiko.SSHClient()
    try:
        with _step("host-key"):
            for path in [*GLOBAL_KNOWN_HOSTS, *target.known_hosts]:
                full = os.path.expanduser(path)
                if os.path.isfile(full) and os.access(full, os.R_OK):
                    client.load_system_host_keys(full)
            client.set_missing_host_key_policy(_HostKeyPolicy(target.strict in ACCEPTS_UNKNOWN))
        with _step("auth"):
            _connect(client, target, sock, timeout)
        transport = client.get_transport()
        if transport is None:
            raise _Fail("auth", "the SSH connection closed right after login: check the host's sshd logs")
        run = _ssh_runner(transport, timeout)
        interpreter = str(host.vars.get("ansible_python_interpreter") or "")
        with _step("python3"):
            if interpreter and not interpreter.startswith("auto") and "{{" not in interpreter:
                _check_python(run, [interpreter], explicit=True)
            else:
                _check_python(run, list(PYTHON_FALLBACK), explicit=False)
        if _become_wanted(host.vars):
            with _step("become"):
                _check_become(run, host.vars, target.user)
    finally:
        client.close()
        sock.close()


def _open_socket(target: _SshTarget, timeout: float) -> socket.socket | paramiko.ProxyCommand:
    if target.proxy:
        try:
            proxy = paramiko.ProxyCommand(target.proxy)
        except OSError as exc:
            raise _Fail("reachable", f"cannot start {target.proxy_desc}: {_describe(exc)}") from None
        proxy.settimeout(timeout)
        return proxy
    where = f"{target.hostname}:{target.port}"
    hint = "check ansible_host/ansible_port, the network and firewall, and that sshd runs on the host"
    try:
        return socket.create_connection((target.hostname, target.port), timeout=timeout)
    except socket.gaierror as exc:
        raise _Fail(
            "reachable",
            f"unreachable: cannot resolve {target.hostname} ({exc.strerror}): fix ansible_host or DNS",
        ) from None
    except ConnectionRefusedError:
        raise _Fail("reachable", f"unreachable: connection to {where} refused: {hint}") from None
    except TimeoutError:
        raise _Fail("reachable", f"unreachable: no answer from {where} within {timeout:g}s: {hint}") from None
    except OSError as exc:
        raise _Fail("reachable", f"unreachable: {where}: {_describe(exc)}: {hint}") from None


def _connect(
    client: paramiko.SSHClient, t: _SshTarget, sock: socket.socket | paramiko.ProxyCommand, timeout: float
) -> None:
    for key in t.key_files:
        _check_key_file(key)
    look_for_keys = not t.key_files  # as OpenSSH: default keys only when no IdentityFile is given
    key_filename: Any = t.key_files or None  # paramiko takes a list; its stubs say str
    try:
        client.connect(
            t.hostname,
            port=t.port,
            username=t.user,
            password=t.password,
            key_filename=key_filename,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            allow_agent=t.allow_agent,
            look_for_keys=look_for_keys,
            sock=sock,
        )
    except _UnknownHostKey as exc:
        raise _Fail("host-key", _unknown_key_message(t, exc.key)) from None
    except paramiko.BadHostKeyException as exc:
        raise _Fail("host-key", _changed_key_message(t, exc.key, exc.expected_key)) from None
    except paramiko.PasswordRequiredException:
        raise _Fail(
            "auth",
            f"private key {', '.join(t.key_files) or '~/.ssh/id_*'} needs a passphrase: "
            "load it into ssh-agent (`ssh-add KEYFILE`) before running carehard",
        ) from None
    except paramiko.BadAuthenticationType as exc:
        raise _Fail(
            "auth",
            f"{t.user}@{t.hostname} accepts only {', '.join(exc.allowed_types)} authentication, "
            f"which doctor had nothing for: {_auth_fix(t)}",
        ) from None
    except paramiko.AuthenticationException:
        raise _Fail(
            "auth", f"authentication failed as {t.user} ({_auth_tried(t, look_for_keys)}): {_auth_fix(t)}"
        ) from None
    except paramiko.SSHException as exc:
        text = str(exc)
        if "No authentication methods available" in text:
            raise _Fail("auth", f"no SSH key or password to log in as {t.user}: {_auth_fix(t)}") from None
        raise _Fail("reachable", _ssh_failure(t, sock, text)) from None
    except (OSError, EOFError) as exc:
        raise _Fail("reachable", _ssh_failure(t, sock, _describe(exc))) from None


def _check_key_file(key: str) -> None:
    path = Path(key)
    if not path.is_file():
        raise _Fail("auth", f"private key file {key} does not exist: fix ansible_ssh_private_key_file")
    if not os.access(path, os.R_OK):
        raise _Fail(
            "auth", f"private key file {key} is not readable by {getpass.getuser()}: fix its owner or mode"
        )
    st = path.stat()
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        raise _Fail(
            "auth",
            f"private key file {key} is readable by others (mode {st.st_mode & 0o777:o}), "
            f"so ssh refuses it: `chmod 600 {shlex.quote(key)}`",
        )


def _ssh_failure(t: _SshTarget, sock: socket.socket | paramiko.ProxyCommand, text: str) -> str:
    if isinstance(sock, paramiko.ProxyCommand):
        stderr = ""
        try:
            if sock.process.poll() is not None and sock.process.stderr is not None:
                stderr = sock.process.stderr.read().decode(errors="replace").strip()
        except OSError:
            pass
        said = f" ({_one_line(stderr)})" if stderr else ""
        return (
            f"unreachable through {t.proxy_desc}{said}: {text}: check the bastion, "
            "and that the host is up and reachable from it"
        )
    return (
        f"port {t.port} answers but the SSH handshake failed: {text}: check that sshd (not another service) "
        "listens there and that its ciphers/key types are not outdated"
    )


def _auth_tried(t: _SshTarget, look_for_keys: bool) -> str:
    tried = [f"key {k}" for k in t.key_files]
    if t.allow_agent and os.environ.get("SSH_AUTH_SOCK"):
        tried.append("ssh-agent keys")
    if look_for_keys:
        tried.append("default keys ~/.ssh/id_*")
    if t.password is not None:
        tried.append("password")
    elif t.password_note:
        tried.append(f"no password ({t.password_note})")
    return "tried " + ", ".join(tried) if tried else "nothing to try"


def _auth_fix(t: _SshTarget) -> str:
    return (
        f"check ansible_user and ansible_ssh_private_key_file, and that the public key is in "
        f"~{t.user}/.ssh/authorized_keys on the host"
    )


def _key_type(key: paramiko.PKey) -> str:
    return str(key.get_name())


def _unknown_key_message(t: _SshTarget, key: paramiko.PKey) -> str:
    known = t.known_hosts[0] if t.known_hosts else DEFAULT_USER_KNOWN_HOSTS[0]
    scan = f"ssh-keyscan -p {t.port} {t.hostname} >> {known}"
    return (
        f"host key unknown (the host offers {_key_type(key)} {key.fingerprint}): check it on the host "
        f"(`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`), then run `{scan}`, "
        "or set UserKnownHostsFile / StrictHostKeyChecking=accept-new in ansible_ssh_common_args"
    )


def _changed_key_message(t: _SshTarget, got: paramiko.PKey, expected: paramiko.PKey) -> str:
    known = t.known_hosts[0] if t.known_hosts else DEFAULT_USER_KNOWN_HOSTS[0]
    name = t.hostname if t.port == 22 else f"[{t.hostname}]:{t.port}"
    return (
        f"host key CHANGED (known {_key_type(expected)} {expected.fingerprint}, offered {_key_type(got)} "
        f"{got.fingerprint}): possible man in the middle; if the host was reinstalled, check the new key "
        f"on its console, then `ssh-keygen -R '{name}' -f {known}` and scan it again"
    )


def _ssh_runner(transport: paramiko.Transport, timeout: float) -> Runner:
    def run(command: str, stdin: str | None) -> tuple[int, str, str]:
        chan = transport.open_session(timeout=timeout)
        try:
            chan.settimeout(timeout)
            chan.exec_command(command)
            if stdin is not None:
                chan.sendall(stdin.encode())
            chan.shutdown_write()
            out = chan.makefile("rb").read()
            err = chan.makefile_stderr("rb").read()
            if not chan.status_event.wait(timeout):
                raise TimeoutError(f"no exit status within {timeout:g}s")
            return chan.recv_exit_status(), out.decode(errors="replace"), err.decode(errors="replace")
        finally:
            chan.close()

    return run


# --- steps shared by SSH and local hosts ------------------------------------------------------------


def _check_python(run: Runner, candidates: list[str], explicit: bool) -> None:
    """The target's Python: present, and recent enough for the modules of this ansible-core."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    script = (
        f"for p in {' '.join(shlex.quote(c) for c in candidates)}; do "
        f'if command -v "$p" >/dev/null 2>&1; then v=$("$p" -c {shlex.quote(probe)} 2>/dev/null) '
        '&& echo "$p $v"; fi; done; exit 0'
    )
    _rc, out, _err = run(f"/bin/sh -c {shlex.quote(script)}", None)
    found = [tuple(line.split()) for line in out.splitlines() if len(line.split()) == 2]
    minimum = _target_python_min()
    need = ".".join(map(str, minimum))
    if not found:
        if explicit:
            raise _Fail(
                "python3",
                f"ansible_python_interpreter {candidates[0]} does not exist or does not run on the host: "
                "install it, or fix ansible_python_interpreter",
            )
        raise _Fail(
            "python3",
            f"python3 is missing on the host (Ansible needs Python >= {need} there): install it "
            "(`apt-get install python3` or `dnf install python3`), or set ansible_python_interpreter",
        )
    path, version = found[0]
    if _version_tuple(version) < minimum:
        newer = [p for p, ver in found if _version_tuple(ver) >= minimum]
        fix = (
            f"set ansible_python_interpreter to {newer[0]}"
            if newer
            else "install a newer Python (e.g. `dnf install python3.11`) and set ansible_python_interpreter"
        )
        raise _Fail(
            "python3", f"{path} is Python {version}, too old for ansible-core (needs >= {need}): {fix}"
        )


def _target_python_min() -> tuple[int, ...]:
    try:
        from ansible.module_utils.basic import _PY_MIN

        return tuple(int(n) for n in _PY_MIN)
    except Exception:
        return (3, 8)


def _become_wanted(v: Mapping[str, Any]) -> bool:
    for name in ("ansible_become", "carehard_become"):
        if v.get(name) is not None:
            return _bool(v[name])
    return True


def _check_become(run: Runner, v: Mapping[str, Any], login_user: str) -> None:
    method = str(v.get("ansible_become_method") or "sudo")
    if method != "sudo":
        return  # su, doas, ... cannot be tried without a terminal: the play will tell
    sudo = shlex.quote(str(v.get("ansible_become_exe") or "sudo"))
    become_user = str(v.get("ansible_become_user") or "root")
    as_user = f"-u {shlex.quote(become_user)} " if become_user != "root" else ""
    rc, _out, err = run(f"{sudo} -n {as_user}true", None)
    if rc == 0:
        return
    said = _last_line(err)
    if rc == 127 or "not found" in said:
        raise _Fail(
            "become",
            f"sudo is not installed on the host ({said}): install sudo, or set ansible_become_method",
        )
    password, note = _secret(v, "ansible_become_password", "ansible_become_pass", "ansible_sudo_pass")
    if password is None:
        extra = f" (ansible_become_password is set but {note})" if note else ""
        raise _Fail(
            "become",
            f"sudo needs a password for {login_user}{extra}: set ansible_become_password (vault) or "
            f"NOPASSWD for the {login_user} account in sudoers (sudo said: {said})",
        )
    rc, _out, err = run(f"{sudo} -S -p '' {as_user}true", password + "\n")
    if rc != 0:
        raise _Fail(
            "become",
            f"sudo refuses {login_user} with ansible_become_password (wrong password, or {login_user} "
            f"may not run commands as {become_user}): fix the password or the sudoers rule "
            f"(sudo said: {_last_line(err)})",
        )


# --- small helpers ---------------------------------------------------------------------------------


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "y", "on", "t")


def _secret(v: Mapping[str, Any], *names: str) -> tuple[str | None, str]:
    """A secret variable's plain value, or None and why it cannot be used here."""
    for name in names:
        value = v.get(name)
        if value in (None, ""):
            continue
        if isinstance(value, str) and "{{" not in value:
            return value, ""
        if isinstance(value, str):
            return None, f"{name} is a template doctor cannot evaluate"
        return None, f"{name} is vault-encrypted and doctor cannot decrypt it"
    return None, ""


def _secret_values(v: Mapping[str, Any]) -> list[str]:
    names = (
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_ssh_password",
        "ansible_become_password",
        "ansible_become_pass",
        "ansible_sudo_pass",
    )
    return [str(v[n]) for n in names if isinstance(v.get(n), str) and v[n]]


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "********")
    return _one_line(message)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    return _one_line(text)
