"""What the outbox notes about a message (its `last_error`). Stored in English, as the log and
`natteravn sms status` show it; the outbox page reads each note back and says it in the
coordinator's language. Every note written goes through one of these, so none is left untranslated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from natteravn.i18n import N_


@dataclass(frozen=True)
class Note:
    template: str  # the stored English, with {name} for each detail
    label: str  # the msgid shown, with %(name)s for the same details
    _pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.*?)", re.escape(self.template))
        object.__setattr__(self, "_pattern", re.compile(f"^{pattern}$", re.DOTALL))

    def text(self, **details: object) -> str:
        return self.template.format(**details)

    def read(self, stored: str) -> dict[str, str] | None:
        found = self._pattern.match(stored)
        return found.groupdict() if found else None


SIGNUP_CANCELLED = Note("sign-up cancelled", N_("Not sent: the sign-up was cancelled."))
PERSON_MOVED = Note("person moved", N_("Not sent: the coordinator moved the person to another night."))
NIGHT_MOVED = Note("night moved", N_("Not sent: the night was moved (new messages were planned)."))
NIGHT_MOVED_AGAIN = Note(
    "night moved again before it went out",
    N_("Not sent: the night was moved again first. One message gives the new time, unless it is the one they knew."),
)
NIGHT_CANCELLED = Note("night cancelled", N_("Not sent: the night was cancelled."))
ANSWERED = Note(
    "told when they answered", N_("Not sent: they were told when they answered, by SMS or on the night's page.")
)
NEED_MET = Note("the night needed nobody more", N_("Not sent: the night needed nobody more by then."))
NIGHT_REMOVED = Note("night removed", N_("Not sent: the night was taken off the roster."))
PERSON_DELETED = Note("person deleted", N_("Not sent: the person deleted their account."))
OPTED_OUT = Note("the recipient has opted out of SMS", N_("Not sent: the person has said no to SMS."))
JOINED = Note(
    "they joined before the invitation went out",
    N_("Not sent: they had logged in and answered the first-time questions before it went out."),
)
DEACTIVATED = Note("the recipient was deactivated", N_("Not sent: the person was deactivated."))
EXPIRED = Note("expired before it could be sent", N_("Not sent: its moment passed before it could go out."))
QUIET_HOURS = Note(
    "would only be sendable after it expires (quiet hours)",
    N_("Not sent: quiet hours would have held it until it no longer mattered."),
)
RESENT = Note(
    "an interrupted send never reached the provider; sent again",
    N_("An interrupted send never reached the SMS provider, so it was sent again."),
)
INTERRUPTED = Note("interrupted while sending", N_("Interrupted while sending; being checked with the SMS provider."))
GAVE_UP = Note("gave up after {attempts} attempts: {error}", N_("Gave up after %(attempts)s tries: %(error)s"))
NEVER_ARRIVED = Note(
    "gave up after {attempts} attempts, none of which reached the provider",
    N_("Gave up after %(attempts)s tries, none of which reached the SMS provider."),
)
TO_BE_CHECKED = Note(
    "{error} (will be checked with the provider, not resent)",
    N_("%(error)s (will be checked with the SMS provider, not sent twice)"),
)
EMAIL_UNKNOWN = Note(
    "outcome unknown, not resent: {error} (a mail server keeps no record to check)",
    N_("Unknown whether the e-mail arrived, and a mail server keeps no record to check, so not sent again: %(error)s"),
)
UNKNOWN = Note("outcome unknown, not resent: {error}", N_("Unknown whether it arrived, so not sent again: %(error)s"))
NOT_CHECKED_YET = Note(
    "could not check with the provider yet: {error}", N_("Not yet checked with the SMS provider: %(error)s")
)
PROVIDER_REPORTED = Note(
    "provider reported {status} (error {code})", N_("The SMS provider reported %(status)s (error %(code)s).")
)

#: Most specific first: a provider's own error text could look like anything.
NOTES = (
    SIGNUP_CANCELLED,
    PERSON_MOVED,
    ANSWERED,
    NEED_MET,
    NIGHT_MOVED,
    NIGHT_MOVED_AGAIN,
    NIGHT_CANCELLED,
    NIGHT_REMOVED,
    PERSON_DELETED,
    OPTED_OUT,
    JOINED,
    DEACTIVATED,
    EXPIRED,
    QUIET_HOURS,
    RESENT,
    INTERRUPTED,
    NEVER_ARRIVED,
    GAVE_UP,
    EMAIL_UNKNOWN,
    UNKNOWN,
    NOT_CHECKED_YET,
    PROVIDER_REPORTED,
    TO_BE_CHECKED,
)


def shown(stored: str, gettext) -> str:
    """A stored note in the reader's language; a provider's own error text stays as it came."""
    for note in NOTES:
        details = note.read(stored)
        if details is not None:
            return gettext(note.label) % details if details else gettext(note.label)
    return stored
