"""test_pool_floor.py - the rewrite of a pooling after a constant floor
(maxpool2d(max(0, x)) computed as max(0, maxpool2d(x)), ir_maxpool2d)
changes no bit of training: a CNN where it applies and the same CNN with an
exact identity (-(-x)) between the floor and the pooling, which keeps the
rewrite from applying, train five steps with AdamW to the same losses
(metrics.jsonl) and the same weights and moments (the gradients' running
averages) bit for bit. tests/elab/golden/pool_floor.ir shows the rewrite."""
import os

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
    t.duet_run("run", src, "--out", name, "--steps", "5", "--log-every", "1", "--threads", "1",
               "--quiet")
ma, mb = (read_jsonl(t.path(d, "metrics.jsonl")) for d in ORDERS)
t.check(len(ma) == 5 and ma == mb, "the losses of five steps", ma, mb)
ca, cb = (read_checkpoint(t.path(d)) for d in ORDERS)
t.check(sorted(ca) == sorted(cb) and any(k.endswith(":m") for k in ca),
        "the same weights and optimizer state", sorted(ca), sorted(cb))
for k in sorted(ca):
    t.check(ca[k].tobytes() == cb[k].tobytes(), k + " bit for bit")
t.done()
