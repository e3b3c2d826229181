"""examples/kjv_moe.duet shortened: the GPT of SwiGLU and mixture-of-experts
blocks on the King James Bible (the real text, from DUET_DATA), 40 steps
at batch 4 instead of 2000 at batch 12 (still in the warm-up): the run
finishes, every logged loss is finite, the training loss falls from above
5.5 (about ln 256 = 5.545 at the start) by more than 1 nat by step 40
(measured 5.866 at step 10, 4.322 at step 40), and the validation loss at
the end is below 4.6 (measured 4.239).

usage: test_kjv_moe.py DUET WORKDIR"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import EXAMPLES, Test, read_jsonl  # noqa: E402

t = Test("test_kjv_moe")
t.duet_run("run", os.path.join(EXAMPLES, "kjv_moe.duet"), "--steps", "40", "--set", "batch=4",
           "--log-every", "10", "--quiet", "--out", "run")
lines = read_jsonl(t.path("run", "metrics.jsonl"))
losses = {d["step"]: d["loss"] for d in lines if "loss" in d}
val = [d["val_loss"] for d in lines if "val_loss" in d]
t.equal("losses logged at steps", [10, 20, 30, 40], sorted(losses))
t.check(all(math.isfinite(v) for v in losses.values()), "finite losses", None, losses)
t.check(losses.get(10, 0) > 5.5 and losses.get(40, 9) < losses.get(10, 0) - 1,
        "the training loss falls by more than 1 nat", "> 5.5, then 1 lower", losses)
t.check(len(val) == 1 and val[0] < 4.6, "the validation loss at the end", "< 4.6", val)
t.done()
