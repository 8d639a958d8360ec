"""What this build is: its version, shown by /healthz, the OpenAPI document and backups."""
import os

__version__ = "0.1.0"


def version():
    """The version of the running app (`CSIRT_VERSION` overrides it, e.g. a git describe)."""
    return os.environ.get("CSIRT_VERSION", __version__)
