"""The Mermaid diagrams stay inside the simple syntax that renders everywhere (GitHub, IDEs).

No Mermaid parser runs in CI, so these are the rules that broke diagrams before: an unknown
diagram type, a participant used but not declared, and characters that end or change a
statement inside an unquoted label (`;`, `#`, parentheses, braces)."""

from __future__ import annotations

import re

import pytest

from tests.docs.markdown_docs import doc_files, mermaid_blocks, read

DIAGRAM_TYPES = re.compile(r"^(erDiagram|sequenceDiagram|stateDiagram-v2|flowchart (TB|TD|LR))$")
_PARTICIPANT = re.compile(r"^(?:participant|actor)\s+(\w+)(?:\s+as\s+(?P<label>.+))?$")
_MESSAGE = re.compile(
    r"^(?P<from>\w+)\s*(?:->>|-->>|->|-->|-x|--x|-\)|--\))\s*(?P<to>\w+)\s*:(?P<text>.*)$"
)
_NOTE = re.compile(r"^Note (?:over|left of|right of) (?P<who>[\w, ]+):(?P<text>.*)$")
_BLOCK = re.compile(r"^(alt|else|opt|loop|par|and|critical|break|rect|end|autonumber)\b")
_UNSAFE_TEXT = re.compile(r"[;#(){}]")
# A flowchart node label in brackets, e.g. api["API"] or db[("DB")], and an edge label |x|.
_NODE_LABEL = re.compile(r"\w+(\[\(?|\(\[?|\{)(?P<label>[^\]\)}]*)")
_EDGE_LABEL = re.compile(r"\|(?P<label>[^|]*)\|")


def diagrams(kind: str = "") -> list:
    """Every Mermaid block of docs/*.md whose first line starts with `kind`, as test params."""
    return [
        pytest.param(block, id=f"{doc.name}-{number}")
        for doc in doc_files()
        for number, block in enumerate(mermaid_blocks(read(doc)))
        if block.lstrip().startswith(kind)
    ]


def statements(block: str) -> list[str]:
    return [
        line.strip()
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("%%")
    ]


@pytest.mark.parametrize("block", diagrams())
def test_each_diagram_has_a_known_type(block: str) -> None:
    assert DIAGRAM_TYPES.match(statements(block)[0]), statements(block)[0]


@pytest.mark.parametrize("block", diagrams("sequenceDiagram"))
def test_sequence_diagrams_declare_participants_and_keep_labels_plain(block: str) -> None:
    declared: set[str] = set()
    problems = []
    for line in statements(block)[1:]:
        if match := _PARTICIPANT.match(line):
            declared.add(match[1])
            text = match["label"] or ""
        elif match := _MESSAGE.match(line):
            problems += [
                f"undeclared {who}: {line}"
                for who in (match["from"], match["to"])
                if who not in declared
            ]
            text = match["text"]
        elif match := _NOTE.match(line):
            whos = [w.strip() for w in match["who"].split(",")]
            problems += [f"undeclared {who}: {line}" for who in whos if who not in declared]
            text = match["text"]
        elif match := _BLOCK.match(line):
            text = line[match.end() :]
        else:
            problems.append(f"unreadable: {line}")
            continue
        if _UNSAFE_TEXT.search(text):
            problems.append(f"; # ( ) {{ }} in a label: {line}")
    assert not problems, problems


@pytest.mark.parametrize("block", diagrams("flowchart"))
def test_flowchart_labels_with_punctuation_are_quoted(block: str) -> None:
    problems = []
    for line in statements(block)[1:]:
        labels = [m["label"] for m in _NODE_LABEL.finditer(line)]
        labels += [m["label"] for m in _EDGE_LABEL.finditer(line)]
        problems += [
            f"{label!r} in {line!r}"
            for label in labels
            if not label.startswith('"') and re.search(r"[^\w .-]", label)
        ]
    assert not problems, f"quote these labels: {problems}"
