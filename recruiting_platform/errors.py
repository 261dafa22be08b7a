"""What can go wrong when talking to the platform, one class per way of reacting to it.

Messages name the request, the status and the platform's error code only: never the
platform's `detail`, message text or personal data, so they are safe to log and to store
in workflow history.
"""


class PlatformError(Exception):
    """Any failed platform call. How to react to each (retry, wait, skip) is the caller's
    decision: the send activity's `except` clauses are the one place that says it."""

    def __init__(
        self, message: str, *, status_code: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class PlatformUnauthorized(PlatformError):
    """401/403: the credentials are wrong or do not allow this call."""


class PlatformNotFound(PlatformError):
    """404: the resource does not exist or does not belong to the user."""


class ChannelUnavailable(PlatformError):
    """503 CHANNEL_ERROR: the channel is down for now (status ERROR)."""


class ChannelLoggedOut(PlatformError):
    """409 CHANNEL_ERROR_CREDENTIALS: the user must reconnect the channel."""


class CandidateUnreachable(PlatformError):
    """422 CANDIDATE_UNREACHABLE: the candidate has no address on this channel."""


class PlatformRejected(PlatformError):
    """Any other 4xx, e.g. 422 INVALID_MESSAGE; `status_code` and `code` say which."""


class RateLimited(PlatformError):
    """429: slow down; wait `retry_after_seconds` when the platform says how long."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: float | None = None,
        status_code: int | None = 429,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code)
        self.retry_after_seconds = retry_after_seconds


class PlatformTransient(PlatformError):
    """5xx, connection failures, unreadable answers: worth retrying."""


class PlatformTimeout(PlatformTransient):
    """No answer in time. The platform may still have applied the request."""
