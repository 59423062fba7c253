"""Each alert channel against a real server on loopback: SMTP with STARTTLS and AUTH, an HTTP(S)
webhook, syslog over UDP, TCP and a unix socket. Failures come back as ChannelFailed, no secret."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from carehard.model import ControlResult, HostOutcome, RunRecord
from carehard.notify import deliver
from carehard.notify.email import send_email
from carehard.notify.message import Alert, build_alert
from carehard.notify.settings import NotifySettings, parse_notify
from carehard.notify.syslog import send_syslog
from carehard.notify.transport import ChannelFailed
from carehard.notify.webhook import send_webhook
from tests.notify_servers import (
    LoopbackCA,
    datagrams,
    free_port,
    http_server,
    make_ca,
    smtp_server,
    udp_syslog,
    unix_syslog,
)

SMTP_PASSWORD = "smtp-Pa55-w0rd-xyz"
HOOK_TOKEN = "hooktoken-7f3a9c1e"
USER = "carehard@example.org"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "smtp-password"
    path.write_text(SMTP_PASSWORD + "\n", encoding="utf-8")
    return path


def failing_run() -> RunRecord:
    host = HostOutcome("ws-01")
    host.results["WL-SSH-01"] = ControlResult("WL-SSH-01", "fail", "PermitRootLogin yes; expected no")
    host.results["WL-SYS-01"] = ControlResult("WL-SYS-01", "pass", "")
    return RunRecord(
        id="20261126T010000Z-aaaaaa",
        mode="audit",
        started="2026-11-26T01:00:00+00:00",
        finished="2026-11-26T01:01:00+00:00",
        carehard_version="test",
        level=2,
        selection={"inventory": "site", "limit": None, "only": [], "skip": []},
        controls=["WL-SSH-01", "WL-SYS-01"],
        exit_code=1,
        hosts={"ws-01": host},
    )


def alert(settings: NotifySettings) -> Alert:
    return build_alert("FAILED", failing_run(), ["/srv/reports/report.html"], None, settings.secrets())


def email_settings(port: int, password_file: Path, ca_file: Path | None, **extra: object) -> NotifySettings:
    email: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password_file": str(password_file),
        "from": USER,
        "to": ["dsi@example.org", "astreinte@example.org"],
        "timeout": 5,
        **extra,
    }
    if ca_file is not None:
        email["ca_file"] = str(ca_file)
    return parse_notify({"email": email})


def test_email_goes_through_starttls_and_auth(ca: LoopbackCA, password_file: Path) -> None:
    with smtp_server(ca, USER, SMTP_PASSWORD) as box:
        settings = email_settings(box.port, password_file, ca.ca_file)
        assert settings.email is not None
        shown = send_email(settings.email, alert(settings))
    assert shown == "email (2 recipients)"
    assert box.logins == [USER]
    [(recipients, mail)] = box.mails
    assert recipients == ["dsi@example.org", "astreinte@example.org"]
    assert mail["Subject"].startswith("carehard audit: FAILED")
    assert "WL-SSH-01" in mail["Subject"]
    body = mail.get_content()
    assert "WL-SSH-01 on ws-01 (fail): PermitRootLogin yes; expected no" in body
    assert "/srv/reports/report.html" in body
    assert "20261126T010000Z-aaaaaa" in body
    assert SMTP_PASSWORD not in mail.as_string()


def test_a_wrong_password_is_a_channel_failure_without_the_password(ca: LoopbackCA, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password-123", encoding="utf-8")
    with smtp_server(ca, USER, SMTP_PASSWORD) as box:
        settings = email_settings(box.port, wrong, ca.ca_file)
        assert settings.email is not None
        with pytest.raises(ChannelFailed, match="rejected the login: 535") as caught:
            send_email(settings.email, alert(settings))
    assert box.mails == []
    assert "not-the-password-123" not in str(caught.value)


def test_a_certificate_no_trusted_ca_signed_is_refused(ca: LoopbackCA, password_file: Path) -> None:
    with smtp_server(ca, USER, SMTP_PASSWORD) as box:
        settings = email_settings(box.port, password_file, None)  # system CAs: the test CA is unknown
        assert settings.email is not None
        with pytest.raises(ChannelFailed, match="certificate not trusted"):
            send_email(settings.email, alert(settings))
    assert box.mails == [] and box.logins == []


def test_a_server_without_starttls_gets_no_password(password_file: Path) -> None:
    """A plain listener that never offers STARTTLS: carehard stops before AUTH."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        import threading

        seen: list[bytes] = []

        def plain_smtp() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"220 plain ESMTP\r\n")
                while True:
                    data = conn.recv(4096)
                    if not data:
                        return
                    seen.append(data)
                    if data.upper().startswith(b"EHLO"):
                        conn.sendall(b"250-plain\r\n250 AUTH PLAIN LOGIN\r\n")
                    elif data.upper().startswith(b"QUIT"):
                        conn.sendall(b"221 bye\r\n")
                        return
                    else:
                        conn.sendall(b"502 no\r\n")

        thread = threading.Thread(target=plain_smtp, daemon=True)
        thread.start()
        settings = email_settings(port, password_file, None)
        assert settings.email is not None
        with pytest.raises(ChannelFailed, match="does not offer STARTTLS"):
            send_email(settings.email, alert(settings))
        thread.join(5)
    assert not any(b"AUTH" in chunk.upper() for chunk in seen)


