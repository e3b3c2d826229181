"""e2etest.py - what the end-to-end tests share: the driver tests' helpers
(tests/driver/drvtest.py) and experiment files written on the fly."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))

from drvtest import EXAMPLES, Test, read_checkpoint, read_jsonl, read_safetensors, read_summary  # noqa: E402,F401,E501


def write_experiment(t, name, data, model, loss, batch, extra=""):
    """Writes <work>/<name>.duet, an experiment `name` of one step of SGD
    (the data and model are what is tested), and returns its path."""
    path = t.path(f"{name}.duet")
    with open(path, "w") as f:
        f.write(f"""use std.nn
use std.optim

experiment {name} {{
  data {data}
  model = {model}
  loss = {loss}
  optimizer = SGD(lr = 0.01)
  batch = {batch}
  steps = 1
{extra}}}
""")
    return path


def first_batch(t, src, out, *args):
    """Runs one step of src with --dump-batches and returns (x, y) of it."""
    t.duet_run("run", src, "--out", out, "--dump-batches", f"{out}-batches", "--quiet", *args)
    b, _ = read_safetensors(t.path(f"{out}-batches", "step-000001.safetensors"))
    return b["x"].astype("float64"), b["y"]
