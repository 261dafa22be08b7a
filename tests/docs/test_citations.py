"""Every test, file and symbol the design documents cite exists, so a rename breaks the build
instead of the docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.markdown_docs import (
    DOCS,
    REPO,
    code_references,
    defined_names,
    doc_files,
    heading_anchors,
    link_targets,
    mermaid_blocks,
    prose,
    read,
    sections,
)

DESIGN_DOCS = ["architecture.md", "database.md", "flows.md", "decisions.md", "wireframe.md"]
TEST_CITATION = re.compile(r"\b(tests/[\w/]+\.py)::(\w+)")
SCREENSHOTS = DOCS / "wireframe"


def test_every_design_document_exists() -> None:
    assert not [name for name in DESIGN_DOCS if not (DOCS / name).is_file()]


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: p.name)
def test_every_cited_test_exists(doc: Path) -> None:
    missing = []
    for path, name in TEST_CITATION.findall(prose(read(doc))):
        file = REPO / path
        if not file.is_file():
            missing.append(f"{path} (no such file)")
        elif name not in defined_names(file):
            missing.append(f"{path}::{name}")
    assert not missing, f"{doc.name} cites tests that do not exist: {missing}"


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: p.name)
def test_every_cited_path_and_symbol_exists(doc: Path) -> None:
    missing = []
    for reference in code_references(doc):
        target = REPO / reference.path
        if not target.exists():
            missing.append(str(reference))
        elif reference.symbol is not None and (
            target.suffix != ".py" or reference.symbol not in defined_names(target)
        ):
            missing.append(str(reference))
    assert not missing, f"{doc.name} names paths or symbols that do not exist: {missing}"


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(doc: Path) -> None:
    broken = []
    for path, anchor in link_targets(doc):
        target = (doc.parent / path).resolve() if path else doc
        if target.is_relative_to(SCREENSHOTS):
            continue  # made by `make screenshots`, checked below
        if not target.exists():
            broken.append(path)
        elif anchor and (target.suffix != ".md" or anchor not in heading_anchors(target)):
            broken.append(f"{path}#{anchor}")
    assert not broken, f"{doc.name} links to missing files or headings: {broken}"


def test_every_screenshot_the_tour_shows_exists() -> None:
    if not SCREENSHOTS.is_dir():
        pytest.skip(f"{SCREENSHOTS.relative_to(REPO)} is missing: run `make screenshots`")
    doc = DOCS / "wireframe.md"
    shown = [path for path, _ in link_targets(doc) if path.endswith(".png")]
    assert shown, "docs/wireframe.md shows no screenshot"
    missing = [path for path in shown if not (doc.parent / path).is_file()]
    assert not missing, f"screenshots missing (run `make screenshots`): {missing}"


def test_each_flow_names_the_test_that_proves_it() -> None:
    flows = read(DOCS / "flows.md")
    diagrams = {
        title: body
        for title, body in sections(flows).items()
        if any(b.lstrip().startswith("sequenceDiagram") for b in mermaid_blocks(body))
    }
    assert len(diagrams) >= 8, f"expected a sequence diagram per flow, found {sorted(diagrams)}"
    unproven = [title for title, body in diagrams.items() if not TEST_CITATION.search(prose(body))]
    assert not unproven, f"flows without a test: {unproven}"
