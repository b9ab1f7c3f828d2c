"""The operator's two ways into the same commands: the `natteravn` program and `flask --app wsgi natteravn`,
started as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _commands(*argv: str) -> set[str]:
    environment = {**os.environ, "NATTERAVN_SECRET_KEY": "a-secret-for-listing-commands"}
    output = subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, text=True, check=True).stdout
    listed = output.split("Commands:", 1)[1]
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def test_natteravn_and_flask_offer_the_same_commands():
    own = _commands(str(BIN / "natteravn"), "--help")
    assert {"db", "demo", "purge", "scheduler", "sms", "region", "coordinator", "admin"} <= own
    assert _commands(str(BIN / "flask"), "--app", "wsgi", "natteravn", "--help") == own
