"""The Vietnamese catalogue is complete, up to date with the code, and actually used (docs/i18n.md).

Msgids are English and Vietnamese is the default language, so locale/vi/LC_MESSAGES/django.po must
translate every string the code marks; these tests fail until `make messages` has been run and every
new or fuzzy entry has been translated.
"""

import ast
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# Never copied into the scratch tree used to rebuild the catalogue: not source, or too big.
NOT_COPIED = (
    ".git",
    ".venv",
    "staticfiles",
    "media",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "test-artifacts",
    "db.sqlite3",
    "*.mo",
    "*.pyc",
)


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def _msgfmt() -> str:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: install gettext (make system-deps)"
    return msgfmt


def _unquote(token: str) -> str:
    # PO strings use C escapes; the ones gettext writes are a subset of Python's.
    return ast.literal_eval(token)


def read_entries(path: Path) -> dict[tuple, dict]:
    """Parse a PO file into {(msgctxt, msgid, msgid_plural): {"msgstr": [...], "flags": set()}}.

    Obsolete (#~) entries and the header are left out.
    """
    entries: dict[tuple, dict] = {}
    current: dict = {}
    field = None

    def flush():
        if current.get("msgid"):
            key = (current.get("msgctxt"), current["msgid"], current.get("msgid_plural"))
            entries[key] = {"msgstr": current.get("msgstr", []), "flags": current.get("flags", set())}

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            current, field = {}, None
        elif line.startswith("#,"):
            current.setdefault("flags", set()).update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line):
            field, value = match.group(1), _unquote(match.group(2))
            if field.startswith("msgstr"):
                current.setdefault("msgstr", []).append(value)
            else:
                current[field] = value
        elif line.startswith('"') and field:
            value = _unquote(line)
            if field.startswith("msgstr"):
                current["msgstr"][-1] += value
            else:
                current[field] += value
        else:
            raise AssertionError(f"{path}: cannot read line {line!r}")
    return entries


def makemessages_command() -> list[str]:
    """The `messages` target of the Makefile, so the test rebuilds the catalogue the way developers do."""
    makefile = (ROOT / "Makefile").read_text()
    ignores = re.search(r"^MAKEMESSAGES_IGNORES\s*:=\s*(.+)$", makefile, re.M)
    command = re.search(r"^messages:.*\n\t\$\(PY\) manage\.py (makemessages .+)$", makefile, re.M)
    assert ignores and command, "the Makefile's `messages` target no longer has the expected shape"
    line = command.group(1).replace("$(MAKEMESSAGES_IGNORES)", ignores.group(1)).replace("$(VENV)", ".venv")
    return line.split()


def _po_mtime_newer_than_mo() -> bool:
    return not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """`make test` compiles the catalogue first; compile it here too when it is missing or stale."""
    if PO.exists() and _po_mtime_newer_than_mo():
        handle, scratch = tempfile.mkstemp(dir=MO.parent, suffix=".mo.tmp")
        os.close(handle)
        result = _run(_msgfmt(), "-o", scratch, str(PO))
        assert result.returncode == 0, result.stderr
        os.replace(scratch, MO)  # atomic, so parallel workers never read half a file
        # Catalogues loaded before the .mo existed are cached per process: forget them.
        trans_real._translations = {}
        trans_real._default = None
    yield


def test_vietnamese_catalogue_has_no_untranslated_or_fuzzy_message():
    result = _run(_msgfmt(), "--check", "--statistics", "-o", os.devnull, str(PO))
    assert result.returncode == 0, f"msgfmt --check failed:\n{result.stderr}"
    statistics = result.stderr.strip()
    assert "translated message" in statistics, statistics
    assert "untranslated" not in statistics and "fuzzy" not in statistics, (
        f"{statistics}\nTranslate these entries of {PO.relative_to(ROOT)}:\n"
        + "\n".join(
            f"  {'(fuzzy) ' if 'fuzzy' in entry['flags'] else ''}{key[1]!r}"
            for key, entry in read_entries(PO).items()
            if "fuzzy" in entry["flags"] or not all(entry["msgstr"])
        )
    )


