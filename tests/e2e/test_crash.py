"""test_crash.py - crash safety: a short run with a checkpoint after every
step (so that much of its time goes to writing checkpoints) is killed with
SIGKILL at moments drawn from a fixed seed over its training (from its
first checkpoint on, as long as the training of an uninterrupted run
lasts), then resumed. After every kill the run directory holds
a valid checkpoint (model.safetensors and a state file of the same step,
both readable) or none yet (killed before the first; the run is started
again), and every resumed run ends bit for bit as the uninterrupted one:
metrics.jsonl and summary.json (but for timing) and the final checkpoint.
Kills that left a temporary file (inside a checkpoint's write) are
counted."""
import os
import random
import shutil
import signal
import subprocess
import time

from e2etest import Test, read_jsonl, read_safetensors, read_summary

KILLS = 8
SEED = 2027

t = Test("test_crash")
src = t.path("crash.duet")
with open(src, "w") as f:
    f.write("""use std.nn
use std.optim

experiment crash {
  data train = clusters("train", n = 2048, d = 32, k = 8), test = clusters("test", n = 2048, d = 32, k = 8)
  model = MLP(32, 384, 8, depth = 3)
  loss = cross_entropy
  optimizer = AdamW(lr = 0.003)
  batch = 32
  steps = 60
  seed = 4
  schedule = warmup(5) >> linear_decay
  eval every 20 steps: loss(test), accuracy(test)
}
""")
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")
ARGS = ["--checkpoint-every", "1", "--threads", "1", "--quiet"]


def duet(*args):
    return subprocess.run([t.duet, "run", *args, *ARGS], cwd=t.work, env=ENV, capture_output=True,
                          text=True)


def first_checkpoint(proc, run):
    """Waits until the run has written its first checkpoint; its time."""
    while not os.path.exists(t.path(run, "model.safetensors")) and proc.poll() is None:
        time.sleep(0.001)
    return time.time()


proc = subprocess.Popen([t.duet, "run", src, "--out", "full", *ARGS], cwd=t.work, env=ENV,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
started = first_checkpoint(proc, "full")
_, err = proc.communicate()
length = time.time() - started
t.check(proc.returncode == 0, "the uninterrupted run", 0, (proc.returncode, err[-1500:]))


def checkpoint_valid(run):
    """Whether the run directory holds a readable pair of one step (or no
    checkpoint at all, when killed before the first): (valid, has one)."""
    weights = t.path(run, "model.safetensors")
    if not os.path.exists(weights):
        return not os.path.exists(t.path(run, "metrics.jsonl")), False
    _, wmeta = read_safetensors(weights)
    steps = []
    for name in ("train_state.safetensors", "train_state.prev.safetensors"):
        if os.path.exists(t.path(run, name)):
            steps.append(read_safetensors(t.path(run, name))[1].get("duet.step"))
    return wmeta.get("duet.step") in steps, True


def same_end(run):
    same = read_jsonl(t.path("full", "metrics.jsonl")) == read_jsonl(t.path(run, "metrics.jsonl"))
    same &= read_summary(t.path("full", "summary.json")) == read_summary(t.path(run, "summary.json"))
    for name in ("model.safetensors", "train_state.safetensors"):
        a, b = read_safetensors(t.path("full", name)), read_safetensors(t.path(run, name))
        same &= a[1] == b[1] and a[0].keys() == b[0].keys() and \
            all(a[0][k].tobytes() == b[0][k].tobytes() for k in a[0])
    return same


rng = random.Random(SEED)
mid_write = before_first = 0
for k in range(KILLS):
    run = f"kill{k}"
    delay = rng.uniform(0, length)
    proc = subprocess.Popen([t.duet, "run", src, "--out", run, *ARGS], cwd=t.work, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_checkpoint(proc, run)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    files = os.listdir(t.path(run)) if os.path.isdir(t.path(run)) else []
    left = [f for f in files if f.endswith(".tmp")]
    mid_write += bool(left)
    valid, started = checkpoint_valid(run)
    t.check(valid, f"kill {k + 1}, {delay:.3f} s into training: a valid checkpoint", True,
            sorted(files))
    if started:
        p = duet("--resume", run)
    else:
        before_first += 1
        shutil.rmtree(t.path(run), ignore_errors=True)
        p = duet(src, "--out", run)
    t.check(p.returncode == 0, f"kill {k + 1}: the run resumes", 0, p.stderr[-1500:])
    t.check(same_end(run), f"kill {k + 1}: the resumed run ends bit for bit as the uninterrupted")
print(f"{KILLS} kills over {length:.2f} s of training: {mid_write} inside a checkpoint's write, "
      f"{before_first} before the first checkpoint was complete")
t.done()
