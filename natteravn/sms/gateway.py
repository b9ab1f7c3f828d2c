"""Where SMS leave the building. The console gateway is the default; Twilio is for real."""

from __future__ import annotations

import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

log = logging.getLogger("natteravn.sms")
#: The Twilio client's own log: at INFO it writes each request's URL, with the recipient's number.
twilio_log = logging.getLogger("natteravn.sms.twilio")

#: Twilio error codes that no retry will cure.
OPTED_OUT = 21610
#: How long one request to Twilio may hang before it counts as a timeout.
TWILIO_TIMEOUT_SECONDS = 10
#: Messages per page when looking a message up: the one sought is almost always among the newest.
LOOKUP_PAGE_SIZE = 20


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str  # the provider's word: queued, accepted, sent …
    segments: int | None = None


class GatewayError(Exception):
    """A send that did not go through. `temporary` ones are worth another try later."""

    def __init__(self, message: str, *, temporary: bool, code: int | None = None):
        super().__init__(message)
        self.temporary = temporary
        self.code = code

    @property
    def opted_out(self) -> bool:
        return self.code == OPTED_OUT


class OutcomeUnknown(GatewayError):
    """The request may have reached the provider (a read timeout, a dropped connection, a server
    error): resending could text the person twice, so the message is looked up before anything else
    is done. From a lookup it means the provider cannot tell now."""

    def __init__(self, message: str, *, code: int | None = None):
        super().__init__(message, temporary=True, code=code)


class Gateway(Protocol):
    name: str

    def send(self, to: str, body: str, *, reference: str | None = None) -> Sent: ...

    def lookup(self, to: str, body: str, since: datetime, exclude: set[str]) -> Sent | None:
        """The provider's record of this message sent after `since` (ids in `exclude` belong to
        other outbox rows), None when the provider has no such message; raises GatewayError when
        it cannot tell."""


@dataclass
class ConsoleGateway:
    """Writes each message to the log and keeps it in memory, so tests can read what was sent.

    The log shows numbers and texts masked (a server left on the default gateway must not put
    login codes and phone numbers in its log), unless `reveal` is set: the demo and debug runs
    show them, so that people can log in with the codes printed in the console."""

    name: str = "console"
    reveal: bool = False
    sent: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, to: str, body: str, *, reference: str | None = None) -> Sent:
        with self._lock:
            self.sent.append((to, body))
        provider_id = f"console-{uuid.uuid4().hex}"
        if not self.reveal:
            to, body = masked_number(to), masked_text(body)
        log.warning("SMS to %s: %s", to, body)
        print(f"[SMS to {to}] {body}", flush=True)
        return Sent(provider_id=provider_id, status="sent")

    def lookup(self, to: str, body: str, since: datetime, exclude: set[str]) -> Sent | None:
        # The console keeps no record across restarts, so an interrupted send stays unknown.
        raise GatewayError("the console gateway keeps no record of earlier sends", temporary=False)


#: Login codes, and phone numbers written into a text (three digits or more).
DIGITS = re.compile(r"\d{3,}")
#: The signed last part of a link (a report link logs its leader in).
LINK_TOKEN = re.compile(r"(https?://[^/\s]+/(?:[^/\s]+/)*)[\w.-]{16,}")


