"""The simulator's in-memory world: seed loading, ownership lookups, chats and logs.

Everything runs on one event loop and no method awaits, so no locking is needed.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from simulator.clock import SimClock
from simulator.faults import FaultInjector
from simulator.limits import LimitEnforcer

if TYPE_CHECKING:  # simulator.events_inbox imports the webhook signing, which imports us
    from simulator.events_inbox import EventsInbox

ChannelType = Literal["EMAIL", "LINKEDIN"]
ChannelStatus = Literal["OK", "ERROR", "ERROR_CREDENTIALS"]
Direction = Literal["outbound", "inbound"]
WebhookKind = Literal["reply", "channel"]


@dataclass(frozen=True)
class UserRecord:
    id: int
    first_name: str
    last_name: str
    email: str
    token: str


@dataclass(frozen=True)
class RoleRecord:
    id: int
    user_id: int
    title: str
    description: str


@dataclass(frozen=True)
class CandidateRecord:
    id: int
    role_ids: tuple[int, ...]
    first_name: str
    last_name: str
    email: str | None
    linkedin: str | None
    cv: Any


@dataclass(frozen=True)
class ChannelRecord:
    id: int
    user_id: int
    type: ChannelType
    status: ChannelStatus


@dataclass(frozen=True)
class MessageRecord:
    id: int
    channel_id: int
    candidate_id: int
    user_id: int
    direction: Direction
    sender: int
    recipient: int
    subject: str | None
    body: str
    sent_at: datetime
    opened_at: datetime | None
    idempotency_key: str | None


@dataclass(frozen=True)
class WebhookDelivery:
    kind: WebhookKind
    url: str
    payload: dict[str, Any]
    status_code: int | None
    error: str | None
    attempted_at: datetime

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Seed:
    users: tuple[UserRecord, ...]
    roles: tuple[RoleRecord, ...]
    candidates: tuple[CandidateRecord, ...]
    channels: tuple[ChannelRecord, ...]


def load_seed(path: Path) -> Seed:
    """Read the seed file and expand its `generated` blocks into candidates."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    users = tuple(
        UserRecord(
            id=u["id"],
            first_name=u["firstName"],
            last_name=u["lastName"],
            email=u["email"],
            token=u["token"],
        )
        for u in raw["users"]
    )
    roles = tuple(
        RoleRecord(id=r["id"], user_id=r["userId"], title=r["title"], description=r["description"])
        for r in raw["roles"]
    )
    channels = tuple(
        ChannelRecord(id=c["id"], user_id=c["userId"], type=c["type"], status=c["status"])
        for c in raw["channels"]
    )
    candidates = [
        CandidateRecord(
            id=c["id"],
            role_ids=tuple(c["roleIds"]),
            first_name=c["firstName"],
            last_name=c["lastName"],
            email=c.get("email"),
            linkedin=c.get("linkedin"),
            cv=c.get("cv"),
        )
        for c in raw["candidates"]
    ]
    for block in raw.get("generated", []):
        candidates.extend(_generate_candidates(block))
    return Seed(users=users, roles=roles, candidates=tuple(candidates), channels=channels)


