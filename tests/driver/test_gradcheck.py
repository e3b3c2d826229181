"""test_gradcheck.py - `duet gradcheck` on correct gradients: it must not
fail on them, and its numbers must hold together.
  - every example (but the KJV GPTs, a minute of evaluations each: see
    docs/commands.md) passes: exit 0, one row per weight, no weight wrong,
    the summary counts the rows' verdicts, every resolved weight's relative
    error within the bound the header states (tol + 10 x its
    finite-difference error), and, at the automatic step, within 1e-5 where
    |grad| >= 1e-6;
  - the cycle task's first-layer queries and keys (gradients of norm about
    4e-9, which the former fixed step 1e-5 could not resolve: relative error
    1.5e-2, FAILED) are resolved at the automatic step; at a forced step of
    1e-9 they are reported too small to resolve, not wrong, and the rest
    stays ok;
  - a residual network at batch 16 passes.
The failure path (a wrong gradient is reported wrong) is tested on
compiled, deliberately perturbed gradients by test_gradcheck_verdict.c."""
import glob
import os
import re
import subprocess
import sys

from drvtest import EXAMPLES, HERE, Test

MARGIN = 10
ROW = re.compile(r"^(model\S*)\s+\[([0-9, ]+)\]\s+(\S+)\s+(\S+)\s+(\S+)\s+(ok|WRONG|too small .*)$")
HEADER = re.compile(r"above (\S+) relative \+ (\S+) x the estimated")
SUMMARY = re.compile(r"^(\d+) weights?: (\d+) ok, (\d+) too small to resolve, (\d+) wrong; "
                     r".*: (ok|FAILED)$", re.M)
WEIGHTS = {"compare_optimizers": 3, "cycle_task": 8, "cycle_task_n": 8, "fashion_cnn": 4,
           "fashion_every": 4,
           "fashion_mlp": 3, "linear_attention_heads": 3, "lr_transfer": 3, "own_arrays": 3,
           "own_text": 14, "routing_task": 3, "spurious_pixel": 3, "toy_deep_linear": 2,
           "toy_linreg": 1, "toy_logreg": 1, "toy_quadratic": 1}
SLOW = {"adam_bias_correction", "kjv_gpt", "kjv_moe", "kjv_optimizers"}

t = Test("test_gradcheck")


def gradcheck(name, src, *args, fine=True):
    """Runs gradcheck (exit 0 expected) and checks what must hold of any
    passing report, and with `fine` (the automatic step) relative errors
    within 1e-5 where |grad| >= 1e-6; returns {weight: (|grad|, rel. error,
    fd error, verdict)}."""
    p = t.duet_run("gradcheck", src, *args)
    rows = {m.group(1): (float(m.group(3)), m.group(4), m.group(5), m.group(6))
            for m in map(ROW.match, p.stdout.splitlines()) if m}
    head, summary = HEADER.search(p.stdout), SUMMARY.search(p.stdout)
    if not t.check(head and summary, f"{name}: header and summary", "both", p.stdout[-2000:]):
        return rows
    tol = float(head.group(1))
    t.check(float(head.group(2)) == MARGIN, f"{name}: margin", MARGIN, head.group(2))
    n, ok, small, wrong, verdict = summary.groups()
    counted = [sum(1 for r in rows.values() if r[3].startswith(v)) for v in ("ok", "too", "WRONG")]
    t.check([len(rows), *counted] == [int(n), int(ok), int(small), int(wrong)],
            f"{name}: the summary counts the rows", [n, ok, small, wrong], [len(rows), *counted])
    t.check(wrong == "0" and verdict == "ok", f"{name}: nothing wrong", "0 wrong: ok",
            summary.group(0))
    for w, (grad, rel, fd, v) in rows.items():
        if v != "ok":
            continue
        rel, fd = float(rel), float(fd)
        t.check(rel <= tol + MARGIN * fd, f"{name} {w}: relative error within tol + {MARGIN} fd",
                f"<= {tol + MARGIN * fd:.3g}", rel)
        if fine and grad >= 1e-6:
            t.check(rel <= 1e-5, f"{name} {w} (|grad| {grad:.2e}): relative error", "<= 1e-5", rel)
    return rows


examples = {os.path.basename(f)[:-5]: f for f in glob.glob(os.path.join(EXAMPLES, "*.duet"))}
t.check(set(examples) == set(WEIGHTS) | SLOW, "every example is listed", sorted(examples),
        sorted(set(WEIGHTS) | SLOW))
# own_arrays on the arrays its script writes now (here into the work directory)
subprocess.run([sys.executable, os.path.join(EXAMPLES, "own_arrays.py"), t.path("own_arrays")],
               check=True, capture_output=True)
ARGS = {"own_arrays": ["--set", f'data.x="{t.path("own_arrays", "x.npy")}"',
                       "--set", f'data.y="{t.path("own_arrays", "y.npy")}"']}
for name, nweights in sorted(WEIGHTS.items()):
    rows = gradcheck(name, examples[name], *ARGS.get(name, []))
    t.check(len(rows) == nweights, f"{name}: one row per weight", nweights, len(rows))
    t.check(all(r[3] == "ok" for r in rows.values()), f"{name}: every weight resolved and ok",
            "ok", {w: r[3] for w, r in rows.items() if r[3] != "ok"})

# The cycle task's tiny first-layer gradients: resolved at the automatic
# step, too small to resolve at a step of 1e-9, never wrong.
FIRST = ["model[0][1].RankAttention.Q", "model[0][1].RankAttention.K"]
cycle = examples["cycle_task"]
rows = gradcheck("cycle_task", cycle)
for w in FIRST:
    grad, rel, _, v = rows.get(w, (0, "-", "-", "missing"))
    t.check(0 < grad < 1e-8 and v == "ok", f"cycle_task {w}: a gradient below 1e-8, resolved",
            "< 1e-8, ok", (grad, v))
rows = gradcheck("cycle_task --step 1e-9", cycle, "--step", "1e-9", fine=False)
for w, (grad, rel, fd, v) in rows.items():
    want = "too small" if w in FIRST else "ok"
    t.check(v.startswith(want), f"cycle_task --step 1e-9 {w} (|grad| {grad:.2e})", want, v)

rows = gradcheck("residual --batch 16", os.path.join(HERE, "residual.duet"), "--batch", "16")
t.check(len(rows) == 4 and all(r[3] == "ok" for r in rows.values()),
        "residual --batch 16: 4 weights ok", 4, rows)
t.done()
