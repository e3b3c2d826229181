"""test_dualcheck.py - `duet dualcheck`: every atom's dualize rule against
its declared norm, numerically (dualcheck.duet).
  - the stdlib's atoms pass: Linear, Embed, Conv2D, Attention under each of
    its four rules and bidirectional, CrossAttention, SwiGLU, RankAttention,
    and the cycle task's example; every row
    has |norm(D) - 1| and the gaps within the stated tolerance, except the
    Head's gap on random G: its rule centers the update over the vocabulary,
    steepest only on the centered gradients a softmax gives (gap on the
    model's gradients within the tolerance, on random G above 1e-4);
  - a sign-descent atom under the largest |entry| passes;
  - an atom stepping along G / |G|_F under a spectral norm, and one stepping
    along the polar factor under the largest |entry|, fail: exit 1, the
    error at their dualize rules as pinned in dualcheck_wrong.err.
The text corpus is a generated one in the work directory."""
import os
import re

from drvtest import EXAMPLES, HERE, Test

SOURCE = os.path.join(HERE, "dualcheck.duet")
ROW = re.compile(r"^(model\S*)\s+(\S+)\s+(\S+)\s+(\S+)\s+(ok \(gradients only\)|ok|WRONG)\s+(\S+)$")
TOL = re.compile(r"tolerance (\S+)")
SUMMARY = re.compile(r"^(\d+) atoms?: (\d+) ok, (\d+) ok for the model's gradients only, "
                     r"(\d+) wrong: (ok|FAILED)$", re.M)

t = Test("test_dualcheck")
with open(t.path("kjv.txt"), "w") as f:
    f.write("".join("In the beginning %d was the word.\n" % (i * 37 % 101) for i in range(200)))
os.environ["DUET_DATA"] = t.work


def dualcheck(label, *args, rc=0):
    """Runs dualcheck; returns ({atom path: (kind, |norm-1|, gap grad, gap
    random, verdict)}, tolerance, the process)."""
    p = t.duet_run("dualcheck", *args, rc=rc)
    t.check("polar(.) exact (SVD)" in p.stdout, f"{label}: says how polar is computed")
    rows = {}
    for m in map(ROW.match, p.stdout.splitlines()):
        if m:
            gaps = [float("nan") if v == "-" else float(v) for v in m.group(2, 3, 4)]
            kind = m.group(1).rsplit(".", 1)[1].split("[")[0]
            rows[m.group(1)] = (kind, *gaps, m.group(5))
    tol, summary = TOL.search(p.stdout), SUMMARY.search(p.stdout)
    if not t.check(tol and summary and rows, f"{label}: rows, tolerance and summary", "all",
                   p.stdout[-2000:]):
        return rows, 0, p
    n, ok, partial, wrong, verdict = summary.groups()
    counts = [sum(1 for r in rows.values() if r[4] == v)
              for v in ("ok", "ok (gradients only)", "WRONG")]
    t.equal(f"{label}: summary counts the rows", [len(rows), *counts],
            [int(n), int(ok), int(partial), int(wrong)])
    return rows, float(tol.group(1)), p


def passes(label, *args, kinds):
    rows, tol, _ = dualcheck(label, *args)
    t.equal(f"{label}: atoms checked", sorted(kinds), sorted(r[0] for r in rows.values()))
    for path, (kind, norm_err, gap_grad, gap_random, verdict) in rows.items():
        t.check(norm_err <= tol and gap_grad <= tol, f"{label}: {path} within {tol}", tol,
                (norm_err, gap_grad))
        if kind == "Head":
            t.check(verdict == "ok (gradients only)" and gap_random > 1e-4,
                    f"{label}: {path}: steepest only on centered gradients", 1e-4, gap_random)
        else:
            t.check(verdict == "ok" and gap_random <= tol, f"{label}: {path} ok", tol,
                    (verdict, gap_random))


passes("sign_linear", SOURCE, "sign_linear", kinds=["SignLinear", "Linear"])
passes("conv", SOURCE, "conv", kinds=["Conv2D", "Conv2D"])
for rule in ("per_matrix", "per_head", "compositional", "isotropic"):
    passes(f"gpt {rule}", SOURCE, "gpt", "--set", f'model.rule="{rule}"',
           kinds=["Embed", "Attention", "Linear", "Linear", "Head"])
passes("swiglu_cross", SOURCE, "swiglu_cross",
       kinds=["Embed", "Attention", "SwiGLU", "CrossAttention", "Head"])
passes("rank_attention", SOURCE, "rank_attention", kinds=["RankAttention"] * 2)
passes("cycle_task", os.path.join(EXAMPLES, "cycle_task.duet"), "--points", "2",
       kinds=["RankAttention"] * 2)

rows, tol, p = dualcheck("wrong", SOURCE, "wrong", rc=1)
t.equal("wrong: verdicts", ["ok", "WRONG", "WRONG"], [r[4] for r in rows.values()])
with open(os.path.join(HERE, "dualcheck_wrong.err")) as f:
    t.equal("wrong: the errors", f.read(), p.stderr.replace(SOURCE, "dualcheck.duet"))

p = t.duet_run("dualcheck", SOURCE, "--points", "0", rc=1)
t.check("--points needs a positive integer" in p.stderr, "--points 0 rejected", None, p.stderr)
t.done()
