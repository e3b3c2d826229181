"""test_emitc.py - `duet emit-c` on one example, against `duet run` and
`duet predict` (the JIT):
  - the emitted C builds with `-std=c11 -O2 -Wall -Wextra` without a single
    warning with gcc and with clang, each with OpenBLAS and portable;
  - the emitted train program of both OpenBLAS builds (the training host
    of `duet run` on the emitted model) writes the run directory of a
    shortened `duet run --gemm openblas` of the same experiment (same seed,
    data, schedule), and that of the gcc build with oneDNN (BLAS=openblas
    ONEDNN=1) the run directory of `duet run` on its default backend
    (oneDNN; the convolutions' paths picked by timing, and the train
    pinned to those picks with --conv RUN_DIR): every loss, norm and
    evaluation of metrics.jsonl and every tensor of the final checkpoint
    bit for bit, the checkpoint's metadata, summary.json but for its
    timing fields (the convolutions' picks by their paths), the same files;
    the portable builds train too slowly for the suite (their one-sided
    Jacobi SVD and blocked GEMM);
  - predict of every build on the whole test set (Fashion-MNIST) or the
    validation split (text), from duet run's checkpoint, predicts the very
    classes `duet predict` does, with duet run's final accuracy (the same
    count of correct predictions) and evaluation loss (1e-5 relative);
  - mlp: with --embed-weights, predict without any weights file predicts
    the same classes; duet predict's usage errors; predict with a weight
    that is not finite fails naming it; the emitted train stopped by SIGINT
    saves the run (exit 130, summary.json "interrupted") and its --resume
    ends as duet run's run.

  - synth: a synthetic source (spectrum) and the singular_values metric
    through the emitted train; a regression model, so nothing is predicted.

  - arrays: examples/own_arrays.duet on the arrays its script writes (npy
    files, a seeded split, normalization from the training split, a test
    set of 120 = 3 x 32 + 24), predicted with --data test.

Invoked as  test_emitc.py DUET WORKDIR EXAMPLE CLANG [--full]  (EXAMPLE: mlp,
every, cnn, gpt, synth or arrays). --full runs the example as written for 100 steps (the whole
text for the GPT), as docs/deploy.md reports it; the suite runs shortened
versions."""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "driver"))
from drvtest import EXAMPLES, ROOT, Test, read_jsonl, read_safetensors, read_summary  # noqa: E402

CASES = {
    "mlp": dict(file="fashion_mnist", source="fashion_mlp.duet", exp="fashion_mlp", sets=[],
                embed=True),
    # groups updated every 4 and every 2 steps, Shampoo's roots every 5
    # updates: the branches of guarded regions in C and in the JIT
    "every": dict(file="fashion_mnist", source="fashion_every.duet", exp="fashion_every",
                  sets=["batch=32"]),
    "cnn": dict(file="fashion_mnist", source="fashion_cnn.duet", exp="fashion_cnn",
                sets=["batch=32", "schedule=constant"]),
    "gpt": dict(file="kjv", source="kjv_gpt.duet", exp="kjv_gpt", sets=["model.depth=1"]),
    # a synthetic source (regression: trained, not predicted) with the
    # singular_values metric at every step
    "synth": dict(file=None, source="toy_deep_linear.duet", exp="toy_deep_linear", sets=[],
                  predict=False),
    # the user's NumPy arrays: a seeded split of one file, the training
    # split's normalization, a test set that is no multiple of the batch,
    # predicted with --data test
    "arrays": dict(file="own_arrays", source="own_arrays.duet", exp="own_arrays", sets=[]),
}
FASHION = "/usr/share/datasets/fashion-mnist"
TEXT_BYTES = 200000   # the shortened runs cut the corpus to this size
TEXT_VAL = 0.1        # the share duet keeps for validation (HOST_TEXT_VAL_FRACTION)
TOL = 1e-5
FLAGS = ("-std=c11", "-O2", "-Wall", "-Wextra")

case_name, clang = sys.argv[3], sys.argv[4]
full = sys.argv[5:] == ["--full"]
case = CASES[case_name]
steps = 100 if full else 20
t = Test(f"test_emitc {case_name}{' --full' if full else ''}")
env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
env["OPENBLAS_NUM_THREADS"] = "1"
source = os.path.join(EXAMPLES, case["source"])
sets = [] if full else [a for s in case["sets"] for a in ("--set", s)]


