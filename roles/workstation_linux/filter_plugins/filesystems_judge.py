"""Judge the filesystem controls (WL-FS-01..10) from the one filesystem probe (tasks/filesystems.yml).

The probe (workstation_linux__fs_probe_cmd) prints lines:
  mounts<TAB>{JSON}          per mount point asked (MOUNT_POINTS): its first /etc/fstab entry (fstab,
                             src, type, opts, dump, pass) and its live mount (mounted, live_type,
                             live_opts): WL-FS-01/02 (/tmp, /dev/shm) and WL-FS-06..10
  mp|wwf|wwd|own|sid|timeout<TAB>...   the scan of the local filesystems (only when SCAN=yes):
                             WL-FS-03/04/05, at most LIMIT lines of each kind
  count<TAB>KIND<TAB>N       the scan's count of each kind (always printed by a scan)

Pure functions, standard library only: Ansible loads this file by path. They never raise on an
unexpected input (a host nobody foresaw must not abort a run): a probe that broke makes each
selected control an error that says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

TMP_SHM = {"WL-FS-01": "/tmp", "WL-FS-02": "/dev/shm"}
SCAN_IDS = ("WL-FS-03", "WL-FS-04", "WL-FS-05")
FIXED_IDS = tuple(f"WL-FS-{n:02d}" for n in range(1, 6))
REQUIRED = ("nodev", "nosuid", "noexec")
OPPOSITE = {"nodev": "dev", "nosuid": "suid", "noexec": "exec"}
SCAN_WHAT = {
    "WL-FS-03": "Check for world-writable files and for world-writable directories without the sticky bit",
    "WL-FS-04": "Check for files without a known owner or group",
    "WL-FS-05": "Check the SUID/SGID executables against the allowlist",
}
NEXT_BOOT = (
    "; takes effect at next boot: mounting a new filesystem over the live one would hide the files"
    " and sockets in use"
)
UNSUPPORTED = "no filesystem controls for this OS family (workstation_linux__fs_services_supported is false)"


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _opts(value: Any) -> list[str]:
    return [o for o in str(value or "").split(",") if o]


def switch_name(cid: str) -> str:
    return "workstation_linux_" + cid.lower().replace("-", "_")


def _mount_controls(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """WL-FS-06..10 from workstation_linux_mount_controls: {id, path, options}; malformed entries dropped."""
    out = []
    for entry in _list(settings.get("mount_controls")):
        if isinstance(entry, Mapping) and entry.get("id") and entry.get("path"):
            out.append(
                {
                    "id": str(entry["id"]),
                    "path": str(entry["path"]),
                    "options": [str(o) for o in _list(entry.get("options"))],
                }
            )
    return out


def _all_ids(settings: Mapping[str, Any]) -> list[str]:
    return [*FIXED_IDS, *(m["id"] for m in _mount_controls(settings))]


def selected(settings: Mapping[str, Any]) -> list[str]:
    """The family's controls this run asked for (run tags or 'all', less skip tags)."""
    run = [str(t) for t in _list(settings.get("run_tags"))] or ["all"]
    skip = [str(t) for t in _list(settings.get("skip_tags"))]
    return [c for c in _all_ids(settings) if ("all" in run or c in run) and c not in skip]


def _skip_reason(cid: str, settings: Mapping[str, Any]) -> str:
    found = settings.get("switches")
    switches: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    if not _bool(switches.get(cid, True)):
        return f"switched off ({switch_name(cid)}: false)"
    if cid in [str(h) for h in _list(settings.get("held"))]:
        return "held by a waiver: not checked nor changed in this harden"
    if not _bool(settings.get("supported")):
        return UNSUPPORTED
    return ""


def plan(settings: Any) -> dict[str, Any]:
    """What the probe must read: {"active": IDs it reads for, "mount_points": space-separated, "scan":
    bool}."""
    s = settings if isinstance(settings, Mapping) else {}
    active = [c for c in selected(s) if not _skip_reason(c, s)]
    points = [TMP_SHM[c] for c in active if c in TMP_SHM]
    points += [m["path"] for m in _mount_controls(s) if m["id"] in active and m["path"] not in points]
    return {"active": active, "mount_points": " ".join(points), "scan": any(c in SCAN_IDS for c in active)}


