"""Who is on call, computed from a rotation's plain description: no database, no Flask.

A rotation hands over at a local wall-clock time in its own time zone. Shift `n` (n = 0, 1, ...)
starts at `starts_on + handover + n * shift_hours`, counted on the local wall clock, and is taken
by member `n mod len(members)` of each layer. Counting on the wall clock keeps the hand-over at
08:00 local across a daylight-saving change (that day's shift is an hour shorter or longer).
A local time that does not exist (the spring-forward gap) or exists twice (fall-back) is read
with `fold=0`, Python's rule: the offset in force before the change.

Overrides (layer, user, start, end in UTC) cut into the regular shifts: while one runs, its user
covers that layer. Before the first hand-over nobody is on call except by an override.

Every instant here is a naive UTC datetime, as in the database.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Layer:
    position: int  # 1 = primary, 2 = secondary, ...
    name: str
    members: tuple  # user ids in the order of their turns


@dataclass(frozen=True)
class Override:
    layer: int  # the layer's position
    user_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Plan:
    time_zone: str
    handover: time
    shift_hours: int
    starts_on: date
    layers: tuple = ()
    overrides: tuple = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not 1 <= int(self.shift_hours):
            raise ValueError("shift_hours must be at least 1")
        object.__setattr__(self, "_zone", ZoneInfo(self.time_zone))

    def layer(self, position):
        return next((layer for layer in self.layers if layer.position == position), None)


@dataclass(frozen=True)
class Shift:
    layer: int
    user_id: int
    starts_at: datetime
    ends_at: datetime
    is_override: bool = False

    def covers(self, at):
        return self.starts_at <= at < self.ends_at


# --- the regular cycle -------------------------------------------------------------------

def _origin(plan):
    return datetime.combine(plan.starts_on, plan.handover)


def _to_utc(plan, local):
    return local.replace(tzinfo=plan._zone, fold=0).astimezone(timezone.utc).replace(tzinfo=None)


def _to_local(plan, at):
    return at.replace(tzinfo=timezone.utc).astimezone(plan._zone).replace(tzinfo=None)


def shift_start(plan, n):
    """Start (naive UTC) of regular shift `n`; shift `n` ends where `n + 1` starts."""
    return _to_utc(plan, _origin(plan) + timedelta(hours=n * plan.shift_hours))


def shift_index(plan, at):
    """The regular shift running at `at`, or None before the first hand-over."""
    if at < shift_start(plan, 0):
        return None
    elapsed = _to_local(plan, at) - _origin(plan)
    n = max(0, int(elapsed // timedelta(hours=plan.shift_hours)))
    # The wall clock repeats or skips an hour at a change of offset: settle on the shift whose
    # UTC bounds hold `at` (at most a step or two away).
    while n > 0 and shift_start(plan, n) > at:
        n -= 1
    while shift_start(plan, n + 1) <= at:
        n += 1
    return n


def _member(layer, n):
    return layer.members[n % len(layer.members)] if layer.members else None


# --- overrides -------------------------------------------------------------------------------

def _overrides_of(plan, position):
    return sorted((o for o in plan.overrides if o.layer == position), key=lambda o: o.starts_at)


def _override_at(plan, position, at):
    return next((o for o in plan.overrides if o.layer == position and o.starts_at <= at < o.ends_at), None)


def on_call_in_layer(plan, position, at):
    """The user id on call in layer `position` at `at`, or None."""
    override = _override_at(plan, position, at)
    if override is not None:
        return override.user_id
    layer = plan.layer(position)
    n = shift_index(plan, at) if layer is not None else None
    return None if n is None else _member(layer, n)


def on_call(plan, at):
    """{layer position: user id or None} at `at`, for every layer of the plan."""
    return {layer.position: on_call_in_layer(plan, layer.position, at) for layer in plan.layers}


def _subtract(start, end, cuts):
    """[start, end) less the intervals `cuts` (sorted by start): the pieces left, in order."""
    pieces, cursor = [], start
    for cut_start, cut_end in cuts:
        if cut_end <= cursor or cut_start >= end:
            continue
        if cut_start > cursor:
            pieces.append((cursor, cut_start))
        cursor = max(cursor, cut_end)
        if cursor >= end:
            break
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


def _regular(plan, layer, start, end):
    """The layer's regular shifts overlapping [start, end), clipped to it."""
    if not layer.members or end <= start:
        return []
    n = shift_index(plan, start)
    if n is None:
        n = 0
    out = []
    begin = shift_start(plan, n)
    while begin < end:
        following = shift_start(plan, n + 1)
        piece_start, piece_end = max(begin, start), min(following, end)
        if piece_start < piece_end:
            out.append(Shift(layer.position, _member(layer, n), piece_start, piece_end))
        n, begin = n + 1, following
    return out


def shifts(plan, start, end, layer=None):
    """The shifts in [start, end), clipped to it, for every layer (or the layer at position
    `layer`), ordered by layer then start. Overrides cut the regular shifts and appear as shifts
    of their own (`is_override`)."""
    out = []
    for item in plan.layers:
        if layer is not None and item.position != layer:
            continue
        overrides = [o for o in _overrides_of(plan, item.position) if o.starts_at < end and o.ends_at > start]
        cuts = [(o.starts_at, o.ends_at) for o in overrides]
        pieces = []
        for shift in _regular(plan, item, start, end):
            for piece_start, piece_end in _subtract(shift.starts_at, shift.ends_at, cuts):
                pieces.append(Shift(item.position, shift.user_id, piece_start, piece_end))
        for o in overrides:
            pieces.append(Shift(item.position, o.user_id, max(o.starts_at, start), min(o.ends_at, end), True))
        out.extend(sorted(pieces, key=lambda s: s.starts_at))
    return out


def next_handover(plan, at):
    """The next regular hand-over strictly after `at` (naive UTC)."""
    n = shift_index(plan, at)
    return shift_start(plan, 0 if n is None else n + 1)
