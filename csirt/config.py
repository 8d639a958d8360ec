"""Configuration from environment variables, with an embedded SQLite default.

Every variable is documented in README.md ("Configuration").
"""
import os
import sys
from pathlib import Path

DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production (create_app)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def resource_dir(name):
    """`templates`, `migrations` or `playbooks`: beside the package in a checkout (editable install), else where
    a wheel put them (<prefix>/share/csirt/<name>)."""
    beside = PROJECT_ROOT / name
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "csirt" / name


def _env_int(name, default):
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Read once when the app is created, so tests can set the environment first."""

    def __init__(self):
        instance = Path(os.environ.get("CSIRT_INSTANCE_PATH", PROJECT_ROOT / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.CSIRT_ENV = os.environ.get("CSIRT_ENV", "development")
        self.SECRET_KEY = os.environ.get("CSIRT_SECRET_KEY", DEV_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "CSIRT_DATABASE_URL", f"sqlite:///{instance / 'csirt.sqlite'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.UPLOAD_FOLDER = os.environ.get("CSIRT_UPLOAD_FOLDER", str(instance / "evidence"))
        # Whole-request cap: Flask answers 413 beyond it.
        self.MAX_CONTENT_LENGTH = _env_int("CSIRT_MAX_UPLOAD_MB", 50) * 1024 * 1024
        self.MAX_FORM_PARTS = 50
        self.CSIRT_TIMEZONE = os.environ.get("CSIRT_TIMEZONE", "Asia/Ho_Chi_Minh")
        self.BABEL_DEFAULT_TIMEZONE = self.CSIRT_TIMEZONE
        self.BABEL_DEFAULT_LOCALE = os.environ.get("CSIRT_DEFAULT_LOCALE", "vi")
        self.CSIRT_LOCALES = ("vi", "en")
        self.CSIRT_REF_PREFIX = os.environ.get("CSIRT_REF_PREFIX", "LC").strip().upper()
        self.CSIRT_PROVINCE = os.environ.get("CSIRT_PROVINCE", "Lào Cai")
        self.CSIRT_SCHEDULER = _env_bool("CSIRT_SCHEDULER", False)
        # The scheduler lease: held this long, renewed by its holder every heartbeat (csirt/scheduler.py).
        self.CSIRT_SCHEDULER_LEASE_SECONDS = _env_int("CSIRT_SCHEDULER_LEASE_SECONDS", 30)
        self.CSIRT_SCHEDULER_HEARTBEAT_SECONDS = _env_int("CSIRT_SCHEDULER_HEARTBEAT_SECONDS", 10)
        self.CSIRT_LOGIN_MAX_FAILURES = _env_int("CSIRT_LOGIN_MAX_FAILURES", 5)
        self.CSIRT_LOGIN_LOCK_MINUTES = _env_int("CSIRT_LOGIN_LOCK_MINUTES", 15)
        # Login throttling beyond the (user name, address) pair: see csirt/auth/throttle.py.
        self.CSIRT_LOGIN_SLOWDOWN_MAX_SECONDS = _env_int("CSIRT_LOGIN_SLOWDOWN_MAX_SECONDS", 120)
        self.CSIRT_LOGIN_MAX_NAMES_PER_ADDRESS = _env_int("CSIRT_LOGIN_MAX_NAMES_PER_ADDRESS", 20)
        self.CSIRT_LOGIN_KNOWN_DAYS = _env_int("CSIRT_LOGIN_KNOWN_DAYS", 30)
        self.CSIRT_SESSION_HOURS = _env_int("CSIRT_SESSION_HOURS", 12)
        self.CSIRT_PAGE_SIZE = _env_int("CSIRT_PAGE_SIZE", 25)
        # A protection layer is "expiring" this many days before its valid-to date (csirt/systems/compliance.py).
        self.CSIRT_COMPLIANCE_EXPIRING_DAYS = _env_int("CSIRT_COMPLIANCE_EXPIRING_DAYS", 30)
        # A regulatory clock is "due soon" when less than this share of its period is left (csirt/incidents/clocks.py).
        self.CSIRT_CLOCK_SOON_FRACTION = float(os.environ.get("CSIRT_CLOCK_SOON_FRACTION") or 0.25)
        # Alert playbooks (playbooks/README.md): the folder, and how often (seconds) a request may
        # look whether one of its files changed (csirt/alerts/playbooks/registry.py).
        self.CSIRT_PLAYBOOKS_DIR = os.environ.get("CSIRT_PLAYBOOKS_DIR") or str(resource_dir("playbooks"))
        self.CSIRT_PLAYBOOKS_RECHECK_SECONDS = _env_int("CSIRT_PLAYBOOKS_RECHECK_SECONDS", 2)
        # Alert intake: the largest body (bytes), and how long a worker remembers what the inventory
        # says about a host (seconds; 0 = ask the database for every alert): csirt/alerts/context.py.
        self.CSIRT_ALERT_MAX_BYTES = _env_int("CSIRT_ALERT_MAX_BYTES", 2 * 1024 * 1024)
        self.CSIRT_ALERT_HOST_CACHE_SECONDS = _env_int("CSIRT_ALERT_HOST_CACHE_SECONDS", 60)
        # The agency (code) an alert's incident goes to when its host is not in the inventory.
        self.CSIRT_TRIAGE_AGENCY = os.environ.get("CSIRT_TRIAGE_AGENCY", "CSIRT").strip().upper()
        # Notifications (csirt/notify): the outbox's delivery, its channels and the links in messages.
        served = f"http://{os.environ.get('CSIRT_HOST', '127.0.0.1')}:{os.environ.get('CSIRT_PORT', '5000')}"
        self.CSIRT_BASE_URL = os.environ.get("CSIRT_BASE_URL", served).rstrip("/")  # default: where `serve` listens
        self.CSIRT_SMTP_HOST = os.environ.get("CSIRT_SMTP_HOST", "localhost")
        self.CSIRT_SMTP_PORT = _env_int("CSIRT_SMTP_PORT", 25)
        self.CSIRT_SMTP_USER = os.environ.get("CSIRT_SMTP_USER", "")
        self.CSIRT_SMTP_PASSWORD = os.environ.get("CSIRT_SMTP_PASSWORD", "")
        self.CSIRT_SMTP_STARTTLS = _env_bool("CSIRT_SMTP_STARTTLS", False)
        self.CSIRT_SMTP_FROM = os.environ.get("CSIRT_SMTP_FROM", "csirt@localhost")
        self.CSIRT_SMTP_TIMEOUT = _env_int("CSIRT_SMTP_TIMEOUT", 10)
        # CIDRs (comma-separated) that webhooks may reach although private or loopback; metadata never.
        self.CSIRT_WEBHOOK_ALLOWED_NETWORKS = os.environ.get("CSIRT_WEBHOOK_ALLOWED_NETWORKS", "")
        self.CSIRT_WEBHOOK_TIMEOUT_SECONDS = _env_int("CSIRT_WEBHOOK_TIMEOUT_SECONDS", 10)
        self.CSIRT_TELEGRAM_API_BASE = os.environ.get("CSIRT_TELEGRAM_API_BASE", "https://api.telegram.org")
        self.CSIRT_TELEGRAM_BOT_TOKEN = os.environ.get("CSIRT_TELEGRAM_BOT_TOKEN", "")
        # Scheduled checks (csirt/checks): where they may reach, how much at once, how long kept.
        self.CSIRT_SCAN_ALLOWED_NETWORKS = os.environ.get("CSIRT_SCAN_ALLOWED_NETWORKS", "127.0.0.0/8, ::1/128")
        self.CSIRT_SCAN_MAX_CIDR_HOSTS = _env_int("CSIRT_SCAN_MAX_CIDR_HOSTS", 256)
        self.CSIRT_NMAP_PATH = os.environ.get("CSIRT_NMAP_PATH", "nmap")
        self.CSIRT_CHECK_CONCURRENCY = _env_int("CSIRT_CHECK_CONCURRENCY", 4)  # kinds/batches run at once
        self.CSIRT_CHECK_BATCH = _env_int("CSIRT_CHECK_BATCH", 500)  # work items claimed per tick
        self.CSIRT_CHECK_RETENTION_DAYS = _env_int("CSIRT_CHECK_RETENTION_DAYS", 90)  # state changes kept
        self.CSIRT_HEARTBEAT_MAX_SKEW_SECONDS = _env_int("CSIRT_HEARTBEAT_MAX_SKEW_SECONDS", 300)
        # An extra CA file (PEM) the TLS checks trust besides the system store (a province's own CA).
        self.CSIRT_TLS_CA_FILE = os.environ.get("CSIRT_TLS_CA_FILE", "")
        self.CSIRT_NOTIFY_MAX_ATTEMPTS = _env_int("CSIRT_NOTIFY_MAX_ATTEMPTS", 8)
        self.CSIRT_NOTIFY_POLL_SECONDS = _env_int("CSIRT_NOTIFY_POLL_SECONDS", 10)
        self.CSIRT_NOTIFY_CLAIM_SECONDS = _env_int("CSIRT_NOTIFY_CLAIM_SECONDS", 120)
        self.CSIRT_ACK_LINK_HOURS = _env_int("CSIRT_ACK_LINK_HOURS", 24)
        # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto; 0 = none.
        # Only then is the client address in the audit log the real one. Never set it without a proxy:
        # clients could then forge their address.
        self.CSIRT_PROXY_COUNT = _env_int("CSIRT_PROXY_COUNT", 0)
        production = self.CSIRT_ENV == "production"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = production
        self.SESSION_COOKIE_NAME = "csirt_session"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = production
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session, which expires itself
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False
        self.JSON_SORT_KEYS = False


class TestConfig(Config):
    """Configuration for the test suite: a database URL given by the tests."""

    __test__ = False  # not a pytest test class

    def __init__(self, database_url, instance_path):
        os.environ.setdefault("CSIRT_INSTANCE_PATH", str(instance_path))
        super().__init__()
        self.INSTANCE_PATH = str(instance_path)
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.UPLOAD_FOLDER = str(Path(instance_path) / "evidence")
        self.MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB, so the 413 test is cheap
        self.CSIRT_SCHEDULER = False
        self.CSIRT_ALERT_HOST_CACHE_SECONDS = 0  # the tests change the inventory between alerts
