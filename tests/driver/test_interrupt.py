"""test_interrupt.py - SIGINT and SIGTERM during `duet run`: the run stops
after the step in progress (or abandons the evaluation in progress, which
the resumed run repeats), writes its checkpoint, metrics.jsonl, a
summary.json marked interrupted (with the step and the signal) and the
plots, prints the command that continues it and exits with 130 (SIGINT)
or 143 (SIGTERM). A run interrupted three times and resumed each time ends
bit for bit as the uninterrupted run (metrics, summary, checkpoint). A
second signal ends the process at once (exit code of that signal, no
summary.json), and its checkpoint still resumes to the same end: SIGINT
and SIGTERM are sent to the stopped process (SIGSTOP), then it continues,
so that the second is handled after the first whatever the load of the
machine (two SIGINTs would merge into one while it waits).

The experiment evaluates a larger set every other step, so that most of
its time goes to evaluations; each signal is sent half an evaluation period
after an evaluation line: at least one interruption lands in one."""
import os
import signal
import subprocess
import time

import numpy as np

from drvtest import Test, read_jsonl, read_safetensors, read_state, read_summary

t = Test("test_interrupt")
src = t.path("stop_me.duet")
with open(src, "w") as f:
    f.write("""use std.nn
use std.optim

experiment stop_me {
  data train = fashion_mnist("train"), test = fashion_mnist("test")
  model = flatten >> MLP(784, 512, 10, depth = 3)
  loss = cross_entropy
  optimizer = AdamW(lr = 0.001)
  batch = 16
  steps = 20
  seed = 1
  schedule = linear_decay
  eval every 2 steps: loss(test), accuracy(test)
}
""")
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def start(*args):
    return subprocess.Popen([t.duet, "run", *args, "--threads", "1", "--quiet"], cwd=t.work,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def evals_logged(run):
    path = t.path(run, "metrics.jsonl")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for line in f if "test_loss" in line)


def wait_eval(p, run, before):
    """Waits until the run has logged more than `before` evaluations; returns
    their number."""
    deadline = time.time() + 120
    while evals_logged(run) <= before and p.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    return evals_logged(run)


def interrupt(p, run, sig):
    """Sends sig half an evaluation period after an evaluation line; returns
    the process's (exit code, stdout, stderr)."""
    n = wait_eval(p, run, evals_logged(run))
    t0 = time.time()
    wait_eval(p, run, n)
    time.sleep((time.time() - t0) / 2)
    p.send_signal(sig)
    out, err = p.communicate(timeout=120)
    return p.returncode, out, err


p = subprocess.run([t.duet, "run", src, "--out", "full", "--threads", "1", "--quiet"],
                   cwd=t.work, env=ENV, capture_output=True, text=True)
t.check(p.returncode == 0, "the uninterrupted run", 0, (p.returncode, p.stderr[-2000:]))

in_eval = 0
for k, sig in enumerate((signal.SIGINT, signal.SIGTERM, signal.SIGINT)):
    name, code = ("SIGINT", 130) if sig == signal.SIGINT else ("SIGTERM", 143)
    p = start(src, "--out", "part") if k == 0 else start("--resume", "part")
    rc, out, err = interrupt(p, "part", sig)
    _, meta = read_state(t.path("part"))
    step = int(meta.get("duet.step", -1))
    s = read_summary(t.path("part", "summary.json"))
    t.check(rc == code, f"interruption {k + 1} ({name}): exit code", code, (rc, err[-1500:]))
    msg = (f"duet: interrupted by {name} after step {step} of 20; the run is saved in part\n"
           f"  checkpoint of step {step}: part/model.safetensors\n"
           "  continue with: duet run --resume part\n")
    t.check(err.endswith(msg), f"interruption {k + 1}: where the run is and how to continue", msg,
            err[-500:])
    got = {key: s.get(key) for key in ("status", "interrupted_at_step", "signal", "steps")}
    want = {"status": "interrupted", "interrupted_at_step": step, "signal": name, "steps": step}
    t.check(got == want and 0 < step < 20, f"interruption {k + 1}: summary.json", want, got)
    t.check(os.path.exists(t.path("part", "loss.svg")), f"interruption {k + 1}: loss.svg")
    lines = read_jsonl(t.path("part", "metrics.jsonl"))
    t.check(max(d["step"] for d in lines) <= step, f"interruption {k + 1}: the metrics end at "
            "the checkpoint's step", step, max(d["step"] for d in lines))
    in_eval += meta.get("duet.eval_pending") == "1"
    print(f"interruption {k + 1}: {name} at step {step}, "
          f"{'during' if meta.get('duet.eval_pending') == '1' else 'between'} evaluations")
t.check(in_eval >= 1, "an interruption landed in an evaluation (the resumed run repeats it)",
        ">= 1", in_eval)

p = subprocess.run([t.duet, "run", "--resume", "part", "--threads", "1", "--quiet"], cwd=t.work,
                   env=ENV, capture_output=True, text=True)
t.check(p.returncode == 0, "the last resume completes", 0, (p.returncode, p.stderr[-2000:]))


def same_run(a, b, what):
    t.check(read_jsonl(t.path(a, "metrics.jsonl")) == read_jsonl(t.path(b, "metrics.jsonl")),
            f"{what}: metrics.jsonl")
    t.check(read_summary(t.path(a, "summary.json")) == read_summary(t.path(b, "summary.json")),
            f"{what}: summary.json", read_summary(t.path(a, "summary.json")),
            read_summary(t.path(b, "summary.json")))
    for name in ("model.safetensors", "train_state.safetensors"):
        (ta, ma), (tb, mb) = (read_safetensors(t.path(d, name)) for d in (a, b))
        same = ta.keys() == tb.keys() and all(
            np.array_equal(ta[n].view(np.uint8), tb[n].view(np.uint8)) for n in ta)
        t.check(same and ma == mb, f"{what}: {name} bit for bit")


same_run("full", "part", "interrupted three times and resumed")

# a second signal: the process ends at once
p = start(src, "--out", "twice")
wait_eval(p, "twice", 0)
p.send_signal(signal.SIGSTOP)
p.send_signal(signal.SIGINT)
p.send_signal(signal.SIGTERM)
p.send_signal(signal.SIGCONT)
out, err = p.communicate(timeout=120)
t.check(p.returncode == 143 and not os.path.exists(t.path("twice", "summary.json")),
        "a second signal ends the run at once (exit 128 + its number, no summary.json)", 143,
        (p.returncode, err[-500:]))
p = subprocess.run([t.duet, "run", "--resume", "twice", "--threads", "1", "--quiet"], cwd=t.work,
                   env=ENV, capture_output=True, text=True)
t.check(p.returncode == 0, "its checkpoint resumes", 0, (p.returncode, p.stderr[-2000:]))
same_run("full", "twice", "ended at once and resumed")
t.done()
