"""The e-mail channel: SMTP, STARTTLS with the server's certificate verified, then login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from carehard.notify.message import Alert
from carehard.notify.settings import EmailSettings
from carehard.notify.transport import ChannelFailed, describe, tls_context


def send_email(settings: EmailSettings, alert: Alert) -> str:
    """Deliver the alert; what to print on success, e.g. "email (2 recipients)"."""
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[1])
    message["X-Carehard-Run"] = alert.run_id
    message.set_content(alert.body())
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise ChannelFailed(
                        f"{_server(settings)} does not offer STARTTLS (nothing sent in clear)"
                    )
                smtp.starttls(context=tls_context(settings.ca_file))
                smtp.ehlo()
            if settings.username:
                if not smtp.has_extn("auth"):
                    raise ChannelFailed(f"{_server(settings)} does not offer a login (AUTH)")
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelFailed(f"{_server(settings)} rejected the login: {_reply(exc)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelFailed(
            f"{_server(settings)} refused every recipient: {', '.join(exc.recipients)}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise ChannelFailed(f"{_server(settings)} answered {_reply(exc)}") from None
    except (ssl.SSLError, smtplib.SMTPException, OSError) as exc:
        raise ChannelFailed(f"{_server(settings)}: {describe(exc, settings.timeout)}") from None
    delivered = len(settings.recipients) - len(refused)
    text = f"email ({delivered} recipient{'s' if delivered != 1 else ''})"
    return text + (f"; refused: {', '.join(sorted(refused))}" if refused else "")


def _server(settings: EmailSettings) -> str:
    return f"SMTP server {settings.host}:{settings.port}"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(text.split())}"
