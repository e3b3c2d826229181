"""test_cycle.py - the cycle task (examples/cycle_task.duet) and what it
relies on:
  - the data source cycle(skips, n, length): one example per skip and
    start, every sequence x_t = (x_0 + s t) mod n as one-hot rows, the
    targets shifted by one, checked against numpy (one full batch dumped
    with --dump-batches), for a list of skips and for a single one;
  - the model (two layers of std.rank_attention's RankAttention, a
    residual around the first) against finite differences (duet gradcheck,
    with and without RoPE, tests/e2e/cycle_gradcheck.duet): every weight
    ok, relative errors within 1e-5;
  - the metric head_ablation(data, "*.O"): the logged loss increases equal
    those of an independent numpy forward pass of the saved checkpoint
    (float64 to 1e-8, float32 to 1e-5), the ablation leaves training
    unchanged bit for bit, heads.svg has a line per head, one per head and
    variant for a compare;
  - the example's compare, shortened to a few steps;
  - the errors of list arguments, cycle and head_ablation."""
import json
import math
import os
import re
import xml.etree.ElementTree as ET

import numpy as np

from e2etest import EXAMPLES, Test, first_batch, read_checkpoint, read_jsonl, write_experiment

HERE = os.path.dirname(os.path.abspath(__file__))
SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_cycle")


def sequences(skips, n, length):
    """x, y [len(skips) * n, length, n]: every (skip, start) in that order."""
    tok = np.array([[(x0 + s * i) % n for i in range(length + 1)] for s in skips
                    for x0 in range(n)])
    onehot = np.eye(n)[tok]
    return onehot[:, :-1], onehot[:, 1:]


def same_rows(got, want):
    """Whether got holds the examples of want, each once, in any order."""
    key = lambda a: sorted(map(bytes, a.reshape(len(a), -1).astype(np.uint8)))  # noqa: E731
    return got.shape == want.shape and key(got) == key(want)


# ---- the data source ----------------------------------------------------------
for name, skips, arg, n, length in [("list", [1, -4, 3], "[1, -4, 3]", 7, 9),
                                    ("single", [-2], "-2", 5, 12)]:
    count = len(skips) * n
    src = write_experiment(t, f"data_{name}",
                           f"train = cycle({arg}, n = {n}, length = {length})",
                           f"Linear({n}, {n})", "mse", count)
    x, y = first_batch(t, src, f"data_{name}")
    wx, wy = sequences(skips, n, length)
    t.check(same_rows(x, wx), f"cycle({arg}, n = {n}, length = {length}): x is every sequence",
            wx.shape, x.shape)
    t.check(same_rows(np.concatenate([x, y.astype(float)], 1), np.concatenate([wx, wy], 1)),
            f"cycle({arg}): y is x shifted by one token", wy.shape, y.shape)

# ---- gradients ----------------------------------------------------------------
for exp in ("cycle_model", "cycle_model_no_rope"):
    p = t.duet_run("gradcheck", os.path.join(HERE, "cycle_gradcheck.duet"), exp)
    m = re.search(r"worst relative error (\S+)", p.stdout)
    ok = len(re.findall(r"^model\S*RankAttention\.[QKVO] .* ok$", p.stdout, re.M))
    t.check(m is not None and float(m.group(1)) <= 1e-5 and ok == 8,
            f"gradcheck {exp}: 8 weights ok, within 1e-5", "<= 1e-5", p.stdout[-600:])

# ---- head ablation against numpy ----------------------------------------------
N, LENGTH, SKIPS, HEADS, RANK = 5, 8, [1, -1, 2], 2, 4
MODEL = "model[0][1].RankAttention", "model[1].RankAttention"


