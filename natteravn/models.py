"""Every feature's tables, imported in one place so metadata (Alembic, tests) sees them all."""

from natteravn.accounts.models import LoginCode, Person, RateEvent, Role, RoleKind  # noqa: F401
from natteravn.audit.models import AuditEvent  # noqa: F401
from natteravn.db import Base  # noqa: F401
from natteravn.health import JobHeartbeat  # noqa: F401
from natteravn.places.models import Municipality, Region, Route, School, SchoolBreak, SchoolClass  # noqa: F401
from natteravn.reports.models import Assessment, Incident, ReportVersion, ShiftReport, WalkIn  # noqa: F401
from natteravn.roster.autofill.models import (  # noqa: F401
    Availability,
    DraftAssignment,
    RegionWeights,
    RosterDraft,
    RosterLock,
)
from natteravn.roster.models import NightPattern  # noqa: F401
from natteravn.shifts.models import ClassWeekend, Shift, Signup, SignupRole, SignupState, Term  # noqa: F401
from natteravn.sms.models import InboundSms, MessageState, Purpose, SendWindow, SmsMessage  # noqa: F401
