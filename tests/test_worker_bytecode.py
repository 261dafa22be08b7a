"""The worker writes its workflow modules' bytecode, which the workflow sandbox reads instead
of compiling the source again for every workflow it loads (worker.cache_workflow_bytecode)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import worker

REPO = Path(__file__).resolve().parents[1]


def test_the_workflow_modules_bytecode_is_written_even_where_python_would_not(
    tmp_path: Path,
) -> None:
    package = tmp_path / "workflows"
    shutil.copytree(worker.WORKFLOW_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    sources = sorted(package.glob("*.py"))
    assert any(source.name == "campaign.py" for source in sources)

    probe = (
        f"import pathlib, worker; worker.cache_workflow_bytecode(pathlib.Path({str(package)!r}))"
    )
    subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
        check=True,
    )

    missing = [
        s.name for s in sources if not Path(importlib.util.cache_from_source(str(s))).exists()
    ]
    assert missing == []