def test_vietnamese_catalogue_header_has_one_plural_form():
    header = PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: vi\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert '"Content-Type: text/plain; charset=UTF-8\\n"' in header
    for key, entry in read_entries(PO).items():
        if key[2] is not None:
            assert len(entry["msgstr"]) == 1, f"{key[1]!r} must have msgstr[0] only"


def test_makefile_builds_only_the_vietnamese_catalogue():
    command = makemessages_command()
    assert command[:3] == ["makemessages", "-l", "vi"] and "en" not in command, command
    assert "--no-obsolete" in command
    assert not (ROOT / "locale" / "en").exists(), "msgids are English: no en catalogue is needed"


def test_vietnamese_catalogue_is_up_to_date_with_the_code(tmp_path):
    """Rebuild the catalogue from a scratch copy of the tree and compare the msgids."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    shutil.rmtree(tree / "locale", ignore_errors=True)
    (tree / "locale").mkdir()
    result = _run(sys.executable, "manage.py", *makemessages_command(), cwd=tree)
    assert result.returncode == 0, result.stderr
    fresh = set(read_entries(tree / "locale" / "vi" / "LC_MESSAGES" / "django.po"))
    committed = set(read_entries(PO))

    def show(keys):
        return "\n".join(f"  {msgid!r}" for _ctx, msgid, _plural in sorted(keys, key=lambda k: k[1]))

    missing, stale = fresh - committed, committed - fresh
    assert not missing, f"Not in the catalogue: run `make messages` and translate:\n{show(missing)}"
    assert not stale, f"No longer in the code: run `make messages` to drop them:\n{show(stale)}"


@pytest.mark.django_db
def test_landing_page_speaks_vietnamese_by_default(client, vietnamese_default):
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html
    assert "Đánh giá mức độ hài lòng về sự phục vụ của cơ quan Hải quan" in html
    assert "Cổng đánh giá chất lượng phục vụ của Hải quan" in html
    assert "Đăng nhập" in html
    assert "Rate the customs service you received" not in html


@pytest.mark.django_db
def test_login_page_speaks_vietnamese_by_default(client, vietnamese_default):
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="vi">' in html
    assert "<h1>Đăng nhập</h1>" in html
    assert "Tên đăng nhập" in html and "Mật khẩu" in html
    assert "Password" not in html


@pytest.mark.django_db
def test_english_stays_available(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html


def test_glossary_labels(vietnamese_default):
    from directory.choices import Role
    from feedback.choices import Channel, Level, Reason

    assert [str(label) for _value, label in sorted(Level.choices, reverse=True)] == [
        "Rất hài lòng",
        "Hài lòng",
        "Bình thường",
        "Không hài lòng",
        "Rất không hài lòng",
    ]
    assert [str(label).split(" (")[0] for label in Channel.labels] == ["Luồng xanh", "Luồng vàng", "Luồng đỏ"]
    assert [str(label) for label in Role.labels] == [
        "Doanh nghiệp",
        "Công chức",
        "Lãnh đạo Đội",
        "Lãnh đạo Chi cục",
        "Cán bộ Cục",
        "Quản trị viên",
        "Hệ thống tích hợp",
    ]
    assert str(Reason.HARASSMENT.label) == "Phiền hà, sách nhiễu"


def test_vietnamese_number_and_date_formats(settings, vietnamese_default):
    settings.USE_THOUSAND_SEPARATOR = True
    template = Template("{{ amount|floatformat:1 }}|{{ big }}|{{ share }}|{{ day }}|{{ day|date:'SHORT_DATE_FORMAT' }}")
    rendered = template.render(
        Context({"amount": 1234567.5, "big": 20738, "share": Decimal("97.38"), "day": datetime.date(2026, 5, 9)})
    )
    assert rendered == "1.234.567,5|20.738|97,38|09/05/2026|09/05/2026"
    with translation.override("en"):
        assert Template("{{ amount|floatformat:1 }}").render(Context({"amount": 1234567.5})) == "1,234,567.5"
