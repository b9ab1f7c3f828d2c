"""E-mail, for people who chose it over SMS: outbox rows like any other, handed to an SMTP server.

The outcome of a send is classified as the SMS gateway's is: refused before the message was handed
over (worth another try when the refusal is temporary), refused for good (a bad address), or unknown
(the connection dropped or timed out while the server was taking the message, which it may have
kept). A mail server keeps no record anyone can look up, so an unknown outcome is never sent again."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

from natteravn.i18n import N_, translations
from natteravn.sms.gateway import GatewayError, OutcomeUnknown, Sent, masked_text
from natteravn.sms.models import Purpose

log = logging.getLogger("natteravn.mail")

#: How long one step of a conversation with the mail server may hang.
SMTP_TIMEOUT_SECONDS = 10

#: The subject line of each kind of message; the body is the text an SMS would carry.
SUBJECTS = {
    Purpose.OTP: N_("Your Natteravn login code"),
    Purpose.SIGNUP_CONFIRMATION: N_("Natteravn: your night"),
    Purpose.REMINDER_BEFORE: N_("Natteravn: reminder of your night"),
    Purpose.REMINDER_DAY: N_("Natteravn tonight"),
    Purpose.WAITLIST_PROMOTED: N_("Natteravn: a place is free"),
    Purpose.REPORT_REQUEST: N_("Natteravn: the night's report"),
    Purpose.ROSTER_PUBLISHED: N_("Natteravn: your nights this term"),
    Purpose.CALL_FOR_WALKERS: N_("Natteravn: a night needs walkers"),
    Purpose.SHIFT_CHANGED: N_("Natteravn: your night is changed"),
    Purpose.SHIFT_CANCELLED: N_("Natteravn: night cancelled"),
    Purpose.STANDIN_FOUND: N_("Natteravn: a stand-in takes your place"),
    Purpose.REPLY: N_("Natteravn"),
    Purpose.TEST: N_("Natteravn: test message"),
    Purpose.BROADCAST: N_("Natteravn: message from the coordinator"),
    Purpose.WAITLISTED: N_("Natteravn: on the waitlist"),
    Purpose.CLASS_INVITATION: N_("Natteravn: your school class's weekend"),
    Purpose.INVITATION: N_("Natteravn: you are invited to walk"),
    Purpose.APPROVED: N_("Natteravn: you can sign up for nights"),
    Purpose.COORDINATOR: N_("Natteravn: you are a coordinator"),
    Purpose.OFFER_EXPIRED: N_("Natteravn: the offered place went on"),
    Purpose.AVAILABILITY_REQUEST: N_("Natteravn: when can you walk?"),
}


def subject_for(purpose: Purpose, locale: str) -> str:
    return translations(locale).gettext(SUBJECTS[purpose])


class Mailer(Protocol):
    name: str

    def send(self, to: str, subject: str, body: str) -> Sent: ...


@dataclass
class ConsoleMailer:
    """Writes each e-mail to the log and keeps it in memory, like the console SMS gateway: the
    default until an SMTP server is configured. Addresses and codes are masked unless `reveal`."""

    name: str = "console"
    reveal: bool = False
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (to, subject, body)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, to: str, subject: str, body: str) -> Sent:
        with self._lock:
            self.sent.append((to, subject, body))
        if not self.reveal:
            to, body = masked_address(to), masked_text(body)
        log.warning("E-mail to %s: %s: %s", to, subject, body)
        return Sent(provider_id=f"console-{uuid.uuid4().hex}", status="sent")


def masked_address(address: str) -> str:
    """ "kari.nordmann@example.no" as "k***@example.no"."""
    local_part, _, domain = address.rpartition("@")
    return f"{local_part[:1]}***@{domain}" if local_part else "***"


class _Connection(smtplib.SMTP):
    """Knows whether the message itself has begun to go over: a failure after that may leave it
    with the server."""

    handing_over = False

    def data(self, msg):
        self.handing_over = True
        return super().data(msg)


@dataclass
class SmtpMailer:
    host: str
    sender: str  # the From header: "Natteravn Solør <natteravn@kommune.no>"
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = SMTP_TIMEOUT_SECONDS
    name: str = "smtp"

    def send(self, to: str, subject: str, body: str) -> Sent:
        provider_id = f"email-{uuid.uuid4().hex}"
        message = self._compose(to, subject, body, provider_id)
        try:
            connection = _Connection(self.host, self.port, timeout=self.timeout)
        except OSError as error:
            raise GatewayError(f"the mail server could not be reached: {error}", temporary=True) from error
        try:
            if self.starttls:
                connection.starttls(context=ssl.create_default_context())
            if self.user:
                connection.login(self.user, self.password or "")
            connection.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            connection.close()
            raise _classify(error, handing_over=connection.handing_over) from error
        _say_goodbye(connection)
        return Sent(provider_id=provider_id, status="sent")

    def _compose(self, to: str, subject: str, body: str, provider_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "natteravn.invalid"
        message["Message-ID"] = f"<{provider_id}@{domain}>"
        message.set_content(body)
        return message


def _say_goodbye(connection: smtplib.SMTP) -> None:
    """The server has taken the message: a QUIT that fails changes nothing about that."""
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _classify(error: smtplib.SMTPException | OSError, *, handing_over: bool) -> GatewayError:
    code = _reply_code(error)
    if code is not None:
        text = f"mail server {code}: {_reply_text(error)}"
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return GatewayError(text, temporary=True, code=code)  # a set-up an administrator can fix
        # 4xx: not now (a full mailbox, greylisting); 5xx: never (no such address).
        return GatewayError(text, temporary=400 <= code < 500, code=code)
    if handing_over:
        return OutcomeUnknown(f"the mail server stopped answering while taking the message: {error}")
    return GatewayError(f"the mail server dropped the connection before taking the message: {error}", temporary=True)


def _reply_code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return codes[0] if codes else None
    code = getattr(error, "smtp_code", None)
    return code if isinstance(code, int) and code >= 400 else None


def _reply_text(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = [text for _code, text in error.recipients.values()]
    else:
        replies = [getattr(error, "smtp_error", b"")]
    text = b" ".join(r if isinstance(r, bytes) else str(r).encode() for r in replies)
    return re.sub(r"\s+", " ", text.decode(errors="replace")).strip()


def make_mailer(config) -> Mailer:
    """An SMTP mailer when a server is configured, else the console; refuses to start half-configured."""
    if not config.get("SMTP_HOST"):
        return ConsoleMailer(reveal=bool(config.get("DEBUG") or config.get("TESTING")))
    if not config.get("SMTP_FROM"):
        raise RuntimeError("Sending e-mail through NATTERAVN_SMTP_HOST needs NATTERAVN_SMTP_FROM, the sender.")
    return SmtpMailer(
        host=config["SMTP_HOST"],
        sender=config["SMTP_FROM"],
        port=int(config.get("SMTP_PORT") or 587),
        user=config.get("SMTP_USER") or None,
        password=config.get("SMTP_PASSWORD") or None,
        starttls=bool(config.get("SMTP_STARTTLS")),
    )
