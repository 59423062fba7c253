"""The syslog channel: one line per run, one per failure, to /dev/log (journald, rsyslog) or a
remote syslog server over UDP or TCP. Written on the socket directly: the logging module's
handler would print a traceback where carehard owes a one-line warning."""

from __future__ import annotations

import os
import socket
import time
from logging.handlers import SysLogHandler

from carehard.notify.message import Alert
from carehard.notify.settings import SyslogSettings
from carehard.notify.transport import ChannelFailed, describe

TIMEOUT = 5.0
MAX_LINE = 2000  # bytes of a datagram: beyond it some relays cut
# Month names are never localised in syslog lines.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip


def severity(alert: Alert) -> int:
    return SysLogHandler.LOG_ERR if alert.kind in ("FAILED", "ERROR") else SysLogHandler.LOG_NOTICE


def frames(settings: SyslogSettings, alert: Alert, pid: int | None = None) -> list[bytes]:
    """RFC 3164 lines: what glibc's syslog() writes to /dev/log; with this machine's name when
    sent over the network."""
    priority = SysLogHandler.facility_names[settings.facility] * 8 + severity(alert)
    now = time.localtime()
    stamp = f"{_MONTHS[now.tm_mon - 1]} {now.tm_mday:>2} {time.strftime('%H:%M:%S', now)}"  # "Nov  6 ..."
    host = f" {socket.gethostname()}" if settings.network else ""
    head = f"<{priority}>{stamp}{host} {settings.tag}[{pid or os.getpid()}]: "
    return [(head + line).encode("utf-8")[:MAX_LINE] for line in alert.syslog_lines()]


def send_syslog(settings: SyslogSettings, alert: Alert) -> str:
    lines = frames(settings, alert)
    network = settings.network
    where = settings.address if network is None else f"{network[0]}://{network[1]}:{network[2]}"
    try:
        if network is None:
            _send_unix(settings.address, lines)
        elif network[0] == "udp":
            _send_udp(network[1], network[2], lines)
        else:
            _send_tcp(network[1], network[2], lines)
    except (OSError, UnicodeError) as exc:
        raise ChannelFailed(f"{where}: {describe(exc, TIMEOUT)}") from None
    return f"syslog ({where}, {len(lines)} line{'s' if len(lines) != 1 else ''})"


def _send_unix(path: str, lines: list[bytes]) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.settimeout(TIMEOUT)
        try:
            sock.connect(path)
        except OSError as exc:
            if exc.errno != 91:  # EPROTOTYPE: a stream socket (some syslog daemons)
                raise
            sock.close()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(TIMEOUT)
            sock.connect(path)
            sock.sendall(b"".join(line + b"\0" for line in lines))
            return
        for line in lines:
            sock.send(line)
    finally:
        sock.close()


def _send_udp(host: str, port: int, lines: list[bytes]) -> None:
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[:1]:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(TIMEOUT)
            for line in lines:
                sock.sendto(line, address)


def _send_tcp(host: str, port: int, lines: list[bytes]) -> None:
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(b"".join(line + b"\n" for line in lines))