def test_webhook_posts_the_json_chat_servers_show(ca: LoopbackCA) -> None:
    with http_server() as hook:
        url = f"http://127.0.0.1:{hook.port}/hooks/{HOOK_TOKEN}"
        settings = parse_notify({"webhook": {"url": url, "headers": {"X-Team": "dsi"}}})
        assert settings.webhook is not None
        assert send_webhook(settings.webhook, alert(settings)) == "webhook (HTTP 200)"
    [(path, headers, body)] = hook.posts
    assert path == f"/hooks/{HOOK_TOKEN}"
    assert headers["X-Team"] == "dsi" and headers["Content-Type"].startswith("application/json")
    assert body["text"].startswith("carehard audit: FAILED")
    assert "WL-SSH-01 on ws-01 (fail)" in body["text"]
    structured = body["carehard"]
    assert structured["run_id"] == "20261126T010000Z-aaaaaa"
    assert structured["outcome"] == "failed" and structured["exit_code"] == 1
    assert structured["failures"] == [
        {
            "host": "ws-01",
            "control": "WL-SSH-01",
            "status": "fail",
            "evidence": "PermitRootLogin yes; expected no",
        }
    ]
    assert structured["reports"] == ["/srv/reports/report.html"]
    assert HOOK_TOKEN not in str(body)


def test_webhook_over_https_verifies_the_certificate(ca: LoopbackCA) -> None:
    with http_server(ca) as hook:
        url = f"https://127.0.0.1:{hook.port}/hooks/{HOOK_TOKEN}"
        trusted = parse_notify({"webhook": {"url": url, "ca_file": str(ca.ca_file)}})
        untrusted = parse_notify({"webhook": {"url": url}})
        assert trusted.webhook is not None and untrusted.webhook is not None
        assert send_webhook(trusted.webhook, alert(trusted)) == "webhook (HTTP 200)"
        with pytest.raises(ChannelFailed, match="certificate not trusted") as caught:
            send_webhook(untrusted.webhook, alert(untrusted))
    assert len(hook.posts) == 1
    assert HOOK_TOKEN not in str(caught.value)


def test_webhook_answering_500_fails_without_showing_the_url() -> None:
    with http_server(status=500) as hook:
        settings = parse_notify({"webhook": {"url": f"http://127.0.0.1:{hook.port}/hooks/{HOOK_TOKEN}"}})
        assert settings.webhook is not None
        with pytest.raises(ChannelFailed, match="HTTP 500") as caught:
            send_webhook(settings.webhook, alert(settings))
    assert HOOK_TOKEN not in str(caught.value)


