"""test_toys.py - the toy-problem examples, each `duet compare` in full
(a few seconds each), against what the problems allow (measured values at
seed 0 in parentheses):
  toy_linreg     every optimizer reaches the noise floor: test mse <= 0.0115
                 (noise variance 0.01; least squares on 4096 examples of 32
                 features adds about 0.01 * 32 / 4096; measured 0.0102 to
                 0.0103);
  toy_quadratic  momentum solves the ill-conditioned quadratic (loss
                 < 1e-6, measured 2e-11) while plain gradient descent is
                 held back by the small eigenvalues (> 0.01, measured
                 0.071); AdamW and the orthogonalized optimizers get below
                 0.05 (measured 0.027 down to 1e-5);
  toy_logreg     every optimizer is within 1% of the best of them (test
                 accuracy 0.891 to 0.893) and above 0.88.
Every run directory has its loss curve; compare.svg a training loss curve
(solid) and an evaluated loss curve (dashed) per variant, on a log axis for
toy_quadratic (losses from about 100 down to 2e-11), titled by the
experiment; the table shows the small losses (2e-11, not 0.0000)."""
import math
import json
import os
import xml.etree.ElementTree as ET

from e2etest import EXAMPLES, Test

SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_toys")


def compare(name):
    p = t.duet_run("compare", os.path.join(EXAMPLES, f"{name}.duet"), "--out", name, "--quiet")
    with open(t.path(name, "compare.json")) as f:
        variants = json.load(f)["variants"]
    root = ET.parse(t.path(name, "compare.svg")).getroot()
    lines = list(root.iter(SVG + "polyline"))
    solid = [x.get("stroke") for x in lines if not x.get("stroke-dasharray")]
    dashed = [x.get("stroke") for x in lines if x.get("stroke-dasharray")]
    t.check(len(set(solid)) == len(variants) and sorted(solid) == sorted(dashed),
            f"{name}: compare.svg has a training and an evaluated loss curve per variant",
            len(variants), (solid, dashed))
    title = [x.text for x in root.iter(SVG + "text") if x.get("class") == "title"]
    t.equal(f"{name}: compare.svg's title", [f"{name} compare: loss"], title)
    compare.table[name] = p.stdout[p.stdout.find("\nvariant"):]
    compare.svg[name] = root
    for label, v in variants.items():
        t.check(v["status"] == "ok" and os.path.exists(os.path.join(t.work, v["dir"], "loss.svg")),
                f"{name} {label}: trained, with loss.svg", "ok", v)
    return variants


compare.table, compare.svg = {}, {}
for label, v in compare("toy_linreg").items():
    t.check(v.get("test_loss", 1) <= 0.0115, f"toy_linreg {label}: test mse at the noise floor",
            "<= 0.0115", v.get("test_loss"))

q = compare("toy_quadratic")
for label, v in q.items():
    loss = v.get("full_loss", 1)  # evaluated on the whole set
    if label == "SGD(lr = 0.1, momentum = 0.9)":
        t.check(loss < 1e-6, f"toy_quadratic {label}: solved", "< 1e-6", loss)
    elif label == "SGD(lr = 0.1)":
        t.check(loss > 1e-2, f"toy_quadratic {label}: slowed by the conditioning", "> 0.01", loss)
    else:
        t.check(loss < 0.05, f"toy_quadratic {label}: below 0.05", "< 0.05", loss)
ticks = [float(x.text) for x in compare.svg["toy_quadratic"].iter(SVG + "text")
         if x.get("class") == "ytick"]
decades = [v for v in ticks if v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9]
t.check(len(decades) >= 5 and min(decades) <= 1e-10, "toy_quadratic: compare.svg on a log axis "
        "reaching the solved loss", "decades down to 1e-10 or below", ticks)
row = [r for r in compare.table["toy_quadratic"].splitlines()
       if r.startswith("SGD(lr = 0.1, momentum = 0.9)")]
cells = row[0].split()[-5:-2] if row else []
t.check(len(cells) == 3 and 0 < float(cells[2]) < 1e-6 and "e-" in cells[2],
        "toy_quadratic: the table shows the solved loss in significant digits", "2.1e-11",
        row)

acc = {label: v.get("test_accuracy", 0) for label, v in compare("toy_logreg").items()}
for label, a in acc.items():
    t.check(a > 0.88 and a >= max(acc.values()) - 0.01,
            f"toy_logreg {label}: test accuracy near the best", "> 0.88", a)
t.done()
