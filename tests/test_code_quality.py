"""Checks of the code base itself that CI must enforce: lint clean, no model change without migration."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_reports_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_imports_point_one_way():
    """DESIGN.md: reports -> surveys -> feedback -> directory -> core; core imports none of our apps."""
    forbidden = {
        "core": ("directory", "feedback", "surveys", "reports", "cdci", "demo", "customs_portal"),
        "directory": ("feedback", "surveys", "reports"),
        "feedback": ("surveys", "reports"),
        "surveys": ("reports",),
    }
    offenders = []
    for app, banned in forbidden.items():
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text()
            for other in banned:
                if f"from {other}" in text or f"import {other}" in text:
                    offenders.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not offenders, offenders