def _generate_candidates(block: dict[str, Any]) -> list[CandidateRecord]:
    """Deterministic bulk candidates; every Nth one lacks an email or a LinkedIn profile."""
    first_names: list[str] = block["firstNames"]
    last_names: list[str] = block["lastNames"]
    headlines: list[str] = block["headlines"]
    without_email_every: int = block.get("withoutEmailEvery", 0)
    without_linkedin_every: int = block.get("withoutLinkedinEvery", 0)
    generated = []
    for index in range(block["count"]):
        candidate_id = block["firstId"] + index
        first = first_names[index % len(first_names)]
        last = last_names[(index // len(first_names)) % len(last_names)]
        slug = f"{first}-{last}-{candidate_id}".lower()
        lacks_email = without_email_every and index % without_email_every == without_email_every - 1
        lacks_linkedin = (
            without_linkedin_every and index % without_linkedin_every == without_linkedin_every - 1
        )
        generated.append(
            CandidateRecord(
                id=candidate_id,
                role_ids=(block["roleId"],),
                first_name=first,
                last_name=last,
                email=None if lacks_email else f"{slug.replace('-', '.')}@example.com",
                linkedin=None if lacks_linkedin else f"https://linkedin.example.com/in/{slug}",
                cv={
                    "headline": headlines[index % len(headlines)],
                    "yearsOfExperience": 1 + index % 15,
                },
            )
        )
    return generated


@dataclass
class WebhookTarget:
    """Where webhooks go; changeable at runtime because the API often starts after us."""

    url: str
    secret: str


@dataclass
class SimulatorState:
    seed: Seed
    webhook_target: WebhookTarget
    faults: FaultInjector
    events_inbox: "EventsInbox"
    limits: LimitEnforcer = field(default_factory=LimitEnforcer)
    clock: SimClock = field(default_factory=SimClock)
    channels: dict[int, ChannelRecord] = field(default_factory=dict)
    messages: list[MessageRecord] = field(default_factory=list)
    webhook_log: list[WebhookDelivery] = field(default_factory=list)
    # (user id, key) -> the message that key created.
    _idempotency: dict[tuple[int, str], MessageRecord] = field(default_factory=dict)
    # Never rewound, not even by reset, so an id is never handed out twice per process.
    _last_message_id: int = 0
    # Bumped by every reset; a request that started before it must not record anything.
    epoch: int = 0
    # Platform API requests per token ("GET /user/me", …), accepted or not, so a test can count
    # what its own token cost. Never cleared, not even by reset (tests use their own tokens).
    requests_by_token: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def __post_init__(self) -> None:
        self._users_by_id = {u.id: u for u in self.seed.users}
        self._users_by_token = {u.token: u for u in self.seed.users}
        self._roles_by_id = {r.id: r for r in self.seed.roles}
        self._candidates_by_id = {c.id: c for c in self.seed.candidates}
        # Indexes, so that a request costs the same whatever the seed's size and however many
        # messages a long benchmark has logged: each was a scan of every candidate or message.
        self._candidates_by_role: dict[int, list[CandidateRecord]] = defaultdict(list)
        for candidate in self.seed.candidates:
            for role_id in candidate.role_ids:
                self._candidates_by_role[role_id].append(candidate)
        # A role's candidate listing as the platform API sends it (the seed never changes).
        self.rendered_listings: dict[int, bytes] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the seed: channel statuses, no messages, no faults, no limits, the wall
        clock, empty webhook log, no events received."""
        self.channels = {c.id: c for c in self.seed.channels}
        self.messages = []
        self._chats: dict[tuple[int, int], list[MessageRecord]] = defaultdict(list)
        self._outbound_times: dict[int, list[datetime]] = defaultdict(list)
        self.webhook_log = []
        self._idempotency = {}
        self.faults.clear()
        self.limits.clear()
        self.clock.clear()
        self.events_inbox.clear()
        self.epoch += 1

    # Lookups. Ownership rules: a user sees their roles, the candidates of those roles
    # and their channels; anything else does not exist for them.

    def user_by_token(self, token: str) -> UserRecord | None:
        return self._users_by_token.get(token)

    def user(self, user_id: int) -> UserRecord | None:
        return self._users_by_id.get(user_id)

    def users(self) -> list[UserRecord]:
        return list(self.seed.users)

    def roles_of(self, user_id: int) -> list[RoleRecord]:
        return [r for r in self.seed.roles if r.user_id == user_id]

    def role_of(self, user_id: int, role_id: int) -> RoleRecord | None:
        role = self._roles_by_id.get(role_id)
        return role if role is not None and role.user_id == user_id else None

    def candidates_of_role(self, role_id: int) -> list[CandidateRecord]:
        return list(self._candidates_by_role.get(role_id, ()))

    def visible_candidate(self, user_id: int, candidate_id: int) -> CandidateRecord | None:
        candidate = self._candidates_by_id.get(candidate_id)
        if candidate is None:
            return None
        if any(self.role_of(user_id, role_id) for role_id in candidate.role_ids):
            return candidate
        return None

    def channels_of(self, user_id: int) -> list[ChannelRecord]:
        return [c for c in self.channels.values() if c.user_id == user_id]

    def channel(self, channel_id: int) -> ChannelRecord | None:
        return self.channels.get(channel_id)

    def channel_of(self, user_id: int, channel_id: int) -> ChannelRecord | None:
        channel = self.channels.get(channel_id)
        return channel if channel is not None and channel.user_id == user_id else None

    def set_channel_status(self, channel_id: int, status: ChannelStatus) -> ChannelRecord:
        channel = replace(self.channels[channel_id], status=status)
        self.channels[channel_id] = channel
        return channel

    # Chats.

    def previous_post(self, user_id: int, idempotency_key: str) -> MessageRecord | None:
        return self._idempotency.get((user_id, idempotency_key))

    def record_outbound(
        self,
        *,
        channel: ChannelRecord,
        candidate: CandidateRecord,
        subject: str | None,
        body: str,
        idempotency_key: str | None,
        sent_at: datetime | None = None,
    ) -> MessageRecord:
        message = self._append(
            channel=channel,
            candidate_id=candidate.id,
            direction="outbound",
            sender=channel.user_id,
            recipient=candidate.id,
            subject=subject,
            body=body,
            idempotency_key=idempotency_key,
            sent_at=sent_at,
        )
        if idempotency_key is not None:
            self._idempotency[(channel.user_id, idempotency_key)] = message
        return message

    def record_inbound(
        self,
        *,
        channel: ChannelRecord,
        candidate: CandidateRecord,
        subject: str | None,
        body: str,
        sent_at: datetime | None = None,
    ) -> MessageRecord:
        return self._append(
            channel=channel,
            candidate_id=candidate.id,
            direction="inbound",
            sender=candidate.id,
            recipient=channel.user_id,
            subject=subject,
            body=body,
            idempotency_key=None,
            sent_at=sent_at,
        )

    def chat(self, channel_id: int, candidate_id: int) -> list[MessageRecord]:
        return list(self._chats.get((channel_id, candidate_id), ()))

    def outbound_times(self, channel_id: int) -> list[datetime]:
        """When each of our outbound messages on the channel was sent."""
        return list(self._outbound_times.get(channel_id, ()))

    def find_messages(
        self,
        *,
        candidate_id: int | None = None,
        channel_id: int | None = None,
        direction: Direction | None = None,
        sent_since: datetime | None = None,
    ) -> list[MessageRecord]:
        return [
            m
            for m in self.messages
            if (candidate_id is None or m.candidate_id == candidate_id)
            and (channel_id is None or m.channel_id == channel_id)
            and (direction is None or m.direction == direction)
            and (sent_since is None or m.sent_at >= sent_since)
        ]

    def _append(
        self,
        *,
        channel: ChannelRecord,
        candidate_id: int,
        direction: Direction,
        sender: int,
        recipient: int,
        subject: str | None,
        body: str,
        idempotency_key: str | None,
        sent_at: datetime | None = None,
    ) -> MessageRecord:
        self._last_message_id += 1
        message = MessageRecord(
            id=self._last_message_id,
            channel_id=channel.id,
            candidate_id=candidate_id,
            user_id=channel.user_id,
            direction=direction,
            sender=sender,
            recipient=recipient,
            subject=subject,
            body=body,
            sent_at=sent_at or self.clock.now(),
            opened_at=None,
            idempotency_key=idempotency_key,
        )
        self.messages.append(message)
        self._chats[(message.channel_id, message.candidate_id)].append(message)
        if direction == "outbound":
            self._outbound_times[message.channel_id].append(message.sent_at)
        return message
