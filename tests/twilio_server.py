"""A local HTTP server that speaks Twilio's Messages API (2010-04-01), as described by Twilio's own
OpenAPI file in ../shared/twilio/: create, list and fetch messages, Twilio's error bodies, and
signed status callbacks. Tests and the dispatch bench point the real `twilio` client at it.

It can be told to fail, for the next N creates or the next N list requests: with 429, 500, 503, or
a load balancer's 502 page; by dropping the connection without an answer or stalling until the
client gives up (for a create, after taking the message: what a crash or a network cut between
Twilio and us looks like); or, for a create, by taking the message and answering 500 anyway. Sends
to given numbers fail with 21211 (invalid) or 21610 (opted out)."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

from natteravn.sms.segments import count_segments

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_KEY_SECRET = "k" * 32
API_VERSION = "2010-04-01"

ERRORS = {
    20003: (401, "Authentication Error - invalid username"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
}
#: What `fail_next` answers instead of the request, by HTTP status or Twilio error code.
ERROR_ANSWERS = {429: 20429, 500: 20500, 503: 20503, 21211: 21211, 21610: 21610}
#: Failures without any answer.
NO_ANSWER = ("drop", "stall")
#: What a load balancer in front of Twilio answers when Twilio behind it does not: no JSON at all.
BAD_GATEWAY, BAD_GATEWAY_PAGE = 502, "<html><body><h1>502 Bad Gateway</h1></body></html>"
#: A create that Twilio carries out and then answers 500 for.
TAKEN_THEN_500 = "taken-then-500"
FAILURES = {
    "create": {*ERROR_ANSWERS, BAD_GATEWAY, *NO_ANSWER, TAKEN_THEN_500},
    "list": {429, 500, 503, BAD_GATEWAY, *NO_ANSWER},
}
#: How long a stalled request is held at most; the server's end releases it sooner.
STALL_SECONDS = 30


class Dropped(Exception):
    """The answer is never written."""


@dataclass
class Stored:
    sid: str
    to: str
    sender: str | None
    messaging_service_sid: str | None
    body: str
    status: str
    status_callback: str | None
    created: datetime
    error_code: int | None = None
    received: datetime = field(default_factory=lambda: datetime.now(UTC))  # to the microsecond

    def resource(self) -> dict:
        encoding, segments = count_segments(self.body)
        stamp = format_datetime(self.created)
        return {
            "account_sid": ACCOUNT_SID,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": stamp,
            "date_sent": stamp if self.status in ("sent", "delivered", "undelivered") else None,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": self.sender,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(segments),
            "price": None,
            "price_unit": None,
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{_account_path()}/Messages/{self.sid}/Media.json"},
            "to": self.to,
            "uri": f"{_account_path()}/Messages/{self.sid}.json",
        }


def _account_path() -> str:
    return f"/{API_VERSION}/Accounts/{ACCOUNT_SID}"


@dataclass
class TwilioState:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    api_keys: dict[str, str] = field(default_factory=lambda: {API_KEY_SID: API_KEY_SECRET})
    messages: list[Stored] = field(default_factory=list)
    invalid_numbers: set[str] = field(default_factory=set)
    opted_out_numbers: set[str] = field(default_factory=set)
    slow_numbers: dict[str, float] = field(default_factory=dict)  # number: seconds before answering
    failures: dict[str, list[int | str]] = field(default_factory=lambda: {kind: [] for kind in FAILURES})
    released: threading.Event = field(default_factory=threading.Event)  # ends every stall
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class TwilioServer:
    """`with TwilioServer() as twilio:` serves on 127.0.0.1 at a free port until the block ends."""

    def __init__(self):
        self.state = TwilioState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def config(self, **extra) -> dict:
        """App settings for the Twilio gateway pointed at this server."""
        return {
            "SMS_GATEWAY": "twilio",
            "TWILIO_ACCOUNT_SID": self.state.account_sid,
            "TWILIO_AUTH_TOKEN": self.state.auth_token,
            "TWILIO_FROM": "+4759440000",
            "TWILIO_API_BASE": self.url,
            **extra,
        }

    def __enter__(self) -> TwilioServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.state.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- What tests tell it. ---

    def fail_next(self, how: int | str, times: int = 1, *, on: str = "create") -> None:
        """Fail the next `times` requests of one kind: "create" (sending) or "list" (looking up)."""
        if how not in FAILURES[on]:
            raise ValueError(f"cannot fail a {on} with {how!r}; choose from {sorted(map(str, FAILURES[on]))}")
        with self.state.lock:
            self.state.failures[on].extend([how] * times)

    def answer_slowly(self, to: str, seconds: float) -> None:
        """Sends to `to` are answered (and stored) only after `seconds`, so that a test can act
        while a send is in flight."""
        with self.state.lock:
            self.state.slow_numbers[to] = seconds

    def already_sent(self, to: str, body: str, created: datetime) -> Stored:
        """A message Twilio holds from before, created at `created`."""
        message = Stored(
            sid=_sid("SM"),
            to=to,
            sender="+4759440000",
            messaging_service_sid=None,
            body=body,
            status="delivered",
            status_callback=None,
            created=created.replace(microsecond=0),
        )
        with self.state.lock:
            self.state.messages.append(message)
        return message

    @property
    def messages(self) -> list[Stored]:
        with self.state.lock:
            return list(self.state.messages)

    def bodies_to(self, to: str) -> list[str]:
        return [m.body for m in self.messages if m.to == to]

    def creates(self) -> list[dict[str, str]]:
        """The form of every create request that reached the server, failed ones included."""
        with self.state.lock:
            return [form for method, path, form in self.state.requests if method == "POST"]

    def lists(self) -> list[dict[str, str]]:
        """The query of every list request (a page of messages) that reached the server."""
        with self.state.lock:
            return [
                query
                for method, path, query in self.state.requests
                if method == "GET" and path.endswith("/Messages.json")
            ]

    def status_callback(self, sid: str, status: str, *, error_code: int | None = None, sign: bool = True):
        """The URL, form and headers of the callback Twilio would POST for a message's new status."""
        with self.state.lock:
            message = next(m for m in self.state.messages if m.sid == sid)
            message.status = status
            message.error_code = error_code
        form = {
            "AccountSid": self.state.account_sid,
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message.to,
            "From": message.sender or "",
            "ApiVersion": API_VERSION,
        }
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        return message.status_callback, form, self.signed_headers(message.status_callback, form, sign=sign)

    def signed_headers(self, url: str, form: dict[str, str], *, sign: bool = True) -> dict[str, str]:
        if not sign:
            return {}
        return {"X-Twilio-Signature": RequestValidator(self.state.auth_token).compute_signature(url, form)}

    def inbound(self, base_url: str, sender: str, body: str, *, sign: bool = True, sid: str | None = None):
        """The URL, form and headers of the webhook Twilio POSTs when `sender` texts us."""
        url = base_url.rstrip("/") + "/sms/inbound"
        sid = sid or _sid("SM")
        form = {
            "AccountSid": self.state.account_sid,
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "From": sender,
            "To": "+4759440000",
            "Body": body,
            "NumMedia": "0",
            "ApiVersion": API_VERSION,
        }
        return url, form, self.signed_headers(url, form, sign=sign)


