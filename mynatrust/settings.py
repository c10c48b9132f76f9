"""MynaTrust e-LOA settings: one module, driven by the environment (see .env.example)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from mynatrust.db import POSTGRESQL, is_postgresql
from mynatrust.lib import environment

BASE_DIR = Path(__file__).resolve().parent.parent

env = environment.Env()
environment.Env.read_env(BASE_DIR / ".env")

# "production" turns on every deploy-time safeguard and refuses to start with missing secrets;
# "demo" is the embedded default (SQLite, demo data, test PKI).
PRODUCTION = env.bool("MYNATRUST_PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False)


def _required(name: str) -> str:
    """A variable production does not start without: refused in words an operator can act on."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"本番環境（MYNATRUST_PRODUCTION=true）では環境変数 {name} が必要です。"
            "設定してから起動してください（各変数の意味は .env.example にあります）。"
        )
    return value


if PRODUCTION:
    for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
        _required(_name)
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    SECRET_KEY = env.str("SECRET_KEY", default="demo-only-secret-key-not-for-production-use-0123456789")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}

_db = DATABASES["default"]
_db.setdefault("OPTIONS", {})
if is_postgresql(_db):
    # Django's backend with a health check that polls the socket instead of a SELECT 1 round trip
    # (mynatrust/db/postgresql/base.py).
    _db["ENGINE"] = POSTGRESQL
    # Persistent connections; pooling is left to PgBouncer in front when hosts multiply.
    _db.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("ATOMIC_REQUESTS", False)
    # Prepared statements, for the few statements that ask for them (audit.record_reading: the
    # validity answer): planned once per connection instead of at every request. Django's own
    # queries bind their parameters in the client and are never prepared. Off behind a pooler that
    # cannot keep prepared statements (PgBouncer before 1.21 in transaction mode).
    _db["OPTIONS"].setdefault("prepare_threshold", 5 if env.bool("DB_PREPARED_STATEMENTS", default=True) else None)
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    if str(_db["NAME"]) not in ("", ":memory:") and not str(_db["NAME"]).startswith("file:"):
        # A fresh checkout has no var/ yet: SQLite cannot create a file in a missing directory, and
        # any command that touches the database (makemigrations --check included) would fail.
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    _db["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;")

INSTALLED_APPS = [
    "mynatrust.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "mynatrust",
    "audit",
    "registry",
    "delegations",
    "validity",
]

MIDDLEWARE = [
    "mynatrust.middleware.ApiStackMiddleware",  # programs' API requests: API_MIDDLEWARE instead of what follows
    "django.middleware.security.SecurityMiddleware",
    "mynatrust.middleware.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mynatrust.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mynatrust.middleware.LocaleMiddleware",
    "mynatrust.middleware.RequestSizeLimitMiddleware",
    "mynatrust.middleware.NulInPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mynatrust.middleware.PrivateCacheMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "mynatrust.middleware.ErrorPageMiddleware",
]
# Requests under /api/ with an Authorization header (programs, authenticated by their key on each
# request): the layers of MIDDLEWARE that apply to them, in the same order (ApiStackMiddleware).
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mynatrust.middleware.RequestContextMiddleware",
    "mynatrust.middleware.ContentSecurityPolicyMiddleware",
    "mynatrust.middleware.LocaleMiddleware",
    "mynatrust.middleware.RequestSizeLimitMiddleware",
    "mynatrust.middleware.NulInPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mynatrust.middleware.ErrorPageMiddleware",
]

ROOT_URLCONF = "mynatrust.urls"
WSGI_APPLICATION = "mynatrust.wsgi.application"
AUTH_USER_MODEL = "mynatrust.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mynatrust.context_processors.service",
                "mynatrust.repository.context_processors.banners",
            ],
        },
    },
]

# Form fields are drawn by templates/forms/field.html: a Japanese label takes no colon, and a form
# that asks for it marks each field 必須 or 任意.
FORM_RENDERER = "mynatrust.forms.FormRenderer"

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend on the canonical address, with the per-account failure counter.
    "mynatrust.lockout.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "registry:login"
