"""Where and how an SSH host is logged in to, worked out as Ansible and OpenSSH would: the inventory
variables, the ssh options Ansible passes, then the user's ssh_config (address, port, user, keys,
known_hosts, host key checking, ProxyJump or ProxyCommand)."""

from __future__ import annotations

import configparser
import getpass
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from carehard.doctor.inventory_vars import as_bool, plain_secret
from carehard.engine.inventory import InventoryHost
from carehard.paths import ANSIBLE_ROOT

DEFAULT_USER_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")


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
class SshTarget:
    """What doctor connects to, and with what, for one SSH host."""

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


def ssh_target(host: InventoryHost) -> SshTarget:
    """In Ansible's order: the host's variables, then the ssh options Ansible passes, then ssh_config."""
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

    password, note = plain_secret(v, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
    target = SshTarget(
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
            return as_bool(v[name])
    if os.environ.get("ANSIBLE_HOST_KEY_CHECKING"):
        return as_bool(os.environ["ANSIBLE_HOST_KEY_CHECKING"])
    cfg = Path(os.environ.get("ANSIBLE_CONFIG") or ANSIBLE_ROOT / "ansible.cfg")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(cfg, encoding="utf-8")
        value = parser.get("defaults", "host_key_checking", fallback=None)
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return None if value is None else as_bool(value)


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
