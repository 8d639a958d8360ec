"""The scheduler's check jobs (csirt/scheduler.py JOBS): the tick that runs the due checks and
the daily pruning of old results; `stop` at the scheduler's shutdown."""
import logging

logger = logging.getLogger(__name__)


def tick_job():
    from . import runner

    report = runner.tick()
    if report.claimed or report.recovered:
        logger.info("checks: %d run, %d stored, %d alert(s), %d recovered as interrupted", report.claimed,
                    len(report.stored), report.alerts, report.recovered)
    return report


def prune_job():
    from .prune import prune

    deleted = prune()
    if deleted:
        logger.info("checks: %d old result(s) pruned", deleted)
    return deleted


def stop():
    """The scheduler stops: running ticks record their runs as interrupted and every nmap still
    running is killed (its process group), so none is left behind."""
    from . import runner

    runner.stop()
    try:
        from . import scanner
    except ImportError:  # the scanner is not there (or python-nmap missing): nothing to kill
        return
    scanner.kill_all()