def test_webhook_nobody_listens_on() -> None:
    port = free_port()
    settings = parse_notify({"webhook": {"url": f"http://127.0.0.1:{port}/hooks/{HOOK_TOKEN}", "timeout": 2}})
    assert settings.webhook is not None
    with pytest.raises(ChannelFailed, match="connection refused") as caught:
        send_webhook(settings.webhook, alert(settings))
    assert HOOK_TOKEN not in str(caught.value)


def test_syslog_over_udp_one_line_per_run_and_per_failure() -> None:
    with udp_syslog() as sock:
        port = sock.getsockname()[1]
        settings = parse_notify({"syslog": {"address": f"udp://127.0.0.1:{port}", "facility": "local0"}})
        assert settings.syslog is not None
        assert send_syslog(settings.syslog, alert(settings)).startswith("syslog (udp://127.0.0.1")
        head, item = datagrams(sock, 2)
    # local0 (16) * 8 + err (3) = 131; RFC 3164 with this machine's name over the network
    assert head.startswith("<131>")
    assert f" {socket.gethostname()} carehard[" in head
    assert "]: audit FAILED run=20261126T010000Z-aaaaaa exit=1 failed=1 hosts=ws-01" in head
    assert head.endswith("report=/srv/reports/report.html")
    assert 'host=ws-01 control=WL-SSH-01 status=fail evidence="PermitRootLogin yes' in item


def test_syslog_on_a_unix_socket_as_dev_log(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with unix_syslog(path) as sock:
        settings = parse_notify({"syslog": {"address": str(path), "tag": "carehard-night"}})
        assert settings.syslog is not None
        recovered = build_alert("RECOVERED", _passing(failing_run()), [], None)
        send_syslog(settings.syslog, recovered)
        [line] = datagrams(sock, 1)
    # user (1) * 8 + notice (5) = 13; no hostname on the local socket (journald reads the tag)
    assert line.startswith("<13>")
    assert " carehard-night[" in line and socket.gethostname() + " " not in line
    assert "audit RECOVERED run=" in line


def test_syslog_over_tcp() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        settings = parse_notify({"syslog": {"address": f"tcp://127.0.0.1:{port}"}})
        assert settings.syslog is not None
        send_syslog(settings.syslog, alert(settings))
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
    lines = received.decode().splitlines()
    assert len(lines) == 2 and lines[0].startswith("<11>")


def test_syslog_without_a_socket_is_a_channel_failure(tmp_path: Path) -> None:
    settings = parse_notify({"syslog": {"address": str(tmp_path / "no-such-log")}})
    assert settings.syslog is not None
    with pytest.raises(ChannelFailed, match="No such file or directory"):
        send_syslog(settings.syslog, alert(settings))


def test_a_failing_channel_leaves_the_others_delivering(tmp_path: Path) -> None:
    with udp_syslog() as sock, http_server(status=503) as hook:
        settings = parse_notify(
            {
                "webhook": {"url": f"http://127.0.0.1:{hook.port}/hooks/{HOOK_TOKEN}"},
                "syslog": {"address": f"udp://127.0.0.1:{sock.getsockname()[1]}"},
            }
        )
        done = deliver(settings, alert(settings))
        assert len(datagrams(sock, 2)) == 2
    assert [(d.channel, d.ok) for d in done] == [("syslog", True), ("webhook", False)]
    assert "HTTP 503" in done[1].text and HOOK_TOKEN not in done[1].text


def _passing(run: RunRecord) -> RunRecord:
    for host in run.hosts.values():
        for control, result in host.results.items():
            host.results[control] = ControlResult(control, "pass", result.evidence)
    run.exit_code = 0
    return run
