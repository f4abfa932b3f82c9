"""Settings of bench/pages.py's gunicorn: the portal's, plus a middleware that reports each response's
SQL query count in a header. Selected with DJANGO_SETTINGS_MODULE=bench.pages_settings by the benchmark
only; never deployed."""

from customs_portal.settings import *  # noqa: F403
from customs_portal.settings import MIDDLEWARE

MIDDLEWARE = ["bench.pages_middleware.QueryCountMiddleware", *MIDDLEWARE]
