"""test_own_data.py - the data sources of the user's files through `duet
run`, against numpy's reading of the same files:
  idx     u8 images gzipped and plain, f32 images with i16 labels, f64
          targets (mse);
  npy     big-endian Fortran-order f64 features with i32 labels, f32 real
          targets of one axis (examples [1]);
  npz     a compressed archive with named members;
  csv     class ids and real targets;
  text    windows of bytes, targets shifted by one;
  tokens  raw u16 ids and llm.c's u32 header variant;
every example of a set is dumped (one batch of all of them, --dump-batches)
and must equal a row of numpy's arrays (identical float32 values, the
same labels), each row once. Then the seeded split of one file (sizes,
disjoint, the same for a seed, another for another seed), relative paths
(against the .duet file's directory, from another working directory), the
normalization (per feature and per channel, against numpy's statistics of
the training split; normalization.json, the checkpoint metadata, `duet
predict --data`), and every class of bad input with its message and exit
code 1."""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

from e2etest import Test, read_safetensors

t = Test("test_own_data")
rng = np.random.default_rng(12)


def write(name, text):
    with open(t.path(name), "w") as f:
        f.write(text)
    return t.path(name)


def experiment(name, data, model, loss, batch, extra=""):
    return write(f"{name}.duet", f"""use std.nn
use std.gpt
use std.optim

experiment {name} {{
  data {data}
  model = {model}
  loss = {loss}
  optimizer = SGD(lr = 0.0)
  batch = {batch}
  steps = 1
{extra}}}
""")


def dump(name, data, model, loss, batch, *args, extra=""):
    """All examples of a set as one dumped batch: (x, y)."""
    src = experiment(name, data, model, loss, batch, extra)
    t.duet_run("run", src, "--out", name, "--dump-batches", f"{name}-b", "--quiet", *args)
    b, _ = read_safetensors(t.path(f"{name}-b", "step-000001.safetensors"))
    return b["x"], b["y"]


def same_rows(what, x, y, want_x, want_y):
    """Every dumped example is one row of (want_x, want_y), each row once."""
    n = len(want_x)
    fx = want_x.reshape(n, -1).astype(np.float32)
    gx = np.asarray(x).reshape(len(x), -1)
    if not t.equal(f"{what}: examples", (n, fx.shape[1]), gx.shape):
        return
    keys = {fx[i].tobytes(): i for i in range(n)}
    rows = [keys.get(gx[i].astype(np.float32).tobytes(), -1) for i in range(n)]
    t.equal(f"{what}: each example is a row of the file, once", list(range(n)), sorted(rows))
    if min(rows) >= 0:
        t.check(np.array_equal(np.asarray(y).reshape(n, -1),
                               np.asarray(want_y)[rows].reshape(n, -1).astype(np.asarray(y).dtype)),
                f"{what}: labels of the examples")


