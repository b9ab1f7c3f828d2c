"""Where SMS leave the building. The console gateway is the default; Twilio is for real."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("natteravn.sms")


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str  # the provider's word: queued, accepted, sent …


class GatewayError(Exception):
    """A send that did not go through. `temporary` ones are worth another try later."""

    def __init__(self, message: str, *, temporary: bool, code: int | None = None):
        super().__init__(message)
        self.temporary = temporary
        self.code = code


class Gateway(Protocol):
    name: str

    def send(self, to: str, body: str) -> Sent: ...


@dataclass
class ConsoleGateway:
    """Writes each message to the log and keeps it in memory, so the demo shows the codes in the
    console and tests can read what was sent."""

    name: str = "console"
    sent: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, to: str, body: str) -> Sent:
        with self._lock:
            self.sent.append((to, body))
        provider_id = f"console-{uuid.uuid4().hex}"
        log.warning("SMS to %s: %s", to, body)
        print(f"[SMS to {to}] {body}", flush=True)
        return Sent(provider_id=provider_id, status="sent")

    def last_to(self, to: str) -> str | None:
        bodies = [body for number, body in self.sent if number == to]
        return bodies[-1] if bodies else None


def make_gateway(config) -> Gateway:
    """The gateway the configuration names; refuses to start half-configured."""
    choice = (config.get("SMS_GATEWAY") or "console").lower()
    if choice == "console":
        return ConsoleGateway()
    raise RuntimeError(f"NATTERAVN_SMS_GATEWAY must be 'console' or 'twilio', not {choice!r}")
