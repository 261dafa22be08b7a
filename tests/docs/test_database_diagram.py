"""docs/database.md's ER diagram is the read model's schema: every table, column, type,
key, nullability, relationship and index of the SQLModel metadata, and nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import db.event_outbox_models  # noqa: F401 - registers the outbox table on SQLModel.metadata
import db.ledger_models  # noqa: F401 - registers the ledger's tables on SQLModel.metadata
import db.models  # noqa: F401 - registers the tables on SQLModel.metadata
from db.types import UTCDateTime
from tests.docs.markdown_docs import DOCS, mermaid_blocks, prose, read

DOC = DOCS / "database.md"

_ENTITY_OPEN = re.compile(r"^(?P<name>[\w-]+)\s*\{$")
_ATTRIBUTE = re.compile(
    r"^(?P<type>[A-Za-z][\w]*)\s+(?P<name>\w+)"
    r"(?:\s+(?P<keys>(?:PK|FK|UK)(?:\s*,\s*(?:PK|FK|UK))*))?"
    r'(?:\s+"(?P<comment>[^"]*)")?$'
)
_RELATIONSHIP = re.compile(
    r"^(?P<left>[\w-]+)\s+(?P<cardinality>[|}o]{2}(?P<line>--|\.\.)[|{o]{2})\s+"
    r"(?P<right>[\w-]+)\s*:\s*\S"
)


@dataclass
class Attribute:
    type: str
    keys: set[str]
    comment: str


@dataclass
class Diagram:
    entities: dict[str, dict[str, Attribute]] = field(default_factory=dict)
    # (parent, child, solid line)
    relationships: set[tuple[str, str, bool]] = field(default_factory=set)


def parse_er_diagram(source: str) -> Diagram:
    diagram = Diagram()
    entity: str | None = None
    for raw in source.splitlines()[1:]:
        line = raw.strip()
        if not line or line.startswith("%%"):
            continue
        if entity is not None:
            if line == "}":
                entity = None
                continue
            match = _ATTRIBUTE.match(line)
            assert match, f"unreadable attribute in {entity}: {line!r}"
            keys = {k.strip() for k in (match["keys"] or "").split(",") if k.strip()}
            diagram.entities[entity][match["name"]] = Attribute(
                match["type"], keys, match["comment"] or ""
            )
        elif match := _ENTITY_OPEN.match(line):
            entity = match["name"]
            diagram.entities[entity] = {}
        elif match := _RELATIONSHIP.match(line):
            diagram.relationships.add((match["left"], match["right"], match["line"] == "--"))
        else:
            raise AssertionError(f"unreadable erDiagram line: {line!r}")
    return diagram


@pytest.fixture(scope="module")
def diagram() -> Diagram:
    blocks = [b for b in mermaid_blocks(read(DOC)) if b.lstrip().startswith("erDiagram")]
    assert len(blocks) == 1, "docs/database.md must hold exactly one erDiagram"
    return parse_er_diagram(blocks[0])


def tables() -> dict[str, sa.Table]:
    return dict(SQLModel.metadata.tables)


def diagram_type(column: sa.Column) -> str:
    """The single word the diagram uses for a column's type."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "timestamptz"
    if isinstance(kind, sa.types.TypeDecorator):  # e.g. SQLModel's AutoString
        kind = kind.impl_instance
    if isinstance(kind, sa.JSON):
        return "json"
    if isinstance(kind, sa.String):
        return "varchar"
    if isinstance(kind, sa.Integer):
        return "int"
    raise AssertionError(f"add a diagram type for {column.table.name}.{column.name}: {kind!r}")


def expected_keys(table: sa.Table, column: sa.Column) -> set[str]:
    keys = set()
    if column.primary_key:
        keys.add("PK")
    if column.foreign_keys:
        keys.add("FK")
    unique_groups = [
        {c.name for c in constraint.columns}
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ] + [{c.name for c in index.columns} for index in table.indexes if index.unique]
    if any(column.name in group for group in unique_groups):
        keys.add("UK")
    return keys


def test_the_diagram_has_every_table_and_no_other(diagram: Diagram) -> None:
    assert set(diagram.entities) == set(tables())


@pytest.mark.parametrize("table_name", sorted(tables()))
def test_each_table_has_every_column_and_no_other(diagram: Diagram, table_name: str) -> None:
    drawn = list(diagram.entities.get(table_name, {}))
    model = [c.name for c in tables()[table_name].columns]
    assert drawn == model, (
        f"{table_name}: only in the model {sorted(set(model) - set(drawn))}, "
        f"only in the diagram {sorted(set(drawn) - set(model))}, or another order"
    )


@pytest.mark.parametrize("table_name", sorted(tables()))
def test_each_column_has_its_type_keys_and_nullability(diagram: Diagram, table_name: str) -> None:
    table = tables()[table_name]
    problems = []
    for column in table.columns:
        drawn = diagram.entities.get(table_name, {}).get(column.name)
        if drawn is None:
            continue  # reported by the column test
        if drawn.type != diagram_type(column):
            problems.append(f"{column.name}: type {drawn.type}, expected {diagram_type(column)}")
        if drawn.keys != expected_keys(table, column):
            problems.append(
                f"{column.name}: keys {drawn.keys}, expected {expected_keys(table, column)}"
            )
        # The diagram's convention: a nullable column's comment starts with "optional".
        if drawn.comment.startswith("optional") != bool(column.nullable):
            problems.append(
                f"{column.name}: nullable={column.nullable} but comment {drawn.comment!r}"
            )
    assert not problems, f"{table_name}: {problems}"


def test_every_foreign_key_is_a_solid_relationship(diagram: Diagram) -> None:
    needed = {
        (fk.column.table.name, table.name)
        for table in tables().values()
        for fk in table.foreign_keys
    }
    solid = {(left, right) for left, right, is_solid in diagram.relationships if is_solid}
    assert needed == solid, "solid lines are for foreign keys only (dotted for logical links)"


def test_every_index_and_named_constraint_is_documented() -> None:
    text = prose(read(DOC))
    names = {
        item.name
        for table in tables().values()
        for item in [*table.indexes, *table.constraints]
        if item.name
    }
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"docs/database.md does not name these indexes or constraints: {missing}"
    partial = [
        str(where)
        for table in tables().values()
        for index in table.indexes
        if (where := index.dialect_options["postgresql"].get("where")) is not None
    ]
    assert all(f"WHERE {where}" in text for where in partial), partial
    if any(fk.ondelete == "CASCADE" for table in tables().values() for fk in table.foreign_keys):
        assert "ON DELETE CASCADE" in text
