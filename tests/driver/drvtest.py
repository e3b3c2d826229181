"""drvtest.py - shared helpers of the driver tests: run the duet executable,
count checks (testcheck.Tally), and read what a run leaves behind
(safetensors, JSON lines) independently of duet's own code.

Every test is invoked as  test_X.py DUET WORKDIR  (WORKDIR is emptied)."""
import json
import math
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "examples")

sys.path.insert(0, os.path.join(ROOT, "tests", "common"))
from testcheck import Tally  # noqa: E402

# Fields that measure time (and "build": how the model was compiled): the
# only ones allowed to differ between runs.
TIMING_KEYS = ("ms_per_step", "wall_s", "compile_s", "build")
GELU_C = math.sqrt(2 / math.pi)


def gelu(h):
    """stdlib/nn.duet's gelu (the tanh form)."""
    return 0.5 * h * (1 + np.tanh(GELU_C * (h + 0.044715 * h ** 3)))


def rms_gain(f):
    """sqrt(E[f(z)^2]) for z ~ N(0, 1), by Gauss-Hermite quadrature: the
    sensitivity stdlib/nn.duet declares for an element-wise bond."""
    z, w = np.polynomial.hermite_e.hermegauss(100)
    return math.sqrt(np.dot(w, f(z) ** 2) / w.sum())


class Test(Tally):
    def __init__(self, name):
        super().__init__(name)
        self.duet = sys.argv[1]
        self.work = sys.argv[2]
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def duet_run(self, *args, rc=0):
        """Runs duet with args (one BLAS thread); checks the exit code."""
        p = subprocess.run([self.duet, *args], cwd=self.work, capture_output=True, text=True,
                           env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        if not self.check(p.returncode == rc, f"exit code of duet {' '.join(args)}", rc,
                          p.returncode):
            print(p.stdout[-3000:], p.stderr[-3000:])
        return p


def read_safetensors(path):
    """(tensors: name -> numpy array, metadata: dict) of a safetensors file."""
    dtypes = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return tensors, meta


def read_weights(run_dir):
    """The weights of a run directory's model.safetensors keyed by their
    paths (model[1].MLP[0].Linear.W), which its metadata records for each
    public name ("duet.path.1.0.W")."""
    tensors, meta = read_safetensors(os.path.join(run_dir, "model.safetensors"))
    return {meta["duet.path." + name]: v for name, v in tensors.items()}


def read_state(run_dir):
    """(tensors, metadata) of a run directory's train_state.safetensors: the
    optimizer state under its paths (model[1].MLP[0].Linear.W:m), the recent
    losses, the trainer's counters."""
    return read_safetensors(os.path.join(run_dir, "train_state.safetensors"))


def read_checkpoint(run_dir):
    """Every tensor of a run directory's checkpoint keyed by its path: the
    weights (read_weights), the optimizer state and the recent losses."""
    return {**read_weights(run_dir), **read_state(run_dir)[0]}


def read_jsonl(path, drop=TIMING_KEYS):
    """The objects of a JSON-lines file without the timing fields."""
    out = []
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            for k in drop:
                d.pop(k, None)
            out.append(d)
    return out


def read_summary(path, drop=TIMING_KEYS):
    with open(path) as f:
        s = json.load(f)
    for k in drop:
        s.pop(k, None)
    return s
