"""Panels other packages add to the system and server pages, without this package importing them
(the inventory never imports incidents: the factory, or the package providing the panel,
registers it here).

    register("system", "incidents", fn)   # fn(user, obj) -> (template_name, context) or None
    collect("system", user, system)        # [(template_name, context), ...] in registration order

A panel function decides itself whether `user` may see what it shows (it goes through its own
package's policy) and returns None to show nothing.
"""
KINDS = ("system", "server")


def _registry(app=None):
    from flask import current_app

    app = app or current_app
    return app.extensions.setdefault("csirt_system_panels", {kind: {} for kind in KINDS})


def register(kind, name, fn, app=None):
    """Add (or replace, by `name`) the panel `fn` on the pages of `kind` ("system" or "server").
    Registered per app (`app.extensions`): call it in the factory or an `init_app`."""
    if kind not in KINDS:
        raise ValueError(f"unknown panel kind {kind!r}")
    _registry(app)[kind][name] = fn


def collect(kind, user, obj):
    """The panels to render on the page of `obj`: [(template_name, context)]."""
    out = []
    for fn in _registry()[kind].values():
        panel = fn(user, obj)
        if panel is not None:
            out.append(panel)
    return out
