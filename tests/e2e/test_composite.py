"""test_composite.py - composite optimizers (an optimizer whose body is
`optimizer = ...` and `optimizer for ... = ...`): `duet explain` shows the
optimizer of every weight and where it comes from; training with the
composite gives bit for bit the weights and optimizer state of the same
experiment with the groups written out (float64, 3 steps), also with an
argument of the composite set by --set; the experiment's own groups win
over the composite's; a composite is a value of `compare`; and the
errors of malformed composites."""
import json
import os

import numpy as np

from e2etest import HERE, Test, read_checkpoint

SRC = os.path.join(HERE, "composite.duet")
t = Test("test_composite")


def optimizer_column(out, experiment):
    """weight path -> optimizer name, from the explain table of experiment."""
    lines = out[out.index(f"experiment {experiment}:"):].splitlines()
    rows = {}
    for line in lines[1:]:
        if line.startswith("experiment "):
            break
        cells = line.split()
        if cells and cells[0].startswith("model."):
            rows[cells[0]] = next(c for c in cells if c in ("AdamW", "Muon", "SGD"))
    return rows


p = t.duet_run("explain", SRC)
want = {"model.MLP[0].Linear.W": "AdamW", "model.MLP[2].Linear.W": "Muon",
        "model.MLP[4].Linear.W": "AdamW"}
got = optimizer_column(p.stdout, "composite")
t.check(got == want, "explain: composite's per-weight optimizers", want, got)
t.check(optimizer_column(p.stdout, "refined")["model.MLP[0].Linear.W"] == "SGD",
        "explain: the experiment's own group wins", "SGD", optimizer_column(p.stdout, "refined"))
for line in ("  optimizer = Muon(lr = 0.03, beta = 0.95, nesterov = true, wd = 0, precision = \"bf16\")"
             "  (from MuonAdamW)",
             '  optimizer for "MLP[0]*" = AdamW(lr = 0.001, '):
    t.check(line in p.stdout, "explain: the groups and where they come from", line, p.stdout)


def trained(src, name, out, *args):
    t.duet_run("run", src, name, "--dtype", "f64", "--out", out, "--quiet", *args)
    return read_checkpoint(t.path(out))


def same(a, b, what):
    names = sorted(n for n in a if n.startswith("model"))
    t.check(names == sorted(n for n in b if n.startswith("model")), f"{what}: the same tensors")
    diff = [n for n in names if not np.array_equal(a[n], b.get(n))]
    t.check(not diff, f"{what}: bit for bit equal", [], diff)


c1 = trained(SRC, "composite", "c1")
same(c1, trained(SRC, "written_out", "w1"), "composite == written out")
with open(SRC) as f:
    src5 = f.read().replace("AdamW(lr = 0.001)", "AdamW(lr = 0.005)")
with open(t.path("lr5.duet"), "w") as f:
    f.write(src5)
c5 = trained(SRC, "composite", "c5", "--set", "optimizer.adam_lr=0.005")
same(c5, trained(t.path("lr5.duet"), "written_out", "w5"),
     "composite with --set optimizer.adam_lr=0.005 == written out with AdamW(lr = 0.005)")
first = "model.MLP[0].Linear.W"
t.check(not np.array_equal(c1[first], c5[first]),
        "--set optimizer.adam_lr changes the AdamW groups")

t.duet_run("compare", SRC, "--out", "cmp", "--quiet")
with open(t.path("cmp", "compare.json")) as f:
    variants = json.load(f)["variants"]
t.check(list(variants) == ["Dual(lr = 0.02)", "MuonAdamW(lr = 0.03)"] and
        all(v["status"] == "ok" for v in variants.values()), "compare with a composite value",
        None, variants)

# errors, each with its message
cases = {
    "in_group": ('experiment e {\n  data train = clusters("train")\n  model = Linear(32, 8)\n'
                 '  loss = cross_entropy\n  optimizer = SGD()\n'
                 '  optimizer for Linear = Both()\n}\n',
                 "composite optimizer Both cannot be given to a group"),
    "with_state": ("optimizer Bad {\n  state m = 0\n  optimizer = SGD()\n}\n",
                   "optimizer Bad combines optimizers, so it cannot also have state buffers"),
    "no_default": ("optimizer NoDefault {\n  optimizer for Linear = SGD()\n}\n",
                   "composite optimizer NoDefault has no 'optimizer = ...'"),
    "nested": ("optimizer Nested {\n  optimizer = Both()\n}\n",
               "optimizer Both is itself a composite optimizer"),
    "bad_kind": ("optimizer BadKind {\n  optimizer = SGD()\n  optimizer for Linaer = AdamW()\n}\n",
                 "unknown atom kind 'Linaer'"),
    "not_opt": ("optimizer NotOpt {\n  optimizer = MLP()\n}\n", "'MLP' is not an optimizer"),
    "bad_arg": ("optimizer BadArg(a = 1) {\n  optimizer = SGD(lr = b)\n}\n", "undefined name 'b'"),
}
head = ("use std.nn\nuse std.optim\n\n"
        "optimizer Both(lr = 0.02) {\n  optimizer = Muon(lr = lr)\n"
        "  optimizer for Linear = AdamW()\n}\n\n")
for name, (body, msg) in cases.items():
    path = t.path(f"{name}.duet")
    with open(path, "w") as f:
        f.write(head + body)
    p = t.duet_run("check", path, rc=1)
    t.check(msg in p.stderr, f"error {name}", msg, p.stderr)

# a composite's group that matches no weight is a warning at the group
path = t.path("unmatched.duet")
with open(path, "w") as f:
    f.write(head.replace("Linear = AdamW()", '"head*" = AdamW()') +
            'experiment e {\n  data train = clusters("train")\n  model = Linear(32, 8)\n'
            '  loss = cross_entropy\n  optimizer = Both()\n}\n')
p = t.duet_run("check", path)
t.check('unmatched.duet:6:17: warning: optimizer for "head*" matches no weight' in p.stderr,
        "warning for an unmatched group of a composite", "unmatched.duet:6:17: warning", p.stderr)
t.done()
