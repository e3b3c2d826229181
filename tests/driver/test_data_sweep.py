"""test_data_sweep.py - arguments of data sources set and swept: `--set
data.param=v` reaches every data set whose source has the parameter and
`--set data.name.param=v` that data set alone (as recorded in summary.json);
a key no data set has is an error at the key; a sweep over `data.sep`
trains each variant on its own data; `--metric KEY` reports and plots a
chosen value (train_loss, an evaluation's last or best value): a column of
the table equal to compare.json's values, sweep.svg against the swept data
argument on a log axis, titled by the metric; an unknown metric stops the
sweep after its first variant and names the metrics there are."""
import json
import os
import xml.etree.ElementTree as ET

from drvtest import HERE, Test, read_summary

SVG = "{http://www.w3.org/2000/svg}"
t = Test("test_data_sweep")
src = os.path.join(HERE, "data_sweep.duet")


def data_args(out):
    s = read_summary(t.path(out, "summary.json"))
    return {name: d.get("args", {}) for name, d in s.get("data", {}).items()}


t.duet_run("run", src, "--steps", "2", "--out", "all", "--set", "data.sep=7", "--quiet")
args = data_args("all")
t.check([a.get("sep") for a in args.values()] == [7, 7], "data.sep=7 sets it in both data sets",
        [7, 7], args)
t.duet_run("run", src, "--steps", "2", "--out", "one", "--set", "data.test.sep=0.5", "--quiet")
args = data_args("one")
t.check([args.get("train", {}).get("sep"), args.get("test", {}).get("sep")] == [3, 0.5],
        "data.test.sep=0.5 sets it in test alone", [3, 0.5], args)

p = t.duet_run("run", src, "--steps", "2", "--out", "bad", "--set", "data.intensity=2", rc=1)
t.check("--set:1:1: error: no data binding of experiment blobs has a parameter 'intensity'" in p.stderr,
        "a data argument no source has: an error at the key",
        "no data binding of experiment blobs has a parameter 'intensity'", p.stderr)
p = t.duet_run("run", src, "--steps", "2", "--out", "bad2", "--set", "data=2", rc=1)
t.check("'data' cannot be set: write data.param or data.name.param" in p.stderr,
        "data alone: the forms it takes", "write data.param or data.name.param", p.stderr)

# the sweep, reported by the best test accuracy
p = t.duet_run("sweep", src, "--out", "sw", "--threads", "1", "--quiet", "--metric",
               "best_test_accuracy")
labels = [f"optimizer.lr={lr}, data.sep={s}" for lr in ("0.01", "0.1") for s in ("0.25", "1", "4")]
with open(t.path("sw", "compare.json")) as f:
    variants = json.load(f)["variants"]
t.check(list(variants) == labels, "a variant per learning rate and separation", labels,
        list(variants))
table = p.stdout[p.stdout.find("\nvariant"):].strip().splitlines()
t.check(table[0].split()[-1] == "best_test_accuracy", "the table's last column is the metric",
        "best_test_accuracy", table[0])
for label, row in zip(labels, table[1:]):
    v = variants.get(label, {})
    sep = float(label.split("data.sep=")[1])
    args = data_args(os.path.relpath(os.path.join(t.work, v.get("dir", "")), t.work))
    t.check(args.get("train", {}).get("sep") == sep and args.get("test", {}).get("sep") == sep,
            f"{label}: trained and evaluated at sep {sep}", sep, args)
    want = f"{v.get('best_test_accuracy', -1):.4g}"
    t.check(row.split()[-1] == want, f"{label}: its metric in the table", want, row)
acc = [variants[l]["best_test_accuracy"] for l in labels]
t.check(acc[2] > acc[0] + 0.2 and acc[5] > acc[3] + 0.2,
        "farther clusters are easier (best test accuracy at sep 4 above sep 0.25 by 0.2)",
        "sep 4 > sep 0.25 + 0.2", acc)
root = ET.parse(t.path("sw", "sweep.svg")).getroot()
texts = [x.text for x in root.iter(SVG + "text")]
t.check("blobs sweep: best_test_accuracy" in texts and "data.sep" in texts,
        "sweep.svg: titled by the metric, against data.sep", "title and axis", texts)
t.check(len(list(root.iter(SVG + "polyline"))) == 2, "sweep.svg: a line per learning rate", 2,
        len(list(root.iter(SVG + "polyline"))))
ticks = ["0.1", "0.2", "0.5", "1", "2", "5", "10"]
t.check(texts[:7] == ticks, "sweep.svg: a log x axis (1-2-5 ticks) for values spanning a factor of 16",
        ticks, texts[:7])

p = t.duet_run("sweep", src, "--out", "sw2", "--quiet", "--metric", "best_val_accuracy", rc=1)
t.check("--metric best_val_accuracy: the runs have no such value; they have train_loss, "
        "test_loss, best_test_loss, test_accuracy, best_test_accuracy" in p.stderr and
        "stopped after variant 1 of 6" in p.stderr,
        "an unknown metric: stopped after the first variant, naming those there are",
        "the message", p.stderr)
t.done()
