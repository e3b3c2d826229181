"""test_checkpoint.py - what a run directory holds and what is done with it:
  - a weight or state value that is not finite (written into a valid file)
    is an error naming the tensor and the element: `duet predict RUN_DIR`,
    `duet run --resume`, `duet emit-c --checkpoint`;
  - the checkpoint is a pair of files of one step: with the state file of
    a later step in place (a crash between the two writes), the resumed run
    takes the state of the weights' step (train_state.prev) and ends as the
    uninterrupted run;
  - resuming continues as planned: another --steps is an error pointing to
    --extend-steps; --extend-steps N runs N more steps at the schedule's
    last value;
  - --checkpoint-every N writes the checkpoint every N steps; so does an
    experiment's `checkpoint every N steps` (and `every N minutes`), in
    duet run and in the emitted train alike, which the options override,
    all recorded in summary.json;
  - --init-from RUN_DIR starts from another run's weights (another
    optimizer, fresh state), and names a missing or mis-shaped weight;
  - provenance: summary.json's data files (size, FNV-1a), and `duet
    predict RUN_DIR` from the run's copy of its program after the .duet file
    is deleted;
  - data locations: DUET_DATA/fashion-mnist when it holds the files, the
    Debian directory when not; a missing text reported once for a whole
    compare, naming the path and DUET_DATA."""
import json
import os
import shutil
import struct
import subprocess

import numpy as np

from drvtest import (EXAMPLES, HERE, Test, read_jsonl, read_safetensors, read_state,
                     read_summary, read_weights)

t = Test("test_checkpoint")
FASHION = "/usr/share/datasets/fashion-mnist"
IMAGES = [f"{FASHION}/t10k-images-idx3-ubyte.gz", f"{FASHION}/t10k-labels-idx1-ubyte.gz"]
src = t.path("small_mlp.duet")
shutil.copy(os.path.join(HERE, "small_mlp.duet"), src)