LOGIN_REDIRECT_URL = "registry:home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Sign-up confirmation links stay valid for this many seconds.
EMAIL_CONFIRMATION_TIMEOUT = env.int("EMAIL_CONFIRMATION_TIMEOUT", default=60 * 60 * 24 * 3)

# Lockout after repeated failures (django-axes): per account and client address together, so one
# attacker cannot lock everybody out, and the client address is the one the trusted proxy saw.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Failures are counted per canonical address (NFKC, case folded): no spelling gets fresh tries.
AXES_USERNAME_CALLABLE = "mynatrust.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "mynatrust.lib.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "errors/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Beside django-axes: failures per account whatever the client address, counted in the shared cache
# (mynatrust/lockout.py). This many within AXES_COOLOFF_MINUTES of the first refuse every sign-in to
# the account until then, so guesses spread over many addresses stay few.
ACCOUNT_FAILURE_LIMIT = env.int("ACCOUNT_FAILURE_LIMIT", default=20)
# Mails visitors and members cause ("<count>/<seconds>", mynatrust/mail_limits.py): per target
# address and kind of mail (sign-up, reset, invitation …), per signed-in account, per client address.
MAIL_RATE_PER_ADDRESS = env.str("MAIL_RATE_PER_ADDRESS", default="5/3600")
MAIL_RATE_PER_ACCOUNT = env.str("MAIL_RATE_PER_ACCOUNT", default="30/3600")
MAIL_RATE_PER_CLIENT = env.str("MAIL_RATE_PER_CLIENT", default="30/3600")
# Number of reverse proxies in front of the app that append to X-Forwarded-For (0: none).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if PRODUCTION else 0)

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="MynaTrust e-LOA")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ja"
# Japanese input formats for dates and times (2027/01/01, 2027年1月1日), beside Django's.
FORMAT_MODULE_PATH = ["mynatrust.formats"]
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
# collectstatic target in production; elsewhere whitenoise serves straight from the finders.
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")) if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
CSRF_FAILURE_VIEW = "mynatrust.views.csrf_failure"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_HOST = env.str("SECURE_SSL_HOST", default=None)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Request bodies: a whole upload (signed PDF, registry evidence) may not exceed this many bytes.
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Days the link mailed to an agent (the acceptance to sign) stays valid.
ACCEPTANCE_LINK_DAYS = env.int("ACCEPTANCE_LINK_DAYS", default=30)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- Cache (rate limits); Redis in production, the database elsewhere -------------------------
if PRODUCTION:
    CACHES = {"default": env.cache_url("CACHE_URL", default="rediscache://127.0.0.1:6379/0")}
else:
    CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://mynatrust_cache")}
# The cache that holds every rate-limit and lockout counter (mynatrust.ratelimit); the older name
# VALIDITY_RATE_LIMIT_CACHE is still read.
RATE_LIMIT_CACHE = env.str("RATE_LIMIT_CACHE", default=env.str("VALIDITY_RATE_LIMIT_CACHE", default="default"))
# django-environ leaves ``?key_prefix=…&timeout=…&version=…`` in lower case, where Django never reads
# them: two deployments sharing one Redis database would share their rate-limit counters.
for _cache in CACHES.values():
    for _name in ("key_prefix", "timeout", "version"):
        if _name in _cache:
            _cache[_name.upper()] = _cache.pop(_name)

