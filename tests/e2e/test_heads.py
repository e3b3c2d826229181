"""test_heads.py - multi-head linear attention from small initialization
(docs/science.md, section 7): examples/linear_attention_heads.duet as `duet
compare` runs it (seed 0, its 3000 steps, about 10 s). A head counts as
learned at the first evaluation where its contribution (the loss increase
when its value is zeroed) reaches half its final value; of each
optimizer's three largest heads, SGD learns them one after another (the
third at least 4 times later than the first) and Muon together (within a
factor of 3). Measured over seeds 0..4: SGD's factor 5.75-20 (heads at
steps 150-200, 500-700, 1150-3000), Muon's 1.33-2.5 (steps 100-250). Both
plot every head's contribution over time in heads.svg."""
import json
import os
import re
import xml.etree.ElementTree as ET

from e2etest import EXAMPLES, Test, read_jsonl

SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_heads")
t.duet_run("compare", os.path.join(EXAMPLES, "linear_attention_heads.duet"), "--out", "la",
           "--quiet")
with open(t.path("la", "compare.json")) as f:
    v = json.load(f)["variants"]


def learned_at(run):
    ev = [r for r in read_jsonl(os.path.join(t.work, run, "metrics.jsonl")) if "head1_1" in r]
    final = {h: ev[-1][f"head1_{h}"] for h in range(1, 5)}
    top = sorted(final, key=final.get, reverse=True)[:3]
    return [next(r["step"] for r in ev if r[f"head1_{h}"] >= final[h] / 2) for h in top]


sgd = sorted(learned_at(v.get("SGD(lr = 0.3)", {}).get("dir", "")))
muon = sorted(learned_at(v.get("Muon(lr = 0.01)", {}).get("dir", "")))
print("steps at which the three largest heads are learned: SGD", sgd, "Muon", muon)
t.check(sgd[2] >= 4 * sgd[0] and sgd[1] > sgd[0] and sgd[2] > sgd[1],
        "SGD learns its heads one after another", "third >= 4 x first, distinct", sgd)
t.check(muon[2] <= 3 * muon[0], "Muon learns its heads together", "third <= 3 x first", muon)
t.check(v.get("Muon(lr = 0.01)", {}).get("test_loss", 9) < 1.875 / 4,
        "Muon has learned the task (test loss below a quarter of predicting 0)", "< 0.47",
        v.get("Muon(lr = 0.01)", {}).get("test_loss"))
root = ET.parse(t.path("la", "heads.svg")).getroot()
names = [x.text for x in root.iter(SVG + "text") if re.fullmatch(r".+ head1_[1-4]", x.text or "")]
t.check(len(names) == 8, "heads.svg: the four heads of both optimizers", 8, names)
t.done()
