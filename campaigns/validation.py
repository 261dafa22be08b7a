"""Turns pydantic's errors about a campaign definition into problems that name node and field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from campaigns.definition import CampaignDefinition, DefinitionRuleError
from campaigns.send_window import ScheduleRuleError

_NODE_TAGS = {"message", "delay-step"}


class DefinitionProblem(BaseModel):
    nodeId: int | None  # the platform's JSON style
    field: str
    reason: str


def describe_errors(errors: Sequence[dict[str, Any]], raw: Any) -> list[DefinitionProblem]:
    """One problem per pydantic error; `raw` is the submitted JSON, to find each node's id."""
    problems = [_describe(error, raw) for error in errors]
    unique: dict[tuple[int | None, str, str], DefinitionProblem] = {}
    for problem in problems:
        unique.setdefault((problem.nodeId, problem.field, problem.reason), problem)
    return list(unique.values())


def parse_definition(raw: Any) -> CampaignDefinition:
    """Validate `raw`; raises `InvalidDefinition` listing every problem."""
    try:
        return CampaignDefinition.model_validate(raw)
    except ValidationError as error:
        raise InvalidDefinition(describe_errors(error.errors(), raw)) from None


class InvalidDefinition(ValueError):
    def __init__(self, problems: list[DefinitionProblem]) -> None:
        super().__init__("; ".join(f"{p.nodeId}.{p.field}: {p.reason}" for p in problems))
        self.problems = problems


def _describe(error: dict[str, Any], raw: Any) -> DefinitionProblem:
    loc = [part for part in error.get("loc", ()) if part != "body"]
    rule = (error.get("ctx") or {}).get("error")
    if isinstance(rule, DefinitionRuleError):
        return DefinitionProblem(nodeId=rule.node_id, field=rule.field, reason=rule.reason)

    reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if isinstance(rule, ScheduleRuleError):
        return DefinitionProblem(
            nodeId=None, field=".".join([*map(str, loc), rule.field]), reason=rule.reason
        )
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        node_id = _node_id(raw, loc[1])
        rest = [str(part) for part in loc[2:]]
        if rest and rest[0] in _NODE_TAGS:  # pydantic puts the union's tag before the field
            rest = rest[1:]
        if error.get("type") == "union_tag_invalid":
            reason = "unknown node type; allowed: message, delay-step"
            field = "type"
        elif error.get("type") == "union_tag_not_found":
            reason = "missing; allowed: message, delay-step"
            field = "type"
        else:
            field = ".".join(rest) or "node"
        if error.get("type") == "extra_forbidden":
            reason = "unknown field"
        where = f"nodes[{loc[1]}]" if node_id is None else None
        return DefinitionProblem(
            nodeId=node_id, field=f"{where}.{field}" if where else field, reason=reason
        )
    return DefinitionProblem(
        nodeId=None, field=".".join(str(p) for p in loc) or "body", reason=reason
    )


def _node_id(raw: Any, index: int) -> int | None:
    try:
        node_id = raw["nodes"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return node_id if isinstance(node_id, int) and not isinstance(node_id, bool) else None
