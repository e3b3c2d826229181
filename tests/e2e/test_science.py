"""test_science.py - the qualitative outcomes of docs/science.md, shortened:
  - the cycle task (examples/cycle_task.duet, 8000 of its 20000 steps):
    SGD extrapolates to the unseen skip -2 (its loss there below that of
    predicting 1/n everywhere) and Muon does not (above it), while both
    have learned the seen skip 2;
  - Adam's bias-correction factor rho(t) = sqrt(1 - beta2^t) / (1 - beta1^t)
    as examples/adam_bias_correction.duet logs it (sv1 of a 1 x 1 weight
    the optimizer sets to rho(t)) against the formula in numpy, for both
    pairs of betas, and its plot."""
import json
import os
import re
import xml.etree.ElementTree as ET

import numpy as np

from e2etest import EXAMPLES, Test, read_jsonl

SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_science")


def variants(out):
    with open(t.path(out, "compare.json")) as f:
        return json.load(f)["variants"]


# ---- the cycle task -----------------------------------------------------------
# n = 12: predicting 1/n for every number gives (n - 1) / n^2 = 0.0764 on any
# skip. Measured over seeds 0..9 (docs/science.md, section 1): at step 8000
# every run is on the side of the constant where it ends at 20000 steps.
# SGD is below it in 8 seeds (0.012-0.048 at step 8000) and above in seeds
# 5 and 7 (0.165, 0.166: the outcome the paper reports holds for most seeds,
# not all); Muon is above it in all 10 (0.093-0.134). On the seen skip 2 at
# most 0.013 (SGD) and 0.030 (Muon). The test runs the example's own seed,
# 0: SGD 0.035 (0.041 below the constant), Muon 0.134 (0.058 above).
CONSTANT = 11 / 144
t.duet_run("compare", os.path.join(EXAMPLES, "cycle_task.duet"), "--steps", "8000", "--out",
           "cycle", "--quiet")
v = variants("cycle")
sgd, muon = v.get("LayeredSGD(lr = 0.2)", {}), v.get("Muon(lr = 0.0003)", {})
print("cycle task, 8000 steps:", {k: (x.get("plus2_loss"), x.get("minus2_loss"))
                                  for k, x in v.items()})
t.check(sgd.get("minus2_loss", 1) < CONSTANT,
        "SGD extrapolates to the unseen skip -2 (loss below the constant predictor)",
        f"< {CONSTANT:.4f}", sgd.get("minus2_loss"))
t.check(muon.get("minus2_loss", 0) > CONSTANT,
        "Muon does not extrapolate to -2 (loss above the constant predictor)",
        f"> {CONSTANT:.4f}", muon.get("minus2_loss"))
t.check(max(sgd.get("plus2_loss", 1), muon.get("plus2_loss", 1)) < CONSTANT / 2,
        "both have learned the seen skip 2", f"< {CONSTANT / 2:.4f}",
        (sgd.get("plus2_loss"), muon.get("plus2_loss")))
root = ET.parse(t.path("cycle", "heads.svg")).getroot()
names = [x.text for x in root.iter(SVG + "text") if re.fullmatch(r".+ head1_[12]", x.text)]
t.check(len(names) == 4, "heads.svg: the two first-layer heads of both optimizers", 4, names)

# ---- Adam's bias-correction factor --------------------------------------------
STEPS = 300
t.duet_run("compare", os.path.join(EXAMPLES, "adam_bias_correction.duet"), "--steps", str(STEPS),
           "--out", "rho", "--quiet")
for label, v in variants("rho").items():
    b1, b2 = (float(x) for x in re.findall(r"beta[12] = ([0-9.]+)", label))
    rows = [r for r in read_jsonl(t.path(v["dir"], "metrics.jsonl")) if "sv1" in r]
    step = np.array([r["step"] for r in rows], float)
    got = np.array([r["sv1"] for r in rows])
    want = np.sqrt(1 - b2 ** step) / (1 - b1 ** step)
    err = np.max(np.abs(got / want - 1)) if len(rows) == STEPS else None
    t.check(err is not None and err < 1e-6,
            f"rho(t) for ({b1}, {b2}) at steps 1..{STEPS} equals the formula (rel. 1e-6)",
            want[:3], got[:3])
    print(f"rho for ({b1}, {b2}): t = 1: {got[0]:.4f}, 10: {got[9]:.4f}, 100: {got[99]:.4f}")
root = ET.parse(t.path("rho", "singular_values.svg")).getroot()
t.check(len(list(root.iter(SVG + "polyline"))) == 2, "singular_values.svg: a line per pair", 2,
        len(list(root.iter(SVG + "polyline"))))
t.done()
