"""Settings of bench/rating_api.py's gunicorn: the portal's, plus the bench-only bare-insert view.

Selected with DJANGO_SETTINGS_MODULE=bench.rating_settings by the benchmark only; never deployed.
"""

import os

from customs_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.rating_urls"
# The user the bare view writes as `submitted_by` (the benchmark's business user).
BENCH_RATER_ID = int(os.environ.get("BENCH_RATER_ID", "0"))
