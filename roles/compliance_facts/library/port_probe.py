#!/usr/bin/python
"""From a vantage host: which TCP ports of the given hosts answer? nmap when given, else connect().

`carehard exposure scan` runs it (playbooks/exposure_scan.yml) with the addresses of inventory hosts
only. It changes nothing anywhere: a probe is a TCP connection, reset as soon as it opens.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import selectors
import socket
import struct
import subprocess
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

DOCUMENTATION = r"""
module: port_probe
short_description: Probe TCP ports of a few hosts from this host, bounded in rate and time
description:
  - When nmap is on this host's PATH (or given as C(nmap)) and C(method) is not C(connect), runs
    C(nmap -sT -Pn -n -oX -) (a connect scan, no root needed) and returns its XML output untouched, for
    the caller to parse.
  - Without it, opens TCP connections itself (Python's socket module, non-blocking, up to C(concurrency)
    at a time, at most C(rate) new ones per second), and tells each port C(open) (the connection opened,
    and was reset at once), C(closed) (refused) or C(filtered) (no answer within C(timeout), or the host or
    network unreachable).
  - Everything ends within C(bound) seconds; ports not probed by then are left out and C(complete) is false.
  - Targets must be single hosts (an IP address or a DNS name): network ranges and anything nmap would read
    as an option are refused. Changes nothing; supports check mode.
options:
  targets: {description: Addresses or DNS names to probe., type: list, elements: str, required: true}
  ports: {description: TCP ports to probe on each target., type: list, elements: int, required: true}
  timeout: {description: Seconds to wait for one port to answer., type: float, default: 3}
  rate: {description: New connections (nmap packets) per second at most., type: float, default: 100}
  concurrency: {description: Connections in flight at most (the connect method)., type: int, default: 128}
  bound: {description: Seconds the whole probe may take., type: float, default: 600}
  method:
    description: C(nmap) fails without nmap; C(auto) uses nmap when this host has it, else C(connect).
    type: str
    choices: [auto, nmap, connect]
    default: auto
  nmap: {description: Path of the nmap binary (default, nmap on the PATH)., type: str, default: ""}
author: carehard
"""

RETURN = r"""
measures:
  description: >-
    role (exposure), method (nmap or connect), started (UTC), elapsed, bound, complete; with nmap,
    runs (one per address family: args, rc, xml, stderr, timed_out); with connect, targets (per target:
    address, error, ports {port: [state, reason]}).
  type: dict
  returned: always
"""

HOSTNAME = re.compile(
    r"^(?=.*[A-Za-z_])[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
    r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$"
)
OPEN, CLOSED, FILTERED = "open", "closed", "filtered"
IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY}
REASONS = {
    0: (OPEN, "syn-ack"),
    errno.ECONNREFUSED: (CLOSED, "conn-refused"),
    errno.ETIMEDOUT: (FILTERED, "no-response"),
    errno.EHOSTUNREACH: (FILTERED, "host-unreach"),
    errno.ENETUNREACH: (FILTERED, "net-unreach"),
    errno.EACCES: (FILTERED, "admin-prohibited"),
    errno.EPERM: (FILTERED, "admin-prohibited"),
}
NMAP_TIMEOUT_GRACE = 5.0


def check_target(target: str) -> str | None:
    """Why `target` is not one single host (None when it is one)."""
    text = str(target)
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
        return None
    except ValueError:
        pass
    if HOSTNAME.match(text) and len(text) <= 253:
        return None
    return f"'{text}' is not one IP address or DNS name"


def state_of(error: int) -> tuple[str, str]:
    """An errno from connect() as (state, reason)."""
    if error in REASONS:
        return REASONS[error]
    return FILTERED, (errno.errorcode.get(error, str(error))).lower()


def resolve(target: str) -> tuple[int, tuple[Any, ...], str]:
    """The first TCP address of `target` as getaddrinfo gives it: (family, sockaddr, address text)."""
    infos = socket.getaddrinfo(target, None, type=socket.SOCK_STREAM)
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr, str(sockaddr[0])


class Pacer:
    """At most `rate` starts per second, evenly spaced."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.next: float = clock()

    def wait(self) -> float:
        """Seconds until the next start is allowed (0 when it is now)."""
        return max(0.0, self.next - self.clock())

    def started(self) -> None:
        self.next = max(self.next, self.clock()) + self.interval