def idx_bytes(a, code):
    head = struct.pack(">BBBB", 0, 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    return head + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write_idx(name, a, code, gz=False):
    blob = idx_bytes(a, code)
    with open(t.path(name), "wb") as f:
        f.write(gzip.compress(blob) if gz else blob)


# ---- idx ------------------------------------------------------------------------
n = 40
im = rng.integers(0, 256, size=(n, 4, 5), dtype=np.uint8)
lab = rng.integers(0, 3, size=n).astype(np.uint8)
for gz in (True, False):
    ext = ".gz" if gz else ""
    write_idx(f"im{ext}", im, 0x08, gz)
    write_idx(f"lab{ext}", lab, 0x08, gz)
    x, y = dump(f"idx{'gz' if gz else ''}",
                f'train = idx("im{ext}", "lab{ext}", normalize = 0)',
                "flatten >> Linear(20, 3)", "cross_entropy", n)
    same_rows(f"idx u8 {'gzipped' if gz else 'plain'}", x, y, im, lab)
imf = rng.standard_normal((n, 2, 3)).astype(np.float32)
lab16 = rng.integers(0, 4, size=n).astype(np.int16)
write_idx("imf", imf, 0x0d)
write_idx("lab16", lab16, 0x0b)
x, y = dump("idxf", 'train = idx("imf", "lab16", normalize = 0)', "flatten >> Linear(6, 4)",
            "cross_entropy", n)
same_rows("idx f32 images, i16 labels", x, y, imf, lab16)
tgt = rng.standard_normal((n, 2))
write_idx("tgt", tgt, 0x0e)
x, y = dump("idxr", 'train = idx("imf", "tgt", normalize = 0)', "flatten >> Linear(6, 2)", "mse", n)
same_rows("idx f64 targets", x, y, imf, tgt.astype(np.float32))

# ---- npy / npz ------------------------------------------------------------------
xf = np.asfortranarray(rng.standard_normal((n, 3, 2)).astype(">f8"))
yi = rng.integers(0, 5, size=n).astype(np.int32)
np.save(t.path("x.npy"), xf)
np.save(t.path("y.npy"), yi)
x, y = dump("npy", 'train = npy("x.npy", "y.npy", normalize = 0)', "flatten >> Linear(6, 5)",
            "cross_entropy", n)
same_rows("npy big-endian Fortran f64, i32 labels", x, y, np.load(t.path("x.npy")), yi)
yr = rng.standard_normal(n).astype(np.float32)
np.save(t.path("yr.npy"), yr)
x, y = dump("npyr", 'train = npy("x.npy", "yr.npy", normalize = 0)', "flatten >> Linear(6, 1)",
            "mse", n)
same_rows("npy real targets [N] as [1]", x, y, np.load(t.path("x.npy")), yr.reshape(n, 1))
xu = rng.integers(0, 256, size=(n, 7), dtype=np.uint8)
np.savez_compressed(t.path("d.npz"), feats=xu, labels=yi.astype(np.int64))
x, y = dump("npz", 'train = npz("d.npz", x = "feats", y = "labels", normalize = 0)',
            "Linear(7, 5)", "cross_entropy", n)
z = np.load(t.path("d.npz"))
same_rows("npz compressed, named members", x, y, z["feats"], z["labels"])

# ---- csv ------------------------------------------------------------------------
xc = rng.standard_normal((n, 3))
yc = rng.integers(0, 3, size=n)
with open(t.path("d.csv"), "w") as f:
    f.write("a,label,b,c\n")
    for i in range(n):
        f.write(f"{xc[i, 0]!r},{yc[i]},{xc[i, 1]!r},{xc[i, 2]!r}\n")
want = np.loadtxt(t.path("d.csv"), delimiter=",", skiprows=1)
x, y = dump("csv", 'train = csv("d.csv", label = "label", normalize = 0)', "Linear(3, 3)",
            "cross_entropy", n)
same_rows("csv class ids", x, y, want[:, [0, 2, 3]], want[:, 1].astype(np.int32))
x, y = dump("csvr", 'train = csv("d.csv", label = "a", target = "real", normalize = 0)',
            "Linear(3, 1)", "mse", n)
same_rows("csv real target", x, y, want[:, 1:], want[:, :1])

# ---- text and tokens ---------------------------------------------------------------


def windows(what, x, y, seq, ctx):
    """Every row of x is seq[w ctx .. w ctx + ctx) for a distinct w, y the next."""
    nw = (len(seq) - 1) // ctx
    want = np.array([seq[w * ctx:w * ctx + ctx + 1] for w in range(nw)])
    same_rows(what, np.asarray(x, dtype=np.float32), y, want[:, :-1].astype(np.float32),
              want[:, 1:])


blob = rng.integers(0, 256, size=301, dtype=np.uint8).tobytes()
with open(t.path("t.txt"), "wb") as f:
    f.write(blob)
x, y = dump("text", 'train = text("t.txt", context = 10)', "GPTPreNorm(vocab = 256, context = 10, "
            "width = 8, heads = 2, depth = 1)", "cross_entropy", 30)
windows("text", x, y, np.frombuffer(blob, np.uint8), 10)
ids = rng.integers(0, 1000, size=251).astype(np.uint16)
ids.tofile(t.path("t16.bin"))
x, y = dump("tok16", 'train = tokens("t16.bin", context = 10, vocab = 1000)', "GPTPreNorm(vocab = 1000, "
            "context = 10, width = 8, heads = 2, depth = 1)", "cross_entropy", 25)
windows("tokens u16", x, y, np.fromfile(t.path("t16.bin"), np.uint16), 10)
ids32 = rng.integers(0, 70000, size=121).astype(np.uint32)
head = np.zeros(256, np.int32)
head[:3] = (20240801, 7, len(ids32))
with open(t.path("llmc.bin"), "wb") as f:
    f.write(head.tobytes() + ids32.tobytes())
x, y = dump("tok32", 'train = tokens("llmc.bin", dtype = "u32", context = 12, vocab = 70000)',
            "GPTPreNorm(vocab = 70000, context = 12, width = 8, heads = 2, depth = 1)",
            "cross_entropy", 10)
windows("tokens llm.c u32", x, y, ids32, 12)

# ---- splits ---------------------------------------------------------------------
split = 'train = npy("x.npy", "y.npy", split = "{}", holdout = 0.25, normalize = 0)'
parts = {}
for seed in (0, 0, 5):
    for s, size in (("test", 10), ("train", 30)):
        x, y = dump(f"split_{s}_{seed}_{len(parts)}", split.format(s), "flatten >> Linear(6, 5)",
                    "cross_entropy", size, extra=f"  seed = {seed}\n")
        t.equal(f"split {s} (seed {seed}): floor(40 * 0.25) test examples", size, len(x))
        allx = np.load(t.path("x.npy")).reshape(n, -1).astype(np.float32)
        keys = {allx[i].tobytes(): i for i in range(n)}
        parts[(s, seed, len(parts))] = sorted(keys[r.astype(np.float32).tobytes()] for r in x)
sp = list(parts.values())
t.equal("split: train and test are disjoint and cover the file", list(range(n)),
        sorted(sp[0] + sp[1]))
t.equal("split: the same for the same seed", sp[0], sp[2])
t.check(sp[0] != sp[4], "split: another for another seed", None, (sp[0], sp[4]))

# ---- relative paths: against the .duet file's directory -----------------------
os.makedirs(t.path("sub", "data"))
np.save(t.path("sub", "data", "x.npy"), xf)
np.save(t.path("sub", "data", "y.npy"), yi)
src = write("sub/rel.duet", open(experiment("rel", 'train = npy("data/x.npy", "data/y.npy")',
                                            "flatten >> Linear(6, 5)", "cross_entropy", 8)).read())
p = t.duet_run("run", src, "--out", "rel", "--quiet")
summary = json.load(open(t.path("rel", "summary.json")))
t.check(t.path("sub", "data", "x.npy") in json.dumps(summary),
        "relative paths: resolved against the .duet file's directory", t.path("sub", "data"),
        json.dumps(summary)[:400])

# ---- normalization --------------------------------------------------------------
np.save(t.path("x6.npy"), np.load(t.path("x.npy")).reshape(n, 6))
src = experiment("norm", 'train = npy("x6.npy", "y.npy", split = "train", holdout = 0.25), '
                 'test = npy("x6.npy", "y.npy", split = "test", holdout = 0.25)',
                 "Linear(6, 5)", "cross_entropy", 30,
                 "  seed = 0\n  eval every 1 steps: loss(test), accuracy(test)\n")
t.duet_run("run", src, "--out", "norm", "--dump-batches", "norm-b", "--quiet")
b, _ = read_safetensors(t.path("norm-b", "step-000001.safetensors"))
train_rows = sp[1]
xs = np.load(t.path("x.npy")).reshape(n, 6).astype(np.float32)[train_rows].astype(np.float64)
mean, sd = xs.mean(0), xs.std(0)
nj = json.load(open(t.path("norm", "normalization.json")))
t.check(np.allclose(nj["mean"], mean, rtol=1e-12) and np.allclose(nj["std"], sd, rtol=1e-12),
        "normalization: per feature, of the training split", (mean, sd), (nj["mean"], nj["std"]))
t.equal("normalization: per", "feature", nj["per"])
_, meta = read_safetensors(t.path("norm", "model.safetensors"))
t.equal("normalization: in the checkpoint metadata", nj["mean"],
        json.loads(meta["duet.input.norm_mean"]))
got = b["x"].reshape(30, 6).astype(np.float64)
want = np.sort(((xs - mean) / sd).astype(np.float32), axis=0)
t.check(np.allclose(np.sort(got, axis=0), want, atol=1e-6), "normalization: the training inputs")
p = t.duet_run("predict", src, "--weights", t.path("norm", "model.safetensors"), "--data", "test")
evals = [json.loads(line) for line in open(t.path("norm", "metrics.jsonl"))
         if "test_loss" in line]
loss = float(p.stdout.split("loss ")[-1]) if "loss " in p.stdout else None
t.check(loss is not None and abs(loss - evals[-1]["test_loss"]) <= 1e-6 * abs(loss),
        "predict --data test: the run's test loss, normalized as in training",
        evals[-1]["test_loss"], p.stdout)
imc = (rng.standard_normal((n, 2, 2, 3)) * [[[3]], [[7]]] + [[[1]], [[-2]]]).astype(np.float32)
np.save(t.path("imc.npy"), imc)
t.duet_run("run", experiment("normc", 'train = npy("imc.npy", "y.npy")',
                             "flatten >> Linear(12, 5)", "cross_entropy", 8), "--out", "normc",
           "--quiet")
nj = json.load(open(t.path("normc", "normalization.json")))
c = imc.transpose(1, 0, 2, 3).reshape(2, -1).astype(np.float64)
t.check(nj["per"] == "channel" and np.allclose(nj["mean"], c.mean(1), rtol=1e-12) and
        np.allclose(nj["std"], c.std(1), rtol=1e-12),
        "normalization: per channel of [C, H, W]", (c.mean(1), c.std(1)), nj)

# ---- the examples, shortened --------------------------------------------------------
EX = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                  "examples")
subprocess.run([sys.executable, os.path.join(EX, "own_arrays.py"), t.path("own_arrays")],
               check=True, capture_output=True)
