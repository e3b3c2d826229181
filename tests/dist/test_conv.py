"""test_conv.py - the convolutions' picks on 2 ranks under --conv auto:
every rank runs rank 0's picks (the ones summary.json records), so a run
pinned to them with --conv RUN_DIR repeats the auto run bit for bit, with
the gradients in one exchange and in buckets exchanged while the backward
pass runs; a run stopped and resumed on 2 ranks keeps its picks and equals
a run pinned to them."""
from disttest import SOURCE, DistTest, read_safetensors

t = DistTest("test_conv")
args = ["run", SOURCE, "cnn", "--quiet", "--steps", "30"]


def same_bits(a, b, what):
    for name in ("model.safetensors", "train_state.safetensors"):
        ta, _ = read_safetensors(t.path(a, name))
        tb, _ = read_safetensors(t.path(b, name))
        bad = [k for k in ta if k not in tb or ta[k].tobytes() != tb[k].tobytes()]
        t.equal(f"{what}: {name} bit for bit", [], bad)


for extra in ([], ["--bucket-kb", "1"]):
    tag = "buckets" if extra else "single"
    t.run_n(2, *args, *extra, "--out", f"auto-{tag}")
    t.run_n(2, *args, *extra, "--out", f"pinned-{tag}", "--conv", t.path(f"auto-{tag}"))
    same_bits(f"auto-{tag}", f"pinned-{tag}", f"2 ranks ({tag} exchange), pinned to the auto run")
t.run_n(2, *args, "--out", "cut", "--stop-after", "12")
t.run_n(2, "run", "--resume", t.path("cut"), "--quiet")
t.run_n(2, *args, "--out", "cut-pinned", "--conv", t.path("cut"))
same_bits("cut", "cut-pinned", "2 ranks stopped and resumed, against a run pinned to its picks")
t.done()
