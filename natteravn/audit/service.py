"""Recording what people did, and saying it in words. Rows are only ever added.

Each feature names its own actions: it hands the app factory a `Vocabulary` of the actions it
records, the kinds of things they concern and the fields they change, with their labels marked
for translation. The audit log reads only that, so `audit` needs to know no feature."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from natteravn.audit.models import AuditEvent

#: Details that hold the id of a person, shown by name.
PERSON_DETAILS = ("walker_id", "taker_id", "person_id")

#: Writes a moment in the reader's language: (moment, kind), as `web.written` does.
Written = Callable[[datetime, str], str]

#: Names things of one kind by id, in the reader's language: (session, ids, written) → {id: name}.
#: Ids that name nothing (a thing since deleted) are left out.
Namer = Callable[[Session, set[int], Written], dict[int, str]]


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    now: datetime,
    region_id: int | None = None,
    **details,
) -> AuditEvent:
    event = AuditEvent(
        at=now,
        actor_id=actor_id,
        region_id=region_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class Vocabulary:
    """What a feature's audit entries mean. Labels are untranslated msgids; an action's label may
    use its details as placeholders (`%(name)s`), and `%(person)s` names the person an entry
    concerns (its object, or its `person_id`), `%(walker)s` the one in its `walker_id`.

    Other things are named by the feature that knows them: `namers` name things of a kind
    (`"shift"`) by id. `%(object)s` names the entry's object, and a detail `refers` to a kind
    (`"to_shift_id": "shift"`) gives its name as the placeholder without `_id` (`%(to_shift)s`).
    Things are named as they are now (a night by its present time, as the roster shows it); a
    thing no namer knows, since deleted, shows its id. Details in `moments` hold a moment, written in the
    reader's language."""

    actions: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    namers: dict[str, Namer] = field(default_factory=dict)
    refers: dict[str, str] = field(default_factory=dict)
    moments: frozenset[str] = frozenset()
    #: What a detail said before entries kept it (an older entry of an action whose words name it).
    defaults: dict[str, object] = field(default_factory=dict)

    @classmethod
    def merged(cls, *parts: Vocabulary) -> Vocabulary:
        whole = cls()
        for part in parts:
            for mine, theirs in ((whole.actions, part.actions), (whole.objects, part.objects)):
                _add_once(mine, theirs)
            _add_once(whole.namers, part.namers)
            whole.fields.update(part.fields)
            whole.refers.update(part.refers)
            whole.defaults.update(part.defaults)
        return replace(whole, moments=frozenset().union(*(part.moments for part in parts)))

    def thing_names(
        self, session: Session, events: Iterable[AuditEvent], written: Written
    ) -> dict[str, dict[int, str]]:
        """The names of the things the events refer to, by kind: one query per kind."""
        wanted: dict[str, set[int]] = {}
        for event in events:
            if event.object_id is not None:
                wanted.setdefault(event.object_type, set()).add(event.object_id)
            for key, kind in self.refers.items():
                value = (event.details or {}).get(key)
                if isinstance(value, int):
                    wanted.setdefault(kind, set()).add(value)
        return {kind: self.namers[kind](session, ids, written) for kind, ids in wanted.items() if kind in self.namers}

    def action_label(self, action: str, gettext: Callable[[str], str]) -> str:
        """The action's sentence without its details: "Archived the route …"."""
        template = self.actions.get(action)
        if template is None:
            return action
        short = re.split(r":| \(", gettext(template))[0]
        return re.sub(r"%\(\w+\)[sd]", "…", short)

    def object_label(self, object_type: str, gettext: Callable[[str], str]) -> str:
        label = self.objects.get(object_type)
        return gettext(label) if label else object_type

    def describe(
        self,
        event: AuditEvent,
        names: dict[int, str],
        gettext: Callable[[str], str],
        things: dict[str, dict[int, str]],
        written: Written,
    ) -> str:
        """The event in a sentence; an action without words of its own shows its details as they are.
        `names` are people's, `things` the rest (see `thing_names`)."""
        details = dict(event.details or {})
        unknown = gettext("a deleted person")

        def named(kind: str, thing_id) -> str:
            return things.get(kind, {}).get(thing_id) or str(thing_id)

        values = {
            **self.defaults,
            **{k: v for k, v in details.items() if k != "changed"},
            **_moments(details, self.moments, written),
            **{k.removesuffix("_id"): named(kind, details[k]) for k, kind in self.refers.items() if k in details},
            "object_id": event.object_id,
            "object": named(event.object_type, event.object_id),
            "person": names.get(_person_of(event) or 0, unknown),
            "walker": names.get(details.get("walker_id") or 0, unknown),
        }
        template = self.actions.get(event.action)
        try:
            sentence = gettext(template) % values if template else None
        except (KeyError, TypeError, ValueError):
            sentence = None
        if sentence is None:
            shown = ", ".join(f"{k}: {v}" for k, v in details.items() if k not in ("changed", "person_ids"))
            sentence = f"{event.action} ({shown})" if shown else event.action
        changed = details.get("changed")
        if isinstance(changed, dict) and changed:
            parts = [
                f"{gettext(self.fields[k]) if k in self.fields else k}: {_shown(old)} → {_shown(new)}"
                for k, (old, new) in changed.items()
            ]
            sentence += ". " + "; ".join(parts)
        return sentence


def _add_once(mine: dict, theirs: dict) -> None:
    clash = mine.keys() & theirs.keys()
    if clash:
        raise ValueError(f"named twice in the audit vocabulary: {sorted(clash)}")
    mine.update(theirs)


def _moments(details: dict, keys: frozenset[str], written: Written) -> dict[str, str]:
    """The details that hold a moment, written in the reader's language; one unreadable is left as it is."""
    found = {}
    for key in keys & details.keys():
        try:
            found[key] = written(datetime.fromisoformat(details[key]), "when")
        except (TypeError, ValueError):
            continue
    return found


def _person_of(event: AuditEvent) -> int | None:
    """Whom an entry concerns: the person it is about, or the one its details name."""
    if event.object_type == "person":
        return event.object_id
    return (event.details or {}).get("person_id")


def _shown(value) -> str:
    if value is None or value == "":
        return "–"
    return str(value)
