"""`csirt.process.settle`: a long-running process (csirt serve, csirt scheduler) freezes what its
app built out of the garbage collector's sight. Run in a child process: freezing the test
process's own objects would keep every later test's garbage cycles."""
import subprocess
import sys

CHILD = """
import gc
from csirt import create_app
from csirt.process import settle

app = create_app()
frozen = settle()
assert frozen == gc.get_freeze_count() > 50000, frozen
left = len(gc.get_objects())  # what a full collection still walks
assert left < frozen // 20, (left, frozen)
with app.app_context():
    pass  # the app still works: nothing was collected that it holds
print("ok", frozen, left)
"""


def test_settle_moves_the_built_app_out_of_the_collectors_generations(tmp_path):
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120,
                          env={"CSIRT_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin",
                               "CSIRT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")