def run(args, what, cwd=None, rc=0):
    """Runs a command; checks its exit code; returns its output."""
    start = time.time()
    p = subprocess.run(args, cwd=cwd or t.work, env=env, capture_output=True, text=True)
    print(f"{what}: {time.time() - start:.1f} s")
    if not t.check(p.returncode == rc, f"{what} exits with {rc}", rc, p.returncode):
        print(p.stdout[-3000:], p.stderr[-3000:])
    return p.stdout + p.stderr


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def compare_metrics(got_path, want_path, what):
    """Every value of every metrics line the same bits (the OpenBLAS builds
    run the kernel program with the JIT's operation order and rounding, and
    the host's loop); the count of values compared."""
    want, got = read_jsonl(want_path), read_jsonl(got_path)
    if not t.check(len(want) == len(got) and len(want) > steps,
                   f"{what}: one metrics line per step and evaluation", len(want), len(got)):
        return
    values = 0
    for w, g in zip(want, got):
        if not t.check(w.keys() == g.keys(), f"{what}: fields of step {w.get('step')}",
                       sorted(w), sorted(g)):
            continue
        for k in w:
            values += 1
            t.check(w[k] == g[k], f"{what}: {k} at step {w['step']}", w[k], g[k])
    print(f"{what}: {values} values compared, bit for bit")


def conv_picks(fields):
    """The setting and picks (shape, pass, path) of the convolutions'
    fields (summary.json's, or the checkpoint's duet.conv), without times,
    pins and the file pinned from, which differ between a run and one pinned
    to its picks."""
    return fields.get("conv"), [{k: v for k, v in q.items()
                                 if k not in ("im2col_ms", "onednn_ms", "pinned")}
                                for q in fields.get("conv_picks", [])]


def compare_run_dirs(got, want, what):
    """The final checkpoint (weights and state) bit for bit with its
    metadata, summary.json but for timing and build, the program's copy,
    and the files; the convolutions' fields (conv_picks) by their picks."""
    for name in ("model.safetensors", "train_state.safetensors"):
        (gt, gm), (wt, wm) = read_safetensors(os.path.join(got, name)), \
            read_safetensors(os.path.join(want, name))
        t.check(gt.keys() == wt.keys() and all(gt[k].tobytes() == wt[k].tobytes() for k in wt),
                f"{what}: the final {name}'s tensors", sorted(wt), sorted(gt))
        gc, wc = (conv_picks(json.loads(m.pop("duet.conv", "{}"))) for m in (gm, wm))
        t.check(gm == wm and gc == wc, f"{what}: {name}'s metadata", (wm, wc), (gm, gc))
    gs, ws = (read_summary(os.path.join(d, "summary.json")) for d in (got, want))
    gc, wc = conv_picks(gs), conv_picks(ws)
    for s in (gs, ws):
        for k in ("conv_picks", "conv_pinned_from"):
            s.pop(k, None)
    t.check(gs == ws and gc == wc, f"{what}: summary.json", (ws, wc), (gs, gc))
    def listing(top):
        return sorted(os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top)
                      for f in fs)

    files = listing(got)
    t.check(files == listing(want), f"{what}: the run directory", listing(want), files)
    for f in files:
        if f.startswith(("source/", "stdlib/")):
            with open(os.path.join(got, f), "rb") as a, open(os.path.join(want, f), "rb") as b:
                t.check(a.read() == b.read(), f"{what}: the copy of {f}")


def accuracy_line(out, what):
    """(correct, count, loss) of an `accuracy A (C of N), loss L` line."""
    m = re.search(r"accuracy [0-9.]+ \((\d+) of (\d+)\), loss ([-0-9.e+]+)", out)
    if not t.check(m is not None, f"{what}: prints accuracy and loss",
                   "accuracy A (C of N), loss L", out[-500:]):
        return None
    return int(m.group(1)), int(m.group(2)), float(m.group(3))


def read_classes(path):
    with open(path) as f:
        return f.read().split("\n")


# ---- data -----------------------------------------------------------------------
if case["file"] == "kjv":
    data = t.path("data")
    os.makedirs(data)
    run(["sh", os.path.join(ROOT, "scripts", "kjv-text"), os.path.join(data, "full.txt")],
        "kjv-text")
    with open(os.path.join(data, "full.txt"), "rb") as f:
        corpus = f.read()
    if not full:
        corpus = corpus[:TEXT_BYTES]
    with open(os.path.join(data, "kjv.txt"), "wb") as f:
        f.write(corpus)
    with open(t.path("val.txt"), "wb") as f:
        f.write(corpus[len(corpus) - int(len(corpus) * TEXT_VAL):])
    env["DUET_DATA"] = data
    examples = ["--text", t.path("val.txt")]
elif case["file"] == "own_arrays":
    run([sys.executable, os.path.join(EXAMPLES, "own_arrays.py"), t.path("arrays")], "own_arrays.py")
    sets += ["--set", f'data.x="{t.path("arrays", "x.npy")}"',
             "--set", f'data.y="{t.path("arrays", "y.npy")}"']
    examples = ["--data", "test"]
