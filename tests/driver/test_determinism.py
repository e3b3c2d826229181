"""test_determinism.py - the same experiment and seed twice: summary.json
equal apart from its timing fields, metrics.jsonl equal line by line apart
from ms_per_step, and the checkpoints equal byte for byte; another seed
changes the summary (so the comparison can tell runs apart)."""
import os

from drvtest import HERE, Test, read_jsonl, read_summary

t = Test("test_determinism")
src = os.path.join(HERE, "small_mlp.duet")
for out, extra in (("a", []), ("b", []), ("c", ["--set", "seed=4"])):
    t.duet_run("run", src, "--out", out, "--threads", "1", "--quiet", *extra)

sa, sb, sc = (read_summary(t.path(d, "summary.json")) for d in "abc")
t.check(sa == sb, "summary.json apart from timing", sa, sb)
t.check(sa.get("test_accuracy") is not None and sa.get("train_loss") is not None,
        "the compared summary holds results", None, sa)
t.check(sa != sc and sa.get("train_loss") != sc.get("train_loss"),
        "another seed gives another summary", sa, sc)
ma, mb = (read_jsonl(t.path(d, "metrics.jsonl")) for d in "ab")
t.check(len(ma) > 3 and ma == mb, "metrics.jsonl apart from ms_per_step", ma, mb)
with open(t.path("a", "model.safetensors"), "rb") as fa, open(t.path("b", "model.safetensors"),
                                                             "rb") as fb:
    t.check(fa.read() == fb.read(), "model.safetensors byte for byte")
t.done()
