"""disttest.py - shared helpers of the data-parallel tests: duet started by
mpirun on N ranks of this machine (loopback), and the losses of a run.

Every test is invoked as  test_X.py DUET WORKDIR  (WORKDIR is emptied)."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import Test, read_jsonl, read_safetensors  # noqa: E402,F401

SOURCE = os.path.join(HERE, "dist.duet")
# As root mpirun needs --allow-run-as-root; more ranks than cores need
# --oversubscribe.
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]


class DistTest(Test):
    def env(self):
        return dict(os.environ, OPENBLAS_NUM_THREADS="1")

    def run_n(self, n, *args, rc=0, mpi_args=()):
        """duet ARGS alone (n = 0: no mpirun) or on n ranks; checks the exit
        code, returns the completed process."""
        cmd = [self.duet, *args] if n == 0 else [*MPIRUN, *mpi_args, "-np", str(n), self.duet,
                                                   *args]
        p = subprocess.run(cmd, cwd=self.work, capture_output=True, text=True, env=self.env(),
                           timeout=300)
        if not self.check(p.returncode == rc, f"exit code of {' '.join(cmd[-len(args) - 3:])}", rc,
                          p.returncode):
            print(p.stdout[-3000:], p.stderr[-3000:])
        return p

    def losses(self, run_dir):
        """The training loss of every step of a run (at most 100): the
        recent losses its checkpoint keeps."""
        tensors, _ = read_safetensors(os.path.join(self.work, run_dir,
                                                   "train_state.safetensors"))
        return tensors["duet.recent_losses"]

    def same_losses(self, what, a, b, rel):
        """The loss of every step of run b within rel (relative) of run a's."""
        la, lb = self.losses(a), self.losses(b)
        if not self.check(la.shape == lb.shape and len(la) == 100,
                          f"{what}: the losses of 100 steps", la.shape, lb.shape):
            return
        worst = float(max(abs(lb - la) / abs(la)))
        self.check(worst <= rel, f"{what}: losses of {len(la)} steps agree to {rel:g}", rel, worst)


def summary(path):
    with open(path) as f:
        return json.load(f)
