"""How the dashboard's sending page shows and edits the user's sending settings.

Presentation only: the settings are `campaigns.sending_limits.SendingSettings` (validated by
that model, as `PUT /sending-settings` validates them), the use and the waits come unchanged
from the ledger (`db.send_ledger.usage`, `waiting_sends`). Times are said in the user's own
time zone, the one their send window is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api.errors import field_problem
from campaigns.auto_reply import AutoReplyAction
from campaigns.definition import ChannelType
from campaigns.send_window import WEEKDAY_LABELS, WEEKDAYS, SendSchedule, local_label
from campaigns.sending_limits import LimitWindow, Pacing, SendingLimits, SendingSettings, SendKind
from campaigns.wording import CHANNEL_TYPE_LABELS, human_duration
from db.send_ledger import LimitUsage, WaitingSend

# Skip dates the summary names before it says "and N more".
SKIP_DATES_SHOWN = 5
# A limit whose next free slot is closer than this is free now.
FREE_NOW = timedelta(minutes=1)

_KIND_NOUNS = {
    SendKind.LINKEDIN_CONNECTION_REQUEST: "connection requests",
    SendKind.LINKEDIN_MESSAGE: "LinkedIn messages",
    SendKind.EMAIL: "emails",
}
_WINDOW_WORDS = {LimitWindow.DAY: "in the last 24 h", LimitWindow.WEEK: "in the last 7 days"}
_KIND_LABELS = {
    SendKind.LINKEDIN_CONNECTION_REQUEST: "LinkedIn connection request",
    SendKind.LINKEDIN_MESSAGE: "LinkedIn message",
    SendKind.EMAIL: "Email",
}

# The form's inputs are named by the settings' camelCase paths, the `field` the API's 422
# names, so an error finds its input.
FIELD_LABELS: dict[str, str] = {
    "schedule.timeZone": "Time zone",
    "schedule.weekdays": "Weekdays",
    "schedule.start": "Start",
    "schedule.end": "End",
    "schedule.skipDates": "Skip dates",
    "limits.linkedinConnectionRequestsPerDay": "LinkedIn connection requests per day",
    "limits.linkedinConnectionRequestsPerWeek": "LinkedIn connection requests per week",
    "limits.linkedinMessagesPerDay": "LinkedIn messages per day",
    "limits.emailsPerDay": "Emails per day",
    "pacing.linkedinMinGapSeconds": "LinkedIn: least gap between sends (seconds)",
    "pacing.linkedinJitterSeconds": "LinkedIn: random extra gap, up to (seconds)",
    "pacing.emailMinGapSeconds": "Email: least gap between sends (seconds)",
    "pacing.emailJitterSeconds": "Email: random extra gap, up to (seconds)",
}
_TEXT_FIELDS = ("schedule.timeZone", "schedule.start", "schedule.end")


# --- the settings in words ----------------------------------------------------------------


def weekdays_text(days: Sequence[str]) -> str:
    """'Mon–Fri', 'Mon, Wed, Fri', 'Mon–Wed, Sat': runs of three or more days as a range."""
    indexes = [WEEKDAYS.index(day) for day in days]  # type: ignore[arg-type]
    runs: list[list[int]] = []
    for index in indexes:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_LABELS[run[0]]}–{WEEKDAY_LABELS[run[-1]]}")
        else:
            parts += [WEEKDAY_LABELS[index] for index in run]
    return ", ".join(parts)


def window_text(schedule: SendSchedule) -> str:
    """'Mon–Fri 09:00–17:00 Europe/Brussels, except 2026-12-25'; 'Every day at any hour (UTC)'."""
    if schedule.never_opens:
        return "Never: no weekday is chosen, so no message is sent"
    every_day = len(schedule.weekdays) == len(WEEKDAYS)
    all_hours = schedule.start == "00:00" and schedule.end == "24:00"
    if every_day and all_hours:
        text = f"Every day at any hour ({schedule.time_zone})"
    else:
        days = "Every day" if every_day else weekdays_text(schedule.weekdays)
        hours = "at any hour" if all_hours else f"{schedule.start}–{schedule.end}"
        text = f"{days} {hours} {schedule.time_zone}"
    dates = [day.isoformat() for day in schedule.skip_dates]
    if dates:
        shown = ", ".join(dates[:SKIP_DATES_SHOWN])
        more = len(dates) - SKIP_DATES_SHOWN
        text += f", except {shown}" + (f" and {more} more dates" if more > 0 else "")
    return text


def limits_lines(limits: SendingLimits) -> list[str]:
    return [
        f"LinkedIn connection requests: at most {limits.linkedin_connection_requests_per_day} "
        f"in any 24 hours and {limits.linkedin_connection_requests_per_week} in any 7 days",
        f"LinkedIn messages: at most {limits.linkedin_messages_per_day} in any 24 hours",
        f"Emails: at most {limits.emails_per_day} in any 24 hours",
    ]


def _gap_text(least: int, jitter: int) -> str:
    if least == 0 and jitter == 0:
        return "no gap between sends"
    text = f"at least {human_duration(timedelta(seconds=least))} between sends"
    if jitter:
        text += f", plus up to {human_duration(timedelta(seconds=jitter))} at random"
    return text


def pacing_lines(pacing: Pacing) -> list[str]:
    return [
        "LinkedIn: " + _gap_text(pacing.linkedin_min_gap_seconds, pacing.linkedin_jitter_seconds),
        "Email: " + _gap_text(pacing.email_min_gap_seconds, pacing.email_jitter_seconds),
    ]


@dataclass(frozen=True)
class SettingsSummary:
    window: str
    limits: list[str]
    pacing: list[str]
    saved_at: datetime | None  # None: the defaults


def settings_summary(settings: SendingSettings, saved_at: datetime | None) -> SettingsSummary:
    return SettingsSummary(
        window_text(settings.schedule),
        limits_lines(settings.limits),
        pacing_lines(settings.pacing),
        saved_at,
    )


# --- use of each limit ----------------------------------------------------------------------


def zone_label(at: datetime, schedule: SendSchedule, now: datetime) -> str:
    """'Tue 09:12 (Europe/Brussels)', as the ledger's descriptions say it."""
    return f"{local_label(at, schedule.zone, now=now)} ({schedule.time_zone})"


