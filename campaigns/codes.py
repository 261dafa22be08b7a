"""What a campaign's state says, as codes: the workflow stores these (and small typed
parameters beside them), never sentences; `campaigns/wording.py` words them for people.

A code's value is stored as is in the read model, so values never change; a new wording, or a
translation, is a change to `campaigns/wording.py` only and is safe for running campaigns.
"""

from __future__ import annotations

from enum import StrEnum


class NextAction(StrEnum):
    """What the campaign does next (at `next_action_at`)."""

    SEND = "SEND"  # send the message of `next_action_channel`
    RECHECK_CHANNEL = "RECHECK_CHANNEL"  # look again at the channel of `next_action_channel`
    NEXT_DELAY = "NEXT_DELAY"  # a delay follows this one
    CAMPAIGN_CONTINUES = "CAMPAIGN_CONTINUES"  # a delay ends the definition
    END_IF_NO_REPLY = "END_IF_NO_REPLY"  # every step done: wait for a reply until the limit
    RESUME = "RESUME"  # paused: resumes by itself at `next_action_at`


class LastAction(StrEnum):
    """The last thing the campaign did (at `last_action_at`), on `last_action_channel`."""

    SENT = "SENT"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    NOT_SENT = "NOT_SENT"
    CANDIDATE_REPLIED = "CANDIDATE_REPLIED"


class StepDetail(StrEnum):
    """Why a step is where it is. Parameters: the step's channel, `detail_cause` (a WaitCause),
    `due_at` and `detail_time_zone` (a slot wait)."""

    WAITING_FOR_CHANNEL = "WAITING_FOR_CHANNEL"
    WAITING_FOR_SLOT = "WAITING_FOR_SLOT"
    NO_SLOT = "NO_SLOT"  # no slot before the 30-day limit
    NO_CONTACT = "NO_CONTACT"  # the candidate has no address of the channel's type
    CANDIDATE_NOT_FOUND = "CANDIDATE_NOT_FOUND"
    IN_FLIGHT_WHEN_ENDED = "IN_FLIGHT_WHEN_ENDED"  # may have reached the candidate
    SENT_AS_IT_ENDED = "SENT_AS_IT_ENDED"
    STOPPED_BEFORE_POST = "STOPPED_BEFORE_POST"
    ENDED_BY_REPLY = "ENDED_BY_REPLY"  # not sent: the candidate replied first
    ENDED_BY_CANCEL = "ENDED_BY_CANCEL"
    ENDED_AT_LIMIT = "ENDED_AT_LIMIT"  # not sent: the 30 days passed first
    CHANNEL_NEVER_RESTORED = "CHANNEL_NEVER_RESTORED"  # waited for its channel until the end


class EndDetail(StrEnum):
    """Why an end needs attention. Its parameters are the step that says
    CHANNEL_NEVER_RESTORED: its channel and `detail_cause`."""

    CHANNEL_NEVER_RESTORED = "CHANNEL_NEVER_RESTORED"


class CampaignError(StrEnum):
    """A `last_error` of the campaign's own (a platform's refusal is kept in its words)."""

    FINAL_REPLY_CHECK_FAILED = "FINAL_REPLY_CHECK_FAILED"
