"""POST /api/v1/heartbeats: a server's script reports its agent and antivirus (scope
heartbeats:write; the token must have been granted the server it names).

The body is small: beyond MAX_BYTES (announced or streamed) the answer is 413 before anything
is parsed. 200 with {"server", "server_id", "received_at"}; 400 naming the bad fields; 403 for
a server that is unknown, archived or not granted to the token (one answer for all three).
"""
from flask import g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..catalogue import gettext as _
from ..checks import heartbeats
from .views import _json_body, bp, scope

MAX_BYTES = 16 * 1024


def _too_large():
    message = _("The body is too large: a heartbeat may send at most %(n)d bytes.", n=MAX_BYTES)
    return jsonify({"error": message, "status": 413}), 413


@bp.post("/heartbeats")
@scope(heartbeats.SCOPE)
def receive_heartbeat():
    if request.content_length is not None and request.content_length > MAX_BYTES:
        return _too_large()
    # A chunked body has no length to check first: allow one byte more than the cap and look
    # (as the alert intake does).
    request.max_content_length = MAX_BYTES + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return _too_large()
    if len(data) > MAX_BYTES:
        return _too_large()
    answer = heartbeats.receive(g.api_token, _json_body(), request.remote_addr or "")
    return jsonify(answer), 200
