"""test_study.py - duet compare and duet sweep on 2 ranks run their
variants one after another on every rank: rank 0 alone prints the table and
writes the study directory, and every variant's losses agree with the
one-process study to 1e-5."""
import os

from disttest import SOURCE, DistTest

t = DistTest("test_study")
for cmd, exp in (("compare", "mlp"), ("sweep", "cnn")):
    for n in (0, 2):
        # the convolutions' path pinned (auto picks by timing, per process)
        p = t.run_n(n, cmd, SOURCE, exp, "--quiet", "--conv", "im2col", "--out", f"{cmd}-{n}")
        t.equal(f"{cmd} on {n or 1} rank(s): the table once", 1, p.stdout.count("\nvariant "))
        t.equal(f"{cmd} on {n or 1} rank(s): two variants", 2, p.stdout.count(f"== {cmd} "))
    variants = sorted(d for d in os.listdir(t.path(f"{cmd}-0")) if d[0].isdigit())
    t.equal(f"{cmd}: the same variant directories", variants,
            sorted(d for d in os.listdir(t.path(f"{cmd}-2")) if d[0].isdigit()))
    t.check(os.path.exists(t.path(f"{cmd}-2", "compare.json")), f"{cmd} on 2 ranks: compare.json")
    for v in variants:
        t.same_losses(f"{cmd} variant {v}", os.path.join(f"{cmd}-0", v), os.path.join(f"{cmd}-2", v),
                      1e-5)
t.equal("only the study directories were made", ["compare-0", "compare-2", "sweep-0", "sweep-2"],
        sorted(os.listdir(t.work)))
t.done()
