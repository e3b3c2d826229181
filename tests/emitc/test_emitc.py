"""test_emitc.py - `duet emit-c` on one example, against `duet run`:
  - the emitted C builds without a warning with gcc and with clang (OpenBLAS)
    and with gcc alone (portable BLAS, LAPACK and gzip);
  - the emitted train program, with gcc and with clang, writes the metrics
    of a shortened `duet run` of the same experiment (same seed, data,
    schedule): every loss, norm and evaluation within 1e-5 relative (the
    count of bit-identical values is printed too);
  - predict on the whole test set (Fashion-MNIST) or validation split (text)
    from duet run's checkpoint gives duet run's accuracy (the same count of
    correct predictions) and mean loss;
  - the portable build predicts the same accuracy, to the printed digit;
  - mlp: weights embedded with --embed-weights predict the same.

Invoked as  test_emitc.py DUET WORKDIR EXAMPLE CLANG  (EXAMPLE: mlp, cnn or gpt)."""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "driver"))
from drvtest import EXAMPLES, ROOT, Test, read_jsonl  # noqa: E402

CASES = {
    "mlp": dict(file="fashion_mlp.duet", exp="fashion_mlp", sets=[], steps=20, embed=True),
    "cnn": dict(file="fashion_cnn.duet", exp="fashion_cnn",
                sets=["batch=32", "schedule=constant"], steps=20),
    "gpt": dict(file="kjv_gpt.duet", exp="kjv_gpt", sets=["model.depth=1"], steps=20,
                text=True),
}
FASHION = "/usr/share/datasets/fashion-mnist"
TEXT_BYTES = 200000   # the corpus is cut to this size so that evaluations are quick
TEXT_VAL = 0.1        # the share duet keeps for validation (DRV_TEXT_VAL_FRACTION)
TOL = 1e-5

case_name, clang = sys.argv[3], sys.argv[4]
case = CASES[case_name]
t = Test(f"test_emitc {case_name}")
env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
source = os.path.join(EXAMPLES, case["file"])
sets = [a for s in case["sets"] for a in ("--set", s)]


def run(args, cwd, what):
    """Runs a command; checks its exit code; returns its output."""
    start = time.time()
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    print(f"{what}: {time.time() - start:.1f} s")
    if not t.check(p.returncode == 0, f"{what} exits with 0", 0, p.returncode):
        print(p.stdout[-3000:], p.stderr[-3000:])
    return p.stdout + p.stderr


def close(a, b):
    return abs(a - b) <= TOL * max(abs(a), abs(b), 1e-30)


def compare_metrics(got_path, want_path, what):
    want, got = read_jsonl(want_path), read_jsonl(got_path)
    if not t.check(len(want) == len(got) and len(want) > case["steps"],
                   f"{what}: one metrics line per step and evaluation", len(want), len(got)):
        return
    exact = values = 0
    for w, g in zip(want, got):
        if not t.check(w.keys() == g.keys(), f"{what}: fields of step {w.get('step')}",
                       sorted(w), sorted(g)):
            continue
        for k in w:
            values += 1
            exact += w[k] == g[k]
            t.check(close(w[k], g[k]), f"{what}: {k} at step {w['step']}", w[k], g[k])
    print(f"{what}: {values} values within {TOL} relative, {exact} bit-identical")


def accuracy_line(out, what):
    m = re.search(r"accuracy ([0-9.]+) \((\d+) of (\d+)\)(?:, loss ([-0-9.e+]+))?", out)
    t.check(m is not None, f"{what}: prints the accuracy", "accuracy A (C of N)", out[-500:])
    return m


# ---- data -----------------------------------------------------------------------
if case.get("text"):
    data = t.path("data")
    os.makedirs(data)
    run(["sh", os.path.join(ROOT, "scripts", "kjv-text"), os.path.join(data, "full.txt")],
        t.work, "kjv-text")
    with open(os.path.join(data, "full.txt"), "rb") as f:
        corpus = f.read()[:TEXT_BYTES]
    with open(os.path.join(data, "kjv.txt"), "wb") as f:
        f.write(corpus)
    with open(t.path("val.txt"), "wb") as f:
        f.write(corpus[len(corpus) - int(len(corpus) * TEXT_VAL):])
    env["DUET_DATA"] = data
    examples = ["--text", t.path("val.txt")]
