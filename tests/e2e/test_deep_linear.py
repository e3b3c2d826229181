"""test_deep_linear.py - examples/toy_deep_linear.duet shortened to 150
steps: a two-layer linear network from small initialization learning a
target with singular values 8, 4, 2, 1, full batch, with gradient descent
and with spectral descent (exact polar, no momentum), the singular values
of W2 W1 logged at every step by the metric singular_values("*.W").

What the theory predicts (the seed's deep-linear-network analysis) and
what is asserted, with the values measured at seed 0:
  - gradient descent learns them one after another, the largest first:
    when sv1 reaches 90% of its target (step 48), the others are below 20%
    of theirs (measured <= 0.1%); the time to reach 50% grows like
    1 / target (43, 88, 136, 352 steps): t50(sv3) >= 2.5 t50(sv1), and sv4
    is not at 50% within the 150 steps;
  - spectral descent grows all of them at the same rate, so the smallest
    is learned first: when sv1 reaches 90% (step 54), the others are
    above 80% of theirs (measured >= 94%); t50 goes like sqrt(target)
    (40, 30, 22, 16 steps): t50(sv4) / t50(sv1) in [0.3, 0.5] (theory
    sqrt(1/8) = 0.35, measured 0.40), in decreasing order.
Also: the logged values are those of the final weights (numpy SVD), and
the plots (one per run, one for the compare) have a line per value; and
the errors of singular_values."""
import json
import os
import xml.etree.ElementTree as ET

import numpy as np

from e2etest import EXAMPLES, Test, read_checkpoint, read_jsonl, write_experiment

SVG = "{http://www.w3.org/2000/svg}"
STEPS = 150
TARGET = np.array([8.0, 4.0, 2.0, 1.0])
t = Test("test_deep_linear")
t.duet_run("compare", os.path.join(EXAMPLES, "toy_deep_linear.duet"), "--steps", str(STEPS),
           "--out", "cmp", "--quiet")
with open(t.path("cmp", "compare.json")) as f:
    variants = json.load(f)["variants"]
t.check(list(variants) == ["SGD(lr = 0.05)", "SpectralGD(lr = 0.05)"], "the two variants", None,
        list(variants))


def spectra(label):
    """steps and sv1..sv4 / target of a variant, one row per step."""
    rows = [r for r in read_jsonl(os.path.join(t.work, variants[label]["dir"], "metrics.jsonl"))
            if "sv1" in r]
    return (np.array([r["step"] for r in rows]),
            np.array([[r[f"sv{j}"] for j in range(1, 5)] for r in rows]) / TARGET)


def first_step(steps, ratio, j, level):
    hit = np.nonzero(ratio[:, j] >= level)[0]
    return int(steps[hit[0]]) if len(hit) else None


for label, gd in (("SGD(lr = 0.05)", True), ("SpectralGD(lr = 0.05)", False)):
    steps, ratio = spectra(label)
    t.check(len(steps) == STEPS, f"{label}: one line of singular values per step", STEPS,
            len(steps))
    t90 = first_step(steps, ratio, 0, 0.9)
    t50 = [first_step(steps, ratio, j, 0.5) for j in range(4)]
    print(f"{label}: sv1 at 90% at step {t90}; 50% at steps {t50}")
    if not t.check(t90 is not None, f"{label}: sv1 reaches 90% of its target", "a step", t90):
        continue
    at = ratio[list(steps).index(t90)]
    if gd:
        t.check(np.all(at[1:] < 0.2), f"{label}: at sv1's 90%, the others below 20%", "< 0.2",
                at[1:])
        t.check(t50[2] is not None and t50[2] >= 2.5 * t50[0] and t50[0] < t50[1] < t50[2],
                f"{label}: 50% reached one after another, t50(sv3) >= 2.5 t50(sv1)", None, t50)
        t.check(t50[3] is None, f"{label}: sv4 not at 50% within {STEPS} steps", None, t50[3])
    else:
        t.check(np.all(at[1:] > 0.8), f"{label}: at sv1's 90%, the others above 80%", "> 0.8",
                at[1:])
        ok = None not in t50 and t50[3] < t50[2] < t50[1] < t50[0]
        t.check(ok and 0.3 <= t50[3] / t50[0] <= 0.5,
                f"{label}: 50% smallest first, t50(sv4) / t50(sv1) in [0.3, 0.5]", None, t50)
    w = read_checkpoint(os.path.join(t.work, variants[label]["dir"]))
    sv = np.linalg.svd(w["model[1].SmallLinear.W"].astype(float)
                       @ w["model[0].SmallLinear.W"].astype(float), compute_uv=False)
    err = np.max(np.abs(ratio[-1] * TARGET - sv) / sv)
    t.check(err < 1e-5, f"{label}: logged values are those of W2 W1", "< 1e-5", err)
    root = ET.parse(os.path.join(t.work, variants[label]["dir"], "singular_values.svg")).getroot()
    t.check(len(list(root.iter(SVG + "polyline"))) == 4, f"{label}: a line per singular value", 4,
            len(list(root.iter(SVG + "polyline"))))

root = ET.parse(t.path("cmp", "singular_values.svg")).getroot()
texts = [x.text for x in root.iter(SVG + "text")]
t.check(len(list(root.iter(SVG + "polyline"))) == 8 and "SpectralGD(lr = 0.05) sv4" in texts,
        "compare's singular_values.svg: 4 lines per variant, named", 8, texts)

# errors
base = 'train = spectrum("train", dim = 4)'
for name, model, metric, msg in [
        ("nomatch", "Linear(4, 4)", 'singular_values("*.V")',
         'singular_values("*.V") matches no weight'),
        ("chain", "Linear(4, 6) >> Linear(4, 4)", 'singular_values("*.W")',
         "cannot multiply model[0].Linear.W [6, 4]"),
        ("notmatrix", "Conv2D(1, 2, 3)", 'singular_values("*.W")',
         "model.Conv2D.W [2, 1, 3, 3] is not a matrix"),
        ("twice", "Linear(4, 4)", 'singular_values("*.W"), singular_values("*.W")',
         "an experiment tracks the singular values of one product"),
        ("notglob", "Linear(4, 4)", "singular_values(3)",
         "singular_values takes a glob over weight paths")]:
    src = write_experiment(t, name, base, model, "mse", 8, f"  eval every 1 steps: {metric}\n")
    p = t.duet_run("check", src, rc=1)
    t.check(msg in p.stderr, f"error for {metric} on {model}", msg, p.stderr)
t.done()