def heads_source(name, metric):
    path = t.path(f"{name}.duet")
    with open(path, "w") as f:
        f.write(f"""use std.nn
use std.optim
use std.rank_attention

experiment {name} {{
  data train = cycle({SKIPS}, n = {N}, length = {LENGTH}),
       seen = cycle({SKIPS}, n = {N}, length = {LENGTH})
  model = (id + RankAttention({N}, {HEADS}, {RANK}))
          >> RankAttention({N}, {HEADS}, {RANK})
  loss = mse
  optimizer = SGD(lr = 0.5, momentum = 0.9)
  batch = 5
  steps = 12
  seed = 1
  eval every 6 steps: {metric}
}}
""")
    return path


def rope(x):
    """Turns pairs (2i, 2i+1) of [.., T, d] by t * 10000^(-2i/d)."""
    steps, d = x.shape[-2], x.shape[-1]
    ang = np.arange(steps)[:, None] * 10000.0 ** (-np.arange(0, d, 2) / d)[None, :]
    c, s = np.cos(ang), np.sin(ang)
    out = np.empty_like(x)
    out[..., 0::2] = x[..., 0::2] * c - x[..., 1::2] * s
    out[..., 1::2] = x[..., 0::2] * s + x[..., 1::2] * c
    return out


def attention(x, w, drop):
    """Causal attention of x [B, T, d] with weights w = (Q, K, V, O); head
    `drop` (or None) contributes nothing."""
    q, k, v, o = w
    b, steps, _ = x.shape

    def split(m):
        return (x @ m.T).reshape(b, steps, HEADS, RANK).transpose(0, 2, 1, 3)
    scores = rope(split(q)) @ rope(split(k)).transpose(0, 1, 3, 2) / math.sqrt(RANK)
    scores[..., np.triu(np.ones((steps, steps), bool), 1)] = -np.inf
    p = np.exp(scores - scores.max(-1, keepdims=True))
    out = (p / p.sum(-1, keepdims=True)) @ split(v)
    if drop is not None:
        out[:, drop] = 0
    return out.transpose(0, 2, 1, 3).reshape(b, steps, HEADS * RANK) @ o.T


def loss(w, drop1=None, drop2=None):
    x, y = sequences(SKIPS, N, LENGTH)
    h = x + attention(x, w[0], drop1)
    return np.mean((attention(h, w[1], drop2) - y) ** 2)


def run_heads(name, *args):
    """The last metrics line with head increases and the final weights."""
    t.duet_run("run", heads_source(name, 'head_ablation(seen, "*.O")'), "--out", name, "--quiet",
               *args)
    line = [r for r in read_jsonl(t.path(name, "metrics.jsonl")) if "head1_1" in r][-1]
    ckpt = read_checkpoint(t.path(name))
    w = [[ckpt[f"{m}.{k}"].astype(np.float64) for k in "QKVO"] for m in MODEL]
    return line, w, ckpt


# metrics.jsonl keeps 9 significant digits
for dtype, tol in (("f64", 1e-8), ("f32", 1e-5)):
    line, w, _ = run_heads(f"heads_{dtype}", "--dtype", dtype)
    base = loss(w)
    want = {"head1_1": loss(w, 0) - base, "head1_2": loss(w, 1) - base,
            "head2_1": loss(w, None, 0) - base, "head2_2": loss(w, None, 1) - base}
    got = {k: line.get(k) for k in want}
    err = max(abs(got[k] - want[k]) / base for k in want) if None not in got.values() else None
    print(f"{dtype}: seen_loss {base:.6f}; increases {want}")
    t.check(line["step"] == 12 and err is not None and err <= tol,
            f"{dtype}: logged head increases = numpy's on the checkpoint (relative to the loss, "
            f"<= {tol})", want, got)
    t.check(abs(line["seen_loss"] - base) <= tol * base, f"{dtype}: the baseline seen_loss", base,
            line["seen_loss"])
    t.check(min(map(abs, want.values())) > 1e-3 * base,
            f"{dtype}: ablating any head changes the loss at this size", "> 0", want)

