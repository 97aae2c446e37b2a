"""
Settings for Crosscheck, read from the environment.

Every setting a deployment may change is an environment variable with a
default that suits a developer's machine: DEBUG on, a SQLite file under var/.
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from crosscheck.cache import backend_from_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "1")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")

# Whether journalists must log in to read. Public by default: newsrooms that
# keep their research private set READING_REQUIRES_LOGIN=1.
READING_REQUIRES_LOGIN = envbool("READING_REQUIRES_LOGIN", "0")

# Four eyes: nobody approves, or resolves or dismisses a conflict about, a
# claim they created or last edited (claims.models.Claim.second_pair_of_eyes).
# A one-person newsroom sets REQUIRE_SECOND_PAIR_OF_EYES=0.
REQUIRE_SECOND_PAIR_OF_EYES = envbool("REQUIRE_SECOND_PAIR_OF_EYES", "1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The database backend of Django's tasks framework: its table of tasks and
    # the `db_worker` command that runs them (the spreadsheet imports).
    "django_tasks_db",
    "sources",
    "claims",
    "api",
    # Watching and notifications (docs/watching.md).
    "watching",
    # The project package: the page cache's signals (crosscheck/cache.py).
    "crosscheck",
]

MIDDLEWARE = [
    # First: every response, even a 503, carries the request id.
    "crosscheck.logs.RequestIdMiddleware",
    # Second: a repeated anonymous GET answered whole from this worker's copy
    # of a cached page, before the session, auth and CSRF middleware run
    # (crosscheck/cache.py). Anything else goes on down the stack.
    "crosscheck.cache.PageCacheFastPath",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Anonymous readers' pages from the cache, invalidated by every write
    # (crosscheck/cache.py). After auth and messages: it asks who is reading.
    "crosscheck.cache.AnonymousPageCacheMiddleware",
    # A view that loses the database answers 503 with a plain page, not a traceback.
    "crosscheck.health.DatabaseUnavailableMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last of those that see the response, as django-axes requires: it
    # turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
    # After every other: it calls the view itself, again when the database
    # rolled a write back to break a deadlock (claims/locks.py).
    "claims.locks.RetryMiddleware",
]

# PAGE_CACHE_FAST_PATH=0 leaves crosscheck.cache.PageCacheFastPath out: every
# hit then goes through the whole stack, as before it existed (benchmarks compare).
if not envbool("PAGE_CACHE_FAST_PATH", "1"):
    MIDDLEWARE.remove("crosscheck.cache.PageCacheFastPath")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock the pair (username, client address) after 5 failed logins, for 15
# minutes: a username alone would let anyone lock anyone out (the superuser
# too), and an address alone, behind a load balancer, everybody at once.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", "15") / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# How many proxies (load balancer, ingress) stand in front of the app: the
# client's address is that many hops from the right of X-Forwarded-For plus
# REMOTE_ADDR (crosscheck.hardening.client_ip). 0: REMOTE_ADDR, the header
# ignored (anyone can write it). django-ipware is not installed, so axes asks this.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0")
AXES_CLIENT_IP_CALLABLE = "crosscheck.hardening.client_ip"
# A slower throttle per username from any address, never a lock: past
# USERNAME_THROTTLE_FAILURES failures in the cool-off time, one attempt per
# USERNAME_THROTTLE_SECONDS goes through; the others get 429 (crosscheck.views).
USERNAME_THROTTLE_FAILURES = envint("USERNAME_THROTTLE_FAILURES", "20")
USERNAME_THROTTLE_SECONDS = envint("USERNAME_THROTTLE_SECONDS", "30")
AXES_RESET_ON_SUCCESS = True
# The username axes records, cut to the 255 characters its table holds.
AXES_USERNAME_CALLABLE = "crosscheck.hardening.axes_username"
# A locked-out login gets a page saying how long to wait, with status 429.
AXES_LOCKOUT_CALLABLE = "crosscheck.views.locked_out"

ROOT_URLCONF = "crosscheck.urls"

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
                # The header's unread notifications, for a logged-in user (watching/).
                "watching.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "crosscheck.wsgi.application"

# A SQLite file in the git-ignored var/ folder unless DATABASE_URL says otherwise,
# e.g. postgres://postgres@127.0.0.1:5432/crosscheck
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'crosscheck.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", "60"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Milliseconds after which PostgreSQL cancels a statement, so that a
    # runaway query cannot hold a worker and a connection. gunicorn.conf.py
    # sets 10 s for the web servers; commands (migrate, recompute_conflicts,
    # generate_volume) run without a limit unless the variable is set.
    # JIT compilation costs more than it saves on the app's short queries
    # (1.3 s of JIT for a 0.25 s track-record query, seen in EXPLAIN ANALYZE).
    _timeout = envint("DATABASE_STATEMENT_TIMEOUT_MS", "0")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={_timeout} -c jit=off"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # SQLite: one connection per thread is cheap; reusing it only hides locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # SQLite as a serious default (several threads of runserver or gunicorn):
    # - WAL: readers never wait for the writer, nor the writer for readers;
    #   synchronous=NORMAL is WAL's safe setting (a power cut may lose the
    #   last commits, never corrupt the file).
    # - Every transaction begins IMMEDIATE: it takes the write lock at BEGIN,
    #   so writers queue there. A DEFERRED one that read first and wrote
    #   later could not wait: SQLite answered "database is locked" at once
    #   (11 of 20 parallel approvals got the 503 page).
    # - The queue's patience: a writer waits up to SQLITE_BUSY_TIMEOUT
    #   seconds for the lock (Python's default is 5).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        transaction_mode="IMMEDIATE",
        timeout=envint("SQLITE_BUSY_TIMEOUT", "20"),
    )
    # Tests on a file too, not Django's in-memory default: live-server tests
    # then get one connection per thread, as `make run` does, and so really
    # race (tests/test_sqlite.py); it is created and deleted by each run.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test_crosscheck.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The page cache for anonymous readers (crosscheck/cache.py): pages kept at
# most PAGE_CACHE_SECONDS (0: off; off by default with DEBUG on, so template
# edits show at once), emptied by every write. CACHE_URL chooses a backend
# shared by every worker: the database by default (table crosscheck_cache,
# made by migrate), redis://host:6379/0 (needs redis-py), file:///path.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", "0" if DEBUG else "600")
# Each worker's own copies of cached pages, in megabytes (crosscheck.cache.LocalCopies).
PAGE_CACHE_LOCAL_MB = envint("PAGE_CACHE_LOCAL_MB", "32")
CACHES = {
    "default": backend_from_url(
        os.environ.get("CACHE_URL", ""), max_entries=envint("PAGE_CACHE_MAX_ENTRIES", "5000")
    )
}

# Values derived from all the data that pages need (the claims' languages),
# kept in the same cache until the next write (crosscheck.cache.remembered),
# whether or not whole pages are: 0 turns it off (the default with DEBUG on).
VALUE_CACHE_SECONDS = envint("VALUE_CACHE_SECONDS", "0" if DEBUG else "600")

# Each worker keeps the claim and conflict cards it rendered, keyed by the data
# they show (claims/rendering.py, `{% card %}`), up to this many megabytes; 0: off.
RENDER_CACHE_MB = envint("RENDER_CACHE_MB", "16")

# List pages count their rows up to this many; past it they say "more than"
# and page no further (crosscheck/lists.py: counting a million rows took 0.4 s).
LIST_COUNT_LIMIT = envint("LIST_COUNT_LIMIT", "10000")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
# After logging in without a (safe, same-site) `next`, and after logging out.
LOGIN_REDIRECT_URL = "claims:home"
LOGOUT_REDIRECT_URL = "claims:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Production hardening: with DEBUG off, `manage.py check --deploy` reports
# nothing. TLS ends at a proxy or load balancer that sets X-Forwarded-Proto;
# set SECURE_SSL_REDIRECT=0 only where no TLS proxy exists (a local compose).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django's Content-Security-Policy, in development too so that a violation
# shows at once: scripts, styles and images from this site only; no inline
# script or style, no eval (htmx runs with allowEval off), no framing.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# Logs: one JSON object per line in production (LOG_FORMAT=json), each with
# the request id that the X-Request-ID response header also carries.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "crosscheck.logs.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "filters": {"request_id": {"()": "crosscheck.logs.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "text" if DEBUG else "json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Replaces Django's own console handler for its loggers, so nothing prints twice.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Its start-up banner on every command is noise.
        "axes": {"level": "WARNING"},
    },
}

# The canonical address of this site, without a trailing slash: feed and
# entry ids and ClaimReview URLs are built on it, so they do not depend on the
# Host header a request came with (a feed read through a proxy, an IP address
# or a second name keeps its entries' ids). Development defaults to
# `make run`'s address; production to https:// and the first ALLOWED_HOSTS.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/") or (
    "http://127.0.0.1:8000" if DEBUG or not ALLOWED_HOSTS else f"https://{ALLOWED_HOSTS[0]}"
)

# The newsroom's name, shown as the author of reviews and feeds.
NEWSROOM_NAME = os.environ.get("NEWSROOM_NAME", "Crosscheck")
# The newsroom's own site, named with it as the author of fact checks
# (ClaimReview); empty means this app's home page.
NEWSROOM_URL = os.environ.get("NEWSROOM_URL", "")

# The REST API (api/): token auth first, so that an anonymous write is told
# how to authenticate (401 with WWW-Authenticate) rather than refused (403).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.conventions.ReadingPermission"],
    # JSON only: the browsable pages need inline script, which the CSP forbids;
    # /api/docs/ is the page to explore the API with.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.conventions.JSONObjectParser"],
    "DEFAULT_PAGINATION_CLASS": "api.conventions.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.conventions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Crosscheck API",
    "DESCRIPTION": "Who said what, when, and where sources disagree: read the claims, "
    "conflicts, sources, notes, documents, topics and detainees; editors and moderators "
    "write with the same rules as the web forms. See README.md, section API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # A PATCH body is documented as written (a claim's PATCH requires `version`).
    "COMPONENT_SPLIT_PATCH": False,
    # Swagger UI from the drf-spectacular-sidecar package: served by this site (CSP, no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    # Public reads, closed bodies and links between operations (api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.truths",
    ],
    # One name per choice set: several models have a "kind", a "status".
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "sources.models.SourceKind",
        "WatchKindEnum": "watching.models.KINDS",
        "NoteAspectEnum": "sources.models.CredibilityNote.Aspect",
        "DocumentKindEnum": "claims.models.Document.Kind",
        "ClaimKindEnum": "claims.models.ClaimKind",
        "ClaimStanceEnum": "claims.models.ClaimStance",
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "ClaimStateEnum": "claims.models.ClaimState",
        "ClaimVerdictEnum": "claims.models.ClaimVerdict",
        "ConflictKindEnum": "claims.models.ConflictKind",
        "ConflictStatusEnum": "claims.models.ConflictStatus",
        "ConflictOutcomeEnum": "claims.models.ConflictOutcome",
    },
}

# The spreadsheet import of claims (claims.spreadsheet, claims.jobs,
# claims.tasks, claims.views.imports): the largest file the upload page takes
# (the command has --max-mb), and where an uploaded file waits for the worker
# and its confirmation (shared by the app servers and the worker).
CLAIMS_IMPORT_MAX_BYTES = envint("CLAIMS_IMPORT_MAX_MB", "20") * 1024 * 1024
CLAIMS_IMPORT_DIR = Path(os.environ.get("CLAIMS_IMPORT_DIR", BASE_DIR / "var" / "imports"))

# The history's change reason ("Resolved: <rationale>") is a text column, not
# django-simple-history's default 100-character one: PostgreSQL refused any
# reason over ~90 characters with a 500, and SQLite never enforced it. The
# reasons themselves are bounded by claims.models.REASON_MAX_LENGTH.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Hard limits checked while a file is streamed, before the work they would
# cost (claims.spreadsheet.Limits): one error naming the limit and the value.
# Rows and columns of the sheet (a declared XLSX dimension past them is
# refused before a row is read), characters in one cell (Excel's own
# maximum), cells in all, the uncompressed size of an XLSX's members (a zip
# bomb is refused before it is opened), and seconds per check or import.
CLAIMS_IMPORT_MAX_ROWS = envint("CLAIMS_IMPORT_MAX_ROWS", "200000")
CLAIMS_IMPORT_MAX_COLUMNS = envint("CLAIMS_IMPORT_MAX_COLUMNS", "40")
CLAIMS_IMPORT_MAX_CELL_CHARS = envint("CLAIMS_IMPORT_MAX_CELL_CHARS", "32767")
CLAIMS_IMPORT_MAX_CELLS = envint("CLAIMS_IMPORT_MAX_CELLS", "4000000")
CLAIMS_IMPORT_MAX_UNZIPPED_BYTES = envint("CLAIMS_IMPORT_MAX_UNZIPPED_MB", "200") * 1024 * 1024
CLAIMS_IMPORT_TIME_LIMIT = envint("CLAIMS_IMPORT_TIME_LIMIT", "600")
# Files waiting in CLAIMS_IMPORT_DIR between upload and import: bytes per user
# and in all, and hours before an unconfirmed file is deleted (at each new
# upload, and by `manage.py clean_imports`).
CLAIMS_IMPORT_USER_QUOTA_BYTES = envint("CLAIMS_IMPORT_USER_QUOTA_MB", "100") * 1024 * 1024
CLAIMS_IMPORT_TOTAL_QUOTA_BYTES = envint("CLAIMS_IMPORT_TOTAL_QUOTA_MB", "1000") * 1024 * 1024
CLAIMS_IMPORT_EXPIRY_HOURS = envint("CLAIMS_IMPORT_EXPIRY_HOURS", "24")
# Days a one-time form token (claims.submissions) is kept, then purged by
# `manage.py clean_imports`: a double sending comes within seconds.
FORM_SUBMISSION_KEEP_DAYS = envint("FORM_SUBMISSION_KEEP_DAYS", "7")

# Django's tasks framework, on the database backend (django_tasks_db): the
# web process enqueues a row, `manage.py db_worker` (make run starts one,
# docker compose runs the `worker` service) picks it up. Tests run the same
# worker loop in-process (tests/claims/jobs.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# E-mail (watching/mail.py: notifications at once and the daily digest, sent
# by the worker), in Django 6.1's MAILERS. With DEBUG on, Django's console
# backend prints them unless EMAIL_HOST names an SMTP server; with DEBUG off,
# SMTP to EMAIL_HOST (default localhost), since `check --deploy` refuses a
# console mailer in production. EMAIL_BACKEND overrides either. Read into
# lowercase names: Django 6.1 deprecates the EMAIL_* settings themselves.
_email_host = os.environ.get("EMAIL_HOST", "")
_email_backend = os.environ.get("EMAIL_BACKEND", "") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if _email_host or not DEBUG
    else "django.core.mail.backends.console.EmailBackend"
)
MAILERS = {"default": {"BACKEND": _email_backend}}
if _email_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": _email_host or "localhost",
        "port": envint("EMAIL_PORT", "25"),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": envbool("EMAIL_USE_TLS", "0"),
        "use_ssl": envbool("EMAIL_USE_SSL", "0"),
        # Seconds an SMTP exchange may block the worker.
        "timeout": envint("EMAIL_TIMEOUT", "30"),
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crosscheck@localhost")
# The hour (0-23, in TIME_ZONE) the worker sends the daily digests.
NOTIFICATIONS_DIGEST_HOUR = envint("NOTIFICATIONS_DIGEST_HOUR", "7")
if not 0 <= NOTIFICATIONS_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("NOTIFICATIONS_DIGEST_HOUR is an hour of the day, 0 to 23.")