elif case["file"] == "fashion_mnist":
    examples = ["--idx", f"{FASHION}/t10k-images-idx3-ubyte.gz",
                f"{FASHION}/t10k-labels-idx1-ubyte.gz"]

# ---- duet run, duet emit-c and duet predict ----------------------------------------
# the convolutions' path: auto picks by timing, and two processes may pick
# differently; duet run on oneDNN picks by timing and the oneDNN train is
# pinned to its picks (--conv RUN_DIR), the others pin im2col
CONV = {"onednn": [], "openblas": ["--conv", "im2col"], None: ["--conv", "im2col"]}
TRAIN_CONV = {"onednn": ["--conv", t.path("run-onednn")], "openblas": CONV["openblas"]}
for gemm in ("onednn", "openblas"):
    run([t.duet, "run", source, case["exp"], *sets, "--steps", str(steps), "--log-every", "1",
         "--out", t.path(f"run-{gemm}"), "--quiet", "--gemm", gemm, *CONV[gemm]],
        f"duet run --gemm {gemm}")
with open(t.path("run-onednn", "summary.json")) as f:
    gemm = json.load(f)["gemm"]
t.check(gemm.startswith("onednn "), "duet run --gemm onednn: summary.json names oneDNN's kernels",
        "onednn ...", gemm)
run([t.duet, "emit-c", source, case["exp"], *sets, "-o", t.path("c")], "duet emit-c")
with open(t.path("c", "model.c")) as f:
    model_c = f.read()
# the training step in one function per phase, called in order
phases = [f"train_step_{p}(arena, inputs, scalars, outputs);"
          for p in ("forward", "backward", "step")]
at = [model_c.find(c) for c in phases]
t.check(all(i > 0 for i in at) and at == sorted(at),
        "model.c: train_step calls forward, backward, step", phases, at)
checkpoint = t.path("run-openblas", "model.safetensors")
want_metrics = t.path("run-openblas", "metrics.jsonl")
predicts = case.get("predict", True)
jit = None
if predicts:
    final = [m for m in read_jsonl(want_metrics) if any(k.endswith("_loss") for k in m)][-1]
    want_loss = next(v for k, v in final.items() if k.endswith("_loss"))
    want_acc = next((v for k, v in final.items() if k.endswith("_accuracy")), None)
    out = run([t.duet, "predict", source, case["exp"], *sets, "--weights", checkpoint,
               "--predictions", t.path("jit.txt"), *CONV[None], *examples], "duet predict")
    jit = accuracy_line(out, "duet predict")
    jit_classes = read_classes(t.path("jit.txt"))
    if jit:
        t.check(want_acc is None or jit[0] == round(want_acc * jit[1]),
                "duet predict: the correct predictions of duet run's accuracy",
                want_acc, f"{jit[0]} of {jit[1]}")
        t.check(rel(jit[2], want_loss) <= TOL, "duet predict: duet run's evaluation loss",
                want_loss, jit[2])
        print(f"duet predict: {jit[0]} of {jit[1]} correct, loss {jit[2]}")


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
    """blas: None (portable), "openblas" or "onednn" (OpenBLAS and oneDNN)."""
    """A build of the emitted dir src in a directory of its own, or (base)
    over the files and objects of an earlier build; checks the flags and
    that no warning was printed."""
    if base:
        shutil.copytree(t.path(base), t.path(name))
        overlay(t.path(src), t.path(name))
    else:
        shutil.copytree(t.path(src), t.path(name))
    args = ["make", "-C", t.path(name), "-j2", f"CC={cc}"] + (["BLAS=openblas"] if blas else []) \
        + (["ONEDNN=1"] if blas == "onednn" else [])
    out = run(args, f"build {name}")
    compiles = [line for line in out.splitlines() if " -c " in line]
    t.check(compiles and all(all(f in line.split() for f in FLAGS) for line in compiles),
            f"{name}: every file compiled with {' '.join(FLAGS)}", FLAGS, compiles[:1])
    warnings = [line for line in out.splitlines()
                if "warning:" in line and not line.startswith("make")]
    t.check(not warnings, f"{name}: builds without warnings", [], warnings[:5])
    return t.path(name)


