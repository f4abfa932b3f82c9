"""Settings of the customs service-quality portal: one module, configured from the environment.

With no environment at all the portal runs embedded (SQLite file, Celery eager, e-mail to the
console, DEBUG on). A real deployment sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
CELERY_BROKER_URL; `python manage.py check --deploy` then reports no warnings.
"""

import datetime
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Like healthchecks, DEBUG defaults to on so that a fresh checkout runs; deployments turn it off.
DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-embedded-demo-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "directory",
    "feedback",
    "inquiries",
    "surveys",
    "reports",
    "charter",
    "cdci",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "directory.middleware.PortalLocaleMiddleware",
    "core.middleware.RefuseControlCharactersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "directory.middleware.PrivateResponseMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "customs_portal.urls"
WSGI_APPLICATION = "customs_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "directory.context_processors.portal",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections: a new connection per request costs ~8x throughput here.
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- users and auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "directory.User"
# django-axes first: it refuses a locked-out username and address before the password is checked.
AUTHENTICATION_BACKENDS = ["directory.auth.LockoutBackend", "directory.auth.PortalModelBackend"]
# Failed logins (portal and admin alike) per username and address: after AXES_FAILURE_LIMIT the pair is
# locked for AXES_COOLOFF_MINUTES. The attempts are kept in the database (axes' tables, in the admin).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "directory.auth.locked_out"
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_TLS_PROXY", False) else 0
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Links in password reset mails work for a day, invitations for a week; both once only (directory.accounts).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_HOURS", 24) * 3600
INVITATION_TIMEOUT = env_int("INVITATION_TIMEOUT_DAYS", 7) * 86400

# --- language, time -----------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["customs_portal.formats"]
USE_I18N = True
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

# --- static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm (package.json, installed by `make run`/`make test`), never a CDN.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# Files attached to complaints and inquiries (core/uploads.py): PDF, JPEG or PNG, checked by content,
# stored under MEDIA_ROOT/attachments/ (no URL serves MEDIA_ROOT; views check who may download).
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
ATTACHMENTS_PER_MESSAGE = env_int("ATTACHMENTS_PER_MESSAGE", 5)

# --- security (strict as soon as DEBUG is off) --------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: scripts, styles and everything else from the portal itself; no inline script
# or style anywhere (charts take their sizes from data attributes). The API docs page uses drf-spectacular's
# split Swagger view, whose script is a file too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- e-mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@haiquan.example")

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# No broker configured: run tasks in-process, so the embedded demo needs no service.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies is given back to the queue, not lost (with acks_late).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A running job whose heartbeat is older than this lost its worker: the sweeper sends it again (core.jobs).
JOB_HEARTBEAT_STALE_SECONDS = env_int("JOB_HEARTBEAT_STALE_SECONDS", 120)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    # The outbox is also kicked after each commit that writes to it; this catches what a broker outage left.
    "send-outbox": {"task": "directory.tasks.send_outbox_task", "schedule": crontab()},
    # CELERY_TIMEZONE is Asia/Ho_Chi_Minh, so this is 08:00 local time.
    "rating-reminders": {"task": "feedback.tasks.send_rating_reminders_task", "schedule": crontab(hour=8, minute=0)},
    "escalate-overdue-cases": {"task": "feedback.tasks.escalate_overdue_cases_task", "schedule": crontab(minute=5)},
    "close-answered-cases": {"task": "feedback.tasks.close_answered_cases_task", "schedule": crontab(hour=1, minute=0)},
    "case-due-soon": {"task": "feedback.tasks.case_due_soon_task", "schedule": crontab(hour=7, minute=30)},
    "escalate-overdue-inquiries": {
        "task": "inquiries.tasks.escalate_overdue_inquiries_task",
        "schedule": crontab(minute=10),
    },
    "survey-reminders": {"task": "surveys.tasks.send_reminders_task", "schedule": crontab(hour=8, minute=30)},
    # Rating figures: fold new ratings every minute; rebuild nightly to take in edited declarations.
    "fold-rollups": {"task": "reports.tasks.fold_rollups_task", "schedule": crontab()},
    "rebuild-rollups": {"task": "reports.tasks.rebuild_rollups_task", "schedule": crontab(hour=2, minute=15)},
    # Service charter compliance: the same watermark fold and nightly rebuild (charter.rollup).
    "fold-charter": {"task": "charter.tasks.fold_compliance_task", "schedule": crontab()},
    "rebuild-charter": {"task": "charter.tasks.rebuild_compliance_task", "schedule": crontab(hour=2, minute=45)},
    # Long jobs that a broker outage or a killed worker left behind are sent again (core.jobs).
    "sweep-export-jobs": {"task": "reports.tasks.sweep_export_jobs_task", "schedule": crontab()},
    "sweep-mailings": {"task": "surveys.tasks.sweep_mailings_task", "schedule": crontab()},
    "sweep-cdci-runs": {"task": "cdci.tasks.sweep_cdci_runs_task", "schedule": crontab()},
    "delete-expired-exports": {
        "task": "reports.tasks.delete_expired_exports_task",
        "schedule": crontab(hour=3, minute=30),
    },
}