# --- E-mail ---------------------------------------------------------------------------------
_smtp = env.bool("EMAIL_SMTP", default=PRODUCTION)
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend"
        if _smtp
        else "mynatrust.lib.mail.ReadableConsoleBackend",
        "OPTIONS": {
            "host": env.str("EMAIL_HOST", default="localhost"),
            "port": env.int("EMAIL_PORT", default=587),
            "username": env.str("EMAIL_HOST_USER", default=""),
            "password": env.str("EMAIL_HOST_PASSWORD", default=""),
            "use_tls": env.bool("EMAIL_USE_TLS", default=True),
            "timeout": 10,
        }
        if _smtp
        else {},
    }
}
# Mail to everyone concerned (announcements, notices) and recipients' end notices leave from the outbox worker
# (manage.py send_mail_outbox --loop): messages per SMTP connection, and tries before a message is
# given up (1, 2, 4 … minutes apart, at most an hour).
MAIL_OUTBOX_BATCH_SIZE = env.int("MAIL_OUTBOX_BATCH_SIZE", default=200)
MAIL_OUTBOX_MAX_ATTEMPTS = env.int("MAIL_OUTBOX_MAX_ATTEMPTS", default=8)
# Seconds a decision's notice, tried inside the request once the decision has committed, waits at
# most for the mail server to connect and to answer (the worker keeps the "timeout" above). A try that
# finds the server unreachable makes every host leave the notices to the worker for
# MAIL_UNREACHABLE_PAUSE seconds (a mark in the shared cache; a worker pass that sends ends it sooner).
MAIL_AT_ONCE_TIMEOUT = env.float("MAIL_AT_ONCE_TIMEOUT", default=3.0)
MAIL_UNREACHABLE_PAUSE = env.int("MAIL_UNREACHABLE_PAUSE", default=60)
# /healthz warns (mail_outbox) when a message has waited longer than this to be sent.
MAIL_OUTBOX_STALE_MINUTES = env.int("MAIL_OUTBOX_STALE_MINUTES", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="MynaTrust e-LOA <no-reply@mynatrust.example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Service identity (§1.2) and contact point (§1.3): settings, never literals --------------
SERVICE_NAME = env.str("SERVICE_NAME", default="MynaTrust e-LOA")
# The formal names of §1.2: the service and the company that operates it (当社).
SERVICE_FORMAL_NAME = env.str("SERVICE_FORMAL_NAME", default="マイナトラスト電子委任状〔委任者記録ファイル方式〕")
OPERATOR_NAME = env.str("OPERATOR_NAME", default="株式会社サイバーリンクス")
OPERATOR_NAME_EN = env.str("OPERATOR_NAME_EN", default="Cyber Links Co.,Ltd.")
# The inquiry desk of §1.3, shown on every public page, the error pages and every mail.
CONTACT_DESK = env.str("CONTACT_DESK", default="第3のトラスト事業室")
CONTACT_ADDRESS = env.str("CONTACT_ADDRESS", default="和歌山県和歌山市紀三井寺849番地の3")
CONTACT_PHONE = env.str("CONTACT_PHONE", default="073-488-3787")
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="")
# Reception hours on business days (weekdays except public holidays and the year-end holidays).
CONTACT_HOURS = env.str("CONTACT_HOURS", default="9:00–12:00, 13:00–17:00")
SERVICE_BASE_URL = env.str("SERVICE_BASE_URL", default="http://127.0.0.1:8000")
SERVICE_POLICY_URL = env.str("SERVICE_POLICY_URL", default=f"{SERVICE_BASE_URL}/repository/")
OPERATOR_POLICY_OID = env.str("OPERATOR_POLICY_OID", default="0.2.440.200320")
SERVICE_OID = env.str("SERVICE_OID", default="0.2.440.200320.3.1")
SERVICE_POLICY_OID = env.str("SERVICE_POLICY_OID", default="0.2.440.200320.3.1.1.1")
ADMIN_PATH = env.str("ADMIN_PATH", default="staff-admin/").strip("/") + "/"
# Hours a staff invitation (appointment or second-factor reset) link stays valid; used once.
STAFF_INVITATION_HOURS = env.int("STAFF_INVITATION_HOURS", default=24)
# An appointment or change of role needs a suitability check (§7.2.2) recorded at most this many
# days before it, for that person and that role.
STAFF_SUITABILITY_MAX_AGE_DAYS = env.int("STAFF_SUITABILITY_MAX_AGE_DAYS", default=90)
# Minutes an accepted invitation lets its browser session enrol a second factor.
STAFF_ENROLMENT_MINUTES = env.int("STAFF_ENROLMENT_MINUTES", default=30)

