"""test_conv_pins.py - --conv RUN_DIR and resuming on the oneDNN backend:
a run pinned to an auto run's picks (its directory or summary.json) repeats
it bit for bit, every pick printed and recorded as pinned from the file; a
shape the file lacks is timed; picks opposite to auto's, pinned, change the
bits and survive --stop-after and --resume (the checkpoint records them),
so the resumed run equals the uninterrupted one; an auto run stopped (or
interrupted by SIGINT) and resumed keeps the picks it made and equals a
run pinned to them; --conv
given on resume sets the path afresh; a file that cannot be pinned is an
error with a hint, in duet run and duet predict."""
import json
import os
import re
import signal
import subprocess
import time

from drvtest import Test, read_checkpoint, read_jsonl, read_state, read_summary

t = Test("test_conv_pins")
src = t.path("two_convs.duet")
with open(src, "w") as f:
    f.write("""use std.nn
use std.optim

experiment two_convs {
  data train = fashion_mnist("train"), test = fashion_mnist("test")
  model = Conv2D(1, 4, 3) >> relu >> Conv2D(4, 6, 3, stride = 2) >> relu >> flatten
          >> Linear(1176, 10)
  loss = cross_entropy
  optimizer = AdamW(lr = 0.003)
  batch = 12
  steps = 8
  seed = 5
  eval every 4 steps: accuracy(test), loss(test)
}
""")
long_src = t.path("long_convs.duet")
with open(long_src, "w") as f:
    f.write("""use std.nn
use std.optim

experiment long_convs {
  data train = fashion_mnist("train")
  model = Conv2D(1, 4, 3) >> relu >> Conv2D(4, 6, 3, stride = 2) >> relu >> flatten
          >> Linear(1176, 10)
  loss = cross_entropy
  optimizer = AdamW(lr = 0.003)
  batch = 12
  steps = 1500
  seed = 6
}
""")
KEY = ("pass", "n", "c", "h", "w", "o", "kh", "kw", "stride", "pad")
CONV = ("conv", "conv_pinned_from", "conv_picks")


def key(q):
    return tuple(q[k] for k in KEY)


def picks_of(run):
    return read_summary(t.path(run, "summary.json")).get("conv_picks", [])


def run(*args, rc=0):
    return t.duet_run("run", *args, "--quiet", rc=rc)


def same_run(a, b, what):
    """Bit for bit: every checkpoint tensor, metrics.jsonl and summary.json
    (apart from timing and the convolutions' fields)."""
    ca, cb = read_checkpoint(t.path(a)), read_checkpoint(t.path(b))
    t.check(sorted(ca) == sorted(cb), f"{what}: the same tensors", sorted(ca), sorted(cb))
    bad = [k for k in ca if k in cb and ca[k].tobytes() != cb[k].tobytes()]
    t.equal(f"{what}: every tensor bit for bit", [], bad)
    t.equal(f"{what}: metrics.jsonl", read_jsonl(t.path(a, "metrics.jsonl")),
            read_jsonl(t.path(b, "metrics.jsonl")))
    sa, sb = (read_summary(t.path(r, "summary.json"), drop=("ms_per_step", "wall_s", "compile_s",
                                                              "build", *CONV)) for r in (a, b))
    t.equal(f"{what}: summary.json", sa, sb)


def differs(a, b):
    wa, wb = read_checkpoint(t.path(a)), read_checkpoint(t.path(b))
    return any(wa[k].tobytes() != wb[k].tobytes() for k in wa)


def pick_lines(stdout):
    return re.findall(r"^    (\w+) +n \d+ c \d+ \d+x\d+ o \d+ k \d+x\d+ stride \d+ pad \d+: "
                      r"(pinned|timed): .*?(\w+)$", stdout, re.M)


# An auto run, and one pinned to its picks by its directory: the same bits,
# every pick pinned (untimed) and recorded so.
run(src, "--out", "auto")
auto = picks_of("auto")
passes = {q["pass"] for q in auto}
t.check(passes == {"fwd", "bwd_data", "bwd_weight"} and len({q["n"] for q in auto}) == 2,
        "auto: picks of the training step's shapes and the evaluation's (its last batch of 4)",
        "3 passes, 2 batches",
        (passes, {q["n"] for q in auto}))
