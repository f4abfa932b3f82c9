"""Settings of bench/rating_api.py's gunicorn: the portal's, plus the bench-only bare-insert view.

Selected with DJANGO_SETTINGS_MODULE=bench.rating_settings by the benchmark only; never deployed.
"""

import os

from customs_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.rating_urls"
# The user the bare view writes as `submitted_by` (the benchmark's business user).
BENCH_RATER_ID = int(os.environ.get("BENCH_RATER_ID", "0"))
# One business token sends every request here, at 40/s and more: far above the per-token limit a real
# business's software needs (API_RATE_PER_TOKEN, 600/min). The throttles still run (their cache reads
# are part of each request's cost), with limits the benchmark never reaches.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"token": "1000000/min", "address": "1000000/min"},
}
