"""test_gradcheck.py - `duet gradcheck` on the examples' models (the
Fashion-MNIST MLP and CNN) and on a residual network: every weight has a
nonzero gradient and a worst relative error below the bound (1e-5; float64
central differences reach about 1e-7 here), and the check can fail: with a
bound below the finite-difference error it reports FAILED and exits 1."""
import os
import re

from drvtest import EXAMPLES, HERE, Test

BOUND = 1e-5
LINE = re.compile(r"^(model\S*)\s+\[([0-9, ]+)\]\s+(\S+)\s+(\S+)$")

t = Test("test_gradcheck")
cases = [(os.path.join(EXAMPLES, "fashion_mlp.duet"), ["--batch", "4"], 3),
         (os.path.join(EXAMPLES, "fashion_cnn.duet"), ["--batch", "2"], 4),
         (os.path.join(HERE, "residual.duet"), ["--batch", "4"], 4)]
for src, args, nweights in cases:
    p = t.duet_run("gradcheck", src, *args)
    rows = [LINE.match(l) for l in p.stdout.splitlines()]
    rows = [m for m in rows if m]
    name = os.path.basename(src)
    t.check(len(rows) == nweights, f"{name}: one line per weight", nweights, p.stdout)
    for m in rows:
        grad, err = float(m.group(3)), float(m.group(4))
        t.check(grad > 0, f"{name} {m.group(1)}: nonzero gradient", "> 0", grad)
        t.check(err <= BOUND, f"{name} {m.group(1)}: relative error", f"<= {BOUND}", err)
    t.check(p.stdout.rstrip().endswith(": ok"), f"{name}: verdict ok", "ok", p.stdout[-200:])

p = t.duet_run("gradcheck", os.path.join(HERE, "residual.duet"), "--tol", "1e-13", rc=1)
t.check("FAILED" in p.stdout, "a bound below the finite-difference error fails", "FAILED",
        p.stdout)
t.done()
