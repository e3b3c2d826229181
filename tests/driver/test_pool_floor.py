"""test_pool_floor.py - the rewrite of a pooling after a constant floor
(maxpool2d(max(0, x)) computed as max(0, maxpool2d(x)), ir_maxpool2d)
changes no bit of training: a CNN where it applies and the same CNN with an
exact identity (-(-x)) between the floor and the pooling, which keeps the
rewrite from applying, train five steps with AdamW to the same losses
(metrics.jsonl) and the same weights and moments (the gradients' running
averages) bit for bit; and one step on inputs full of ties at 0 gives the
same gradient bit for bit. tests/elab/golden/pool_floor.ir shows the
rewrite."""
import numpy as np

from drvtest import Test, read_checkpoint, read_jsonl

SRC = """use std.nn
use std.optim

bond floor0 {
  forward(x) = max(0, x)
  sensitivity = 1
}

bond one {
  forward(x) = -(-x)
  sensitivity = 1
}

experiment pools {
  data train = fashion_mnist("train"), test = fashion_mnist("test")
  model = Conv2D(1, 8) >> floor0 >> %s
          >> Conv2D(8, 8) >> floor0 >> %s
          >> flatten >> Linear(392, 10)
  loss = cross_entropy
  optimizer = AdamW(lr = 0.01)
  batch = 32
  seed = 5
}
"""
# the same module indices in both: "one" after the pooling, or before it
ORDERS = {"rewritten": "maxpool(2) >> one", "kept": "one >> maxpool(2)"}

t = Test("test_pool_floor")
for name, pool in ORDERS.items():
    src = t.path(name + ".duet")
    with open(src, "w") as f:
        f.write(SRC % (pool, pool))
    # the convolutions' path pinned: auto picks by timing, per process
    t.duet_run("run", src, "--out", name, "--steps", "5", "--log-every", "1", "--threads", "1",
               "--quiet", "--conv", "im2col")
ma, mb = (read_jsonl(t.path(d, "metrics.jsonl")) for d in ORDERS)
t.check(len(ma) == 5 and ma == mb, "the losses of five steps", ma, mb)
ca, cb = (read_checkpoint(t.path(d)) for d in ORDERS)
t.check(sorted(ca) == sorted(cb) and any(k.endswith(":m") for k in ca),
        "the same weights and optimizer state", sorted(ca), sorted(cb))
for k in sorted(ca):
    t.check(ca[k].tobytes() == cb[k].tobytes(), k + " bit for bit")

# Ties: inputs from {-1, -0, 0, 0.5, 1} through a zero shift, so that many
# windows have their maximum at exactly 0, some after a negative element;
# the shift's gradient is the pooling's input gradient summed over the
# batch. With max(x, 0) (derivative 1 at 0) instead of max(0, x) the same
# step gives another gradient, which shows the data reach the ties.
TIES = """use std.nn
use std.optim

atom Shift(c: int, h: int, w: int) {
  weight b[c, h, w] init zeros
  forward(x[.., c, h, w]) = x + b
  norm = max(abs(b))
  dualize(G) = sign(G)
}

bond floor0 {
  forward(x) = %s
  sensitivity = 1
}

bond one {
  forward(x) = -(-x)
  sensitivity = 1
}

experiment ties {
  data train = npy("x.npy", "y.npy", normalize = 0)
  model = Shift(2, 4, 4) >> floor0 >> %s >> flatten >> Linear(8, 3)
  loss = cross_entropy
  optimizer = SGD(lr = 0.1)
  batch = 64
  seed = 2
}
"""
rng = np.random.default_rng(7)
np.save(t.path("x.npy"),
        rng.choice(np.array([-1, -0.0, 0, 0.5, 1], np.float32), size=(256, 2, 4, 4)))
np.save(t.path("y.npy"), rng.integers(0, 3, size=256).astype(np.int32))
TIE_RUNS = {"ties_rewritten": ("max(0, x)", ORDERS["rewritten"]),
            "ties_kept": ("max(0, x)", ORDERS["kept"]),
            "ties_ramp": ("max(x, 0)", ORDERS["kept"])}
for name, (floor, pool) in TIE_RUNS.items():
    src = t.path(name + ".duet")
    with open(src, "w") as f:
        f.write(TIES % (floor, pool))
    t.duet_run("run", src, "--out", name, "--steps", "1", "--threads", "1", "--quiet")
ta, tb, tc = (read_checkpoint(t.path(d)) for d in TIE_RUNS)
key = "model[0].Shift.b"
t.check(key in ta and ta[key].tobytes() == tb[key].tobytes(),
        "the shift after a step on ties, bit for bit", tb.get(key), ta.get(key))
t.check(key in tc and not np.array_equal(tc[key], tb[key]),
        "max(x, 0) gives another step on these ties", tb.get(key), tc.get(key))
t.done()
