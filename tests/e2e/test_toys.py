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
Every run directory has its loss curve; compare.svg a line per variant."""
import json
import os
import xml.etree.ElementTree as ET

from e2etest import EXAMPLES, Test

SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_toys")


def compare(name):
    t.duet_run("compare", os.path.join(EXAMPLES, f"{name}.duet"), "--out", name, "--quiet")
    with open(t.path(name, "compare.json")) as f:
        variants = json.load(f)["variants"]
    root = ET.parse(t.path(name, "compare.svg")).getroot()
    t.check(len(list(root.iter(SVG + "polyline"))) == len(variants),
            f"{name}: compare.svg has a loss curve per variant", len(variants),
            len(list(root.iter(SVG + "polyline"))))
    for label, v in variants.items():
        t.check(v["status"] == "ok" and os.path.exists(os.path.join(t.work, v["dir"], "loss.svg")),
                f"{name} {label}: trained, with loss.svg", "ok", v)
    return variants


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

acc = {label: v.get("test_accuracy", 0) for label, v in compare("toy_logreg").items()}
for label, a in acc.items():
    t.check(a > 0.88 and a >= max(acc.values()) - 0.01,
            f"toy_logreg {label}: test accuracy near the best", "> 0.88", a)
t.done()