shutil.copy(os.path.join(EX, "own_arrays.duet"), t.path("own_arrays.duet"))
t.duet_run("run", t.path("own_arrays.duet"), "--epochs", "10", "--out", "oa", "--quiet")
last = [json.loads(line) for line in open(t.path("oa", "metrics.jsonl"))][-1]
t.check(last.get("test_accuracy", 0) >= 0.8, "own_arrays, 10 epochs: test accuracy >= 0.8",
        ">= 0.8", last.get("test_accuracy"))
corpus = os.path.join(os.path.dirname(EX), "docs", "data.md")
t.duet_run("run", os.path.join(EX, "own_text.duet"), "--set", f'data.file="{corpus}"',
           "--steps", "1", "--out", "ot0", "--quiet")
summary = json.load(open(t.path("ot0", "summary.json")))
t.check(corpus in json.dumps(summary), "own_text: --set data.file reads that file", corpus,
        json.dumps(summary)[:300])
t.duet_run("run", os.path.join(EX, "own_text.duet"), "--steps", "150", "--out", "ot", "--quiet")
last = [json.loads(line) for line in open(t.path("ot", "metrics.jsonl"))][-1]
t.check(last.get("val_loss", 9) < 3.0, "own_text, 150 steps: validation loss < 3 (uniform: 5.55)",
        "< 3.0", last.get("val_loss"))

