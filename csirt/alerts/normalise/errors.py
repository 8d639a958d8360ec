"""The one error every normaliser raises: which part of the payload is wrong, and why."""
from ...catalogue import lazy_gettext as _l
from ...errors import ValidationError


class BadAlert(ValidationError):
    """The payload cannot become a canonical alert. `path` names the part that is wrong the way a
    sender reads its own JSON ("alerts[3].labels.team", "rule.level", "[2].title"; "" for the
    payload as a whole); `reason` is the translatable message (missing field, wrong type, bad
    value, too long). A ValidationError, so the app's one error mapping answers 400 with
    `errors = {path: reason}` ("body" for the whole payload) even where the API does not map it
    itself; the lazy strings are translated when the response is written."""

    def __init__(self, path, message):
        self.path = path
        self.reason = message
        text = _l("%(path)s: %(message)s", path=path, message=message) if path else message
        super().__init__(text, errors={path or "body": message}, field=path or None)

    def __str__(self):
        return str(self.message)

    def __repr__(self):
        return f"BadAlert({self.path!r}, {str(self.reason)!r})"
