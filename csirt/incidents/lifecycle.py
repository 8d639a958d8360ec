"""The incident lifecycle as data: a pure table of allowed transitions (Circular 20/2017 steps).

new → triaged → contained → eradicated → recovered → closed; `rejected` from the early steps
(duplicate, false positive); `reopen` takes a closed or rejected incident back to triaged.
"""

TRANSITIONS = {
    "new": ("triaged", "rejected"),
    "triaged": ("contained", "rejected"),
    "contained": ("eradicated",),
    "eradicated": ("recovered",),
    "recovered": ("closed",),
    "closed": ("triaged",),    # reopen
    "rejected": ("triaged",),  # reopen
}

OPEN_STATUSES = ("new", "triaged", "contained", "eradicated", "recovered")
FINAL_STATUSES = ("closed", "rejected")


def allowed_targets(status):
    return TRANSITIONS.get(status, ())


def is_allowed(current, target):
    return target in allowed_targets(current)


def is_reopen(current, target):
    return current in FINAL_STATUSES and target not in FINAL_STATUSES