def fs_probe(probe: Any) -> dict[str, Any]:
    """The probe's registered result -> {"broken": reason or "", "mounts": {path: {...}} or None,
    "scan": {"mp", "wwf", "wwd", "own", "sid", "timeout": lists, "count": {kind: n}} or None}."""
    out: dict[str, Any] = {"broken": "", "mounts": None, "scan": None}
    if not isinstance(probe, Mapping):
        out["broken"] = "the filesystem probe gave no result"
        return out
    if probe.get("skipped"):
        out["broken"] = "the filesystem probe did not run"
        return out
    rc = probe.get("rc")
    if rc is None or _int(rc, -1) != 0:
        err = " ".join(str(probe.get("stderr") or probe.get("msg") or "").split())[:300]
        out["broken"] = f"the filesystem probe failed (rc {rc})" + (f": {err}" if err else "")
        return out
    scan: dict[str, Any] = {k: [] for k in ("mp", "wwf", "wwd", "own", "sid", "timeout")}
    counts: dict[str, int] = {}
    for line in str(probe.get("stdout") or "").splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "mounts":
            try:
                mounts = json.loads(rest)
            except ValueError:
                continue
            if isinstance(mounts, Mapping):
                out["mounts"] = {str(k): v for k, v in mounts.items() if isinstance(v, Mapping)}
        elif kind == "count":
            what, _, n = rest.partition("\t")
            if n.strip().isdigit():
                counts[what] = int(n)
        elif kind in ("own", "sid"):
            path, _, extra = rest.partition("\t")
            scan[kind].append(f"{path} ({extra})")
        elif kind in scan:
            scan[kind].append(rest)
    if counts:
        out["scan"] = {**scan, "count": counts}
    return out


