"""Reading docs/*.md for the doc tests: Mermaid blocks, inline code, links and citations."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
# `path/to/file.py`, `path/to/file.py::Symbol.name`, `folder/`
_CODE_REFERENCE = re.compile(r"^(?P<path>[\w.-]+(?:/[\w.-]+)*/?)(?:::(?P<symbol>[\w.]+))?$")
_FILE_SUFFIXES = {
    ".py",
    ".md",
    ".yml",
    ".yaml",
    ".toml",
    ".json",
    ".sh",
    ".ini",
    ".png",
    ".html",
    ".mako",
}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def doc_files() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def fenced_blocks(text: str, language: str | None = None) -> list[str]:
    return [body for lang, body in _FENCE.findall(text) if language is None or lang == language]


def mermaid_blocks(text: str) -> list[str]:
    return fenced_blocks(text, "mermaid")


def prose(text: str) -> str:
    """The text outside fenced code blocks."""
    return _FENCE.sub("", text)


def sections(text: str, level: int = 2) -> dict[str, str]:
    """Heading → body, for headings of exactly `level` (# count)."""
    marker = "#" * level + " "
    found: dict[str, str] = {}
    current: str | None = None
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith(marker):
            current = line[len(marker) :].strip()
            found[current] = ""
        elif current is not None:
            found[current] += line + "\n"
    return found


@dataclass(frozen=True)
class CodeReference:
    doc: Path
    path: str
    symbol: str | None

    def __str__(self) -> str:
        return f"{self.doc.name}: {self.path}" + (f"::{self.symbol}" if self.symbol else "")


def code_references(doc: Path) -> list[CodeReference]:
    """Repository paths named in inline code outside code blocks, e.g. `workflows/campaign.py`
    or `tests/api/test_campaign_api.py::test_health_and_readiness`.

    A span counts as a path when it has a file suffix we use or its first segment exists at the
    top of the repository; `application/json` or `/role/{roleId}` are left alone."""
    references = []
    for span in _INLINE_CODE.findall(prose(read(doc))):
        match = _CODE_REFERENCE.match(span.strip())
        if not match:
            continue
        path = match["path"]
        first = path.split("/", 1)[0]
        if Path(path.rstrip("/")).suffix in _FILE_SUFFIXES or (
            "/" in path and (REPO / first).exists()
        ):
            references.append(CodeReference(doc, path, match["symbol"]))
    return references


def link_targets(doc: Path) -> list[tuple[str, str]]:
    """Relative link and image targets outside code blocks, as (path, anchor); the path is
    empty for a link within the document."""
    targets = []
    for target in _LINK.findall(prose(read(doc))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        path, _, anchor = target.partition("#")
        targets.append((path, anchor))
    return targets


def heading_anchors(doc: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    anchors = set()
    for line in prose(read(doc)).splitlines():
        if match := re.match(r"^#{1,6}\s+(.+?)\s*$", line):
            slug = re.sub(r"[^\w\- ]", "", match[1].lower().replace("`", ""))
            anchors.add(slug.replace(" ", "-"))
    return anchors


@cache
def defined_names(path: Path) -> frozenset[str]:
    """Dotted names a Python file defines: functions, classes, module and class attributes,
    and methods (`Class.method`)."""
    tree = ast.parse(read(path), filename=str(path))
    names: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(prefix + node.name)
            elif isinstance(node, ast.ClassDef):
                names.add(prefix + node.name)
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names.add(prefix + target.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(prefix + node.target.id)

    visit(tree.body, "")
    return frozenset(names)