def predict(d, what, args, cwd=None):
    """Runs predict of build d; checks its classes against duet predict's and
    its accuracy and loss against duet run's."""
    classes = t.path(f"{what.replace(' ', '-')}.txt")
    out = run([os.path.join(d, "predict"), *args, "--predictions", classes, *CONV[None],
               *examples], what, cwd=cwd or d)
    got = accuracy_line(out, what)
    if not got or not jit:
        return
    same = sum(a == b for a, b in zip(read_classes(classes), jit_classes))
    t.check(read_classes(classes) == jit_classes,
            f"{what}: the classes duet predict predicts", len(jit_classes), f"{same} equal")
    t.check(got[:2] == jit[:2], f"{what}: duet predict's correct count", jit[:2], got[:2])
    t.check(rel(got[2], want_loss) <= TOL, f"{what}: duet run's evaluation loss", want_loss,
            got[2])
    print(f"{what}: {got[0]} of {got[1]} correct, loss {got[2]} (rel. {rel(got[2], want_loss):.3g})")


for cc_name, cc in (("gcc", "gcc"), ("clang", clang)):
    for blas in ("onednn", "openblas", None)[cc_name != "gcc":]:
        name = f"{cc_name}-{blas or 'portable'}"
        d = build(name, cc, blas)
        if blas:
            want = t.path(f"run-{blas}")
            run([os.path.join(d, "train"), "--steps", str(steps), "--log-every", "1", "--out",
                 t.path(name + "-run"), "--quiet", *TRAIN_CONV[blas]], f"{name} train", cwd=d)
            compare_metrics(t.path(name + "-run", "metrics.jsonl"),
                            os.path.join(want, "metrics.jsonl"), f"{name} train")
            compare_run_dirs(t.path(name + "-run"), want, f"{name} train")
        if predicts:
            predict(d, f"{name} predict", ["--weights", checkpoint])

if case.get("embed"):
    run([t.duet, "emit-c", source, case["exp"], *sets, "--checkpoint", checkpoint,
         "--embed-weights", "-o", t.path("e")], "duet emit-c --embed-weights")
    d = build("embedded", "gcc", True, src="e", base="gcc-openblas")
    os.remove(os.path.join(d, "model.safetensors"))
    alone = t.path("alone")
    os.makedirs(alone)
    shutil.copy(os.path.join(d, "predict"), alone)
    t.check(not any(f.endswith(".safetensors") for f in os.listdir(alone)),
            "embedded: no weights file beside predict", [], os.listdir(alone))
    predict(alone, "embedded predict", [])
    out = run([t.duet, "predict", source, *examples], "duet predict without weights", rc=1)
    t.check("no weights given (--weights FILE)" in out, "duet predict: names the missing weights",
            "no weights given (--weights FILE)", out)
    out = run([t.duet, "predict", source, "--weights", checkpoint, "--text", t.path("jit.txt")],
              "duet predict --text on an image model", rc=1)
    t.check("--text needs a model of token windows" in out, "duet predict: --text on images",
            "--text needs a model of token windows", out)

    # a weight that is not finite, in a valid file
    with open(checkpoint, "rb") as f:
        blob = bytearray(f.read())
    (n,) = struct.unpack("<Q", blob[:8])
    at = 8 + n + json.loads(blob[8:8 + n])["1.2.W"]["data_offsets"][0] + 4 * 5
    blob[at:at + 4] = struct.pack("<f", float("inf"))
    with open(t.path("inf.safetensors"), "wb") as f:
        f.write(blob)
    d = t.path("gcc-openblas")
    out = run([os.path.join(d, "predict"), "--weights", t.path("inf.safetensors"), *examples],
              "predict with an infinite weight", cwd=d, rc=1)
    msg = "weight 1.2.W (model[1].MLP[2].Linear.W) holds inf at element 5: not a trained model"
    t.check(msg in out, "predict: names the weight that is not finite", msg, out)

    # SIGINT: the run is saved; --resume ends as duet run's run
    proc = subprocess.Popen([os.path.join(d, "train"), "--steps", str(steps), "--log-every", "1",
                             "--out", t.path("stopped"), "--quiet", *CONV["openblas"]], cwd=d,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = t.path("stopped", "metrics.jsonl")
    while proc.poll() is None and not (os.path.exists(metrics) and open(metrics).read().count("\n")):
        time.sleep(0.001)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate()
    with open(t.path("stopped", "summary.json")) as f:
        status = json.load(f).get("status")
    t.check(proc.returncode == 130 and status == "interrupted" and
            "continue with: ./train --resume " + t.path("stopped") in err,
            "train: SIGINT saves the run (exit 130)", 130, (proc.returncode, status, err[-500:]))
    run([os.path.join(d, "train"), "--resume", t.path("stopped"), "--quiet", *CONV["openblas"]],
        "train --resume", cwd=d)
    compare_metrics(t.path("stopped", "metrics.jsonl"), want_metrics, "train stopped and resumed")
    compare_run_dirs(t.path("stopped"), t.path("run-openblas"), "train stopped and resumed")
t.done()
