"""test_compare.py - a compare of three optimizers and a 2 x 2 sweep on a
small MLP (few steps): one run directory per variant, the table with every
variant, compare.json with each variant's final and best accuracy, and
compare.svg with the training (solid) and test (dashed) losses of each
variant, sweep.svg; a compare whose variants set two
settings at once (each run holds both); examples/compare_optimizers.duet
shortened to 2 steps per optimizer; and `duet run` of a file with an
experiment, a compare and a sweep: it trains the experiment and says how to
run the others."""
import json
import os
import xml.etree.ElementTree as ET

from drvtest import EXAMPLES, HERE, Test, read_safetensors, read_summary

SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_compare")
src = os.path.join(HERE, "compare_small.duet")


def check_study(out, labels, steps=20):
    with open(t.path(out, "compare.json")) as f:
        j = json.load(f)
    t.check(list(j.get("variants", {})) == labels, f"{out}: variants in compare.json", labels,
            list(j.get("variants", {})))
    for label, v in j.get("variants", {}).items():
        t.check(v.get("status") == "ok" and v.get("steps") == steps, f"{out} {label}: trained",
                f"ok, {steps} steps", v)
        acc = v.get("test_accuracy", -1)
        floor = 0.2 if steps >= 20 else 0  # 20 steps of any of them pass 0.6 (measured)
        t.check(floor < acc <= 1 and v.get("best_test_accuracy", -1) >= acc,
                f"{out} {label}: final and best accuracy", f"{floor} < final <= best", v)
        t.check(os.path.exists(os.path.join(t.work, v.get("dir", ""), "summary.json")),
                f"{out} {label}: its run directory", v.get("dir"))
    root = ET.parse(t.path(out, "compare.svg")).getroot()
    texts = [x.text for x in root.iter(SVG + "text")]
    t.check(all(l in texts for l in labels), f"{out}: compare.svg names every variant", labels,
            texts)
    if steps >= 20:  # two logged points or more make a line
        lines = list(root.iter(SVG + "polyline"))
        solid = [x.get("stroke") for x in lines if not x.get("stroke-dasharray")]
        dashed = [x.get("stroke") for x in lines if x.get("stroke-dasharray")]
        t.check(len(set(solid)) == len(labels) and sorted(solid) == sorted(dashed),
                f"{out}: a training loss curve (solid) and a test loss curve (dashed, the same "
                "color) per variant", len(labels), (solid, dashed))


compare = ["Dual(lr = 0.1)", "AdamW(lr = 0.003)", "SGD(lr = 0.1, momentum = 0.9)"]
p = t.duet_run("compare", src, "--out", "cmp", "--threads", "1", "--quiet")
table = p.stdout[p.stdout.find("\nvariant"):]
for label in compare:
    t.check(any(l.startswith(label) and len(l.split()) >= 7 for l in table.splitlines()),
            f"table row of {label}", label, table)
check_study("cmp", compare)

sweep = [f"optimizer.lr={lr}, batch={b}" for lr in ("0.05", "0.5") for b in ("32", "64")]
t.duet_run("sweep", src, "--out", "sw", "--threads", "1", "--quiet")
check_study("sw", sweep)
root = ET.parse(t.path("sw", "sweep.svg")).getroot()
t.check(len(list(root.iter(SVG + "polyline"))) == 2, "sweep.svg: a line per learning rate", 2,
        len(list(root.iter(SVG + "polyline"))))

# variants that differ in two settings: each run gets both
pairs = ["Dual(lr = 0.1), 32", "AdamW(lr = 0.003), 64"]
t.duet_run("compare", os.path.join(HERE, "compare_pairs.duet"), "--steps", "5", "--out", "pairs",
           "--threads", "1", "--quiet")
check_study("pairs", pairs, steps=5)
with open(t.path("pairs", "compare.json")) as f:
    dirs = [v["dir"] for v in json.load(f)["variants"].values()]
for label, d, opt, batch in zip(pairs, dirs, ("Dual(lr = 0.1)", "AdamW(lr = 0.003)"), (32, 64)):
    _, meta = read_safetensors(os.path.join(t.work, d, "model.safetensors"))
    sets = [meta.get(f"duet.set.{i}") for i in range(int(meta.get("duet.nsets", 0)))]
    t.check(sets == [f"optimizer={opt}", f"batch={batch}"], f"{label}: the settings of its run",
            [f"optimizer={opt}", f"batch={batch}"], sets)
    s = read_summary(os.path.join(t.work, d, "summary.json"))
    t.check(s.get("batch") == batch, f"{label}: trained at batch {batch}", batch, s.get("batch"))

example = ["Dual(lr = 0.02)", "AdamW(lr = 0.001)", "SGD(lr = 0.1, momentum = 0.9)",
           "MuonAdamW(lr = 0.02, adam_lr = 0.001)"]
t.duet_run("compare", os.path.join(EXAMPLES, "compare_optimizers.duet"), "--steps", "2", "--out",
           "ex", "--threads", "1", "--quiet")
check_study("ex", example, steps=2)

# duet run: the experiment, with a note on the studies
p = t.duet_run("run", src, "--steps", "2", "--out", "exp", "--threads", "1", "--quiet")
note = (f"duet: note: running experiment tiny, the last one {src} declares\n"
        f"  its compare (of tiny) runs with: duet compare {src}\n"
        f"  its sweep (of tiny) runs with: duet sweep {src}\n")
t.check(p.stderr == note, "duet run of a file with studies: which it runs, how to run the others",
        note, p.stderr)
s = read_summary(t.path("exp", "summary.json"))
t.check(s.get("experiment") == "tiny" and s.get("steps") == 2 and
        not os.path.exists(t.path("exp", "compare.json")), "duet run trains the experiment",
        "tiny, 2 steps", s)
t.done()