# --- cache (API throttles, survey-code throttles) ----------------------------------------------
# One process keeps its own counts; with several gunicorn workers set CACHE_URL (e.g. Redis) so that
# they share them.
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Pages limited per client address: (requests, seconds). The survey pages take the respondent's code in
# the address; a respondent needs a few dozen requests to answer.
PAGE_LIMITS = {
    "survey-code": (env_int("SURVEY_PAGE_LIMIT", 300), env_int("SURVEY_PAGE_WINDOW_SECONDS", 600)),
    "rating-link": (env_int("RATING_LINK_PAGE_LIMIT", 120), env_int("RATING_LINK_PAGE_WINDOW_SECONDS", 600)),
    # Requests of a reset mail from one address; each account also gets at most one mail per 5 minutes.
    "password-reset": (env_int("PASSWORD_RESET_LIMIT", 10), 3600),
}

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "directory.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "directory.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per token (or per signed-in user) and per address; a client over its rate gets 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["directory.throttling.TokenRateThrottle", "directory.throttling.AddressRateThrottle"],
    "NUM_PROXIES": 1 if env_bool("BEHIND_TLS_PROXY", False) else 0,
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("API_RATE_PER_TOKEN", "600/min"),
        "address": env_str("API_RATE_PER_ADDRESS", "1200/min"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's JSON parser with the nesting depth bounded (a deep body was a RecursionError, a 500).
    "DEFAULT_PARSER_CLASSES": [
        "directory.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customs service-quality portal API",
    "DESCRIPTION": "Declarations in from the clearance system; ratings from declaration software.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One named enum per choice set, whatever the field that uses it.
    "ENUM_NAME_OVERRIDES": {"LevelEnum": "feedback.choices.Level", "ReasonEnum": "feedback.choices.Reason"},
    # Every error answer documented with its body (directory.schema), so responses and schema agree.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "directory.schema.document_errors"],
}

# --- the portal's own settings ------------------------------------------------------------------
# Largest list accepted by POST /api/v1/declarations/ in one request.
DECLARATION_BATCH_MAX = env_int("DECLARATION_BATCH_MAX", 1000)
# Days after clearance during which a business may rate a declaration.
RATING_WINDOW_DAYS = env_int("RATING_WINDOW_DAYS", 30)
# Seconds each process trusts an API token it has just checked (directory.authentication): a token revoked
# or an account disabled in another process stops working within this time. 0: ask the database every time.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 5)
# One-click rating links (API and reminder e-mails) last this many days, never past the rating window.
RATING_LINK_DAYS = env_int("RATING_LINK_DAYS", 7)
# Working days a branch has to answer a dissatisfaction case (a department may set its own).
CASE_DUE_WORKING_DAYS = env_int("CASE_DUE_WORKING_DAYS", 5)
# Days after an answer during which the business may dispute it; then the case closes by itself.
CASE_DISPUTE_DAYS = env_int("CASE_DISPUTE_DAYS", 7)
# Officer figures based on fewer ratings than this are shown as "not enough ratings".
MIN_OFFICER_RATINGS = env_int("MIN_OFFICER_RATINGS", 10)
# Below this many ratings of the handling of complaints, a unit's repeat-dissatisfaction rate is not shown.
MIN_HANDLING_RATINGS = env_int("MIN_HANDLING_RATINGS", 5)
# The rollup fold takes rows created at least this long ago, so that a transaction committing late
# (shorter than half of it) is never passed by the watermark (docs/measures.md).
# SQLite (the embedded mode) has one writer at a time, so its ids commit in order: no lag needed.
EMBEDDED_DATABASE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
ROLLUP_SAFETY_LAG_SECONDS = env_int("ROLLUP_SAFETY_LAG_SECONDS", 0 if EMBEDDED_DATABASE else 120)
# The covering indexes (INCLUDE columns) are PostgreSQL's; SQLite builds them without the extra columns,
# which is all the small embedded database needs: no warning on every `make run`.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if EMBEDDED_DATABASE else []
# The embedded mode runs no Celery beat: dashboards then fold what is new before they read the rollups.
ROLLUP_FOLD_ON_READ = env_bool("ROLLUP_FOLD_ON_READ", EMBEDDED_DATABASE)
# Service charter compliance (charter app): the first year of the department calendars the fold reads
# (declarations before it are not measured), and the fewest measured declarations a branch needs for
# its figures to appear on the public page.
CHARTER_CALENDAR_FIRST_YEAR = env_int("CHARTER_CALENDAR_FIRST_YEAR", 2015)
CHARTER_PUBLIC_MIN_DECLARATIONS = env_int("CHARTER_PUBLIC_MIN_DECLARATIONS", 30)
# Without a broker, long jobs (exports, CDCI runs, mailings) run in-process: in the embedded mode in a
# thread of their own, so the request that starts one answers at once (core.jobs.send).
JOBS_IN_THREAD = env_bool("JOBS_IN_THREAD", EMBEDDED_DATABASE and CELERY_TASK_ALWAYS_EAGER)
# Rating exports with more rows than this run as a Celery job with a progress bar and a download link:
# about 2 s of writing either way on 2 cores (CSV ~25,000 rows/s, xlsx ~6,000 rows/s; docs/performance.md).
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 50_000)
EXPORT_SYNC_MAX_XLSX_ROWS = env_int("EXPORT_SYNC_MAX_XLSX_ROWS", 10_000)
# Days an export file is kept after its job finished; a nightly task deletes older files.
EXPORT_FILE_DAYS = env_int("EXPORT_FILE_DAYS", 7)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # In the embedded mode tasks run in-process: a line per task would flood seed_demo and the server log.
    "loggers": {"celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"}},
}