@dataclass(frozen=True)
class LimitMeter:
    label: str  # '12 / 20 connection requests in the last 24 h'
    used: int
    limit: int
    queued: int
    full: bool
    state: str  # 'Limit reached — next free Tue 09:12 (Europe/Brussels)', 'Free now'


@dataclass(frozen=True)
class AccountUsage:
    account: ChannelType
    label: str
    family: str  # the icon: "linkedin" or "email"
    meters: list[LimitMeter]


def _meter(row: LimitUsage, schedule: SendSchedule, now: datetime) -> LimitMeter:
    full = row.used >= row.limit
    next_free = row.next_free_at
    if next_free is None:
        state = "No free slot in the next 30 days"
    elif full:
        state = f"Limit reached — next free {zone_label(next_free, schedule, now)}"
    elif next_free - now >= FREE_NOW:
        state = f"Next free {zone_label(next_free, schedule, now)}"
    else:
        state = "Free now"
    return LimitMeter(
        label=f"{row.used} / {row.limit} {_KIND_NOUNS[row.kind]} {_WINDOW_WORDS[row.window]}",
        used=row.used,
        limit=row.limit,
        queued=row.queued,
        full=full,
        state=state,
    )


def account_usage(
    rows: Iterable[LimitUsage], schedule: SendSchedule, now: datetime
) -> list[AccountUsage]:
    """The limits grouped by account, LinkedIn first, each day before its week."""
    by_account: dict[ChannelType, list[LimitUsage]] = {}
    for row in rows:
        by_account.setdefault(row.account, []).append(row)
    order = (ChannelType.LINKEDIN, ChannelType.EMAIL)
    return [
        AccountUsage(
            account=account,
            label=CHANNEL_TYPE_LABELS[account],
            family=account.value.lower(),
            meters=[
                _meter(row, schedule, now)
                for row in sorted(
                    by_account[account],
                    key=lambda r: (list(SendKind).index(r.kind), r.window is LimitWindow.WEEK),
                )
            ],
        )
        for account in order
        if account in by_account
    ]


# --- the waits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitRow:
    send_at: datetime
    when: str  # in the user's zone
    what: str
    description: str
    campaign_url: str | None  # None: the campaign is not in the read model (yet)


def wait_rows(
    waits: Iterable[WaitingSend],
    campaigns: dict[str, tuple[int, int]],
    schedule: SendSchedule,
    now: datetime,
    home: str,
) -> list[WaitRow]:
    rows = []
    for wait in waits:
        place = campaigns.get(wait.campaign_id)
        rows.append(
            WaitRow(
                send_at=wait.send_at,
                when=zone_label(wait.send_at, schedule, now),
                what=_KIND_LABELS[wait.kind],
                description=wait.description or "Booked ahead",
                campaign_url=f"{home}/roles/{place[0]}/candidates/{place[1]}" if place else None,
            )
        )
    return rows