# Passkeys (WebAuthn, django-otp-webauthn) as a staff member's second factor beside TOTP. A passkey
# is bound to one domain, the relying party: the host of SERVICE_BASE_URL (an IP address cannot be
# one, so a loopback address stands for "localhost"), used from the origins listed. Only after the
# password (no passwordless sign-in): the lockout counts every sign-in the same way.
_service = urlsplit(SERVICE_BASE_URL)
_rp_host = "localhost" if _service.hostname in ("127.0.0.1", "::1") else (_service.hostname or "localhost")
OTP_WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default=_rp_host)
OTP_WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="MynaTrust e-LOA")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ORIGINS",
    default=[f"{_service.scheme}://{OTP_WEBAUTHN_RP_ID}" + (f":{_service.port}" if _service.port else "")],
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "mynatrust.passkeys.PasskeyHelper"
# Refusals are audit events (mynatrust.passkeys); the library's own traceback logging stays off.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""

# The demo (test PKI, demo-only helpers such as test-card signing) is never on in production.
DEMO_MODE = env.bool("DEMO_MODE", default=not PRODUCTION)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A refused request is one line without a traceback (mynatrust.lib.log_filters.PlainRefusal).
    "filters": {"plain_refusal": {"()": "mynatrust.lib.log_filters.PlainRefusal"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # pyHanko logs a full traceback for every failed validation; the report carries the reason.
        "pyhanko": {"level": "CRITICAL"},
        "pyhanko_certvalidator": {"level": "CRITICAL"},
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["plain_refusal"]},
    },
}

# --- Staff workspace (the admin's home) --------------------------------------------------------
# Days the oldest item of a work queue may wait before the queue is shown as overdue, per queue
# (mynatrust/dashboard.py lists the keys); queues not named here use 3 days.
STAFF_QUEUE_OVERDUE_DAYS = {
    "subscriber_review": 5,
    "delegation_reception": 2,
    "qualification_check": 5,
    "recipient_review": 5,
    "revocation_request": 1,
    "anchor_change": 3,
    "document_approval": 7,
    "staff_enrolment": 3,
    # §6.3.2: 速やかに.
    "ministry_report": 1,
    "procedure_review": 30,
    # §2.6.1: at least yearly.
    "internal_audit": 365,
    "audit_unsealed": 1,
} | {key: int(days) for key, days in env.dict("STAFF_QUEUE_OVERDUE_DAYS", default={}).items()}