else:
    examples = ["--idx", f"{FASHION}/t10k-images-idx3-ubyte.gz",
                f"{FASHION}/t10k-labels-idx1-ubyte.gz"]

# ---- duet run and duet emit-c -----------------------------------------------
run([t.duet, "run", source, case["exp"], *sets, "--steps", str(case["steps"]), "--log-every", "1",
     "--out", t.path("run"), "--quiet"], t.work, "duet run")
run([t.duet, "emit-c", source, case["exp"], *sets, "-o", t.path("c")], t.work, "duet emit-c")
want_metrics = t.path("run", "metrics.jsonl")
final = [m for m in read_jsonl(want_metrics) if any(k.endswith("_loss") for k in m)][-1]
want_loss = next(v for k, v in final.items() if k.endswith("_loss"))
want_acc = next((v for k, v in final.items() if k.endswith("_accuracy")), None)


def overlay(src, dst):
    """Copies the files of src that differ from dst's over them (newer), so
    that make rebuilds only what they change."""
    for base, _, files in os.walk(src):
        for f in files:
            a = os.path.join(base, f)
            b = os.path.join(dst, os.path.relpath(a, src))
            with open(a, "rb") as fa:
                new = fa.read()
            if not os.path.exists(b) or open(b, "rb").read() != new:
                with open(b, "wb") as fb:
                    fb.write(new)


def build(name, cc, blas, src="c", base=None):
    """A build of the emitted dir src in a copy of its own, or (base) over
    the files and objects of an earlier build."""
    if base:
        shutil.copytree(t.path(base), t.path(name))
        overlay(t.path(src), t.path(name))
    else:
        shutil.copytree(t.path(src), t.path(name))
    args = ["make", "-C", t.path(name), "-j2", f"CC={cc}"] + (["BLAS=openblas"] if blas else [])
    out = run(args, t.work, f"build {name}")
    warnings = [line for line in out.splitlines() if "warning:" in line]
    t.check(not warnings, f"{name}: builds without warnings", [], warnings[:5])
    return t.path(name)


def predict(d, what, extra=()):
    out = run([os.path.join(d, "predict"), *extra, *examples], d, what)
    return accuracy_line(out, what)


accuracies = {}
for name, cc in (("gcc", "gcc"), ("clang", clang)):
    d = build(name, cc, True)
    run([os.path.join(d, "train"), "--steps", str(case["steps"]), "--log-every", "1", "--out",
         t.path(name + "-run"), "--quiet"], d, f"{name} train")
    compare_metrics(t.path(name + "-run", "metrics.jsonl"), want_metrics, f"{name} train")
    m = predict(d, f"{name} predict", ["--weights", t.path("run", "model.safetensors")])
    if not m:
        continue
    accuracies[name] = m.group(1)
    if want_acc is not None:
        t.check(int(m.group(2)) == round(want_acc * int(m.group(3))),
                f"{name} predict: correct predictions of duet run's test accuracy",
                round(want_acc * int(m.group(3))), m.group(2))
    t.check(m.group(4) is not None and close(float(m.group(4)), want_loss),
            f"{name} predict: duet run's evaluation loss", want_loss, m.group(4))

d = build("portable", "gcc", False)
m = predict(d, "portable predict", ["--weights", t.path("run", "model.safetensors")])
if m:
    t.check(m.group(1) == accuracies.get("gcc"), "portable build: the accuracy of OpenBLAS",
            accuracies.get("gcc"), m.group(1))
t.check(accuracies.get("gcc") is not None and accuracies.get("gcc") == accuracies.get("clang"),
        "gcc and clang builds: the same accuracy", accuracies.get("gcc"), accuracies.get("clang"))

if case.get("embed"):
    run([t.duet, "emit-c", source, case["exp"], *sets, "--checkpoint",
         t.path("run", "model.safetensors"), "--embed-weights", "-o", t.path("e")], t.work,
        "duet emit-c --embed-weights")
    d = build("embedded", "gcc", True, src="e", base="gcc")
    m = predict(d, "embedded predict", ["--embedded"])
    if m:
        t.check(m.group(1) == accuracies.get("gcc"), "embedded weights: the same accuracy",
                accuracies.get("gcc"), m.group(1))
t.done()
