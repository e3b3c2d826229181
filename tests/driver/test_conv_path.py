"""test_conv_path.py - --conv, the convolutions' path on the oneDNN backend:
by default (auto) a run times both paths once per shape and pass and
summary.json holds one pick per shape and pass of its two convolutions (the
first needs no input gradient), each im2col or onednn, the faster of its
two times, printed once at the end of the run; --conv im2col and --conv
onednn are recorded as such and pick nothing, and a pinned run repeats
bit for bit; the values are checked, onednn needs the oneDNN backend, and
duet predict takes the option too. Times themselves are not checked."""
import os
import re

from drvtest import Test, read_summary

t = Test("test_conv_path")
src = t.path("two_convs.duet")
with open(src, "w") as f:
    f.write("""use std.nn
use std.optim

experiment two_convs {
  data train = fashion_mnist("train")
  model = Conv2D(1, 4, 3) >> relu >> Conv2D(4, 6, 3, stride = 2) >> relu >> flatten
          >> Linear(1176, 10)
  loss = cross_entropy
  optimizer = AdamW(lr = 0.003)
  batch = 8
  steps = 3
  seed = 5
}
""")
# (pass, n, c, h, w, o, kh, kw, stride, pad) of every convolution the
# training step runs
first, second = (8, 1, 28, 28, 4, 3, 3, 1, 1), (8, 4, 28, 28, 6, 3, 3, 2, 1)
want = sorted([("fwd", *first), ("bwd_weight", *first), ("fwd", *second),
               ("bwd_data", *second), ("bwd_weight", *second)])
KEY = ("pass", "n", "c", "h", "w", "o", "kh", "kw", "stride", "pad")

p = t.duet_run("run", src, "--out", "auto", "--quiet")
s = read_summary(t.path("auto", "summary.json"))
t.equal("auto: summary.json's conv", "auto", s.get("conv"))
picks = s.get("conv_picks", [])
t.equal("auto: one pick per shape and pass", want, sorted(tuple(q[k] for k in KEY) for q in picks))
for q in picks:
    what = f"auto: {q['pass']} c{q['c']}"
    t.check(q["pick"] in ("im2col", "onednn"), f"{what}: the pick is a path", "im2col|onednn",
            q["pick"])
    t.check(q["im2col_ms"] > 0 and q["onednn_ms"] > 0, f"{what}: both paths timed", "> 0",
            (q["im2col_ms"], q["onednn_ms"]))
    t.equal(f"{what}: the faster picked",
            "onednn" if q["onednn_ms"] < q["im2col_ms"] else "im2col", q["pick"])
lines = re.findall(r"^    (\w+) +n (\d+) c (\d+) (\d+)x(\d+) o (\d+) k (\d+)x(\d+) stride (\d+) "
                   r"pad (\d+): timed: im2col ([0-9.]+) ms, onednn ([0-9.]+) ms: (\w+)$", p.stdout,
                   re.M)
t.equal("auto: the picks printed once, after 'conv auto'",
        [(q["pass"], *(str(q[k]) for k in KEY[1:]), f"{q['im2col_ms']:.3f}",
          f"{q['onednn_ms']:.3f}", q["pick"]) for q in picks], lines)
t.check("\n  conv auto\n" in p.stdout, "auto: the setting printed", "  conv auto", p.stdout)

for path in ("im2col", "onednn"):
    for out in (path, path + "-again"):
        t.duet_run("run", src, "--out", out, "--quiet", "--conv", path)
    s = read_summary(t.path(path, "summary.json"))
    t.equal(f"--conv {path}: summary.json's conv", path, s.get("conv"))
    t.equal(f"--conv {path}: nothing picked", [], s.get("conv_picks"))
    with open(t.path(path, "model.safetensors"), "rb") as a, \
            open(t.path(path + "-again", "model.safetensors"), "rb") as b:
        t.check(a.read() == b.read(), f"--conv {path}: a second run's weights, byte for byte")

HINT = "\n  hint: --conv is auto, im2col, onednn, or a run directory (or its summary.json)"
p = t.duet_run("run", src, "--out", "bad", "--conv", "fast", rc=1)
t.check("--conv: fast: cannot open" in p.stderr and HINT in p.stderr, "--conv fast: the values",
        HINT, p.stderr)
p = t.duet_run("run", src, "--out", "blas", "--conv", "onednn", "--gemm", "openblas", rc=1)
t.check("--conv onednn: the convolution primitives come with the oneDNN backend" in p.stderr,
        "--conv onednn --gemm openblas: needs the oneDNN backend", "oneDNN backend", p.stderr)
p = t.duet_run("predict", src, "--weights", t.path("im2col", "model.safetensors"), "--conv",
               "fast", "--data", "train", rc=1)
t.check("--conv: fast: cannot open" in p.stderr and HINT in p.stderr, "predict --conv fast",
        HINT, p.stderr)
t.done()
