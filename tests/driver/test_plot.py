"""test_plot.py - plots of runs: `duet plot` of two runs and of a compare
directory (a color per run, the training loss solid and the test loss
dashed, titles naming the experiment, --metric, --log and --linear, the
legend right of the plot area), its errors; and a sweep over seeds, whose
compare.svg and sweep.svg draw each learning rate as the mean over the
seeds (checked against the runs' own metrics) with a band of one standard
deviation."""
import json
import math
import os
import statistics
import xml.etree.ElementTree as ET

from drvtest import HERE, Test

SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_plot")
small = os.path.join(HERE, "small_mlp.duet")


def svg(path):
    return ET.parse(t.path(path)).getroot()


def texts(root, cls=None):
    return [x.text for x in root.iter(SVG + "text") if cls is None or x.get("class") == cls]


def legend(root):
    g = [g for g in root.iter(SVG + "g") if g.get("class") == "legend"][0]
    box = g.find(SVG + "rect")
    return [x.text for x in g.iter(SVG + "text")], float(box.get("x"))


def frame_right(root):
    rect = [r for r in root.iter(SVG + "rect") if r.get("stroke") == "#333"][0]
    return float(rect.get("x")) + float(rect.get("width"))


def lines(root):
    """(stroke, dash) of every polyline ("" for solid)."""
    return [(x.get("stroke"), x.get("stroke-dasharray", "")) for x in
            root.iter(SVG + "polyline")]


def decades(root):
    ticks = [float(x) for x in texts(root, "ytick")]
    return [v for v in ticks if v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9]


for name, lr in (("a", "0.02"), ("b", "0.05")):
    t.duet_run("run", small, "--steps", "40", "--set", f"optimizer.lr={lr}", "--out", name,
               "--threads", "1", "--quiet")

p = t.duet_run("plot", "a", "b/", "-o", "two.svg")
t.equal("duet plot: what it wrote", "wrote two.svg (2 runs)\n", p.stdout)
root = svg("two.svg")
t.equal("title: the experiment and the metrics", ["small_mlp: loss"], texts(root, "title"))
names, x = legend(root)
t.equal("legend: the runs, then the metrics", ["a", "b", "train loss", "test loss"], names)
t.check(x > frame_right(root), "legend right of the plot area", f"> {frame_right(root)}", x)
drawn = lines(root)
colors = sorted({c for c, _ in drawn})
t.check(len(colors) == 2 and sorted(drawn) == sorted(
    (c, d) for c in colors for d in ("", "6 4")),
    "a color per run; training loss solid, test loss dashed", "2 colors x 2 styles", drawn)
with open(t.path("a", "metrics.jsonl")) as f:
    a_loss = [json.loads(x)["loss"] for x in f if '"loss"' in x]
solid = [x for x in root.iter(SVG + "polyline") if not x.get("stroke-dasharray")]
t.equal("run a: a point per logged training loss", len(a_loss),
        len(solid[0].get("points").split()))

t.duet_run("plot", "a", "--metric", "lr", "--metric", "norm_weights", "--log", "-o", "lr.svg")
root = svg("lr.svg")
t.equal("--metric: title", ["small_mlp: lr, norm_weights"], texts(root, "title"))
t.equal("--metric: one run, the metrics in the legend", ["lr", "norm_weights"],
        legend(root)[0])
t.check(len(decades(root)) >= 2, "--log: a log axis", ">= 2 decade ticks", texts(root, "ytick"))
t.duet_run("plot", "a", "--metric", "lr", "--linear", "-o", "lin.svg")
ticks = [float(x) for x in texts(svg("lin.svg"), "ytick")]
t.check(len({round(b - a, 12) for a, b in zip(ticks, ticks[1:])}) == 1,
        "--linear: evenly spaced ticks", "one step", ticks)

for args, err in [
        (["plot", "nowhere"], "duet: error: cannot plot 'nowhere': not a run directory (no "
         "metrics.jsonl)\n"),
        (["plot", "a", "--metric", "test_acuracy"], "duet: error: no run has the metric "
         "'test_acuracy'\n  hint: did you mean 'test_accuracy'?\n"),
        (["plot"], "duet: error: no run directory given\n"
         "  hint: run 'duet plot --help' for usage\n")]:
    p = t.duet_run(*args, rc=1)
    t.equal(f"duet {' '.join(args)}", err, p.stderr)

# a sweep over seeds: mean and band per learning rate
t.duet_run("sweep", os.path.join(HERE, "seed_sweep.duet"), "--out", "sw", "--threads", "1",
           "--quiet")
with open(t.path("sw", "compare.json")) as f:
    variants = json.load(f)["variants"]
t.equal("six variants", 6, len(variants))
root = svg("sw/compare.svg")
t.equal("compare.svg: title", ["tiny sweep: loss"], texts(root, "title"))
names = legend(root)[0]
t.equal("compare.svg: a legend entry per learning rate, then the metrics",
        ["optimizer.lr=0.05 (mean \u00b1 std of 3)", "optimizer.lr=0.5 (mean \u00b1 std of 3)",
         "train loss", "test loss"], names)
bands = [b for b in root.iter(SVG + "polygon") if b.get("class") == "band"]
t.equal("compare.svg: a band per learning rate and metric", 4, len(bands))
train = [x for x in root.iter(SVG + "polyline") if not x.get("stroke-dasharray")]
t.equal("compare.svg: a mean training curve per learning rate", 2, len(train))

# the mean curve at its points: the mean of the three seeds' losses, mapped
# with the axis the ticks give
ys = [float(x.get("y")) - 4 for x in root.iter(SVG + "text") if x.get("class") == "ytick"]
vals = [float(x) for x in texts(root, "ytick")]
log = len(decades(root)) == len(vals)
f = [math.log10(v) if log else v for v in vals]
scale = (ys[-1] - ys[0]) / (f[-1] - f[0])
dirs = [v["dir"] for label, v in variants.items() if label.startswith("optimizer.lr=0.05")]
runs = []
for d in dirs:
    with open(os.path.join(t.work, d, "metrics.jsonl")) as fh:
        runs.append([json.loads(x)["loss"] for x in fh if '"loss"' in x])
mean = [statistics.mean(c) for c in zip(*runs)]
pts = [float(p.split(",")[1]) for p in train[0].get("points").split()]
want = [ys[0] + scale * ((math.log10(m) if log else m) - f[0]) for m in mean]
t.check(len(pts) == len(want) and max(abs(a - b) for a, b in zip(pts, want)) < 0.05,
        "compare.svg: the curve of optimizer.lr=0.05 is the mean over its seeds", want, pts)

root = svg("sw/sweep.svg")
t.equal("sweep.svg: x is the learning rate, not the seed",
        ["optimizer.lr"], texts(root, "xlabel"))
t.equal("sweep.svg: one line (no other axis) with a band",
        (1, 1), (len(list(root.iter(SVG + "polyline"))),
                 len([b for b in root.iter(SVG + "polygon") if b.get("class") == "band"])))
t.check(texts(root, "ylabel")[0].startswith("train loss (mean \u00b1 std of 3 seeds)"),
        "sweep.svg: the y label says what the band is", "train loss (mean ± std of 3 seeds)",
        texts(root, "ylabel"))
t.done()