p = run(src, "--out", "repeat", "--conv", t.path("auto"))
same_run("auto", "repeat", "--conv RUN_DIR of an auto run")
s = read_summary(t.path("repeat", "summary.json"))
t.equal("--conv RUN_DIR: the setting", "auto", s["conv"])
t.equal("--conv RUN_DIR: pinned from its summary.json", t.path("auto", "summary.json"),
        s.get("conv_pinned_from"))
t.equal("--conv RUN_DIR: the picks, each pinned", [(key(q), q["pick"], True) for q in auto],
        [(key(q), q["pick"], q.get("pinned")) for q in s["conv_picks"]])
t.check(all("im2col_ms" not in q for q in s["conv_picks"]), "--conv RUN_DIR: no times")
t.check(f"\n  conv auto, pinned from {t.path('auto', 'summary.json')}\n" in p.stdout,
        "--conv RUN_DIR: the report names the file", "pinned from", p.stdout)
t.equal("--conv RUN_DIR: every pick printed as pinned",
        [(q["pass"], "pinned", q["pick"]) for q in auto], pick_lines(p.stdout))

# A file without the evaluation's shapes: those are timed.
train_n = auto[0]["n"]
partial = t.path("partial.json")
with open(partial, "w") as f:
    json.dump({"conv": "auto", "conv_picks": [q for q in auto if q["n"] == train_n]}, f)
p = run(src, "--out", "partial", "--conv", partial)
got = {(key(q), q.get("pinned", False)) for q in picks_of("partial")}
t.equal("a file without the evaluation's shapes: those timed, the others pinned",
        {(key(q), q["n"] == train_n) for q in auto}, got)
t.equal("the report says pinned and timed",
        sorted("pinned" if q["n"] == train_n else "timed" for q in auto),
        sorted(kind for _, kind, _ in pick_lines(p.stdout)))

# Picks opposite to auto's, pinned: other bits; stopped after step 3 (before
# the first evaluation) and resumed without --conv, the run keeps them and
# equals the uninterrupted one.
flip = t.path("flip.json")
opposite = [dict(q, pick="onednn" if q["pick"] == "im2col" else "im2col") for q in auto]
with open(flip, "w") as f:
    json.dump({"conv": "auto", "conv_picks": opposite}, f)
run(src, "--out", "flip", "--conv", flip)
t.check(differs("auto", "flip"), "the opposite picks change the weights' bits")
run(src, "--out", "flip-part", "--conv", flip, "--stop-after", "3")
meta = json.loads(read_state(t.path("flip-part"))[1]["duet.conv"])
t.equal("the checkpoint records the setting, the file and the pins",
        {"conv": "auto", "conv_pinned_from": flip,
         "conv_picks": [dict(key=key(q), pick=q["pick"], pinned=True) for q in opposite]},
        {"conv": meta["conv"], "conv_pinned_from": meta.get("conv_pinned_from"),
         "conv_picks": [dict(key=key(q), pick=q["pick"], pinned=q.get("pinned"))
                        for q in meta["conv_picks"]]})
p = t.duet_run("run", "--resume", t.path("flip-part"))
t.check(f"\n  conv auto, pinned from {flip}\n" in p.stdout, "resumed: the pins' file reported",
        "pinned from", p.stdout)
same_run("flip", "flip-part", "pinned, stopped and resumed")
t.equal("resumed: summary.json's path and picks",
        {k: read_summary(t.path("flip", "summary.json")).get(k) for k in CONV},
        {k: read_summary(t.path("flip-part", "summary.json")).get(k) for k in CONV})

# An auto run stopped after step 3 and resumed keeps the picks it timed
# (the evaluation's are timed after the resume) and equals a run pinned to
# its picks.
run(src, "--out", "cut", "--stop-after", "3")
first = picks_of("cut")
run("--resume", t.path("cut"))
resumed = picks_of("cut")
t.equal("auto resumed: the picks of the first part as recorded, times included", first,
        resumed[:len(first)])
t.equal("auto resumed: then the evaluation's", len(auto), len(resumed))
run(src, "--out", "cut-pinned", "--conv", t.path("cut"))
same_run("cut", "cut-pinned", "auto stopped and resumed, against a run pinned to its picks")

