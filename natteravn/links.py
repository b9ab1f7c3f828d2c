"""Absolute, signed links that go out in SMS and calendar feeds.

Built from configuration once, handed to services, so services never touch `url_for`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer


@dataclass(frozen=True)
class Links:
    base_url: str
    secret: str

    def _signer(self, purpose: str) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt=purpose)

    def sign(self, purpose: str, value) -> str:
        return self._signer(purpose).dumps(value)

    def unsign(self, purpose: str, token: str):
        """The signed value, or None for a token that was altered or made for something else."""
        try:
            return self._signer(purpose).loads(token)
        except BadSignature:
            return None

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def night(self, shift_id: int) -> str:
        return self.url(f"/nights/{shift_id}")

    def availability(self, term_id: int) -> str:
        """Where a volunteer says which nights of a term they can walk."""
        return self.url(f"/availability/{term_id}")

    def offer(self, signup_id: int) -> str:
        return self.url(f"/offer/{self.sign('offer', signup_id)}")

    def calendar(self, token: str) -> str:
        return self.url(f"/calendar/{token}.ics")

    def invitation(self, token: str) -> str:
        """Logs an imported parent in to answer the first-time questions (see accounts.service)."""
        return self.url(f"/i/{token}")

    def join(self, region_slug: str, municipality_id: int) -> str:
        """A municipality's public page for parents who may want to walk."""
        return self.url(f"/join/{region_slug}/{municipality_id}")

    def report(self, shift_id: int, person_id: int) -> str:
        """Logs the night's leader straight into the night's report. It is written into an SMS
        planned weeks ahead, so it lasts as long as the night allows (see reports.access)."""
        return self.url(f"/r/{self.sign('report', [shift_id, person_id])}")


#: The links that act as their holder (log in, take an offered place, read a calendar feed).
PERSONAL = re.compile(r"\S*/(?:i|r|offer)/[\w.-]+|\S*/calendar/[\w.-]+\.ics")


def personal_links_hidden(text: str, shown: str) -> str:
    """`text` with every personal link written as `shown`: whoever reads a message meant for
    someone else (a coordinator in the outbox) must not be able to act as them."""
    return PERSONAL.sub(shown, text)
