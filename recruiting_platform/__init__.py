"""Campaign Executor's client for the recruiting platform's HTTP API."""

from recruiting_platform.candidate_listing import CandidateListing
from recruiting_platform.client import (
    OnBehalfOf,
    PlatformClient,
    PlatformCredentials,
    UserToken,
    parse_retry_after,
)
from recruiting_platform.errors import (
    CandidateUnreachable,
    ChannelLoggedOut,
    ChannelUnavailable,
    PlatformError,
    PlatformNotFound,
    PlatformRejected,
    PlatformTimeout,
    PlatformTransient,
    PlatformUnauthorized,
    RateLimited,
)
from recruiting_platform.models import (
    Candidate,
    Channel,
    ChannelStatus,
    ChannelType,
    Message,
    PostMessageBody,
    PostMessageResponse,
    Role,
    User,
)

__all__ = [
    "Candidate",
    "CandidateListing",
    "CandidateUnreachable",
    "Channel",
    "ChannelLoggedOut",
    "ChannelStatus",
    "ChannelType",
    "ChannelUnavailable",
    "Message",
    "OnBehalfOf",
    "PlatformClient",
    "PlatformCredentials",
    "PlatformError",
    "PlatformNotFound",
    "PlatformRejected",
    "PlatformTimeout",
    "PlatformTransient",
    "PlatformUnauthorized",
    "PostMessageBody",
    "PostMessageResponse",
    "RateLimited",
    "Role",
    "User",
    "UserToken",
    "parse_retry_after",
]
