"""test_resume.py - a run stopped after step 50 on 2 ranks and resumed on 3
(and one stopped on 3 ranks and resumed in one process) ends as the
uninterrupted one-process run: every loss of the 100 steps agrees to 1e-5.
The checkpoint of a distributed run has the format of any other."""
from disttest import SOURCE, DistTest, read_safetensors

t = DistTest("test_resume")
PIN = ["--conv", "im2col"]  # auto picks the convolutions' path by timing, per process
args = ["run", SOURCE, "cnn", "--quiet", *PIN]
t.run_n(0, *args, "--out", "whole")
for first, then in ((2, 3), (3, 0)):
    out = f"from{first}to{then or 1}"
    t.run_n(first, *args, "--out", out, "--stop-after", "50")
    w, meta = read_safetensors(t.path(out, "model.safetensors"))
    t.equal(f"{out}: the checkpoint is at step 50", "50", meta.get("duet.step"))
    ref, _ = read_safetensors(t.path("whole", "model.safetensors"))
    t.equal(f"{out}: the weights file holds the same tensors", sorted(ref), sorted(w))
    t.run_n(then, "run", "--resume", out, "--quiet", *PIN)
    _, meta = read_safetensors(t.path(out, "model.safetensors"))
    t.equal(f"{out}: the resumed run ends at step 100", "100", meta.get("duet.step"))
    t.same_losses(f"{out} against one process", "whole", out, 1e-5)
t.done()
