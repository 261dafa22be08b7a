"""Custom search attributes that make campaigns findable in the Temporal Web UI.

`make dev` and the tests register them with the server (`temporal server start-dev
--search-attribute …`); the production compose file registers them with a one-shot job.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CAMPAIGN_ID = SearchAttributeKey.for_keyword("CampaignId")
CAMPAIGN_STATUS = SearchAttributeKey.for_keyword("CampaignStatus")
ROLE_ID = SearchAttributeKey.for_int("RoleId")
CANDIDATE_ID = SearchAttributeKey.for_int("CandidateId")
OWNER_ID = SearchAttributeKey.for_int("OwnerId")

ALL = (CAMPAIGN_ID, CAMPAIGN_STATUS, ROLE_ID, CANDIDATE_ID, OWNER_ID)


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "INT": "Int"}
    return [f"--search-attribute={key.name}={kinds[key.indexed_value_type.name]}" for key in ALL]
