"""The embedded mode of `make run`: SQLite, eager Celery, the demo data and the demo accounts."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SMOKE = """
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
assert client.login(username="business", password="demo"), "demo login refused"
page = client.get("/declarations/")
assert page.status_code == 200, page.status_code
assert client.get("/healthz").json()["broker"] == "eager"
staff = Client(HTTP_HOST="127.0.0.1")
assert staff.login(username="staff", password="demo")
print("declarations", staff.get("/api/v1/declarations/").json()["count"])
# seed_demo folds the ratings into the rollups the dashboards read (SQLite: BIT_OR from reports.apps).
from feedback.models import Declaration, Rating
from reports.models import BusinessPresence, RatingRollup, UnitKind
department = RatingRollup.objects.filter(unit_kind=UnitKind.DEPARTMENT)
levels = sum(sum(row) for row in department.values_list("level_1", "level_2", "level_3", "level_4", "level_5"))
assert levels == Rating.objects.count() > 0, (levels, Rating.objects.count())
assert BusinessPresence.objects.filter(unit_kind=UnitKind.BRANCH, rated_months__gt=0).exists()
from django.test.utils import setup_test_environment
setup_test_environment()  # records the page's context
dashboard = staff.get("/dashboards/")
assert dashboard.status_code == 200 and dashboard.context["tables"]["summary"].rows[0][2] > 0
# The service charter's figures: durations in SQL on SQLite too, from the demo's stage times.
charter = staff.get("/charter/compliance/")
assert charter.status_code == 200
registration = charter.context["report"].unit.figures[0]
assert registration.code == "registration" and registration.measured > 0 and 0 < registration.within, registration
assert staff.get("/charter/").status_code == 200
# The nightly rebuild on SQLite: a declaration sent again is timed again, and the rows stay those of the folds.
from charter.models import ComplianceHistogram, Overrun
from charter.rollup import rebuild_compliance
def rows():
    histogram = ComplianceHistogram.objects.values_list(
        "level", "unit_id", "month", "commitment", "bucket", "measured", "within"
    )
    overruns = Overrun.objects.values_list("declaration_id", "commitment", "seconds", "limit_seconds")
    return sorted(histogram), sorted(overruns)
folded = rows()
Declaration.objects.filter(cleared_at__isnull=False, received_at__isnull=False).first().save()
rebuild_compliance(lag_seconds=0)
assert rows() == folded
rebuild_compliance(lag_seconds=0, retime=True)
assert rows() == folded and folded[0] and folded[1]
print("charter rebuilt")
"""


def run(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_demo_runs_embedded_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "SECRET_KEY")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DEBUG": "true"})

    for args in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--scale", "0.02"]):
        result = run(*args, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    # The builders' summaries only: nothing per task run in-process, no warning of a broker absent on purpose.
    assert not result.stderr.strip(), result.stderr
    assert len(result.stdout.strip().splitlines()) <= 12, result.stdout
    again = run("seed_demo", "--if-empty", env=env)
    # One line saying there is nothing to do (in Vietnamese, the default), no progress lines.
    assert again.returncode == 0 and len(again.stdout.strip().splitlines()) == 1, again.stdout

    smoke = run("shell", "-c", SMOKE, env=env)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "charter rebuilt" in smoke.stdout
    count = int(smoke.stdout.split("declarations")[1].split()[0])
    assert count > 100
