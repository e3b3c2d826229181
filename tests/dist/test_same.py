"""test_same.py - the same answer on 1, 2 and 3 ranks: with the same global
batch and seed, every training loss of 100 steps agrees with the one-process
run to 1e-5 (relative) in f32 and 1e-12 in f64, for an MLP trained with the
derived optimizer (Dual, its Newton-Schulz in the run's type) and with
AdamW, a CNN and a GPT (the MLP with AdamW and the GPT also with the
gradients exchanged in buckets of 1 KiB while the backward pass runs),
and to bf16's resolution (2^-8) with Dual's default bf16 Newton-Schulz, whose operand rounding turns last-bit
differences of the summed gradients into differences of that size; every
rank holds
bit-identical weights after every step (--check-ranks compares a hash of
them across the ranks); rank 0 alone writes the run directory; the
weights' updates go to the ranks by their cost."""
import os

from disttest import SOURCE, DistTest, read_jsonl, summary

t = DistTest("test_same")
adamw = ["--set", "optimizer=AdamW(lr = 0.003)"]
cases = [("mlp", "mlp", [], 1e-5, (2, 3)), ("mlp_adamw", "mlp", adamw, 1e-5, (2, 3)),
         ("cnn", "cnn", [], 1e-5, (2, 3)), ("gpt", "gpt", [], 1e-5, (2, 3)),
         ("mlp_f64", "mlp", ["--dtype", "f64", "--set", 'optimizer.precision="f64"'], 1e-12, (3,)),
         ("mlp_bf16", "mlp", ["--set", 'optimizer.precision="bf16"'], 2 ** -8, (2,)),
         ("mlp_adamw_buckets", "mlp", [*adamw, "--bucket-kb", "1"], 1e-5, (2, 3)),
         ("gpt_buckets", "gpt", ["--bucket-kb", "1"], 1e-5, (2, 3))]
# the convolutions' path pinned (auto picks by timing, per process)
for name, exp, extra, rel, ranks in cases:
    args = ["run", SOURCE, exp, "--quiet", "--conv", "im2col", *extra]
    t.run_n(0, *args, "--out", f"{name}-1")
    for n in ranks:
        out = f"{name}-{n}"
        p = t.run_n(n, *args, "--out", out, "--check-ranks")
        t.check(p.stdout.count("run directory:") == 1, f"{out}: rank 0 alone prints the result", 1,
                p.stdout.count("run directory:"))
        t.same_losses(f"{name} on {n} ranks", f"{name}-1", out, rel)
        s = summary(t.path(out, "summary.json"))
        t.equal(f"{out}: summary.json has the global batch", 12 if exp != "gpt" else 6, s["batch"])
        # in buckets, the first gradient is complete before the backward pass ends
        window = s["run"]["distributed"]["overlap_window"]
        t.check(0 < window < 1 if "--bucket-kb" in extra else window == 0,
                f"{out}: the time the exchange can overlap", "buckets" in name, window)
# the MLP evaluates at steps 50 and 100, on rank 0 alone: once per evaluation
one, three = (read_jsonl(t.path(f"mlp-{n}", "metrics.jsonl"), drop=()) for n in (1, 3))
t.equal("mlp-3: metrics.jsonl lines (10 logs, 2 evaluations)", 12, len(three))
for a, b in zip(one, three):
    if "test_accuracy" in a:
        t.equal(f"mlp-3: the evaluation of step {a['step']}", a["test_accuracy"],
                b.get("test_accuracy"))
# the owners of the updates: the costliest first, each to the least loaded
# rank (not round-robin); the cost of the head's update is that of its
# Newton-Schulz iterations (5 of them on a 256 x 16 matrix) and a few
# operations per element
dist = summary(t.path("gpt-3", "summary.json"))["run"]["distributed"]
t.equal("gpt-3: 3 ranks", 3, dist["ranks"])
ws = dist["weights"]
load, want = [0.0] * 3, {}
for i in sorted(range(len(ws)), key=lambda i: (-ws[i]["update_flops"], i)):
    r = min(range(3), key=lambda k: (load[k], k))
    want[ws[i]["path"]], load[r] = r, load[r] + ws[i]["update_flops"]
t.equal("gpt-3: owners by update cost", want, {w["path"]: w["rank"] for w in ws})
rr = [sum(w["update_flops"] for i, w in enumerate(ws) if i % 3 == k) for k in range(3)]
t.check(max(load) < max(rr), "gpt-3: more even than round-robin", max(rr), max(load))
head = [w["update_flops"] for w in ws if w["path"].endswith("Head.W")]
ns = 5 * (4 * 16 * 16 * 256 + 2 * 16 ** 3)
t.check(len(head) == 1 and ns <= head[0] <= ns + 50 * 256 * 16, "gpt-3: the head's update cost",
        ns, head)
t.equal("only the run directories of the runs were made",
        sorted(f"{c[0]}-{n}" for c in cases for n in (1, *c[4])), sorted(os.listdir(t.work)))
t.done()