# An auto run interrupted by SIGINT: its checkpoint records the picks, and
# resumed it equals a run pinned to them.
proc = subprocess.Popen([t.duet, "run", long_src, "--out", "sigint", "--log-every", "1",
                         "--quiet"], cwd=t.work, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
metrics = t.path("sigint", "metrics.jsonl")
deadline = time.time() + 60
while proc.poll() is None and time.time() < deadline and not (
        os.path.exists(metrics) and open(metrics).read().count("\n") >= 2):
    time.sleep(0.002)
proc.send_signal(signal.SIGINT)
proc.communicate(timeout=120)
t.equal("SIGINT: exit code", 130, proc.returncode)
meta = json.loads(read_state(t.path("sigint"))[1]["duet.conv"])
t.equal("SIGINT: the checkpoint records the picks the run made", picks_of("sigint"),
        meta["conv_picks"])
t.check(len(meta["conv_picks"]) == 5, "SIGINT: the training step's five picks", 5,
        len(meta["conv_picks"]))
run("--resume", t.path("sigint"))
t.equal("SIGINT, resumed: the picks kept", meta["conv_picks"], picks_of("sigint"))
run(long_src, "--out", "sigint-pinned", "--log-every", "1", "--conv", t.path("sigint"))
same_run("sigint", "sigint-pinned", "auto interrupted and resumed, against a run pinned to its picks")

# --conv on resume sets the path afresh.
run(src, "--out", "fresh", "--conv", flip, "--stop-after", "3")
run("--resume", t.path("fresh"), "--conv", "im2col")
s = read_summary(t.path("fresh", "summary.json"))
t.equal("--conv im2col on resume: the setting", ("im2col", None), (s["conv"],
                                                                    s.get("conv_pinned_from")))

# Errors: message and hint.
notes = t.path("notes.txt")
with open(notes, "w") as f:
    f.write("not json")
nopicks = t.path("nopicks.json")
with open(nopicks, "w") as f:
    json.dump({"conv": "auto"}, f)
bad_pick = t.path("bad_pick.json")
with open(bad_pick, "w") as f:
    json.dump({"conv": "auto", "conv_picks": [dict(auto[0], pick="fast")]}, f)
bad_dim = t.path("bad_dim.json")
with open(bad_dim, "w") as f:
    json.dump({"conv": "auto", "conv_picks": [dict(auto[0], stride=0)]}, f)
os.makedirs(t.path("empty"))
cases = [
    ("fast", "--conv: fast: cannot open: No such file or directory",
     "hint: --conv is auto, im2col, onednn, or a run directory"),
    (t.path("empty"), f"--conv: {t.path('empty', 'summary.json')}: cannot open",
     "hint: --conv is auto, im2col, onednn, or a run directory"),
    (notes, f"--conv: {notes} is not a JSON object: byte", "hint: give a run directory"),
    (nopicks, f"{nopicks}: no \"conv_picks\" list", "hint: summary.json records"),
    (bad_pick, f"{bad_pick}: conv_picks[0] needs \"pass\"", "hint: summary.json records"),
    (bad_dim, f"{bad_dim}: conv_picks[0]: \"stride\" is not an integer >= 1",
     "hint: summary.json records"),
]
for value, message, hint in cases:
    p = run(src, "--out", "bad", "--conv", value, rc=1)
    t.check(f"duet: error: {message}" in p.stderr and f"\n  {hint}" in p.stderr,
            f"--conv {os.path.basename(value)}: message and hint", (message, hint), p.stderr)
t.check(not os.path.exists(t.path("bad")), "no run directory made for a bad --conv")
p = run(src, "--out", "blas", "--conv", t.path("auto"), "--gemm", "openblas", rc=1)
t.check("its picks choose between im2col and oneDNN's convolution" in p.stderr and
        "hint: --conv im2col runs every convolution by im2col" in p.stderr,
        "--conv RUN_DIR --gemm openblas: the picks need the oneDNN backend", "oneDNN backend",
        p.stderr)
p = t.duet_run("predict", src, "--weights", t.path("auto", "model.safetensors"), "--conv", notes,
               "--data", "test", rc=1)
t.check(f"error: --conv: {notes} is not a JSON object" in p.stderr and
        "\n  hint: give a run directory" in p.stderr, "predict --conv: message and hint",
        "not a JSON object", p.stderr)
t.duet_run("predict", src, "--weights", t.path("auto", "model.safetensors"), "--conv",
           t.path("auto"), "--data", "test")
t.done()
