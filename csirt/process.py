"""What a long-running csirt process that runs the scheduler does once its app is built (`csirt
serve`, `csirt scheduler`).

`settle()` collects once, then freezes every object alive at that moment (the app, its modules,
mappers, compiled templates and catalogues: about 185,000 objects) out of the garbage collector's
sight (`gc.freeze`). Without it every full collection walks them all: 50–80 ms, measured in the
middle of a scheduler's 1,000-host scan (bench/scan.py: the slow repetitions were the ones a full
collection fell in). gunicorn's web workers were measured with it too (bench/api.py through a
post_worker_init hook, 2026-12-05): no difference beyond the noise, so they do not use it.
The objects frozen live as long as the process, so nothing is lost by not scanning them; objects
made afterwards are collected as before. Not for tests or short commands: an app built and dropped
after a freeze would never have its reference cycles collected.
"""
import gc


def settle():
    """Collect, then move everything alive out of the collector's generations. Returns how many
    objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