def post_with(client) -> Callable:
    """Posts a (url, form, headers) triple through a Flask test client."""

    def post(url: str, form: dict[str, str], headers: dict[str, str]):
        parts = urlsplit(url)
        return client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form, headers=headers)

    return post


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _handler(state: TwilioState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body in one packet: otherwise Nagle and delayed ACKs add 40 ms to each answer.
        disable_nagle_algorithm = True
        wbufsize = 64 * 1024

        def log_message(self, *args) -> None:  # quiet: tests read assertions, not access logs
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
            self._serve("POST", form)

        def do_GET(self) -> None:
            self._serve("GET", {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()})

        def _serve(self, method: str, form: dict[str, str]) -> None:
            path = urlsplit(self.path).path
            with state.lock:
                state.requests.append((method, path, form))
            try:
                status, answer = self._route(method, path, form)
            except Dropped:
                self.close_connection = True
                self.connection.close()
                return
            self._answer(status, answer)

        def _route(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict]:
            if not self._authorised():
                return _error(20003)
            base = _account_path()
            if path == f"{base}/Messages.json" and method == "POST":
                return self._create(form)
            if path == f"{base}/Messages.json" and method == "GET":
                return self._list(form)
            if path.startswith(f"{base}/Messages/") and path.endswith(".json") and method == "GET":
                return self._fetch(path.removeprefix(f"{base}/Messages/").removesuffix(".json"))
            return _error(20404)

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if username == state.account_sid:
                return password == state.auth_token
            return username in state.api_keys and password == state.api_keys[username]

        def _no_answer(self, failure: str) -> None:
            if failure == "stall":
                state.released.wait(STALL_SECONDS)
            raise Dropped

        def _next_failure(self, kind: str) -> int | str | None:
            with state.lock:
                return state.failures[kind].pop(0) if state.failures[kind] else None

        def _create(self, form: dict[str, str]) -> tuple[int, dict | str]:
            failure = self._next_failure("create")
            with state.lock:
                delay = state.slow_numbers.get(form.get("To", ""), 0)
            time.sleep(delay)
            if failure in ERROR_ANSWERS:
                return _error(ERROR_ANSWERS[failure])
            if failure == BAD_GATEWAY:
                return BAD_GATEWAY, BAD_GATEWAY_PAGE
            to = form.get("To", "")
            if not to:
                return _error(21604)
            if not form.get("Body"):
                return _error(21602)
            if not (form.get("From") or form.get("MessagingServiceSid")):
                return _error(21603)
            if to in state.invalid_numbers or not (to.startswith("+") and to[1:].isdigit() and 8 <= len(to) <= 16):
                return _error(21211)
            if to in state.opted_out_numbers:
                return _error(21610)
            message = Stored(
                sid=_sid("SM"),
                to=to,
                sender=form.get("From") or None,
                messaging_service_sid=form.get("MessagingServiceSid") or None,
                body=form["Body"],
                status="accepted" if form.get("MessagingServiceSid") else "queued",
                status_callback=form.get("StatusCallback") or None,
                created=datetime.now(UTC).replace(microsecond=0),
            )
            with state.lock:
                state.messages.append(message)
            if failure in NO_ANSWER:
                self._no_answer(failure)
            if failure == TAKEN_THEN_500:
                return _error(20500)
            return 201, message.resource()

        def _list(self, query: dict[str, str]) -> tuple[int, dict | str]:
            failure = self._next_failure("list")
            if failure in NO_ANSWER:
                self._no_answer(failure)
            if failure == BAD_GATEWAY:
                return BAD_GATEWAY, BAD_GATEWAY_PAGE
            if failure is not None:
                return _error(ERROR_ANSWERS[failure])
            size = min(int(query.get("PageSize") or 50), 1000)
            page = int(query.get("Page") or 0)
            with state.lock:
                newest_first = sorted(
                    enumerate(state.messages), key=lambda item: (item[1].created, item[0]), reverse=True
                )
                found = [
                    m
                    for _, m in newest_first  # as Twilio lists them
                    if m.to == query.get("To", m.to) and m.sender == query.get("From", m.sender)
                ]
            chunk = found[page * size : (page + 1) * size]
            filters = {k: v for k, v in query.items() if k in ("To", "From")}
            base = f"{_account_path()}/Messages.json"

            def uri(number: int) -> str:
                return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': number})}"

            more = (page + 1) * size < len(found)
            return 200, {
                "messages": [m.resource() for m in chunk],
                "end": page * size + max(len(chunk) - 1, 0),
                "first_page_uri": uri(0),
                "next_page_uri": uri(page + 1) + f"&PageToken=PA{page + 1}" if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(page - 1) if page else None,
                "start": page * size,
                "uri": uri(page),
            }

        def _fetch(self, sid: str) -> tuple[int, dict]:
            with state.lock:
                message = next((m for m in state.messages if m.sid == sid), None)
            if message is None:
                return _error(20404)
            return 200, message.resource()

        def _answer(self, status: int, answer: dict | str) -> None:
            payload = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if isinstance(answer, str) else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _error(code: int) -> tuple[int, dict]:
    status, message = ERRORS[code]
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
