"""test_same.py - the same answer on 1, 2 and 3 ranks: with the same global
batch and seed, every training loss of 100 steps agrees with the one-process
run to 1e-5 (relative) in f32 and 1e-12 in f64, for an MLP trained with the
derived optimizer (Dual) and with AdamW, a CNN and a GPT; every rank holds
bit-identical weights and state after every step (--check-ranks compares a
hash of them across the ranks); rank 0 alone writes the run directory."""
import os

from disttest import SOURCE, DistTest, read_jsonl, summary

t = DistTest("test_same")
adamw = ["--set", "optimizer=AdamW(lr = 0.003)"]
cases = [("mlp", "mlp", [], 1e-5, (2, 3)), ("mlp_adamw", "mlp", adamw, 1e-5, (2, 3)),
         ("cnn", "cnn", [], 1e-5, (2, 3)), ("gpt", "gpt", [], 1e-5, (2, 3)),
         ("mlp_f64", "mlp", ["--dtype", "f64"], 1e-12, (3,))]
for name, exp, extra, rel, ranks in cases:
    args = ["run", SOURCE, exp, "--quiet", *extra]
    t.run_n(0, *args, "--out", f"{name}-1")
    for n in ranks:
        out = f"{name}-{n}"
        p = t.run_n(n, *args, "--out", out, "--check-ranks")
        t.check(p.stdout.count("run directory:") == 1, f"{out}: rank 0 alone prints the result", 1,
                p.stdout.count("run directory:"))
        t.same_losses(f"{name} on {n} ranks", f"{name}-1", out, rel)
        s = summary(t.path(out, "summary.json"))
        t.equal(f"{out}: summary.json has the global batch", 12 if exp != "gpt" else 6, s["batch"])
# the MLP evaluates at steps 50 and 100, on rank 0 alone: once per evaluation
one, three = (read_jsonl(t.path(f"mlp-{n}", "metrics.jsonl"), drop=()) for n in (1, 3))
t.equal("mlp-3: metrics.jsonl lines (10 logs, 2 evaluations)", 12, len(three))
for a, b in zip(one, three):
    if "test_accuracy" in a:
        t.equal(f"mlp-3: the evaluation of step {a['step']}", a["test_accuracy"],
                b.get("test_accuracy"))
t.equal("only the run directories of the runs were made",
        sorted(f"{c[0]}-{n}" for c in cases for n in (1, *c[4])), sorted(os.listdir(t.work)))
t.done()