# ablating and restoring leaves training bit for bit as without the metric
_, _, with_ablation = run_heads("restored")
t.duet_run("run", heads_source("plain", "loss(seen)"), "--out", "plain", "--quiet")
plain = read_checkpoint(t.path("plain"))
same = all(np.array_equal(plain[k], with_ablation[k]) for k in plain if k.startswith("model"))
t.check(same, "the weights after training with head_ablation equal those without it")
root = ET.parse(t.path("restored", "heads.svg")).getroot()
t.check(len(list(root.iter(SVG + "polyline"))) == 4, "heads.svg: a line per head", 4,
        len(list(root.iter(SVG + "polyline"))))

# ---- the example, shortened -----------------------------------------------------
t.duet_run("compare", os.path.join(EXAMPLES, "cycle_task.duet"), "--steps", "20", "--out", "cmp",
           "--quiet")
with open(t.path("cmp", "compare.json")) as f:
    variants = json.load(f)["variants"]
t.check(len(variants) == 2 and all(v["status"] == "ok" for v in variants.values()),
        "cycle_task.duet: two variants trained", 2, variants)
for label, v in variants.items():
    t.check(all(k in v for k in ("plus2_loss", "minus2_loss", "seen_loss")),
            f"{label}: losses on the seen skip 2, the unseen -2 and every seen skip", None,
            sorted(v))
root = ET.parse(t.path("cmp", "heads.svg")).getroot()
names = [x.text for x in root.iter(SVG + "text") if re.fullmatch(r".+ head\d+_\d+", x.text)]
t.check(sorted(names) == sorted(f"{v} head1_{h}" for v in variants for h in (1, 2)),
        "compare's heads.svg: the 2 first-layer heads of each variant, named", 4, names)

# ---- errors -------------------------------------------------------------------
for name, data, model, extra, msg in [
        ("empty", "train = cycle([])", "Linear(13, 13)", "", "cycle: need 1 to"),
        ("float", "train = cycle([1, 2.5])", "Linear(13, 13)", "",
         "expected an integer for an item of the list, got float 2.5"),
        ("string", 'train = cycle("one")', "Linear(13, 13)", "",
         "the skips of cycle must be integers"),
        ("notlist", 'train = linreg("train", d = [4, 8])', "Linear(4, 8)", "",
         "'d' of linreg takes one value, not a list"),
        ("noheads", "train = cycle(1, n = 4, length = 3)", "Linear(4, 4)",
         '  eval every 1 steps: head_ablation(train, "*.W")\n',
         "head_ablation: model.Linear.W is not a weight of an atom with heads"),
        ("nomatch", "train = cycle(1, n = 4, length = 3)", "RankAttention(4, 2, 2)",
         '  eval every 1 steps: head_ablation(train, "*.W")\n',
         'head_ablation("*.W") matches no weight'),
        ("split", "train = cycle(1, n = 5, length = 3)", "RankAttention(5, 2, 2)",
         '  eval every 1 steps: head_ablation(train, "*.Q")\n',
         "the last axis of model.RankAttention.Q [4, 5] does not split into 2 heads"),
        ("many", "train = cycle(1, n = 4, length = 3)", "RankAttention(4, 33, 2)",
         '  eval every 1 steps: head_ablation(train, "*.O")\n',
         'head_ablation(train, "*.O") matches 33 heads; at most 32 are ablated'),
        ("twice", "train = cycle(1, n = 4, length = 3)", "RankAttention(4, 2, 2)",
         '  eval every 1 steps: head_ablation(train, "*.O"), head_ablation(train, "*.V")\n',
         "an experiment ablates the heads of one head_ablation"),
        ("nodata", "train = cycle(1, n = 4, length = 3)", "RankAttention(4, 2, 2)",
         '  eval every 1 steps: head_ablation(test, "*.O")\n',
         "head_ablation of what? expected the name of a data binding")]:
    src = write_experiment(t, name, data, model, "mse", 4, extra)
    with open(src) as f:
        text = f.read()
    with open(src, "w") as f:
        f.write(text.replace("use std.optim", "use std.optim\nuse std.rank_attention"))
    p = t.duet_run("run", src, "--out", name, "--quiet", rc=1)
    t.check(msg in p.stderr, f"error for {data} {extra.strip()}", msg, p.stderr)
t.done()
