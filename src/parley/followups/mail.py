"""The confirmation e-mail and its SMTP delivery (`aiosmtplib`, so the job runner's event loop is
never blocked on a slow mail server).

The message is multipart/mixed: a multipart/alternative text + HTML body, then the invitation
as `text/calendar; method=REQUEST` (invite.ics), which mail clients show as an accept/decline
meeting request. The Message-ID is derived from the conversation, so if a send is ever repeated
(a crash between the SMTP reply and the job's commit), receiving systems see the same message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from parley.config import Settings


@dataclass(frozen=True)
class Confirmation:
    to: str
    subject: str
    text: str  # plain-text body; the HTML part is made from it
    ics: str
    message_key: str  # unique per conversation: the Message-ID's left part


def configured(settings: Settings) -> bool:
    """Follow-ups are off until an SMTP host and a sender are set."""
    return bool(settings.smtp_host.strip() and sender(settings))


def sender(settings: Settings) -> str:
    """The bare address of PARLEY_SMTP_FROM (which may be `Name <address>`)."""
    return parseaddr(settings.smtp_from)[1]


def _html(text: str) -> str:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return f'<!DOCTYPE html><html><body style="font-family:sans-serif">{body}</body></html>'


def build(settings: Settings, mail: Confirmation, *, now_stamp: str | None = None) -> EmailMessage:
    """The full message, headers included (`now_stamp` fixes the Date header in tests)."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    domain = Address(addr_spec=sender(settings)).domain or "parley"
    message["Message-ID"] = f"<{mail.message_key}@{domain}>"
    message["Date"] = now_stamp or format_datetime(datetime.now(UTC))
    message.set_content(mail.text)
    message.add_alternative(_html(mail.text), subtype="html")
    # add_attachment turns the alternative into the first part of a multipart/mixed.
    message.add_attachment(
        mail.ics,
        subtype="calendar",
        filename="invite.ics",
        params={"method": "REQUEST"},
    )
    return message


async def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver over SMTP; any failure raises, so the job is retried with backoff."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=password,
        # False means never upgrade, even when the server offers it (a local relay).
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_s,
    )
