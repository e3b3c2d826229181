"""test_errors.py - pinned messages and exit codes of `duet run` on bad
input: unknown --set keys and parameters, a malformed --set, a run that
diverges (huge learning rate: stop at the step, name the tensor, exit 1,
keep the last finite checkpoint, write the metrics line of the step and a
summary.json that says so), a second run into a used directory, and
--resume of a directory without a checkpoint."""
import os

import numpy as np

from drvtest import HERE, Test, read_jsonl, read_safetensors, read_summary

t = Test("test_errors")
src = os.path.join(HERE, "small_mlp.duet")


def expect(args, rc, stderr, what):
    p = t.duet_run(*args, rc=rc)
    t.check(p.stderr == stderr, what, stderr, p.stderr)
    return p


expect(["run", src, "--out", "x", "--set", "optimzer.lr=0.1"], 1,
       "--set:1:1: error: unknown experiment setting 'optimzer'\n"
       "optimzer.lr=0.1\n"
       "^" + "~" * 10 + "\n"
       "  hint: did you mean 'optimizer'?\n", "unknown --set key")
expect(["run", src, "--out", "x", "--set", "optimizer.lrr=0.1"], 1,
       "--set:1:1: error: optimizer Dual has no parameter 'lrr'\n"
       "optimizer.lrr=0.1\n"
       "^" + "~" * 12 + "\n"
       "  hint: did you mean 'lr'?\n", "unknown optimizer parameter")
expect(["run", src, "--out", "x", "--set", "batch"], 1,
       "--set:1:1: error: expected key=value after --set, got 'batch'\n"
       "batch\n"
       "^~~~~\n"
       "  hint: e.g. --set optimizer.lr=0.02 or --set batch=512\n", "--set without a value")
t.check(not os.path.exists(t.path("x")), "no run directory after a settings error")

expect(["run", src, "--out", "nan", "--set", "optimizer.lr=1e30", "--quiet"], 1,
       "duet: error: training diverged at step 2: the loss is nan\n"
       "  first non-finite tensor: model[1].MLP[0].Linear.W (element 0 is nan)\n"
       "  the last good checkpoint (step 0) is kept in nan/model.safetensors\n"
       "  the metrics up to step 2 and summary.json are in nan\n"
       "  hint: lower the learning rate (e.g. --set optimizer.lr=...)\n", "divergence")
for name in ("model.safetensors", "train_state.safetensors"):
    tensors, meta = read_safetensors(t.path("nan", name))
    t.check(meta.get("duet.step") == "0", f"the kept {name} is the last finite one", "0",
            meta.get("duet.step"))
    t.check(all(np.isfinite(v).all() for v in tensors.values()), f"the kept {name} is finite")
lines = read_jsonl(t.path("nan", "metrics.jsonl"))
t.check([(d["step"], d.get("loss_nonfinite")) for d in lines] == [(2, "nan")],
        "metrics.jsonl: the line of the diverged step", [(2, "nan")], lines)
s = read_summary(t.path("nan", "summary.json"))
got = {k: s.get(k) for k in ("status", "diverged_at_step", "nonfinite", "nonfinite_element",
                              "steps")}
want = {"status": "diverged", "diverged_at_step": 2, "nonfinite": "model[1].MLP[0].Linear.W",
        "nonfinite_element": 0, "steps": 2}
t.check(got == want, "summary.json: the divergence", want, got)

expect(["run", src, "--out", "nan"], 1,
       "duet: error: nan already holds a run: continue it with --resume nan, or choose another "
       "--out\n", "a used run directory")
expect(["run", "--resume", "none"], 1,
       "duet: error: cannot resume: none/model.safetensors: cannot open: No such file or "
       "directory\n", "resume without a checkpoint")
expect(["run", src, "--steps", "x"], 1,
       "duet: error: --steps needs a non-negative integer, got 'x'\n"
       "  hint: run 'duet run --help' for usage\n", "a bad option value")
expect(["run", src, "--gemm", "mkl"], 1,
       "duet: error: --gemm is openblas or onednn, got 'mkl'\n"
       "  hint: run 'duet run --help' for usage\n", "an unknown GEMM backend")
t.done()
