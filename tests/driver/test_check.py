"""test_check.py - `duet check` and `duet explain` reject what `duet run`
rejects before training, with the same messages: layers whose shapes do not
match, a convolution flattened to the wrong width, a dualize returning the
transposed shape, an optimizer state of the wrong shape, and a compare
variant (not the experiment itself) with such a state. Each case's
messages are pinned in check/NAME.err (STDLIB standing for the standard
library's directory); each is then fixed by one edit and must pass check
and, where its data is at hand, train."""
import os
import shutil

from drvtest import HERE, ROOT, Test

t = Test("test_check")
CASES = os.path.join(HERE, "check")
STDLIB = os.path.join(ROOT, "stdlib")

# case -> (the commands that must reject it, the edit that fixes it,
#          whether the fixed program trains here: synthetic data)
cases = {
    "layer_shapes": (["run"], ("Linear(50, 4)", "Linear(100, 4)"), True),
    "conv_flatten": (["run"], ("8 * 13 * 13", "8 * 14 * 14"), False),
    "dualize_transposed": (["run"], ("polar(G).T", "polar(G)"), True),
    "state_shape": (["run"], ("m = grad.T", "m = grad"), True),
    "compare_variant": (["run", "compare"], ("m = grad.T", "m = grad"), False),
}

for name, (commands, (bad, good), trains) in cases.items():
    src = name + ".duet"
    shutil.copy(os.path.join(CASES, src), t.path(src))
    with open(os.path.join(CASES, name + ".err")) as f:
        want = f.read().replace("STDLIB", STDLIB)
    for cmd in ["check", "explain"] + commands:
        args = [cmd, src] + (["--out", "never"] if cmd in ("run", "compare") else [])
        p = t.duet_run(*args, rc=1)
        t.equal(f"duet {cmd} {src}: the messages", want, p.stderr)
        t.equal(f"duet {cmd} {src}: nothing on stdout", "", p.stdout)
    t.check(not os.path.exists(t.path("never")), f"{name}: no run directory")
    with open(t.path(src)) as f:
        text = f.read()
    t.check(bad in text, f"{name}: the edit applies")
    with open(t.path(src), "w") as f:
        f.write(text.replace(bad, good))
    p = t.duet_run("check", src)
    t.equal(f"duet check {src} after the fix", "", p.stderr)
    if trains:
        p = t.duet_run("run", src, "--out", name, "--quiet")
        t.check(os.path.exists(t.path(name, "summary.json")), f"{name} trains after the fix",
                None, p.stderr)
t.done()