def masked_number(number: str) -> str:
    """ "+4792345601" as "+47 92 ** ** 01": enough to tell messages apart, too little to text anyone."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return "*" * len(number)
    national = str(parsed.national_number)
    hidden = national[2:-2]
    pairs = " ".join("*" * len(hidden[i : i + 2]) for i in range(0, len(hidden), 2))
    return f"+{parsed.country_code} {national[:2]} {pairs} {national[-2:]}"


def masked_text(body: str) -> str:
    body = LINK_TOKEN.sub(r"\1…", body)
    return DIGITS.sub(lambda digits: "*" * len(digits.group()), body)


class RedirectedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, pointed at another host (a local Twilio-compatible server)."""

    def __init__(self, api_base: str, **kwargs):
        super().__init__(**kwargs)
        self.api_base = urlsplit(api_base)

    def request(self, method: str, url: str, *args, **kwargs):
        parts = urlsplit(url)
        redirected = urlunsplit((self.api_base.scheme, self.api_base.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, redirected, *args, **kwargs)


class TwilioGateway:
    name = "twilio"

    def __init__(
        self,
        client: Client,
        *,
        sender: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ):
        self.client = client
        self.sender = sender
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback

    def send(self, to: str, body: str, *, reference: str | None = None) -> Sent:
        fields: dict[str, str | None] = {"to": to, "body": body}
        if self.messaging_service_sid:
            fields["messaging_service_sid"] = self.messaging_service_sid
        else:
            fields["from_"] = self.sender
        if self.status_callback:
            # The reference lets a status callback find its row even if the create answer was lost.
            fields["status_callback"] = self.status_callback + (f"?ref={reference}" if reference else "")
        message = self._call(lambda: self.client.messages.create(**fields))
        return Sent(provider_id=message.sid, status=message.status, segments=_int(message.num_segments))

    def lookup(self, to: str, body: str, since: datetime, exclude: set[str]) -> Sent | None:
        cutoff = since - timedelta(minutes=1)  # the provider's clock may run a little behind ours

        def search_back_to_cutoff() -> Sent | None:
            # Twilio lists newest first and `stream` asks for a page only once the one before is
            # read, so the search ends at the first message older than the claim. Twilio's
            # DateSent filter would not do: a message still queued has no sent date yet.
            for message in self.client.messages.stream(to=to, page_size=LOOKUP_PAGE_SIZE):
                created = message.date_created
                if created is not None and created < cutoff:
                    return None
                if message.body == body and message.sid not in exclude:
                    return Sent(provider_id=message.sid, status=message.status, segments=_int(message.num_segments))
            return None

        return self._call(search_back_to_cutoff)

    def _call(self, request):
        try:
            return request()
        except (TwilioException, requests.exceptions.RequestException) as error:
            raise _classify(error) from error


def _classify(error: TwilioException | requests.exceptions.RequestException) -> GatewayError:
    """Refused (`temporary` when another try may go through), or OutcomeUnknown when the request
    may have reached Twilio and been carried out."""
    status = _status_of(error)
    if status is not None:
        return _answered(error, status)
    if isinstance(error, requests.exceptions.ConnectionError) and _never_connected(error):
        return GatewayError(f"Twilio could not be reached: {error}", temporary=True)
    # A timeout, a dropped connection, an answer that could not be read.
    return OutcomeUnknown(f"no answer from Twilio: {error}")


def _answered(error: Exception, status: int) -> GatewayError:
    code = getattr(error, "code", None)
    code = code if code != status else None  # without a Twilio code the client repeats the status
    reason = getattr(error, "msg", None) or getattr(error, "title", None) or error.args[0]
    text = f"Twilio {status}{f' {code}' if code else ''}: {reason}"
    if status >= 500:
        # Twilio (or what stands in front of it) failed while handling the request, which may
        # have been carried out before it did.
        return OutcomeUnknown(text, code=code)
    # 429 is Twilio refusing to take the request now; 401 is a set-up an administrator can fix.
    return GatewayError(text, temporary=status in (401, 429), code=code)


def _status_of(error: Exception) -> int | None:
    """The HTTP status Twilio answered with, None when no answer came."""
    status = getattr(error, "status", None)  # TwilioRestException, TwilioServiceException
    if isinstance(status, int):
        return status
    # A page of a list that could not be fetched: TwilioException("Unable to fetch page", response).
    response = next((arg for arg in error.args if isinstance(arg, Response)), None)
    return response.status_code if response is not None else None


def _never_connected(error: requests.exceptions.ConnectionError) -> bool:
    """Refused or timed out while connecting: the request cannot have reached Twilio."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def make_gateway(config) -> Gateway:
    """The gateway the configuration names; refuses to start half-configured."""
    choice = (config.get("SMS_GATEWAY") or "console").lower()
    if choice == "console":
        return ConsoleGateway(reveal=bool(config.get("DEBUG") or config.get("TESTING")))
    if choice == "twilio":
        return make_twilio_gateway(config)
    raise RuntimeError(f"NATTERAVN_SMS_GATEWAY must be 'console' or 'twilio', not {choice!r}")


def missing_twilio_settings(config) -> list[str]:
    missing = []
    if not config.get("TWILIO_ACCOUNT_SID"):
        missing.append("NATTERAVN_TWILIO_ACCOUNT_SID")
    has_key = config.get("TWILIO_API_KEY_SID") or config.get("TWILIO_API_KEY_SECRET")
    if has_key:
        missing += [f"NATTERAVN_{k}" for k in ("TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET") if not config.get(k)]
    elif not config.get("TWILIO_AUTH_TOKEN"):
        missing.append("NATTERAVN_TWILIO_AUTH_TOKEN (or NATTERAVN_TWILIO_API_KEY_SID and _SECRET)")
    if not (config.get("TWILIO_FROM") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
        missing.append("NATTERAVN_TWILIO_FROM or NATTERAVN_TWILIO_MESSAGING_SERVICE_SID")
    return missing


def make_twilio_gateway(config) -> TwilioGateway:
    missing = missing_twilio_settings(config)
    if missing:
        raise RuntimeError("The Twilio SMS gateway needs " + ", ".join(missing) + ".")
    account = config["TWILIO_ACCOUNT_SID"]
    if config.get("TWILIO_API_KEY_SID"):
        username, password = config["TWILIO_API_KEY_SID"], config["TWILIO_API_KEY_SECRET"]
    else:
        username, password = account, config["TWILIO_AUTH_TOKEN"]
    api_base = config.get("TWILIO_API_BASE")
    # The client logs each request at INFO, its URL carrying the recipient's number: only
    # warnings are kept, whatever level the rest of the app logs at.
    twilio_log.setLevel(logging.WARNING)
    options = {"timeout": TWILIO_TIMEOUT_SECONDS, "logger": twilio_log}
    http_client = RedirectedHttpClient(api_base, **options) if api_base else TwilioHttpClient(**options)
    client = Client(username, password, account_sid=account, http_client=http_client)
    return TwilioGateway(
        client,
        sender=config.get("TWILIO_FROM"),
        messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
        status_callback=config["BASE_URL"].rstrip("/") + "/sms/status",
    )
