#!/usr/bin/python
"""Read-only: the local accounts, their password and expiry state, and every SSH key they hold."""

from __future__ import annotations

import base64
import binascii
import grp
import hashlib
import ipaddress
import os
import pwd
import re
import time
from typing import Any

DOCUMENTATION = r"""
module: vendor_access_info
short_description: Vendor accounts, their window state, and every SSH key of the host
description:
  - Reads /etc/passwd, /etc/shadow, /etc/group, every account's authorized_keys files and the
    root-owned per-account key files of a directory (vendor keys).
  - Parses each key line (options, type, fingerprint) without ssh-keygen.
  - Changes nothing; supports check mode.
options:
  key_dir:
    description: Directory of root-owned key files named after accounts (sshd AuthorizedKeysFile .../%u).
    type: path
  home_files:
    description: authorized_keys files relative to each home directory.
    type: list
    elements: str
    default: [.ssh/authorized_keys, .ssh/authorized_keys2]
  group:
    description: A group whose members (primary or supplementary) are listed in C(group).
    type: str
  admin_networks:
    description: Networks a C(from=) option must stay within for a key to count as admin-only.
    type: list
    elements: str
    default: []
  sshd_binary:
    description: >-
      With it, also reads sshd (C(sshd)): whether it is installed, sshd_config, sshd -T, the vendor
      rules (drop-in C(sshd_dropin) when sshd_config includes sshd_config.d, else sshd_config), and
      sshd -T -C for each existing vendor account from its first bastion and from elsewhere.
    type: path
  sshd_config:
    type: path
  sshd_dropin:
    type: path
  pam_sshd:
    description: With it, also reads the session traces (C(traces)) of pam_tty_audit and C(audit_rules_file).
    type: path
  audit_rules_file:
    type: path
  pam_su:
    description: With it, also reads su's refusal (C(su)) of the members of C(no_su_group).
    type: path
  no_su_group:
    type: str
author: carehard
"""

RETURN = r"""
accounts:
  description: >-
    Account name to uid, gid, home, shell, groups, password (none, locked, hash, empty), expire_days.
  type: dict
  returned: always
keys:
  description: One entry per key line, with account, file, source (home or key_dir), type, fingerprint,
    comment, blob, options, expiry_epoch, admin_only (from= within admin_networks), error (unparsable).
  type: list
  returned: always
group:
  description: exists, gid and members of the group option.
  type: dict
  returned: always
now:
  description: The host's time (seconds since the epoch).
  type: int
  returned: always
sshd:
  description: >-
    installed, config (sshd_config's text), uses_dropin, global (sshd -T's output), rules_path,
    rules (its text, null when missing), effective ({"<account>/inside|outside": {keyword: value}}),
    errors (what sshd said when it refused to print a configuration).
  type: dict
  returned: when sshd_binary is given
traces:
  description: tty_lines (pam_tty_audit lines of pam_sshd), rules (audit_rules_file's text, "" if
    missing), auditd (installed when auditctl is found, else absent).
  type: dict
  returned: when pam_sshd is given
su:
  description: group (exists), members, no_pam_su, auth (the auth lines of pam_su).
  type: dict
  returned: when pam_su is given
"""

KEY_TYPES = {
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
}


class KeyLineError(ValueError):
    """A line that is not a valid authorized_keys entry."""


def split_options(text: str) -> tuple[list[str], str]:
    """The comma-separated options at the start of a line (quotes may hold commas and spaces)."""
    options: list[str] = []
    current = []
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            quoted = not quoted
        elif char == "\\" and quoted and i + 1 < len(text):
            current.append(char)
            i += 1
            char = text[i]
        elif not quoted and char == ",":
            options.append("".join(current))
            current = []
            i += 1
            continue
        elif not quoted and char in " \t":
            break
        current.append(char)
        i += 1
    if quoted:
        raise KeyLineError("unterminated quote in the key options")
    options.append("".join(current))
    return options, text[i:].strip()


