"""Checks of the code base itself that CI must enforce: lint clean, no model change without migration."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_reports_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


# What each of our packages may import (docs/architecture.md): demo -> cdci -> surveys, reports -> charter
# -> inquiries -> feedback -> directory -> core. reports never reads surveys or the CDCI; core is plain Python that
# knows no app.
MAY_IMPORT = {
    "core": set(),
    "directory": {"core"},
    "feedback": {"core", "directory"},
    "inquiries": {"core", "directory", "feedback"},
    "surveys": {"core", "directory", "feedback"},
    "charter": {"core", "directory", "feedback", "inquiries"},
    "reports": {"core", "directory", "feedback", "inquiries", "charter"},
    "cdci": {"core", "directory", "feedback", "surveys", "reports", "inquiries", "charter"},
    "demo": {"core", "directory", "feedback", "surveys", "reports", "charter", "cdci", "inquiries"},
}


def imported_packages(source: str, package: str) -> set[str]:
    """Our top-level packages that `source` (a module of `package`) imports, at module level or inside
    functions alike. A relative import never leaves its own package."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(package if node.level else (node.module or "").split(".")[0])
    return found & set(MAY_IMPORT)


def test_imports_point_one_way():
    offenders = []
    for package, allowed in MAY_IMPORT.items():
        for path in (ROOT / package).rglob("*.py"):
            for other in imported_packages(path.read_text(), package) - allowed - {package}:
                offenders.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not offenders, offenders


# What mypy checks (default mode; the pure modules as with --strict, pyproject.toml): every package of ours.
TYPED_PACKAGES = [*MAY_IMPORT, "customs_portal"]


def test_mypy_reports_nothing():
    result = subprocess.run([sys.executable, "-m", "mypy", *TYPED_PACKAGES], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_lint_type_checks_the_same_packages():
    # `make lint` runs a bare `mypy`, which checks the `files` of pyproject.toml.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert sorted(config["tool"]["mypy"]["files"]) == sorted(TYPED_PACKAGES)


def test_the_import_check_sees_imports_inside_functions():
    source = "from . import rollups\n\n\ndef late():\n    from cdci import services\n    import surveys.models\n"
    assert imported_packages(source, "reports") == {"reports", "cdci", "surveys"}