# --- the form -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberInput:
    name: str
    label: str
    value: str
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class Problem:
    field: str  # the input it is about, e.g. "schedule.timeZone"
    message: str  # 'Time zone: unknown time zone …'


@dataclass
class SettingsForm:
    """The form's values as typed (so a refused form shows them again) and its problems."""

    text: dict[str, str]
    weekdays: list[str]
    skip_dates: str
    numbers: dict[str, str]
    auto_reply_action: str = AutoReplyAction.STOP.value
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def of(cls, settings: SendingSettings) -> SettingsForm:
        data = settings.model_dump(mode="json", by_alias=True)
        schedule = data["schedule"]
        return cls(
            text={name: str(schedule[name.split(".")[1]]) for name in _TEXT_FIELDS},
            weekdays=list(schedule["weekdays"]),
            skip_dates="\n".join(schedule["skipDates"]),
            numbers={
                f"{group}.{key}": str(value)
                for group in ("limits", "pacing")
                for key, value in data[group].items()
            },
            auto_reply_action=settings.auto_reply_action.value,
        )

    @classmethod
    def submitted(cls, form: FormData) -> SettingsForm:
        def value(name: str) -> str:
            raw = form.get(name)
            return raw.strip() if isinstance(raw, str) else ""

        return cls(
            text={name: value(name) for name in _TEXT_FIELDS},
            weekdays=[day for day in form.getlist("schedule.weekdays") if isinstance(day, str)],
            skip_dates=value("schedule.skipDates"),
            numbers={name: value(name) for name in _number_names()},
            auto_reply_action=value("autoReplyAction") or AutoReplyAction.STOP.value,
        )

    def settings(self) -> SendingSettings | None:
        """The settings the form says, or None with `problems` filled in."""
        data: dict[str, Any] = {
            "schedule": {
                **{name.split(".")[1]: self.text[name] for name in _TEXT_FIELDS},
                "weekdays": self.weekdays,
                "skipDates": self._skip_date_lines(),
            },
            "limits": {},
            "pacing": {},
            "autoReplyAction": self.auto_reply_action,
        }
        for name, raw in self.numbers.items():
            group, key = name.split(".")
            data[group][key] = raw
        try:
            return SendingSettings.model_validate(data)
        except ValidationError as error:
            self.problems = [self._problem(e) for e in error.errors()]
            return None

    def _skip_date_lines(self) -> list[str]:
        return [line.strip() for line in self.skip_dates.splitlines() if line.strip()]

    def _problem(self, error: Any) -> Problem:
        found = field_problem(error)
        parts = found["field"].split(".")
        name = ".".join(parts[:2])
        label = FIELD_LABELS.get(name, found["field"])
        if name == "schedule.skipDates" and len(parts) > 2 and parts[2].isdigit():
            lines = self._skip_date_lines()
            index = int(parts[2])
            if index < len(lines):
                label += f" (“{lines[index]}”)"
        return Problem(name, f"{label}: {found['reason']}")

    def errors_of(self, name: str) -> list[str]:
        return [problem.message for problem in self.problems if problem.field == name]

    @property
    def number_inputs(self) -> dict[str, list[NumberInput]]:
        """The limits' and pacing's inputs, with the model's own bounds."""
        return {
            group: [
                NumberInput(name, FIELD_LABELS[name], self.numbers.get(name, ""), *_bounds(name))
                for name in _number_names()
                if name.startswith(f"{group}.")
            ]
            for group in ("limits", "pacing")
        }


_GROUP_MODELS: dict[str, type[BaseModel]] = {"limits": SendingLimits, "pacing": Pacing}


def _number_names() -> list[str]:
    return [
        f"{group}.{info.alias or name}"
        for group, model in _GROUP_MODELS.items()
        for name, info in model.model_fields.items()
    ]


def _bounds(name: str) -> tuple[int | None, int | None]:
    group, alias = name.split(".")
    model = _GROUP_MODELS[group]
    info = next(i for n, i in model.model_fields.items() if (i.alias or n) == alias)
    minimum = maximum = None
    for rule in info.metadata:
        minimum = getattr(rule, "ge", minimum)
        maximum = getattr(rule, "le", maximum)
    return minimum, maximum


def weekday_choices() -> list[tuple[str, str]]:
    return list(zip(WEEKDAYS, WEEKDAY_LABELS, strict=True))
