"""Workflow code imports no I/O: not the activities, the database, the platform client or the
API. It calls activities by name (`campaigns.contracts.ActivityName`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = ("httpx", "sqlalchemy", "sqlmodel", "asyncpg", "activities", "db", "api")


def test_the_workflow_modules_import_no_io() -> None:
    probe = (
        "import json, sys, workflows.campaign, workflows.reply_watcher;"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
    )
    assert [name for name in FORBIDDEN if name in loaded] == []
    assert "recruiting_platform" not in loaded
