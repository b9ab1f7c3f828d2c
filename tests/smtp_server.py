"""A real SMTP server on localhost (aiosmtpd) that keeps every message it accepts. It can be told to
refuse the next recipients with a reply of its choosing (550 for no such address, 451 for not now),
to take the next message and answer only after the client has given up (what a network cut while
handing over a message looks like), to check a login, and to speak TLS after STARTTLS with a
certificate from a certificate authority of its own, which a client trusts through `trust_file`."""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

USER, PASSWORD = "natteravn", "mail-password"


@dataclass
class SmtpServer:
    """`received` holds each accepted message, parsed; `refuse_next` is a list of replies given
    instead of accepting the next recipients; `answer_late` delays the answer to the next
    messages' data by that many seconds (they are kept all the same). With `tls` it takes nothing
    before STARTTLS; `encrypted` says for each accepted message whether it came over TLS."""

    login: bool = False
    tls: bool = False
    received: list[EmailMessage] = field(default_factory=list)
    refuse_next: list[str] = field(default_factory=list)
    answer_late: list[float] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)

    def __enter__(self) -> SmtpServer:
        options: dict = {"auth_require_tls": self.tls, "authenticator": self._authenticate} if self.login else {}
        if self.tls:
            self.authority = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.authority.issue_cert("127.0.0.1").configure_cert(context)
            options.update(tls_context=context, require_starttls=True)
        self.port = _free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._controller.stop()

    def config(self, **settings) -> dict:
        """The app's settings for sending through this server."""
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": self.port,
            "SMTP_FROM": "Natteravn Solør <natteravn@solor.example>",
            "SMTP_STARTTLS": self.tls,
            **({"SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD} if self.login else {}),
            **settings,
        }

    def trust_file(self, folder: Path) -> Path:
        """A file of this server's certificate authority, for a client's SSL_CERT_FILE."""
        path = folder / "smtp-authority.pem"
        self.authority.cert_pem.write_to_path(str(path))
        return path

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if message["To"] == address]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_next:
            return self.refuse_next.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        self.encrypted.append(session.ssl is not None)
        if self.answer_late:
            await asyncio.sleep(self.answer_late.pop(0))
        return "250 Message accepted for delivery"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        accepted = (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
        if accepted:
            self.logins.append(auth_data.login.decode())
        # Not `handled`: the server answers a refusal with 535 itself, as a real one does.
        return AuthResult(success=accepted, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
