"""test_modula_shares.py - the table of docs/transformers.md (section 4a)
that compares the GPT's step shares with Modula's GPT at depth 4: the duet
column is what `duet explain` derives for GPT(depth = 4); the Modula column
is what Modula's composition rules give its GPT, computed here from those
rules (written out below from its code: modula/abstract.py and
modula/compound.py of github.com/modula-systems/modula) - masses add in
sequences and tuples, sensitivities multiply in sequences and add in
tuples, a sequence divides the target of its first part by the
sensitivity of the second, a tuple splits its target by mass, `tare`
rescales masses, `a * m` is a bond of sensitivity a.

usage: test_modula_shares.py DUET DOC WORKDIR"""
import copy
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from testcheck import Tally  # noqa: E402

duet, doc, work = sys.argv[1:4]
t = Tally("test_modula_shares")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


class Module:
    def __init__(self, name=None, mass=0.0, sens=1.0, parts=(), kind="atom"):
        self.name, self.mass, self.sens, self.parts, self.kind = name, mass, sens, list(parts), kind

    def tare(self, absolute=1.0, relative=None):
        if relative is None:
            return self.tare(relative=absolute / self.mass)
        self.mass *= relative
        for p in self.parts:
            p.tare(relative=relative)


def atom(name):
    return Module(name, 1.0, 1.0)


def bond(sens=1.0):
    return Module(None, 0.0, sens, kind="bond")


def then(first, second):  # Modula's `second @ first`
    return Module(None, first.mass + second.mass, first.sens * second.sens, (first, second), "seq")


def tup(*parts):
    return Module(None, sum(p.mass for p in parts), sum(p.sens for p in parts), parts, "tuple")


def scaled(a, m):  # a * m
    return then(m, bond(a))


def repeat(m, n):  # m ** n
    return then(repeat(m, n - 1), copy.deepcopy(m)) if n > 0 else bond()


def targets(m, target, out):
    if m.kind == "atom":
        out.setdefault(m.name, target)
    elif m.kind != "bond" and m.mass > 0:
        if m.kind == "seq":
            first, second = m.parts
            targets(first, target * first.mass / m.mass / second.sens, out)
            targets(second, target * second.mass / m.mass, out)
        else:
            for p in m.parts:
                targets(p, target * p.mass / m.mass, out)
    return out


def modula_gpt(depth, blocks_mass=5.0):
    embed = atom("embed")
    embed.tare()
    qk = tup(then(atom("Q"), bond()), then(atom("K"), bond()))  # split into heads
    scores = then(then(qk, bond()), bond())                     # QK^T, mask, softmax(scale 1)
    att = then(then(tup(then(atom("V"), bond()), scores), scaled(1 / 3, bond())),
               then(bond(), atom("W_O")))                       # merge heads, W_O
    mlp = then(then(atom("mlp"), bond()), atom("mlp_out"))
    n = 2 * depth
    block = then(then(tup(scaled(1 - 1 / n, bond()), scaled(1 / n, att)), bond()),
                 then(tup(scaled(1 - 1 / n, bond()), scaled(1 / n, mlp)), bond()))
    blocks = repeat(block, depth)
    blocks.tare(absolute=blocks_mass)
    return then(then(embed, blocks), atom("head"))


modula = targets(modula_gpt(4), 1.0, {})

src = os.path.join(work, "gpt.duet")
with open(src, "w") as f:
    f.write("use std.gpt\nuse std.optim\nexperiment g {\n  data train = kjv(\"train\", context = 16)\n"
            "  model = GPT(256, 16, 32, 4, 4)\n  loss = cross_entropy\n  optimizer = Dual\n}\n")
out = subprocess.run([duet, "explain", src], capture_output=True, text=True, check=True).stdout
shares = {f[0]: float(f[5]) for f in (line.split() for line in out.splitlines())
          if len(f) > 5 and f[0].startswith("model")}


def duet_share(suffix):
    return next(v for k, v in shares.items() if k.endswith(suffix))


computed = {
    "embedding, head": (duet_share("Embed.E"), modula["embed"], duet_share("Head.W"), modula["head"]),
    "attention Q, K, V": (duet_share("Attention.Q"), modula["Q"], duet_share("Attention.V"),
                          modula["V"]),
    "attention output W_O": (duet_share("Attention.O"), modula["W_O"]),
    "MLP Linear (each)": (duet_share("MLPBlock[0].Linear.W"), modula["mlp"],
                          duet_share("MLPBlock[2].Linear.W"), modula["mlp_out"]),
}
with open(doc) as f:
    rows = dict((m.group(1), (float(m.group(2)), float(m.group(3)))) for m in re.finditer(
        r"^\| ([^|]+?) \| ([0-9.]+) \| ([0-9.]+) \|$", f.read(), re.M))
for what, values in computed.items():
    if not t.check(what in rows, f"the table of section 4a has a row '{what}'"):
        continue
    want = rows[what]
    got = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
    t.check(all(abs(d - want[0]) < 1e-6 and abs(m - want[1]) < 1e-6 for d, m in got),
            f"{what}: duet and Modula", want, got)
t.done()
