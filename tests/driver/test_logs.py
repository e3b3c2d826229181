"""test_logs.py - `duet run --log-format csv,tensorboard` on a small MLP,
stopped and resumed: metrics.csv holds the whole run, row for row and cell
for cell as metrics.jsonl (logreaders.compare_csv); each part of the run
has its own TensorBoard event file, decoded by an independent reader
(TFRecord checksums, Event fields) with an Event per metrics line of its
part carrying that line's step and values as float32; progress on stderr
(not a terminal) is plain lines, without carriage returns."""
import json
import os
import sys

from drvtest import HERE, ROOT, Test

sys.path.insert(0, os.path.join(ROOT, "tests", "common"))
from logreaders import compare_csv, flatten, read_events, same_number  # noqa: E402
from testcheck import f32  # noqa: E402

t = Test("test_logs")
src = os.path.join(HERE, "small_mlp.duet")
p = t.duet_run("run", src, "--steps", "30", "--stop-after", "20", "--log-every", "5",
               "--log-format", "csv,tensorboard", "--out", "run", "--threads", "1")
t.check("\r" not in p.stderr and "step 20/30 (66%) | epoch 0.02/0.03 | loss " in p.stderr,
        "progress off a terminal: plain lines with the epoch as a fraction",
        "step 20/30 (66%) | epoch 0.02/0.03 | loss ...", p.stderr)
first = sorted(f for f in os.listdir(t.path("run")) if f.startswith("events.out.tfevents."))
t.duet_run("run", "--resume", "run", "--log-format", "csv,tensorboard", "--threads", "1",
           "--quiet")
files = sorted(f for f in os.listdir(t.path("run")) if f.startswith("events.out.tfevents."))
t.check(len(first) == 1 and len(files) == 2 and first[0] in files,
        "an event file for the run and one for its resumed part", 2, files)

compare_csv(t.path("run", "metrics.jsonl"), t.path("run", "metrics.csv"), t.check)
with open(t.path("run", "metrics.jsonl")) as f:
    lines = [json.loads(x) for x in f]
t.equal("metrics lines: every 5 steps and the evaluations at 20 and 30",
        [5, 10, 15, 20, 20, 25, 30, 30], [x["step"] for x in lines])
with open(t.path("run", "metrics.csv")) as f:
    header = f.readline().strip().split(",")
t.equal("metrics.csv: the columns", ["step", "epoch", "loss", "lr", "schedule", "norm_weights",
                                     "norm_update", "ms_per_step", "test_loss", "test_accuracy"],
        header)

parts = [[x for x in lines if x["step"] <= 20], [x for x in lines if x["step"] > 20]]
for name, part in zip([first[0], (set(files) - set(first)).pop()], parts):
    try:
        events = read_events(t.path("run", name))
    except ValueError as e:
        t.check(False, f"{name}: TFRecord framing and checksums", "valid", str(e))
        continue
    t.equal(f"{name}: file_version first", "brain.Event:2", events[0]["file_version"])
    t.equal(f"{name}: an event per metrics line of its part", len(part), len(events) - 1)
    for line, ev in zip(part, events[1:]):
        expected = {k: f32(v) for k, v in flatten(line) if k != "step"}
        got = ev["values"]
        t.check(ev["step"] == line["step"] and sorted(expected) == sorted(got) and
                all(same_number(expected[k], got[k]) for k in expected),
                f"{name}: the event of step {line['step']}", (line["step"], expected),
                (ev["step"], got))
t.done()
