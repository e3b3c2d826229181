"""test_resume.py - a run stopped after step 30 (between two evaluations)
and resumed with --resume repeats the uninterrupted 60-step run exactly:
the same metrics.jsonl lines (apart from ms_per_step), the same summary
(apart from timing) and bit-identical weights and optimizer state."""
import os

import numpy as np

from drvtest import HERE, Test, read_jsonl, read_safetensors, read_summary

t = Test("test_resume")
src = os.path.join(HERE, "small_mlp.duet")
t.duet_run("run", src, "--out", "full", "--threads", "1", "--quiet")
p = t.duet_run("run", src, "--out", "part", "--stop-after", "30", "--threads", "1", "--quiet")
t.check("continue with: duet run --resume part" in p.stdout, "the stop says how to resume", None,
        p.stdout)
_, meta = read_safetensors(t.path("part", "model.safetensors"))
t.check(meta.get("duet.step") == "30", "the checkpoint is at step 30", "30", meta.get("duet.step"))
t.duet_run("run", "--resume", "part", "--threads", "1", "--quiet")

full = read_jsonl(t.path("full", "metrics.jsonl"))
part = read_jsonl(t.path("part", "metrics.jsonl"))
t.check(len(full) == 9, "lines of the full run (6 logs, 3 evaluations)", 9, len(full))
t.check(full == part, "metrics.jsonl of the resumed run", full, part)
sf = read_summary(t.path("full", "summary.json"))
sp = read_summary(t.path("part", "summary.json"))
t.check(sf == sp, "summary.json of the resumed run", sf, sp)
wf, mf = read_safetensors(t.path("full", "model.safetensors"))
wp, mp = read_safetensors(t.path("part", "model.safetensors"))
t.check(sorted(wf) == sorted(wp), "same tensors", sorted(wf), sorted(wp))
for name in wf:
    same = name in wp and wf[name].shape == wp[name].shape and \
        np.array_equal(wf[name].view(np.uint8), wp[name].view(np.uint8))
    t.check(same, f"{name} bit for bit")
t.check(mf == mp, "checkpoint metadata", mf, mp)
t.done()