# --- Registry: subscribers, contracts, corporate-number data (registry/) ----------------------
# Version of the terms of use (利用約款) an applicant accepts; recorded with each application.
REGISTRY_TERMS_VERSION = env.str("REGISTRY_TERMS_VERSION", default="2026-04-01")
# Contract term in months (§10.2.1: yearly by default) and how many days before its end the
# subscriber is reminded and may renew.
REGISTRY_CONTRACT_TERM_MONTHS = env.int("REGISTRY_CONTRACT_TERM_MONTHS", default=12)
REGISTRY_RENEWAL_REMINDER_DAYS = env.int("REGISTRY_RENEWAL_REMINDER_DAYS", default=60)
# Application records are kept this many years after the contract ends (§6.2.9: at least 10).
REGISTRY_RETENTION_YEARS = env.int("REGISTRY_RETENTION_YEARS", default=10)
# A registry certificate (登記事項証明書) must have been issued within this many days.
REGISTRY_EVIDENCE_MAX_AGE_DAYS = env.int("REGISTRY_EVIDENCE_MAX_AGE_DAYS", default=92)
# How long an application's confirmation page stays good (入力 → 確認 → 完了): its signed token and
# the evidence file held for it (registry.StagedEvidence) expire together.
REGISTRY_CONFIRMATION_SECONDS = env.int("REGISTRY_CONFIRMATION_SECONDS", default=30 * 60)
# The registry certificate is shown to reception as page images drawn by poppler's pdftoppm
# (Debian poppler-utils) in a bounded child process: at most this many pages, the longer side of
# each image this many pixels; later pages are read in the PDF itself.
REGISTRY_EVIDENCE_PREVIEW_PAGES = env.int("REGISTRY_EVIDENCE_PREVIEW_PAGES", default=10)
REGISTRY_EVIDENCE_PREVIEW_SIZE = env.int("REGISTRY_EVIDENCE_PREVIEW_SIZE", default=1600)
# Hours a colleague's invitation link stays valid.
REGISTRY_INVITATION_HOURS = env.int("REGISTRY_INVITATION_HOURS", default=72)
# National Tax Agency corporate-number Web-API (法人番号システム Web-API). Empty application ID: the
# service uses only the imported table (manage.py import_corporate_numbers).
NTA_API_URL = env.str("NTA_API_URL", default="https://api.houjin-bangou.nta.go.jp/4")
NTA_APPLICATION_ID = env.str("NTA_APPLICATION_ID", default="")
NTA_API_TIMEOUT = env.float("NTA_API_TIMEOUT", default=5.0)

# --- Signatures: JPKI verification, trust anchors, revocation (docs/architecture.md §4) ---------
# Where revocation status comes from: "crl" (CRLs imported with `manage.py crl import`),
# "ocsp" (RFC 6960 responder at SIGNATURE_OCSP_URL) or "provider" (a platform provider's API).
SIGNATURE_REVOCATION_SOURCE = env.str("SIGNATURE_REVOCATION_SOURCE", default="crl")
SIGNATURE_OCSP_URL = env.str("SIGNATURE_OCSP_URL", default="")
SIGNATURE_PROVIDER_URL = env.str("SIGNATURE_PROVIDER_URL", default="")
SIGNATURE_PROVIDER_TOKEN = env.str("SIGNATURE_PROVIDER_TOKEN", default="")
SIGNATURE_REVOCATION_TIMEOUT = env.float("SIGNATURE_REVOCATION_TIMEOUT", default=5.0)
# SHA-256 fingerprints J-LIS publishes for its signing CA certificates (generations 01, 02, 03);
# an installed anchor shows whether it matches one. A new generation is a settings change, not code.
JLIS_SIGN_CA_FINGERPRINTS = env.list(
    "JLIS_SIGN_CA_FINGERPRINTS",
    default=[
        "19645405A1FE14377434BD55957628AC4038557C542403A2243F21C706FC9355",
        "79679C33E4CC9319440F1AD120A597FF1844E2EF217063ADB176966FD5E6FBEB",
        "D227F6CDE11D35C5252178F106F843D24651944975413B539FA2FB68DBFA365F",
    ],
)
# The demo's generated test PKI (keys included): never used in production (delegations.E001).
SIGNATURE_TEST_PKI_DIR = env.str("SIGNATURE_TEST_PKI_DIR", default=str(BASE_DIR / "var" / "testpki"))

# Periodic confirmation of registered delegations by the subscriber (§4.3): the interval between
# confirmations, the days before the due date when the first mail goes, and the days after it when
# an unconfirmed delegation joins reception's follow-up queue (after the reminder mail).
DELEGATION_CONFIRMATION_INTERVAL_DAYS = env.int("DELEGATION_CONFIRMATION_INTERVAL_DAYS", default=365)
DELEGATION_CONFIRMATION_NOTICE_DAYS = env.int("DELEGATION_CONFIRMATION_NOTICE_DAYS", default=30)
DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS = env.int("DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS", default=14)
# Days before a delegation's period ends when its subscriber's members are reminded, once per end
# date (`manage.py delegation_end_reminders`, run daily).
DELEGATION_END_REMINDER_DAYS = env.int("DELEGATION_END_REMINDER_DAYS", default=30)
# Days before a draft nobody saves (retention kind delegations.idle_draft) is deleted when its
# subscriber's members are told, once per idle period; the draft is deleted no earlier than this
# many days after the notice (`manage.py apply_retention`, docs/retention.md).
DELEGATION_IDLE_DRAFT_NOTICE_DAYS = env.int("DELEGATION_IDLE_DRAFT_NOTICE_DAYS", default=14)

