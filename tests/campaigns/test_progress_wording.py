"""`campaigns/wording.py` words every code the workflow stores, as the product said it before
the codes; a value that is no known code (an old row's English, a platform's words) stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.codes import CampaignError, EndDetail, LastAction, NextAction, StepDetail
from campaigns.definition import MessageChannel
from campaigns.status import WaitCause
from campaigns.wording import (
    end_detail_words,
    last_action_words,
    last_error_words,
    next_action_words,
    step_detail_words,
    waiting_reason_words,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
SLOT = datetime(2026, 3, 3, 8, 12, tzinfo=UTC)  # Tue 09:12 in Brussels
BRUSSELS = "Europe/Brussels"
LINKEDIN = MessageChannel.LINKEDIN_MESSAGE
INVITE = MessageChannel.LINKEDIN_CONNECTION_REQUEST
EMAIL = MessageChannel.EMAIL


@pytest.mark.parametrize(
    ("code", "channel", "words"),
    [
        (NextAction.SEND, LINKEDIN, "Send LinkedIn message"),
        (NextAction.SEND, MessageChannel.GMAIL, "Send Email (Gmail)"),
        (NextAction.RECHECK_CHANNEL, INVITE, "Re-check LinkedIn channel"),
        (NextAction.RECHECK_CHANNEL, EMAIL, "Re-check Email channel"),
        (NextAction.NEXT_DELAY, None, "Next delay"),
        (NextAction.CAMPAIGN_CONTINUES, None, "Campaign continues"),
        (NextAction.END_IF_NO_REPLY, None, "Campaign ends if no reply"),
    ],
)
def test_each_next_action_is_worded(code: NextAction, channel: str | None, words: str) -> None:
    assert next_action_words(code, channel) == words


@pytest.mark.parametrize(
    ("code", "channel", "words"),
    [
        (LastAction.SENT, EMAIL, "Email sent"),
        (LastAction.SKIPPED, LINKEDIN, "LinkedIn message skipped"),
        (LastAction.FAILED, INVITE, "LinkedIn connection request failed"),
        (LastAction.NOT_SENT, EMAIL, "Email not sent"),
        (LastAction.CANDIDATE_REPLIED, None, "Candidate replied"),
    ],
)
def test_each_last_action_is_worded(code: LastAction, channel: str | None, words: str) -> None:
    assert last_action_words(code, channel) == words


@pytest.mark.parametrize(
    ("cause", "channel", "words"),
    [
        (WaitCause.LOGGED_OUT, LINKEDIN, "LinkedIn logged out — reconnect"),
        (WaitCause.NO_CHANNEL, EMAIL, "No Email channel connected — connect one"),
        (WaitCause.CHANNEL_ERROR, LINKEDIN, "LinkedIn is failing on the platform — retrying"),
        (
            WaitCause.PLATFORM_UNAUTHORIZED,
            EMAIL,
            "The platform refused Campaign Executor's credentials — an operator is alerted",
        ),
        (
            WaitCause.WINDOW_CLOSED,
            EMAIL,
            "Waiting for the send window — opens Tue 09:12 (Europe/Brussels)",
        ),
        (
            WaitCause.DAILY_LIMIT,
            EMAIL,
            "Email daily limit reached — next slot Tue 09:12 (Europe/Brussels)",
        ),
        (
            WaitCause.WEEKLY_LIMIT,
            INVITE,
            "LinkedIn weekly connection request limit reached — next slot Tue 09:12 "
            "(Europe/Brussels)",
        ),
        (
            WaitCause.PACING,
            LINKEDIN,
            "Pacing LinkedIn sends — next slot Tue 09:12 (Europe/Brussels)",
        ),
    ],
)
def test_each_waiting_reason_is_worded(cause: WaitCause, channel: str, words: str) -> None:
    assert waiting_reason_words(cause, channel, SLOT, BRUSSELS, now=NOW) == words
    # A step waiting for the same reason says the same.
    slot_causes = (WaitCause.WINDOW_CLOSED, WaitCause.DAILY_LIMIT, WaitCause.WEEKLY_LIMIT)
    detail = (
        StepDetail.WAITING_FOR_SLOT
        if cause in (*slot_causes, WaitCause.PACING)
        else StepDetail.WAITING_FOR_CHANNEL
    )
    assert step_detail_words(detail, channel, cause, SLOT, BRUSSELS, now=NOW) == words


def test_a_slot_a_week_or_more_ahead_is_shown_with_its_date() -> None:
    words = waiting_reason_words(
        WaitCause.DAILY_LIMIT, EMAIL, SLOT, BRUSSELS, now=SLOT - timedelta(days=7)
    )
    assert words == "Email daily limit reached — next slot Tue 3 Mar 09:12 (Europe/Brussels)"


@pytest.mark.parametrize(
    ("code", "channel", "cause", "words"),
    [
        (StepDetail.NO_CONTACT, EMAIL, None, "Skipped: the candidate has no email address"),
        (StepDetail.NO_CONTACT, LINKEDIN, None, "Skipped: the candidate has no LinkedIn profile"),
        (StepDetail.CANDIDATE_NOT_FOUND, EMAIL, None, "Candidate not found on the platform"),
        (
            StepDetail.IN_FLIGHT_WHEN_ENDED,
            EMAIL,
            None,
            "Was being sent when the campaign ended: it may have reached the candidate; "
            "nothing after it",
        ),
        (
            StepDetail.SENT_AS_IT_ENDED,
            EMAIL,
            None,
            "Posted just as the campaign ended: the candidate has it",
        ),
        (StepDetail.STOPPED_BEFORE_POST, EMAIL, None, "Not sent: stopped before it was posted"),
        (
            StepDetail.ENDED_BY_REPLY,
            None,
            None,
            "Not sent: campaign ended (the candidate replied)",
        ),
        (StepDetail.ENDED_BY_CANCEL, EMAIL, None, "Not sent: campaign ended (cancelled)"),
        (StepDetail.ENDED_AT_LIMIT, None, None, "Not sent: campaign ended (no reply in 30 days)"),
        (
            StepDetail.CHANNEL_NEVER_RESTORED,
            LINKEDIN,
            WaitCause.LOGGED_OUT,
            "Not sent: LinkedIn stayed logged out until the 30-day limit",
        ),
        (
            StepDetail.NO_SLOT,
            EMAIL,
            WaitCause.WINDOW_CLOSED,
            "Not sent: the send window does not open before the campaign's 30-day limit",
        ),
        (
            StepDetail.NO_SLOT,
            INVITE,
            WaitCause.WEEKLY_LIMIT,
            "Not sent: the LinkedIn weekly connection request limit leaves no free slot before "
            "the campaign's 30-day limit",
        ),
    ],
)
def test_each_step_detail_is_worded(
    code: StepDetail, channel: str | None, cause: str | None, words: str
) -> None:
    assert step_detail_words(code, channel, cause, None, None, now=NOW) == words


def test_every_code_has_words() -> None:
    """No code reaches a person as a code: each enum member is covered above or here."""
    for code in StepDetail:
        words = step_detail_words(code, INVITE, WaitCause.DAILY_LIMIT, SLOT, BRUSSELS, now=NOW)
        assert words and words != code
    for action in NextAction:
        assert next_action_words(action, EMAIL) not in (None, action)
    for last in LastAction:
        assert last_action_words(last, EMAIL) not in (None, last)
    for cause in WaitCause:
        assert waiting_reason_words(cause, EMAIL, SLOT, BRUSSELS, now=NOW) not in (None, cause)
    for error in CampaignError:
        assert last_error_words(error) not in (None, error)
    assert end_detail_words(EndDetail.CHANNEL_NEVER_RESTORED, EMAIL, WaitCause.NO_CHANNEL) == (
        "no Email channel was connected before the 30-day limit"
    )
    assert last_error_words(CampaignError.FINAL_REPLY_CHECK_FAILED) == (
        "The last reply check before the end could not read the chats"
    )


@pytest.mark.parametrize(
    "old",
    [
        "Send LinkedIn message",
        "Re-check LinkedIn channel",
        "Email daily limit reached — next slot Tue 09:12 (Europe/Brussels)",
        "platform refused: 422 body too long",
        "",
    ],
)
def test_a_value_that_is_no_known_code_is_shown_as_it_is(old: str) -> None:
    assert next_action_words(old, EMAIL) == old
    assert last_action_words(old, EMAIL) == old
    assert waiting_reason_words(old, EMAIL, SLOT, BRUSSELS, now=NOW) == old
    assert step_detail_words(old, EMAIL, None, None, None, now=NOW) == old
    assert end_detail_words(old, EMAIL, WaitCause.LOGGED_OUT) == old
    assert last_error_words(old) == old
    assert next_action_words(None, None) is None