def parse_options(items: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in items:
        name, _, value = item.partition("=")
        name = name.strip().lower()
        if not name:
            raise KeyLineError("empty key option")
        value = value.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        if name == "from":
            parsed["from"] = [p.strip() for p in value.split(",") if p.strip()]
        elif name in ("permitopen", "permitlisten", "environment"):
            parsed.setdefault(name, []).append(value)
        elif name in ("expiry-time", "command", "principals"):
            parsed[name] = value
        else:
            parsed[name] = True
    return parsed


def parse_expiry(value: str) -> int:
    """expiry-time: YYYYMMDD[HHMM[SS]][Z]; local time of the host unless Z."""
    utc = value.endswith(("Z", "z"))
    digits = value[:-1] if utc else value
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    if not digits.isdigit() or len(digits) not in formats:
        raise KeyLineError(f"bad expiry-time {value!r}")
    parsed = time.strptime(digits, formats[len(digits)])
    if utc:
        import calendar

        return int(calendar.timegm(parsed))
    return int(time.mktime(parsed))


def fingerprint(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


# The fields of each key type after its name (RFC 4253, 5656, 8709, OpenSSH's PROTOCOL.u2f): their
# count and the fixed length (or value) of some, so that a truncated key is refused by its structure.
KEY_FIELDS: dict[str, tuple[int, dict[int, int | bytes]]] = {
    "ssh-ed25519": (1, {0: 32}),
    "ssh-rsa": (2, {}),
    "ssh-dss": (4, {}),
    "ecdsa-sha2-nistp256": (2, {0: b"nistp256", 1: 65}),
    "ecdsa-sha2-nistp384": (2, {0: b"nistp384", 1: 97}),
    "ecdsa-sha2-nistp521": (2, {0: b"nistp521", 1: 133}),
    "sk-ssh-ed25519@openssh.com": (2, {0: 32}),
    "sk-ecdsa-sha2-nistp256@openssh.com": (3, {0: b"nistp256", 1: 65}),
}


def whole_key(key_type: str, blob: bytes) -> bool:
    """Whether the blob holds exactly the fields of its type (certificates are not checked here)."""
    if key_type not in KEY_FIELDS:
        return True
    fields: list[bytes] = []
    at = 0
    while at < len(blob):
        if at + 4 > len(blob):
            return False
        size = int.from_bytes(blob[at : at + 4], "big")
        if at + 4 + size > len(blob):
            return False
        fields.append(blob[at + 4 : at + 4 + size])
        at += 4 + size
    count, fixed = KEY_FIELDS[key_type]
    fields = fields[1:]
    if len(fields) != count or not all(fields):
        return False
    return all(
        fields[i] == want if isinstance(want, bytes) else len(fields[i]) == want for i, want in fixed.items()
    )


def parse_key_line(line: str) -> dict[str, Any]:
    """One authorized_keys line: options, type, blob, fingerprint, comment."""
    text = line.strip()
    first = text.split(None, 1)[0] if text else ""
    if first in KEY_TYPES or first.endswith("-cert-v01@openssh.com"):
        option_items: list[str] = []
        rest = text
    else:
        option_items, rest = split_options(text)
    fields = rest.split(None, 2)
    if len(fields) < 2:
        if "=" not in first and "," not in first and len(text.split()) >= 2:
            raise KeyLineError(f"unknown key type {first!r}")
        raise KeyLineError("no key type and key data")
    options = parse_options(option_items) if option_items else {}
    expiry = parse_expiry(options["expiry-time"]) if "expiry-time" in options else None
    key_type, data = fields[0], fields[1]
    if key_type not in KEY_TYPES and not key_type.endswith("-cert-v01@openssh.com"):
        raise KeyLineError(f"unknown key type {key_type!r}")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise KeyLineError("key data is not base64") from None
    if len(blob) < 4 or blob[4 : 4 + int.from_bytes(blob[:4], "big")] != key_type.encode():
        raise KeyLineError(f"key data does not hold a {key_type} key")
    if not whole_key(key_type, blob):
        raise KeyLineError(f"the {key_type} key data is truncated or damaged: copy the whole public key line")
    return {
        "type": key_type,
        "blob": data,
        "fingerprint": fingerprint(blob),
        "comment": fields[2] if len(fields) > 2 else "",
        "options": options,
        "expiry_epoch": expiry,
    }


def within(patterns: list[str], networks: list[str]) -> bool:
    """Every from= pattern is an address or network inside one of the networks (no wildcard, no negation)."""
    if not patterns or not networks:
        return False
    nets = [ipaddress.ip_network(n, strict=False) for n in networks]
    for pattern in patterns:
        try:
            net = ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return False
        if not any(net.version == n.version and net.subnet_of(n) for n in nets):  # type: ignore[arg-type]
            return False
    return True


def password_state(field: str) -> str:
    if field == "":
        return "empty"
    if field.startswith(("!", "*")):
        # "!" + a hash: a locked password that `usermod -U` brings back; "!", "*", "!!": none at all
        rest = field.lstrip("!")
        return "none" if rest == "" or rest.startswith("*") else "locked"
    return "hash"


def read_shadow() -> dict[str, tuple[str, int | None]]:
    entries: dict[str, tuple[str, int | None]] = {}
    try:
        with open("/etc/shadow", encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) >= 8:
                    expire = int(parts[7]) if parts[7].strip().isdigit() else None
                    entries[parts[0]] = (parts[1], expire)
    except OSError:
        pass
    return entries


def read_keys(path: str, account: str, source: str, networks: list[str]) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        return [{"account": account, "file": path, "source": source, "line": 0, "error": str(exc)}]
    keys = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        entry: dict[str, Any] = {
            "account": account,
            "file": path,
            "source": source,
            "line": number,
            "raw": line,
        }
        try:
            entry.update(parse_key_line(line))
            entry["admin_only"] = within(entry["options"].get("from", []), networks)
        except (KeyLineError, ValueError) as exc:
            entry["error"] = str(exc)
        keys.append(entry)
    return keys


def collect(
    key_dir: str | None, home_files: list[str], group: str | None, networks: list[str]
) -> dict[str, Any]:
    shadow = read_shadow()
    groups_of: dict[str, list[str]] = {}
    for g in grp.getgrall():
        for member in g.gr_mem:
            groups_of.setdefault(member, []).append(g.gr_name)
    group_names = {g.gr_gid: g.gr_name for g in grp.getgrall()}
    accounts: dict[str, Any] = {}
    keys: list[dict[str, Any]] = []
    for pw in pwd.getpwall():
        field, expire = shadow.get(pw.pw_name, ("", None))
        primary = group_names.get(pw.pw_gid, str(pw.pw_gid))
        accounts[pw.pw_name] = {
            "uid": pw.pw_uid,
            "gid": pw.pw_gid,
            "home": pw.pw_dir,
            "shell": pw.pw_shell,
            "groups": sorted({primary, *groups_of.get(pw.pw_name, [])}),
            "password": password_state(field) if pw.pw_name in shadow else "unknown",
            "password_locked": field.startswith("!"),
            "expire_days": expire,
        }
        if pw.pw_dir and pw.pw_dir != "/":
            for rel in home_files:
                keys += read_keys(os.path.join(pw.pw_dir, rel), pw.pw_name, "home", networks)
    if key_dir and os.path.isdir(key_dir):
        for name in sorted(os.listdir(key_dir)):
            keys += read_keys(os.path.join(key_dir, name), name, "key_dir", networks)
    group_info: dict[str, Any] = {"exists": False, "gid": None, "members": []}
    if group:
        try:
            g = grp.getgrnam(group)
            members = set(g.gr_mem) | {n for n, a in accounts.items() if a["gid"] == g.gr_gid}
            group_info = {"exists": True, "gid": g.gr_gid, "members": sorted(members)}
        except KeyError:
            pass
    return {"accounts": accounts, "keys": keys, "group": group_info, "now": int(time.time())}


PROBE_OUTSIDE = ("192.0.2.123", "198.51.100.123", "203.0.113.123", "10.254.254.254", "2001:db8::123")


def first_address(patterns: list[str]) -> str | None:
    """An address inside the first network of the list (what sshd -T -C should see for a bastion)."""
    for pattern in patterns:
        try:
            net = ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            continue
        return str(net.network_address if net.num_addresses <= 2 else next(net.hosts()))
    return None


def outside_address(patterns: list[str]) -> str:
    for candidate in PROBE_OUTSIDE:
        addr = ipaddress.ip_address(candidate)
        if not any(addr in ipaddress.ip_network(p, strict=False) for p in patterns if _is_network(p)):
            return candidate
    return PROBE_OUTSIDE[-1]


def _is_network(pattern: str) -> bool:
    try:
        ipaddress.ip_network(pattern, strict=False)
        return True
    except ValueError:
        return False


def running_pids(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(entry))
                        break
        except OSError:
            continue
    return sorted(pids)


def key_blob(key: str) -> str | None:
    try:
        return str(parse_key_line(key)["blob"])
    except (KeyLineError, ValueError):
        return None


def bounded(key: dict[str, Any], sources: list[str]) -> list[str]:
    """What a vendor key lacks: restrict, from= within the sources, expiry-time."""
    options = key.get("options", {})
    missing = []
    if not options.get("restrict"):
        missing.append("restrict")
    if not options.get("from") or not within(options["from"], sources):
        missing.append("from=" + ",".join(sources) if sources else "from= (no bastion declared)")
    if key.get("expiry_epoch") is None:
        missing.append("expiry-time")
    return missing


def analyse_vendor(vendor: dict[str, Any], data: dict[str, Any], margin: int) -> dict[str, Any]:
    """The window state of one declared vendor account, and what breaks the rules."""
    account = vendor["account"]
    info = data["accounts"].get(account)
    now = data["now"]
    declared = {b for b in (key_blob(k) for k in vendor.get("keys", [])) if b}
    sources = list(vendor.get("sources", []))
    limit = now + int(vendor.get("max_seconds", 0)) + margin
    state: dict[str, Any] = {
        "name": vendor["name"],
        "account": account,
        "sources": sources,
        "forwarding": list(vendor.get("forwarding") or []),
        "force_command": vendor.get("force_command") or "",
        "max_seconds": int(vendor.get("max_seconds", 0)),
        "exists": info is not None,
        "password": info["password"] if info else None,
        "password_locked": info["password_locked"] if info else True,
        "in_group": account in data["group"]["members"],
        "expire_days": info["expire_days"] if info else None,
        "uid": info["uid"] if info else None,
        "pids": running_pids(info["uid"]) if info else [],
        "probe_inside": first_address(sources),
        "probe_outside": outside_address(sources),
        "keys": [],
        "foreign": [],
        "unbounded": [],
        "overlong": [],
        "valid": [],
    }
    for key in data["keys"]:
        if key["account"] != account:
            continue
        if key["source"] == "home" or "error" in key or key.get("blob") not in declared:
            state["foreign"].append(key)
            continue
        state["keys"].append(key)
        missing = bounded(key, sources)
        if missing:
            state["unbounded"].append(dict(key, missing=missing))
        elif key["expiry_epoch"] > limit:
            state["overlong"].append(key)
        elif key["expiry_epoch"] > now:
            state["valid"].append(key)
    state["open"] = bool(state["valid"])
    state["end_epoch"] = min(k["expiry_epoch"] for k in state["valid"]) if state["valid"] else None
    # shadow's expiry date is in days: the account stays valid through the day the window ends
    state["expire_days_open"] = state["end_epoch"] // 86400 + 1 if state["end_epoch"] else None
    return state


def analyse(
    data: dict[str, Any],
    vendors: list[dict[str, Any]],
    vendor_names: list[str],
    admins: list[str],
    margin: int,
) -> dict[str, Any]:
    declared = {v["account"] for v in vendors}
    states = [analyse_vendor(v, data, margin) for v in vendors]
    suspects = set(data["group"]["members"]) | (set(vendor_names) & set(data["accounts"]))
    undeclared = []
    for account in sorted(suspects - declared):
        info = data["accounts"].get(account)
        if info is None:
            continue
        why = (
            "member of the vendor group"
            if account in data["group"]["members"]
            else "named in carehard_vendors"
        )
        keys = [k for k in data["keys"] if k["account"] == account]
        undeclared.append(
            {
                "account": account,
                "why": why,
                "password": info["password"],
                "expire_days": info["expire_days"],
                "keys": keys,
                "pids": running_pids(info["uid"]),
            }
        )
    vendor_accounts = declared | {u["account"] for u in undeclared}
    loose = [
        k
        for k in data["keys"]
        if k["account"] not in vendor_accounts
        and k["account"] not in admins
        and k["source"] == "home"
        and not k.get("admin_only")
    ]
    return {"vendors": states, "undeclared": undeclared, "loose_keys": loose}


INCLUDE_DROPIN = re.compile(r"(?m)^\s*Include\s+/etc/ssh/sshd_config\.d/\*\.conf\s*$")
TTY_AUDIT = re.compile(r"^\s*session\s+\S+\s+pam_tty_audit\.so")
SU_AUTH = re.compile(r"^\s*auth\s")
PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _sshd_conf(text: str) -> dict[str, str]:
    """sshd -T's lines -> {keyword: value}, repeated keywords joined by a space."""
    conf: dict[str, str] = {}
    for line in text.splitlines():
        kv = line.split(" ", 1)
        if len(kv) == 2:
            conf[kv[0]] = (conf[kv[0]] + " " if kv[0] in conf else "") + kv[1]
    return conf


def read_sshd(
    module: Any, binary: str, config: str, dropin: str, vendors: list[dict[str, Any]]
) -> dict[str, Any]:
    if not os.path.exists(binary):
        return {"installed": False}
    text = _read(config) or ""
    uses_dropin = bool(INCLUDE_DROPIN.search(text))
    rules_path = dropin if uses_dropin else config
    rc, out, err = module.run_command([binary, "-T"])
    errors = [] if rc == 0 else [f"sshd -T: rc {rc}: {(err or out).strip()[-300:]}"]
    effective: dict[str, dict[str, str]] = {}
    for v in vendors:
        if not v["exists"]:
            continue
        for where, addr in (
            ("inside", v["probe_inside"] or v["probe_outside"]),
            ("outside", v["probe_outside"]),
        ):
            spec = f"user={v['account']},host=carehard-probe,addr={addr}"
            vrc, vout, verr = module.run_command([binary, "-T", "-C", spec])
            if vrc == 0:
                effective[f"{v['account']}/{where}"] = _sshd_conf(vout)
            else:
                errors.append(f"sshd -T -C {spec}: rc {vrc}: {(verr or vout).strip()[-300:]}")
    return {
        "installed": True,
        "config": text,
        "uses_dropin": uses_dropin,
        "global": out if rc == 0 else "",
        "rules_path": rules_path,
        "rules": _read(rules_path),
        "effective": effective,
        "errors": errors,
    }


def read_traces(pam_sshd: str, rules_file: str) -> dict[str, Any]:
    pam = _read(pam_sshd) or ""
    return {
        "tty_lines": [line.strip() for line in pam.splitlines() if TTY_AUDIT.match(line)],
        "rules": _read(rules_file) or "",
        "auditd": "installed"
        if any(os.access(os.path.join(d, "auditctl"), os.X_OK) for d in PATH_DIRS)
        else "absent",
    }


def read_su(pam_su: str, group: str) -> dict[str, Any]:
    try:
        entry = grp.getgrnam(group)
        exists, members = True, sorted(entry.gr_mem)
    except KeyError:
        exists, members = False, []
    text = _read(pam_su)
    return {
        "group": exists,
        "members": members,
        "no_pam_su": text is None,
        "auth": [line for line in (text or "").splitlines() if SU_AUTH.match(line)],
    }


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "key_dir": {"type": "path"},
            "home_files": {
                "type": "list",
                "elements": "str",
                "default": [".ssh/authorized_keys", ".ssh/authorized_keys2"],
            },
            "group": {"type": "str"},
            "admin_networks": {"type": "list", "elements": "str", "default": []},
            "vendors": {"type": "list", "elements": "dict", "default": []},
            "vendor_names": {"type": "list", "elements": "str", "default": []},
            "admins": {"type": "list", "elements": "str", "default": []},
            "clock_margin": {"type": "int", "default": 300},
            "sshd_binary": {"type": "path"},
            "sshd_config": {"type": "path", "default": "/etc/ssh/sshd_config"},
            "sshd_dropin": {"type": "path", "default": "/etc/ssh/sshd_config.d/90-carehard-vendors.conf"},
            "pam_sshd": {"type": "path"},
            "audit_rules_file": {"type": "path", "default": "/etc/audit/rules.d/60-carehard-vendors.rules"},
            "pam_su": {"type": "path"},
            "no_su_group": {"type": "str", "default": "carehard-vendors-no-su"},
        },
        supports_check_mode=True,
    )
    try:
        for net in module.params["admin_networks"]:
            ipaddress.ip_network(net, strict=False)
    except ValueError as exc:
        module.fail_json(msg=f"admin_networks: {exc}")
    result = collect(
        module.params["key_dir"],
        module.params["home_files"],
        module.params["group"],
        module.params["admin_networks"],
    )
    result.update(
        analyse(
            result,
            module.params["vendors"],
            module.params["vendor_names"],
            module.params["admins"],
            module.params["clock_margin"],
        )
    )
    params = module.params
    if params["sshd_binary"]:
        result["sshd"] = read_sshd(
            module, params["sshd_binary"], params["sshd_config"], params["sshd_dropin"], result["vendors"]
        )
    if params["pam_sshd"]:
        result["traces"] = read_traces(params["pam_sshd"], params["audit_rules_file"])
    if params["pam_su"]:
        result["su"] = read_su(params["pam_su"], params["no_su_group"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