# --- Validity: recipients, the validity API and form, signed answers (validity/) -------------
# Recipient registrations wait for reception's approval (§5.2); off: approved on registration.
VALIDITY_RECIPIENT_APPROVAL_REQUIRED = env.bool("VALIDITY_RECIPIENT_APPROVAL_REQUIRED", default=True)
# Private key (P-256 PEM) that signs answers (ES256). Required in production (check validity.E001).
VALIDITY_SIGNING_KEY_FILE = env.str(
    "VALIDITY_SIGNING_KEY_FILE", default="" if PRODUCTION else str(BASE_DIR / "var" / "validity-signing-key.pem")
)
# Earlier keys (PEM, public or private) still published in /.well-known/jwks.json after a rotation.
VALIDITY_PUBLISHED_KEY_FILES = env.list("VALIDITY_PUBLISHED_KEY_FILES", default=[])
# Rate limits "<count>/<seconds>": per API key, per client address on the API, per signed-in
# recipient on the form, per address for anonymous form queries; unknown IDs per organisation
# before a penalty of VALIDITY_UNKNOWN_PENALTY_SECONDS (and an alert in the audit log).
VALIDITY_RATE_PER_KEY = env.str("VALIDITY_RATE_PER_KEY", default="600/60")
VALIDITY_RATE_PER_IP = env.str("VALIDITY_RATE_PER_IP", default="1200/60")
VALIDITY_RATE_FORM = env.str("VALIDITY_RATE_FORM", default="60/60")
VALIDITY_RATE_ANONYMOUS = env.str("VALIDITY_RATE_ANONYMOUS", default="10/600")
VALIDITY_UNKNOWN_LIMIT = env.str("VALIDITY_UNKNOWN_LIMIT", default="30/600")
VALIDITY_UNKNOWN_PENALTY_SECONDS = env.int("VALIDITY_UNKNOWN_PENALTY_SECONDS", default=900)
# Anonymous queries through the form (status word only, VALIDITY_RATE_ANONYMOUS). Off by default.
VALIDITY_ANONYMOUS_QUERIES = env.bool("VALIDITY_ANONYMOUS_QUERIES", default=False)
# Live API keys an organisation may hold, and how often (seconds) a key's last-used time is written.
VALIDITY_MAX_API_KEYS = env.int("VALIDITY_MAX_API_KEYS", default=10)
VALIDITY_LAST_USED_RESOLUTION = env.int("VALIDITY_LAST_USED_RESOLUTION", default=60)
# Mails to a recipient organisation that kept a check of a delegation later revoked or superseded
# (validity/notices.py), "<count>/<seconds>" per organisation; beyond it none is sent (audited).
VALIDITY_END_NOTICE_RATE = env.str("VALIDITY_END_NOTICE_RATE", default="20/3600")
# Seconds a worker keeps a key's row (every answer confirms it in the database, see validity.auth).
VALIDITY_KEY_CACHE_SECONDS = env.int("VALIDITY_KEY_CACHE_SECONDS", default=30)