def _item(
    cid: str, what: str, status: str, evidence: str, fix: dict[str, Any] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {"id": cid, "what": what, "status": status, "evidence": evidence}
    if fix is not None:
        item["fix"] = fix
    return item


def _fstab_missing(fstab_opts: list[str], options: list[str]) -> list[str]:
    """The options /etc/fstab lacks: the last of "noexec", "exec" or "defaults" wins (likewise nodev,
    nosuid)."""
    missing = []
    for opt in options:
        said = [o for o in fstab_opts if o in (opt, OPPOSITE.get(opt, opt), "defaults")]
        if not said or said[-1] != opt:
            missing.append(opt)
    return missing


def _judge_tmp_shm(cid: str, st: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """WL-FS-01/02, with today's wording (/etc/fstab entry, live mount, not applied live)."""
    path = TMP_SHM[cid]
    what = f"Check that {path} is mounted nodev, nosuid, noexec"
    live_kernel = _bool(settings.get("live_kernel"))
    has_entry, mounted = _bool(st.get("fstab")), _bool(st.get("mounted"))
    fstab_opts, live_opts = _opts(st.get("opts")), _opts(st.get("live_opts"))
    fstab_missing = _fstab_missing(fstab_opts, list(REQUIRED))
    live_missing = [o for o in REQUIRED if o not in live_opts]
    fstab_ok = has_entry and not fstab_missing
    live_ok = mounted and not live_missing
    ok = fstab_ok and (live_ok or not live_kernel)
    fstab_text = (
        f"{st.get('src', '')} {path} {st.get('type', '')} {st.get('opts', '')}" if has_entry else "no entry"
    )
    evidence = (
        f"/etc/fstab: {fstab_text}"
        + (f" (missing {','.join(fstab_missing)})" if fstab_missing else "")
        + "; "
    )
    evidence += (
        f"live: {st.get('live_type', '')} {st.get('live_opts', '')}"
        if mounted
        else "not a separate mount now"
    )
    if mounted and live_missing:
        evidence += f" (missing {','.join(live_missing)})"
    if live_kernel:
        if not live_ok:
            evidence += "; remount needed" if mounted else NEXT_BOOT
    else:
        evidence += f"; not applied live: {settings.get('not_live_reason', '')}"
    if has_entry:
        write_opts = [o for o in fstab_opts if o not in ("dev", "suid", "exec")] + fstab_missing
        src, fstype = str(st.get("src", "")), str(st.get("type", ""))
    else:
        new = _opts(settings.get("tmp_options" if cid == "WL-FS-01" else "shm_options"))
        write_opts = new + [o for o in REQUIRED if o not in new]
        src, fstype = "tmpfs", "tmpfs"
    fix = {
        "path": path,
        "src": src,
        "type": fstype,
        "opts": ",".join(write_opts),
        "dump": str(st.get("dump") or "0"),
        "pass": str(st.get("pass") or "0"),
        "write": not fstab_ok,
        "remount": live_kernel and mounted and not live_ok,
    }
    if ok:
        return _item(cid, what, "pass", evidence)
    return _item(cid, what, "fail", f"{evidence}. Expected nodev,nosuid,noexec on {path}.", fix)


def _judge_mount(
    control: Mapping[str, Any], st: Mapping[str, Any], settings: Mapping[str, Any]
) -> dict[str, Any]:
    """WL-FS-06..10: not applicable where the mount point is not a separate mount."""
    cid, path, options = control["id"], control["path"], list(control["options"])
    live_kernel = _bool(settings.get("live_kernel"))
    has_entry, mounted = _bool(st.get("fstab")), _bool(st.get("mounted"))
    what = f"Check that {path} is mounted {', '.join(options)}"
    if not has_entry and not mounted:
        return _item(
            cid,
            f"{path} is not a separate mount, neither in /etc/fstab nor mounted; a partition of its"
            " own is made"
            " when the disk is laid out",
            "na",
            f"{path} is not a separate mount, neither in /etc/fstab nor mounted",
        )
    fstab_opts, live_opts = _opts(st.get("opts")), _opts(st.get("live_opts"))
    fstab_missing = _fstab_missing(fstab_opts, options)
    live_missing = [o for o in options if o not in live_opts]
    unwanted = [OPPOSITE.get(o, o) for o in options]
    fstab_ok = has_entry and not fstab_missing
    live_ok = not mounted or not live_missing or not live_kernel
    if has_entry:
        evidence = f"/etc/fstab: {st.get('src', '')} {path} {st.get('type', '')} {st.get('opts', '')}"
        evidence += f" (missing {','.join(fstab_missing)})" if fstab_missing else ""
    else:
        evidence = f"/etc/fstab: no entry for {path}"
    if mounted:
        evidence += f"; live: {st.get('live_type', '')} {st.get('live_opts', '')}"
        evidence += f" (missing {','.join(live_missing)})" if live_missing else ""
    else:
        evidence += "; not mounted now"
    if mounted and not has_entry:
        evidence += (
            "; mounted by something other than /etc/fstab (a systemd mount unit?): set the"
            " options where it is mounted"
        )
    if has_entry and not live_kernel:
        evidence += (
            f"; not applied live: {settings.get('not_live_reason', '')}; the options take"
            " effect at the next boot"
        )
    if has_entry and not mounted and live_kernel:
        evidence += "; the options take effect when it is mounted"
    if mounted and live_missing and live_kernel:
        evidence += "; remount needed"
    if fstab_ok and live_ok:
        return _item(cid, what, "pass", evidence)
    fix = {
        "path": path,
        "src": str(st.get("src", "")),
        "type": str(st.get("type", "")),
        "opts": ",".join([o for o in fstab_opts if o not in unwanted] + fstab_missing),
        "dump": str(st.get("dump") or "0"),
        "pass": str(st.get("pass") or "0"),
        "write": has_entry and bool(fstab_missing),
        "remount": has_entry and live_kernel and mounted and bool(live_missing),
    }
    return _item(cid, what, "fail", f"{evidence}. Expected {','.join(options)} on {path}.", fix)


def _judge_scan(cid: str, scan: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """WL-FS-03/04/05 (audit-only), with today's wording."""
    found = scan.get("count")
    count: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    limit = settings.get("list_limit", 50)
    where = f"on the local filesystems ({' '.join(scan.get('mp', []))})"
    if scan.get("timeout"):
        where += (
            f"; the scan of {', '.join(scan['timeout'])} did not finish within"
            f" {settings.get('scan_timeout', '')} s"
            " (workstation_linux_fs_scan_timeout)"
        )
    done = not scan.get("timeout") and bool(scan.get("mp"))

    def listed(kind: str) -> str:
        return f": {', '.join(scan[kind])}" if scan.get(kind) else ""

    n = {k: _int(count.get(k, 0)) for k in ("wwf", "wwd", "own", "sid")}
    if cid == "WL-FS-03":
        ok = done and n["wwf"] == 0 and n["wwd"] == 0
        good = f"no world-writable file, and every world-writable directory has the sticky bit, {where}"
        bad = (
            f"{n['wwf']} world-writable file(s){listed('wwf')}; {n['wwd']} world-writable"
            " director(y/ies) without"
            f" the sticky bit{listed('wwd')} (at most {limit} of each listed), {where}. Remove the"
            " write bit for"
            " others (chmod o-w) or add the sticky bit (chmod +t) after checking what uses them."
        )
    elif cid == "WL-FS-04":
        ok = done and n["own"] == 0
        good = f"every file and directory has a known owner and group, {where}"
        bad = (
            f"{n['own']} file(s) or director(y/ies) without a known owner or group{listed('own')}"
            " (uid:gid; at most"
            f" {limit} listed), {where}. Give them an owner (chown) or remove them: a new account"
            " given that UID"
            " would own them."
        )
    else:
        ok = done and n["sid"] == 0
        good = f"every SUID/SGID executable is in workstation_linux_suid_sgid_allowed(_extra), {where}"
        bad = (
            f"{n['sid']} SUID/SGID executable(s) outside"
            f" workstation_linux_suid_sgid_allowed(_extra){listed('sid')}"
            f" (mode owner:group; at most {limit} listed), {where}. Remove the bit (chmod u-s,g-s) or, if the"
            " program needs it, add its path to workstation_linux_suid_sgid_allowed_extra."
        )
    return _item(cid, SCAN_WHAT[cid], "pass" if ok else "fail", good if ok else bad)


def filesystems_judge(before: Any, after: Any = None, settings: Any = None) -> list[dict[str, Any]]:
    """One item {id, what, status, evidence} per selected WL-FS control (a failed mount control also
    carries "fix": what its fix writes). The mount controls are judged on `after` (the probe run
    again after the fixes) when it ran, the scan always on `before` (harden never changes it)."""
    s = settings if isinstance(settings, Mapping) else {}
    first = fs_probe(before)
    later = fs_probe(after) if isinstance(after, Mapping) and not after.get("skipped") else first
    mounts_from = later if later["mounts"] is not None or later["broken"] else first
    by_id = {m["id"]: m for m in _mount_controls(s)}
    items = []
    for cid in selected(s):
        reason = _skip_reason(cid, s)
        if reason:
            items.append(_item(cid, reason, "na", reason))
            continue
        if cid in SCAN_IDS:
            if first["broken"] or first["scan"] is None:
                why = (
                    first["broken"]
                    or "the filesystem probe printed no scan counts: the scan did not run to its end"
                )
                items.append(_item(cid, SCAN_WHAT[cid], "error", why))
            else:
                items.append(_judge_scan(cid, first["scan"], s))
            continue
        path = TMP_SHM.get(cid) or by_id[cid]["path"]
        what = f"Check that {path} is mounted " + (
            "nodev, nosuid, noexec" if cid in TMP_SHM else ", ".join(by_id[cid]["options"])
        )
        mounts = mounts_from["mounts"]
        if mounts_from["broken"] or mounts is None or not isinstance(mounts.get(path), Mapping):
            why = mounts_from["broken"] or (
                f"the filesystem probe printed nothing readable for {path} (no mounts line, or not"
                " that mount point)"
            )
            items.append(_item(cid, what, "error", why))
            continue
        st = mounts[path]
        items.append(_judge_tmp_shm(cid, st, s) if cid in TMP_SHM else _judge_mount(by_id[cid], st, s))
    return items


def filesystems_fixes(judged: Any) -> list[dict[str, Any]]:
    """The fixes of the mount controls that failed: [{id, path, src, type, opts, dump, pass, write,
    remount}]."""
    out = []
    for item in _list(judged):
        if (
            isinstance(item, Mapping)
            and item.get("status") == "fail"
            and isinstance(item.get("fix"), Mapping)
        ):
            out.append({"id": item.get("id"), **item["fix"]})
    return out


def filesystems_failed(judged: Any) -> list[str]:
    """The IDs that failed the judgement."""
    return [str(i.get("id")) for i in _list(judged) if isinstance(i, Mapping) and i.get("status") == "fail"]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "filesystems_plan": plan,
            "filesystems_judge": filesystems_judge,
            "filesystems_fixes": filesystems_fixes,
            "filesystems_failed": filesystems_failed,
        }
