#!/usr/bin/python3
"""test_io_report.py - metrics.jsonl and summary.json parsed back with json
(values, key order, float32 round trip, non-finite flags); metrics.csv
against metrics.jsonl and the TensorBoard event files decoded by an
independent reader (logreaders.py: checksums, Event fields, every value);
and SVG plots parsed with xml.etree (structure, legend outside the plot
area, linear and log ticks, the automatic scale, dash styles, bands, and
that every point and tick sits where the axis mapping puts it).

usage: test_io_report.py TOOL"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from logreaders import compare_csv, flatten, read_events, same_number  # noqa: E402
from testcheck import Tally, f32  # noqa: E402

TOOL = sys.argv[1]
SVG = "{http://www.w3.org/2000/svg}"
tally = Tally("test_io_report")
check, equal = tally.check, tally.equal


def check_metrics(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    equal("metrics: 3 lines, newline-terminated", 4, len(lines))
    equal("metrics: last line empty", "", lines[-1])
    rows = [json.loads(line) for line in lines[:-1]]
    first, second, third = rows
    equal("line 1 keys in order",
          ["step", "epoch", "loss", "lr", "ms_per_step", "name"], list(first))
    equal("loss survives float32 round trip", f32(2.3025851), f32(first["loss"]))
    equal("lr", 0.02, first["lr"])
    equal("ms_per_step", 12.5, first["ms_per_step"])
    equal("escaped string", 'dual "q"\n\t\\ \u00e9', first["name"])
    equal("line 2 keys in order",
          ["step", "loss", "loss_nonfinite", "grad_norm", "grad_norm_nonfinite",
           "update_norm", "update_norm_nonfinite", "eval"], list(second))
    equal("non-finite values are null", [None, None, None],
          [second["loss"], second["grad_norm"], second["update_norm"]])
    equal("non-finite flags", ["nan", "inf", "-inf"],
          [second["loss_nonfinite"], second["grad_norm_nonfinite"],
           second["update_norm_nonfinite"]])
    equal("nested eval object", {"test_loss": f32(0.45), "test_accuracy": 0.8812},
          {"test_loss": f32(second["eval"]["test_loss"]),
           "test_accuracy": second["eval"]["test_accuracy"]})
    equal("appended line: 64-bit integer exact", 2**53 + 1, third["step"])
    equal("subnormal float32", f32(1e-45), f32(third["tiny"]))
    equal("large double", 1e300, third["huge"])
    equal("float32 1/3", f32(1 / 3), f32(third["third"]))


def float32(v):
    """v as a float32 simple_value holds it (beyond its range: infinite)."""
    if math.isfinite(v) and abs(v) > 3.4028234663852886e38:
        return math.copysign(math.inf, v)
    return f32(v)


def check_logs(tmp, t0, t1):
    jsonl = os.path.join(tmp, "metrics.jsonl")
    compare_csv(jsonl, os.path.join(tmp, "metrics.csv"), check)
    with open(os.path.join(tmp, "metrics.csv"), newline="") as f:
        text = f.read()
    check('"dual ""q""\n\t\\ \u00e9"' in text, "metrics.csv: a string with a quote and a line "
          "break is quoted", '"dual ""q""..."', text)
    files = sorted(f for f in os.listdir(tmp) if f.startswith("events.out.tfevents."))
    equal("an event file per opening of the log", 2, len(files))
    events = []
    for name in files:
        try:
            evs = read_events(os.path.join(tmp, name))
        except ValueError as e:
            check(False, f"{name}: TFRecord framing and checksums", "valid", str(e))
            continue
        equal(f"{name}: first event: file_version", "brain.Event:2", evs[0]["file_version"])
        events += evs[1:]
        check(all(t0 - 1 <= e["wall_time"] <= t1 + 1 for e in evs),
              f"{name}: wall times within the run", (t0, t1), [e["wall_time"] for e in evs])
    with open(jsonl) as f:
        lines = [json.loads(x) for x in f]
    equal("an event per metrics line", len(lines), len(events))
    for line, ev in zip(lines, events):
        expected = {k: float32(float(v)) for k, v in flatten(line)
                    if k != "step" and not isinstance(v, str)}
        got = ev["values"]
        ok = ev["step"] == line["step"] and sorted(expected) == sorted(got) and all(
            same_number(expected[k], got[k]) for k in expected)
        check(ok, f"event of step {line['step']}: its values", (line["step"], expected),
              (ev["step"], got))


def check_summary(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    s = json.loads(text)
    equal("summary key order",
          ["experiment", "steps", "train_loss", "test_accuracy", "config",
           "extra", "val_loss", "val_loss_nonfinite"], list(s))
    equal("summary values", ["fashion_mlp", 2340, f32(0.2718), 0.9031,
                             {"lr": 0.02, "batch": 256}, {}, None, "nan"],
          [s["experiment"], s["steps"], f32(s["train_loss"]), s["test_accuracy"],
           s["config"], s["extra"], s["val_loss"], s["val_loss_nonfinite"]])
    equal("summary is pretty-printed with 2-space indent",
          ['{', '  "experiment": "fashion_mlp",', '  "steps": 2340,'],
          text.split("\n")[:3])
    equal("nested object indented", '    "batch": 256', text.split("\n")[7])
    equal("no temporary file left", False, os.path.exists(path + ".tmp"))


def points(el):
    return [tuple(map(float, p.split(","))) for p in el.get("points").split()]


def affine_fit(values, pixels):
    """pixel = a + b * value from the extreme values; returns (a, b)."""
    i, j = values.index(min(values)), values.index(max(values))
    b = (pixels[j] - pixels[i]) / (values[j] - values[i])
    return pixels[i] - b * values[i], b


def check_mapping(what, values, pixels, a, b, tol=0.02):
    worst = max(abs(a + b * v - p) for v, p in zip(values, pixels))
    check(worst < tol, f"{what}: points off the axis mapping by", f"< {tol}",
          worst)


def frame_of(root):
    rect = [r for r in root.iter(SVG + "rect") if r.get("stroke") == "#333"][0]
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def texts(root, cls):
    return [(t.text, t) for t in root.iter(SVG + "text") if t.get("class") == cls]


def check_ticks(what, labels, log):
    values = [float(v) for v, _ in labels]
    check(3 <= len(values) <= 16, f"{what}: tick count", "3..16", len(values))
    if log:
        return values
    steps = {round(b - a, 9) for a, b in zip(values, values[1:])}
    equal(f"{what}: evenly spaced ticks", 1, len(steps))
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    check(any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5)),
          f"{what}: 1-2-5 tick step", "1, 2 or 5 x 10^k", step)
    return values


def check_loss_svg(path):
    root = ET.parse(path).getroot()
    equal("svg root element", SVG + "svg", root.tag)
    equal("title/xlabel/ylabel", ["loss", "step", "loss"],
          [texts(root, c)[0][0] for c in ("title", "xlabel", "ylabel")])
    legend = [g for g in root.iter(SVG + "g") if g.get("class") == "legend"][0]
    equal("legend names", ["train", 'test <&> "quoted"'],
          [t.text for t in legend.iter(SVG + "text")])
    lines = list(root.iter(SVG + "polyline"))
    equal("polylines: train + test broken at its NaN", 3, len(lines))
    check_legend_outside(root, "loss.svg")
    train = points(lines[0])
    equal("train points", 100, len(train))
    xs = [10.0 * i for i in range(100)]
    ys = [2.3 * math.exp(-i / 30.0) + 0.2 for i in range(100)]
    ax, bx = affine_fit(xs, [p[0] for p in train])
    ay, by = affine_fit(ys, [p[1] for p in train])
    check(bx > 0 and by < 0, "x grows rightwards, y upwards", "bx > 0, by < 0",
          (bx, by))
    check_mapping("train x", xs, [p[0] for p in train], ax, bx)
    check_mapping("train y", ys, [p[1] for p in train], ay, by)
    test_pts = points(lines[1]) + points(lines[2])
    tx = [100.0 * i + 90 for i in range(10) if i != 5]
    ty = [2.0 * math.exp(-i / 3.0) + 0.3 for i in range(10) if i != 5]
    equal("test points around the NaN", [5, 4],
          [len(points(lines[1])), len(points(lines[2]))])
    check_mapping("test x", tx, [p[0] for p in test_pts], ax, bx)
    check_mapping("test y", ty, [p[1] for p in test_pts], ay, by)
    x0, y0, x1, y1 = frame_of(root)
    inside = all(x0 - 0.01 <= x <= x1 + 0.01 and y0 - 0.01 <= y <= y1 + 0.01
                 for x, y in train + test_pts)
    equal("all points inside the frame", True, inside)
    xt = texts(root, "xtick")
    yt = texts(root, "ytick")
    xv = check_ticks("x ticks", xt, False)
    yv = check_ticks("y ticks", yt, False)
    check_mapping("x tick positions", xv, [float(t.get("x")) for _, t in xt],
                  ax, bx)
    # y tick labels are drawn 4 px below their tick (baseline offset)
    check_mapping("y tick positions", yv,
                  [float(t.get("y")) - 4 for _, t in yt], ay, by)
    check(xv[0] <= 0 and xv[-1] >= 990 and yv[0] <= min(ys) and yv[-1] >= 2.5,
          "ticks span the data", "[0, 990] x [0.2, 2.5]", (xv, yv))


def check_sv_svg(path):
    root = ET.parse(path).getroot()
    equal("height", "500", root.get("height"))
    equal("plot area right edge: the width asked for, less the margin", 776, frame_of(root)[2])
    check_legend_outside(root, "sv.svg")
    equal("title", "singular values", texts(root, "title")[0][0])
    lines = list(root.iter(SVG + "polyline"))
    circles = list(root.iter(SVG + "circle"))
    equal("polylines: s1, s2 broken at its zero, s3 before its NaN", 4,
          len(lines))
    equal("isolated last point of s3 drawn as a dot", 1, len(circles))
    yt = texts(root, "ytick")
    yv = check_ticks("log y ticks", yt, True)
    decades = [v for v in yv if abs(math.log10(v) - round(math.log10(v))) < 1e-9]
    check(len(decades) >= 3, "decade ticks", ">= 3", decades)
    s1 = points(lines[0])
    ys = [10 ** -1.5 * (1 + i) for i in range(40)]
    logs = [math.log10(v) for v in ys]
    ay, by = affine_fit(logs, [p[1] for p in s1])
    check_mapping("log-y s1", logs, [p[1] for p in s1], ay, by)
    check_mapping("log tick positions", [math.log10(v) for v in yv],
                  [float(t.get("y")) - 4 for _, t in yt], ay, by)
    s2 = points(lines[1]) + points(lines[2])
    s2_logs = [math.log10(10 ** -0.5 * (1 + i)) for i in range(40) if i != 20]
    equal("s2 segments", [20, 19], [len(points(lines[1])), len(points(lines[2]))])
    check_mapping("log-y s2", s2_logs, [p[1] for p in s2], ay, by)
    cy = float(circles[0].get("cy"))
    check_mapping("isolated point", [math.log10(10 ** 0.5 * 40)], [cy], ay, by)


def check_legend_outside(root, what):
    x0, y0, x1, y1 = frame_of(root)
    legend = [g for g in root.iter(SVG + "g") if g.get("class") == "legend"][0]
    box = legend.find(SVG + "rect")
    lx, lw = float(box.get("x")), float(box.get("width"))
    check(lx > x1 and lx + lw <= float(root.get("width")),
          f"{what}: legend right of the plot area, inside the picture",
          f"{x1} < x, x + w <= {root.get('width')}", (lx, lw))


def decade_ticks(root):
    values = [float(v) for v, _ in texts(root, "ytick")]
    return [v for v in values if v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9]


def check_scales(tmp):
    root = ET.parse(os.path.join(tmp, "auto_log.svg")).getroot()
    equal("auto scale: title", "toy_quadratic compare: loss", texts(root, "title")[0][0])
    decades = decade_ticks(root)
    check(len(decades) >= 5 and min(decades) <= 2.7e-11 and max(decades) >= 2.3,
          "auto scale: 2.3 .. 2.7e-11 on a log axis with decade ticks", "1e-11 .. 10", decades)
    lines = list(root.iter(SVG + "polyline"))
    fast = points(lines[0])
    logs = [math.log10(2.3 * (2.7e-11 / 2.3) ** (i / 29)) for i in range(30)]
    ay, by = affine_fit(logs, [p[1] for p in fast])
    check_mapping("auto scale: points on the log mapping", logs, [p[1] for p in fast], ay, by)
    equal("dash styles: solid, dashed", [None, "6 4"],
          [x.get("stroke-dasharray") for x in lines])
    legend = [g for g in root.iter(SVG + "g") if g.get("class") == "legend"][0]
    equal("legend samples carry the dash styles", [None, "6 4"],
          [x.get("stroke-dasharray") for x in legend.iter(SVG + "line")])
    check_legend_outside(root, "auto_log.svg")

    root = ET.parse(os.path.join(tmp, "forced_linear.svg")).getroot()
    yv = check_ticks("forced linear: y ticks", texts(root, "ytick"), False)
    check(yv[0] <= 0 and yv[-1] >= 2.3, "forced linear: ticks from 0 to 2.3", "[<= 0, >= 2.3]", yv)

    root = ET.parse(os.path.join(tmp, "band.svg")).getroot()
    check_ticks("band: a span below 100 stays linear", texts(root, "ytick"), False)
    bands = [p for p in root.iter(SVG + "polygon") if p.get("class") == "band"]
    equal("band: one polygon", 1, len(bands))
    pts = points(bands[0])
    equal("band: along hi and back along lo", 60, len(pts))
    line = points(list(root.iter(SVG + "polyline"))[0])
    xs = [10.0 * (i + 1) for i in range(30)]
    ys = [2.3 - 0.05 * i for i in range(30)]
    ax, bx = affine_fit(xs, [p[0] for p in line])
    ay, by = affine_fit(ys, [p[1] for p in line])
    check_mapping("band: upper edge", [y + 0.2 for y in ys], [p[1] for p in pts[:30]], ay, by)
    check_mapping("band: lower edge, reversed", [y - 0.1 for y in reversed(ys)],
                  [p[1] for p in pts[30:]], ay, by)
    check_mapping("band: x", xs + xs[::-1], [p[0] for p in pts], ax, bx)
    legend = [g for g in root.iter(SVG + "g") if g.get("class") == "legend"][0]
    equal("band: legend names, the key entry too", ["plain (mean of 3)", "key"],
          [t.text for t in legend.iter(SVG + "text")])
    equal("band: the key entry is gray and dotted", ("#555555", "2 3"),
          (list(legend.iter(SVG + "line"))[1].get("stroke"),
           list(legend.iter(SVG + "line"))[1].get("stroke-dasharray")))


def check_empty_svg(path):
    root = ET.parse(path).getroot()
    equal("empty plot: no lines", 0, len(list(root.iter(SVG + "polyline"))))
    equal("empty plot: axes drawn", True, len(texts(root, "xtick")) >= 3)


with tempfile.TemporaryDirectory() as tmp:
    t0 = time.time()
    p = subprocess.run([TOOL, "write", tmp], capture_output=True, text=True)
    t1 = time.time()
    equal("tool exit code", 0, p.returncode)
    equal("diagnostics for a missing directory", [
        f"error: {tmp}/missing/metrics.jsonl: cannot open for writing: No such "
        "file or directory",
        f"error: {tmp}/missing/summary.json.tmp: cannot create: No such file "
        "or directory",
        f"error: {tmp}/missing/loss.svg.tmp: cannot create: No such file or "
        "directory"], p.stdout.strip().split("\n"))
    check_metrics(os.path.join(tmp, "metrics.jsonl"))
    check_logs(tmp, t0, t1)
    check_summary(os.path.join(tmp, "summary.json"))
    check_loss_svg(os.path.join(tmp, "loss.svg"))
    check_sv_svg(os.path.join(tmp, "sv.svg"))
    check_empty_svg(os.path.join(tmp, "empty.svg"))
    check_scales(tmp)
tally.done()