# --- Repository, notices, operations ledgers, retention, monitoring -----------------------------
# (mynatrust/repository/, mynatrust/operations/; docs/runbook.md, docs/retention.md)
# Request metrics wrap everything; the terms-of-use check needs the signed-in user.
MIDDLEWARE = [
    "mynatrust.operations.metrics.RequestMetricsMiddleware",
    *MIDDLEWARE,
    "mynatrust.repository.middleware.TermsAcceptanceMiddleware",
]
# Where the repository links to (paths served by other apps).
REPOSITORY_API_DOCS_PATH = env.str("REPOSITORY_API_DOCS_PATH", default="/api/")
REPOSITORY_JWKS_PATH = env.str("REPOSITORY_JWKS_PATH", default="/.well-known/jwks.json")
REPOSITORY_AUDIT_KEY_PATH = env.str("REPOSITORY_AUDIT_KEY_PATH", default="/.well-known/audit-checkpoint-key.pem")
# Bearer token that lets Prometheus read /metrics without an admin session; empty: maintenance role only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Retention periods (§6.2.9, §2.8(10)): record kind -> "<n>y", "<n>m" or "<n>d", counted from the
# event each kind names (docs/retention.md). Override single kinds with
# RETENTION_PERIODS="operations.entry_exit=5y,sessions.expired=7d". `manage.py apply_retention`.
RETENTION_PERIODS = {
    # Application records (§6.2.9): 10 years after the contract ends (terminated or lapsed), a rejected
    # application 10 years after its receipt (registry/ registers the handler).
    "registry.application": "10y",
    # An application's evidence file held between its confirmation page and its final button: deleted
    # once the confirmation has expired (REGISTRY_CONFIRMATION_SECONDS), never kept (registry/).
    "registry.staged_evidence": "0d",
    # Invitations to join a subscriber or a recipient organisation: an ended one (accepted, withdrawn,
    # or expired unanswered) is no longer needed, the audit log keeps who invited whom and who joined
    # (§2.8(10)); deleted 30 days after it ended. An open invitation is never touched (registry/, validity/).
    "registry.ended_invitation": "30d",
    "validity.ended_invitation": "30d",
    # Delegations are registered on the subscriber's application (§4.1.5), so §6.2.9 keeps them like
    # application records: 10 years after their period ends (or after they stop, if later), a rejected
    # one 10 years after its receipt; then their personal data is erased (§2.8(10)). The signed files
    # and the certificate data kept with them (§4.1.5) follow the delegation (delegations/).
    "delegations.delegation": "10y",
    "delegations.signed_file": "10y",
    "delegations.agent_certificate": "10y",
    # A draft never finalised is not signed and not a registered record: one nobody has saved for 6
    # months is no longer needed and is deleted whole (§2.8(10)); nothing past the draft is touched.
    "delegations.idle_draft": "6m",
    # Recipient registrations (§5.2) are applications too: 10 years after the registration ends
    # (suspended or rejected; rejected counted from its receipt) (validity/).
    "validity.recipient_organisation": "10y",
    # The audit log: 10 years; archived and pruned by `manage.py audit_archive --prune`.
    "audit.event": "10y",
    # Access records: sign-ins and failed sign-ins 3 years; lockout counters 6 months.
    "access.login_log": "3y",
    "access.login_failures": "3y",
    "access.lockout_counters": "6m",
    # Personal data no longer needed: sessions once expired, sign-ups never confirmed after 30 days.
    "sessions.expired": "0d",
    "accounts.unconfirmed_signup": "30d",
    # A recipient's kept check results (its copy; the query itself is in the audit log): 3 years.
    "validity.check_result": "3y",
    # Public notices: 10 years after they leave the banner.
    "repository.notice": "10y",
    # Operations ledgers, from the day of the entry (the newest entry of a corrected chain).
    "operations.entry_exit": "3y",
    "operations.rack_key": "3y",
    "operations.admin_password": "3y",
    "operations.maintenance": "5y",
    "operations.configuration_change": "10y",
    "operations.incident": "10y",
    "operations.meeting": "5y",
    "operations.suitability": "10y",
    "operations.internal_audit": "10y",
    # Inquiries (§10.2.1): the service's choice, as long as the access records; disclosures of
    # confidential information (§2.7.2–§2.7.4): 10 years; media in, out and disposed (§7.1.5, §7.1.6,
    # records of the equipment's upkeep, §6.2.9): 3 years.
    "operations.inquiry": "3y",
    "operations.disclosure": "10y",
    "operations.media": "3y",
    # The mail outbox: a mail whose sending is over (every address sent or given up), with its
    # addresses and text, 90 days after it finished (mynatrust/outbox/retention.py). No record of
    # §6.2.9: the audit log keeps the decision it told and the mail.* events, so afterwards it is
    # personal data no longer needed (§2.8(10)). Never shorter than VALIDITY_END_NOTICE_RATE's
    # window, whose limit counts the end notices in the outbox (validity.E003).
    "mail.outbox": "90d",
} | env.dict("RETENTION_PERIODS", default={})