def run(*args, rc=0, env=None):
    p = subprocess.run([t.duet, *args], cwd=t.work, capture_output=True, text=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1", **(env or {})))
    if not t.check(p.returncode == rc, f"exit code of duet {' '.join(args)}", rc, p.returncode):
        print(p.stdout[-2000:], p.stderr[-2000:])
    return p


def poke(path, name, index, value):
    """Writes value into element index of tensor name of a safetensors file,
    which stays valid."""
    with open(path, "rb") as f:
        blob = bytearray(f.read())
    (n,) = struct.unpack("<Q", blob[:8])
    entry = json.loads(blob[8:8 + n])[name]
    fmt, size = {"F32": ("<f", 4), "F64": ("<d", 8)}[entry["dtype"]]
    at = 8 + n + entry["data_offsets"][0] + index * size
    blob[at:at + size] = struct.pack(fmt, value)
    with open(path, "wb") as f:
        f.write(blob)


def same_end(a, b, what):
    t.check(read_jsonl(t.path(a, "metrics.jsonl")) == read_jsonl(t.path(b, "metrics.jsonl")),
            f"{what}: metrics.jsonl")
    t.check(read_summary(t.path(a, "summary.json")) == read_summary(t.path(b, "summary.json")),
            f"{what}: summary.json")
    for name in ("model.safetensors", "train_state.safetensors"):
        ta, tb = read_safetensors(t.path(a, name))[0], read_safetensors(t.path(b, name))[0]
        t.check(ta.keys() == tb.keys() and all(ta[k].tobytes() == tb[k].tobytes() for k in ta),
                f"{what}: {name} bit for bit")


run("run", src, "--out", "full", "--threads", "1", "--quiet")
run("run", src, "--out", "half", "--stop-after", "30", "--threads", "1", "--quiet")

# ---- values that are not finite --------------------------------------------------
shutil.copytree(t.path("half"), t.path("nanw"))
poke(t.path("nanw", "model.safetensors"), "1.2.W", 7, float("nan"))
msg = "weight 1.2.W (model[1].MLP[2].Linear.W) holds nan at element 7: not a trained model"
p = run("predict", "nanw", "--idx", *IMAGES, rc=1)
t.check(p.stderr == f"duet: error: nanw/model.safetensors: {msg}\n", "predict: a NaN weight",
        msg, p.stderr)
p = run("run", "--resume", "nanw", "--quiet", rc=1)
t.check(p.stderr == f"duet: error: cannot resume nanw: {msg}\n", "resume: a NaN weight", msg,
        p.stderr)
p = run("emit-c", src, "--checkpoint", "nanw/model.safetensors", "-o", "c", rc=1)
t.check("weight 1.2.W (model[1].MLP[2].Linear.W) holds a value that is not finite at element 7"
        in p.stderr, "emit-c: a NaN weight", msg, p.stderr)
shutil.copytree(t.path("half"), t.path("infs"))
poke(t.path("infs", "train_state.safetensors"), "model[1].MLP[0].Linear.W:m", 3, float("-inf"))
p = run("run", "--resume", "infs", "--quiet", rc=1)
want = "duet: error: cannot resume infs: tensor model[1].MLP[0].Linear.W:m holds -inf at element 3\n"
t.check(p.stderr == want, "resume: optimizer state that is not finite", want, p.stderr)

# ---- the pair of files -----------------------------------------------------------
# a crash after the state of step 40 replaced that of step 30, before the weights
shutil.copytree(t.path("half"), t.path("torn"))
run("run", src, "--out", "later", "--stop-after", "40", "--threads", "1", "--quiet")
os.replace(t.path("torn", "train_state.safetensors"), t.path("torn", "train_state.prev.safetensors"))
shutil.copy(t.path("later", "train_state.safetensors"), t.path("torn", "train_state.safetensors"))
run("run", "--resume", "torn", "--threads", "1", "--quiet")
same_end("full", "torn", "resumed after a torn checkpoint")

# ---- resuming as planned, extending ----------------------------------------------
p = run("run", "--resume", "half", "--steps", "100", "--quiet", rc=1)
want = ("duet: error: the run in half is planned for 60 steps; --steps asks for 100: --resume "
        "continues it as planned\n  hint: to train longer, add --extend-steps 40 (the extra "
        "steps run at the schedule's last value)\n")
t.check(p.stderr == want, "resume --steps: another length is an error", want, p.stderr)
p = run("run", src, "--extend-steps", "5", "--out", "x", rc=1)
t.check("--extend-steps lengthens a run continued with --resume" in p.stderr,
        "--extend-steps without --resume", "an error", p.stderr)
shutil.copytree(t.path("full"), t.path("longer"))
run("run", "--resume", "longer", "--extend-steps", "20", "--threads", "1", "--quiet")
lines = {d["step"]: d for d in read_jsonl(t.path("longer", "metrics.jsonl")) if "loss" in d}
last = lines[60]["schedule"]
t.check(sorted(lines)[-3:] == [60, 70, 80] and lines[70]["schedule"] == last and
        lines[80]["schedule"] == last and last < lines[50]["schedule"],
        "--extend-steps: the extra steps run at the schedule's last value", last,
        [(s, lines[s]["schedule"]) for s in sorted(lines)[-3:]])
s = read_summary(t.path("longer", "summary.json"))
t.check((s.get("steps"), s.get("total_steps"), s.get("run", {}).get("schedule_steps")) ==
        (80, 80, 60), "--extend-steps: summary.json", (80, 80, 60), s.get("run"))

# ---- periodic checkpoints ---------------------------------------------------------
run("run", src, "--out", "every", "--stop-after", "7", "--checkpoint-every", "3", "--set",
    "steps=7", "--threads", "1", "--quiet")
_, prev = read_safetensors(t.path("every", "train_state.prev.safetensors"))
t.check(prev.get("duet.step") == "6", "--checkpoint-every 3: the checkpoint before the last is "
        "of step 6", "6", prev.get("duet.step"))

# the periods declared in the experiment, and the options over them
with open(src) as f:
    text = f.read()
declared = t.path("declared.duet")
with open(declared, "w") as f:
    f.write(text.replace("  seed = 3\n",
                         "  seed = 3\n  checkpoint every 3 steps\n  checkpoint every 2 minutes\n"))
for name, extra, step, every, every_s in (("decl", [], "6", 3, 120),
                                          ("opt", ["--checkpoint-every", "5",
                                                   "--checkpoint-every-s", "0"], "5", 5, 0)):
    run("run", declared, "--out", name, "--stop-after", "7", "--set", "steps=7", "--threads", "1",
        "--quiet", *extra)
    _, prev = read_safetensors(t.path(name, "train_state.prev.safetensors"))
    t.check(prev.get("duet.step") == step, f"checkpoint periods ({name}): the checkpoint before "
            "the last", step, prev.get("duet.step"))
    got = read_summary(t.path(name, "summary.json"))["run"]
    t.equal(f"checkpoint periods ({name}): summary.json", (every, every_s),
            (got.get("checkpoint_every"), got.get("checkpoint_every_s")))
got = read_summary(t.path("every", "summary.json"))["run"]
t.equal("checkpoint periods by default: summary.json", (3, 300),
        (got.get("checkpoint_every"), got.get("checkpoint_every_s")))
# the emitted train reads the same declaration
run("emit-c", declared, "--out", "emitted")
subprocess.run(["make", "-C", t.path("emitted"), "-j2", "BLAS=openblas"], check=True,
               capture_output=True)
subprocess.run(["./train", "--out", "run", "--stop-after", "7", "--steps", "7", "--quiet"],
               cwd=t.path("emitted"), check=True, capture_output=True,
               env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
_, prev = read_safetensors(t.path("emitted", "run", "train_state.prev.safetensors"))
t.check(prev.get("duet.step") == "6", "checkpoint periods (emitted train): the checkpoint "
        "before the last", "6", prev.get("duet.step"))
got = read_summary(t.path("emitted", "run", "summary.json"))["run"]
t.equal("checkpoint periods (emitted train): summary.json", (3, 120),
        (got.get("checkpoint_every"), got.get("checkpoint_every_s")))

# ---- fine-tuning ------------------------------------------------------------------
run("run", src, "--out", "ft0", "--init-from", "full", "--steps", "0", "--set",
    "optimizer=AdamW(lr = 0.001)", "--quiet")
a, b = read_weights(t.path("full")), read_weights(t.path("ft0"))
t.check(all(np.array_equal(a[k], b[k]) for k in a) and a.keys() == b.keys(),
        "--init-from: the first weights are the other run's")
state, _ = read_state(t.path("ft0"))
moments = [k for k in state if k.endswith((":m", ":v"))]
t.check(len(moments) == 4 and all(not state[k].any() for k in moments),
        "--init-from with another optimizer: its state starts at zero", 4, moments)
run("run", src, "--out", "ft", "--init-from", "full", "--steps", "5", "--set",
    "optimizer=AdamW(lr = 0.001)", "--threads", "1", "--quiet")
s = read_summary(t.path("ft", "summary.json"))
t.check(s.get("run", {}).get("init_from") == {"path": "full", "experiment": "small_mlp",
                                              "step": 60}, "summary.json: the weights it started from",
        None, s.get("run"))
p = run("run", src, "--out", "ftw", "--init-from", "full", "--set", "model.width=32", "--quiet",
        rc=1)
want = ("duet: error: cannot start from full/model.safetensors: weight 1.0.W "
        "(model[1].MLP[0].Linear.W) is F32 [64, 784] in the file; the model has [32, 784]\n")
t.check(p.stderr == want, "--init-from: a mis-shaped weight", want, p.stderr)
p = run("run", src, "--out", "ftm", "--init-from", "full", "--set",
        "model=flatten >> Linear(784, 10)", "--quiet", rc=1)
want = ("duet: error: cannot start from full/model.safetensors: the file has no weight 1.W "
        "(model[1].Linear.W)\n")
t.check(p.stderr == want, "--init-from: a missing weight", want, p.stderr)
t.check(not os.path.exists(t.path("ftw")) and not os.path.exists(t.path("ftm")),
        "--init-from that fails leaves no run directory")

# ---- provenance --------------------------------------------------------------------
s = read_summary(t.path("full", "summary.json"))
labels = s["data"]["test"]["files"][1]
with open(IMAGES[1], "rb") as f:
    data = f.read()
h = 0xcbf29ce484222325
for c in data:
    h = ((h ^ c) * 0x100000001b3) % (1 << 64)
t.check(labels == {"path": IMAGES[1], "bytes": len(data), "fnv1a64": f"{h:016x}"},
        "summary.json: a data file's size and FNV-1a hash", f"{h:016x}", labels)
os.remove(src)
p = run("predict", "full", "--idx", *IMAGES)
acc = f"accuracy {s['test_accuracy']:.4f} ({round(s['test_accuracy'] * 10000)} of 10000)"
t.check(p.stdout.startswith(acc), "predict RUN_DIR after the .duet file is gone: the run's "
        "accuracy", acc, p.stdout)

# ---- data locations ----------------------------------------------------------------
os.makedirs(t.path("data", "fashion-mnist"))
for name in os.listdir(FASHION):
    os.symlink(os.path.join(FASHION, name), t.path("data", "fashion-mnist", name))
small = os.path.join(HERE, "small_mlp.duet")
run("run", small, "--out", "moved", "--steps", "0", "--quiet", env={"DUET_DATA": t.path("data")})
files = [f["path"] for d in read_summary(t.path("moved", "summary.json"))["data"].values()
         for f in d["files"]]
t.check(len(files) == 4 and all(f.startswith(t.path("data", "fashion-mnist") + "/") for f in files),
        "DUET_DATA/fashion-mnist moves Fashion-MNIST", t.path("data", "fashion-mnist"), files)
os.makedirs(t.path("empty"))
run("run", small, "--out", "default", "--steps", "0", "--quiet", env={"DUET_DATA": t.path("empty")})
files = [f["path"] for d in read_summary(t.path("default", "summary.json"))["data"].values()
         for f in d["files"]]
t.check(all(f.startswith(FASHION + "/") for f in files),
        "without DUET_DATA/fashion-mnist: the Debian package's files", FASHION, files)
p = run("compare", os.path.join(EXAMPLES, "kjv_gpt.duet"), "--steps", "1", "--out", "cmp",
        "--quiet", rc=1, env={"DUET_DATA": t.path("empty")})
missing = f"the King James Bible text {t.path('empty', 'kjv.txt')} does not exist " \
          f"(DUET_DATA={t.path('empty')})"
t.check(p.stderr.count(missing) == 1 and "stopped after variant 1 of 4" in p.stderr,
        "a missing text is reported once for the whole compare", missing, p.stderr)
t.done()