# ---- bad input: the message names the file and the place; exit 1 ---------------


def bad(what, data, message, model="flatten >> Linear(20, 3)", loss="cross_entropy"):
    src = experiment("bad", data, model, loss, 4)
    p = t.duet_run("run", src, "--out", "bad", "--quiet", rc=1)
    t.check(message in p.stderr, f"bad input: {what}", message, p.stderr[-600:])


raw = idx_bytes(im, 0x08)
with open(t.path("cut"), "wb") as f:
    f.write(raw[:-7])
bad("truncated IDX file", 'train = idx("cut", "lab")',
    "cut: byte 809: truncated: the data of 40 x 4 x 5 u8 needs 800 bytes, 793 follow the header")
with open(t.path("more"), "wb") as f:
    f.write(raw[:8] + struct.pack(">I", 5) + raw[12:])
bad("a header claiming more than the file holds", 'train = idx("more", "lab")',
    "more: byte 816: truncated: the data of 40 x 5 x 5 u8 needs 1000 bytes, 800 follow the header",
    model="flatten >> Linear(25, 3)")
gz = bytearray(gzip.compress(raw))
gz[-6] ^= 0xff
with open(t.path("corrupt.gz"), "wb") as f:
    f.write(bytes(gz))
bad("corrupt gzip", 'train = idx("corrupt.gz", "lab")', "corrupt.gz: corrupt gzip data")
bad("label out of range", 'train = idx("im", "lab", classes = 2)',
    "lab: byte ")
bad("label out of range (message)", 'train = idx("im", "lab", classes = 2)',
    ": out of range for 2 classes")
with open(t.path("nan.csv"), "w") as f:
    f.write("a,label\n1.5,0\nnan,1\n")
bad("NaN CSV cell", 'train = csv("nan.csv", label = "label")',
    'nan.csv: row 3, column 1 ("a"): NaN is not accepted', model="Linear(1, 2)")
with open(t.path("word.csv"), "w") as f:
    f.write("a,label\n1.5,0\nthree,1\n")
bad("non-numeric CSV cell", 'train = csv("word.csv", label = "label")',
    'word.csv: row 3, column 1 ("a"): not a number: "three"', model="Linear(1, 2)")
np.save(t.path("half.npy"), np.zeros((4, 20), np.float16))
bad("unsupported dtype", 'train = npy("half.npy", "y.npy")',
    "half.npy: byte 20: .npy header: unsupported dtype '<f2'")
bad("unsupported token dtype", 'train = tokens("t16.bin", dtype = "u8")',
    't16.bin: unsupported token dtype "u8"', model="GPTPreNorm(vocab = 1000, context = 64, "
    "width = 8, heads = 2, depth = 1)")
bad("missing file", 'train = npy("nothere.npy", "y.npy")',
    "nothere.npy: cannot open: No such file or directory")
np.save(t.path("y39.npy"), yi[:39])
bad("examples and labels disagree", 'train = npy("x.npy", "y39.npy")',
    "x.npy holds 40 examples, " + t.path("y39.npy") + " holds 39")

t.done()
