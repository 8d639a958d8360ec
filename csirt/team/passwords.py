"""The password rule of every member account, and the signal that a member's access changed.

Auth sits above the team: it reads these and connects `access_revoked` (in the factory) to end
the member's sessions, so the team's services never import auth.
"""
from blinker import Namespace

from ..catalogue import gettext as _

MIN_PASSWORD = 10
MAX_PASSWORD = 256

_signals = Namespace()
# Sent with the user whose sessions must end (disabled, password reset); receivers act in the
# sender's transaction.
access_revoked = _signals.signal("access-revoked")


def password_problem(password, username=""):
    """What is wrong with `password` as a new password, or None."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return _("At least %(n)d characters.", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("At most %(n)d characters.", n=MAX_PASSWORD)
    if username and password.lower() == username.lower():
        return _("The password must differ from the user name.")
    return None
