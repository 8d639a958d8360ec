"""The cookie session, left out of the JSON API.

The API authenticates by bearer token only and never reads or writes the browser's session, so
its requests neither decode nor sign the session cookie (a tenth of the cost of a small API call
went there) and its answers never set one. A session cookie sent to /api/ is simply not read: a
cookie alone still gets 401, as before.
"""
from flask import request
from flask.sessions import SecureCookieSessionInterface

API_PREFIX = "/api/"


def _is_api():
    return request.path.startswith(API_PREFIX)


class SessionOutsideApi(SecureCookieSessionInterface):
    """Flask's signed cookie session for the pages; an empty, unsaved one under /api/."""

    def open_session(self, app, request):
        if request.path.startswith(API_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if _is_api():
            return
        super().save_session(app, session, response)
