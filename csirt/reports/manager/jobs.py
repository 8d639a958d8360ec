"""The scheduler's entry for the dashboard's rollups (`rollup.refresh`), every
`INTERVAL_SECONDS`: the time, per-agency and alert figures are as of its last run."""
INTERVAL_SECONDS = 600


def run():
    from .rollup import refresh

    refresh()