def connect_probe(
    targets: list[str],
    ports: list[int],
    timeout: float,
    rate: float,
    concurrency: int,
    bound: float,
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Probe every (target, port) with a non-blocking connect; returns (results per target, complete)."""
    deadline = time.monotonic() + bound
    results: dict[str, dict[str, Any]] = {}
    resolved: list[tuple[str, int, tuple[Any, ...]]] = []
    for target in targets:
        entry: dict[str, Any] = {"address": None, "error": None, "ports": {}}
        results[target] = entry
        reason = check_target(target)
        if reason:
            entry["error"] = reason
            continue
        if time.monotonic() >= deadline:
            entry["error"] = "not probed: the time bound ran out"
            continue
        try:
            family, sockaddr, address = resolve(target)
        except (OSError, UnicodeError, IndexError) as exc:
            entry["error"] = f"cannot resolve {target}: {getattr(exc, 'strerror', None) or exc}"
            continue
        entry["address"] = address
        resolved.append((target, family, sockaddr))
    # Port by port across the hosts, so that no host gets a burst of connections.
    jobs = deque((target, family, sockaddr, port) for port in ports for target, family, sockaddr in resolved)
    pacer = Pacer(rate)
    selector = selectors.DefaultSelector()
    pending: dict[socket.socket, tuple[str, int, float]] = {}

    def record(target: str, port: int, state: tuple[str, str]) -> None:
        results[target]["ports"][str(port)] = list(state)

    def finish(sock: socket.socket, state: tuple[str, str]) -> None:
        target, port, _ = pending.pop(sock)
        selector.unregister(sock)
        close(sock, state[0] == OPEN)
        record(target, port, state)

    try:
        while jobs or pending:
            now = time.monotonic()
            if jobs and now + timeout > deadline:
                jobs.clear()  # what cannot finish in time is not started
            while jobs and len(pending) < concurrency and pacer.wait() == 0.0:
                target, family, sockaddr, port = jobs.popleft()
                pacer.started()
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setblocking(False)
                error = sock.connect_ex((sockaddr[0], port, *sockaddr[2:]))
                if error in IN_PROGRESS:
                    pending[sock] = (target, port, time.monotonic())
                    selector.register(sock, selectors.EVENT_WRITE)
                else:
                    close(sock, error == 0)
                    record(target, port, state_of(error))
            now = time.monotonic()
            waits = [started + timeout - now for _, _, started in pending.values()]
            if jobs and len(pending) < concurrency:
                waits.append(pacer.wait())
            wait = max(0.0, min(waits)) if waits else 0.0
            if pending:
                for key, _ in selector.select(wait):
                    sock = key.fileobj  # type: ignore[assignment]
                    finish(sock, state_of(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
            elif wait:
                time.sleep(wait)
            now = time.monotonic()
            for sock, (_, _, started) in list(pending.items()):
                if now - started >= timeout:
                    finish(sock, (FILTERED, "no-response"))
    finally:
        for sock in list(pending):
            close(sock, False)
        selector.close()
    complete = all(
        entry["error"] is None and len(entry["ports"]) == len(set(ports)) for entry in results.values()
    )
    return results, complete


def close(sock: socket.socket, opened: bool) -> None:
    """Close a probe; an opened connection is reset (RST), not left to a FIN and TIME_WAIT."""
    try:
        if opened:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def nmap_args(
    nmap: str, targets: list[str], ports: list[int], timeout: float, rate: float, bound: float, ipv6: bool
) -> list[str]:
    args = [
        nmap,
        "-oX",
        "-",
        "-Pn",
        "-sT",
        "-n",
        "--max-retries",
        "1",
        "--max-rtt-timeout",
        f"{max(1, round(timeout * 1000))}ms",
        "--max-rate",
        f"{rate:g}",
        "--host-timeout",
        f"{max(1, int(bound))}s",
        "-p",
        ",".join(str(p) for p in sorted(set(ports))),
    ]
    if ipv6:
        args.append("-6")
    return [*args, *targets]


def nmap_probe(
    nmap: str, targets: list[str], ports: list[int], timeout: float, rate: float, bound: float
) -> tuple[list[dict[str, Any]], bool]:
    """nmap's XML per address family (IPv6 literals need their own run); (runs, complete)."""
    deadline = time.monotonic() + bound
    v6 = [t for t in targets if ":" in t]
    v4 = [t for t in targets if ":" not in t]
    runs = []
    complete = True
    for group, ipv6 in ((v4, False), (v6, True)):
        if not group:
            continue
        left = deadline - time.monotonic()
        if left <= 1:
            complete = False
            break
        args = nmap_args(nmap, group, ports, timeout, rate, left, ipv6)
        run: dict[str, Any] = {"args": args, "rc": None, "xml": "", "stderr": "", "timed_out": False}
        try:
            proc = subprocess.run(
                args, capture_output=True, text=True, timeout=left + NMAP_TIMEOUT_GRACE, check=False
            )
            run.update(rc=proc.returncode, xml=proc.stdout, stderr=proc.stderr.strip())
        except subprocess.TimeoutExpired as exc:
            run.update(xml=_text(exc.stdout), stderr=_text(exc.stderr).strip(), timed_out=True)
            complete = False
        runs.append(run)
    return runs, complete


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def probe(params: dict[str, Any]) -> dict[str, Any]:
    """The measures of one probe, as the module returns them."""
    targets = list(dict.fromkeys(str(t) for t in params["targets"]))
    ports = sorted(set(int(p) for p in params["ports"]))
    timeout, rate = float(params["timeout"]), float(params["rate"])
    bound = float(params["bound"])
    started = time.monotonic()
    measures: dict[str, Any] = {
        "role": "exposure",
        "started": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "bound": bound,
        "targets_asked": targets,
        "ports_asked": ports,
    }
    nmap = str(params.get("nmap") or "").strip()
    if params.get("method") == "nmap" or (params.get("method", "auto") == "auto" and nmap):
        measures["method"] = "nmap"
        measures["runs"], measures["complete"] = nmap_probe(nmap, targets, ports, timeout, rate, bound)
    else:
        measures["method"] = "connect"
        measures["targets"], measures["complete"] = connect_probe(
            targets, ports, timeout, rate, int(params.get("concurrency") or 128), bound
        )
    measures["elapsed"] = round(time.monotonic() - started, 3)
    return measures


def validate(params: dict[str, Any]) -> str | None:
    """Why the parameters cannot work (None when they can)."""
    for target in params["targets"]:
        reason = check_target(str(target))
        if reason:
            return f"target {reason}: only single hosts are probed"
    bad = [p for p in params["ports"] if not 1 <= int(p) <= 65535]
    if bad:
        return f"port {bad[0]} is not a TCP port (1-65535)"
    if params["timeout"] <= 0 or params["rate"] <= 0 or params["bound"] <= 0:
        return "timeout, rate and bound must be positive"
    if int(params.get("concurrency") or 1) < 1:
        return "concurrency must be at least 1"
    if params.get("method") == "nmap" and not str(params.get("nmap") or "").strip():
        return "nmap is not installed on this host (method nmap): install it, or use method connect"
    return None


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "targets": {"type": "list", "elements": "str", "required": True},
            "ports": {"type": "list", "elements": "int", "required": True},
            "timeout": {"type": "float", "default": 3.0},
            "rate": {"type": "float", "default": 100.0},
            "concurrency": {"type": "int", "default": 128},
            "bound": {"type": "float", "default": 600.0},
            "method": {"type": "str", "choices": ["auto", "nmap", "connect"], "default": "auto"},
            "nmap": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    params = dict(module.params)
    if params["method"] != "connect" and not str(params["nmap"] or "").strip():
        params["nmap"] = module.get_bin_path("nmap") or ""
    problem = validate(params)
    if problem:
        module.fail_json(msg=problem)
    measures = probe(params)
    failed = [r for r in measures.get("runs", []) if r["rc"] not in (0, None) and not r["xml"].strip()]
    if failed:
        module.fail_json(
            msg=f"nmap failed (rc {failed[0]['rc']}): {failed[0]['stderr'][-500:]}", measures=measures
        )
    module.exit_json(changed=False, measures=measures)


if __name__ == "__main__":
    main()