# --- Audit log (§6.2) -------------------------------------------------------------------------
# Ed25519 private key (PKCS#8 PEM) that signs checkpoints, kept outside the database (mounted from
# the secret store). Required in production (system check audit.E001); elsewhere generated on first use.
AUDIT_CHECKPOINT_KEY_PATH = env.str(
    "AUDIT_CHECKPOINT_KEY_PATH", default="" if PRODUCTION else str(BASE_DIR / "var" / "audit-checkpoint-ed25519.pem")
)
# The last head the sequencer signed, kept outside the database (default: beside the key, with
# ".head" appended). The sequencer signs only heads that extend it; audit_verify checks the chain
# runs through it. Keep it on the same protected volume as the key, never in the database's backups.
AUDIT_HEAD_STATE_PATH = env.str("AUDIT_HEAD_STATE_PATH", default="")
# Witnesses whose cosignatures the service accepts (PEM public keys of their Ed25519 keys), and, for
# `manage.py audit_witness` run on the witness's host, its own private key and last cosigned head.
AUDIT_WITNESS_PUBLIC_KEYS = env.list("AUDIT_WITNESS_PUBLIC_KEYS", default=[])
AUDIT_WITNESS_KEY_PATH = env.str(
    "AUDIT_WITNESS_KEY_PATH", default="" if PRODUCTION else str(BASE_DIR / "var" / "audit-witness-ed25519.pem")
)
AUDIT_WITNESS_STATE_PATH = env.str("AUDIT_WITNESS_STATE_PATH", default="")
# Public keys (PEM files) of retired checkpoint keys, so checkpoints signed before a rotation still verify.
AUDIT_CHECKPOINT_PUBLIC_KEYS = env.list("AUDIT_CHECKPOINT_PUBLIC_KEYS", default=[])
# A checkpoint is signed every N sealed entries or every T seconds, whichever comes first.
AUDIT_CHECKPOINT_EVERY = env.int("AUDIT_CHECKPOINT_EVERY", default=1000)
AUDIT_CHECKPOINT_SECONDS = env.int("AUDIT_CHECKPOINT_SECONDS", default=60)
# Who seals events after commit: "thread" (a background thread per process), "inline" (the
# committing thread, after its response is decided), "off" (only `manage.py audit_seal --loop`).
AUDIT_SEALER = env.str("AUDIT_SEALER", default="thread")
AUDIT_SEAL_BATCH = env.int("AUDIT_SEAL_BATCH", default=5000)
# Where audit_archive writes segment files for the 10-year media, and how long rows stay online:
# at least 6 weeks (§6.2.3); 3 years by default so the operation log stays searchable in the admin
# for the period §8.1 asks (a shorter period is a warning, audit.W001).
AUDIT_ARCHIVE_DIR = env.str("AUDIT_ARCHIVE_DIR", default=str(BASE_DIR / "var" / "audit-archive"))
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=1096)
# An event left unsealed longer than this fails audit_verify and turns /healthz red (the sequencer
# is down, or after a restore onto another server it no longer finds new events).
AUDIT_UNSEALED_MAX_SECONDS = env.int("AUDIT_UNSEALED_MAX_SECONDS", default=600)
