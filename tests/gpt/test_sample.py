"""`duet sample` on a tiny pre-norm GPT (torch.duet) trained for a few
steps on a small text: the greedy continuation (temperature 0) of a prompt
shorter than the context (padded in duet) and of one longer than it (the
last `context` bytes kept) equals the greedy continuation computed by the
PyTorch transcription of the model (gpt_reference.py) from the same checkpoint,
with windows of the text's own length; sampling is a function of the seed,
--top-k 1 is greedy; a run whose .duet file was deleted, then replaced by
another, samples the same text from its run directory's copy; and the
errors: no run directory, no checkpoint, a model that is not a language
model, one that is not causal, a compare's directory, and bad options.

usage: test_sample.py DUET WORKDIR"""
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import Test, read_weights  # noqa: E402
import gpt_reference  # noqa: E402

SRC = os.path.join(HERE, "torch.duet")
MODELS = os.path.join(HERE, "sample.duet")
CONTEXT, HEADS, DEPTH, TOKENS = 8, 2, 2, 40
USAGE = "  hint: run 'duet sample --help' for usage\n"

t = Test("test_sample")
with open(t.path("kjv.txt"), "w") as f:
    f.write("".join("And God said, Let there be light: %d.\n" % (i * 53 % 97) for i in range(300)))
os.environ["DUET_DATA"] = t.work


def sample(run, *args):
    """The bytes `duet sample` writes (generated text need not be UTF-8)."""
    cmd = [t.duet, "sample", run, "--tokens", str(TOKENS), *args]
    p = subprocess.run(cmd, cwd=t.work, capture_output=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    t.check(p.returncode == 0, f"exit code of {' '.join(cmd[1:])}", 0, p.returncode)
    return p.stdout


def torch_greedy(run, prompt):
    """The prompt and TOKENS greedy bytes from the PyTorch model."""
    ckpt = read_weights(t.path(run))
    w = [torch.tensor(ckpt[n].astype(np.float64)) for n in gpt_reference.weight_names(DEPTH)]
    text = list(prompt.encode())
    with torch.no_grad():
        for _ in range(TOKENS):
            x = torch.tensor([text[-CONTEXT:]])
            text.append(int(torch.argmax(gpt_reference.logits(w, x, HEADS, DEPTH)[0, -1])))
    return bytes(text) + b"\n"


# greedy continuations against PyTorch, in double precision
t.duet_run("run", SRC, "--steps", "60", "--dtype", "f64", "--out", "gpt64", "--quiet")
for prompt in ("And God", "Let there be light: 1"):
    got = sample("gpt64", "--prompt", prompt, "--temperature", "0")
    want = torch_greedy("gpt64", prompt)
    t.check(got == want, f"greedy continuation of {prompt!r} ({len(prompt)} bytes, context "
            f"{CONTEXT}) equals PyTorch's", want, got)
    print(f"greedy from {prompt!r}: {got!r}")

# sampling in single precision: a function of the seed
t.duet_run("run", SRC, "--steps", "60", "--out", "gpt32", "--quiet")
a, b = (sample("gpt32", "--prompt", "And God", "--seed", "5") for _ in range(2))
c = sample("gpt32", "--prompt", "And God", "--seed", "6")
t.check(a == b and len(a) == len("And God") + TOKENS + 1, "the same seed gives the same text",
        a, b)
t.check(a != c, "another seed gives another text", a, c)
greedy = sample("gpt32", "--prompt", "And God", "--temperature", "0")
topk1 = sample("gpt32", "--prompt", "And God", "--top-k", "1", "--seed", "9")
t.check(greedy == topk1, "--top-k 1 is greedy", greedy, topk1)
hot = sample("gpt32", "--prompt", "And God", "--temperature", "0.5", "--top-k", "3")
t.check(hot.startswith(b"And God") and len(hot) == len(a), "temperature 0.5 with top 3", a, hot)


def expect(args, stderr, what, rc=1):
    p = t.duet_run("sample", *args, rc=rc)
    t.check(p.stderr == stderr, what, stderr, p.stderr)


expect(["none", "--prompt", "x"], "duet: error: cannot sample: no run directory 'none'\n",
       "a run directory that does not exist")
os.makedirs(t.path("empty"))
expect(["empty", "--prompt", "x"], "duet: error: cannot sample: empty/model.safetensors: cannot "
       "open: No such file or directory\n", "a directory without a checkpoint")
with open(t.path("empty", "compare.json"), "w") as f:
    f.write("{}")
expect(["empty", "--prompt", "x"], "duet: error: cannot sample: empty/model.safetensors: cannot "
       "open: No such file or directory\n  hint: empty holds a compare or sweep: give the "
       "directory of one of its variants\n", "the directory of a compare")
moved = t.path("moved.duet")
shutil.copy(SRC, moved)
t.duet_run("run", moved, "--steps", "60", "--dtype", "f64", "--out", "moved", "--quiet")
greedy64 = sample("gpt64", "--prompt", "And God", "--temperature", "0")
os.remove(moved)
t.check(sample("moved", "--prompt", "And God", "--temperature", "0") == greedy64,
        "the run's .duet file deleted: the same text from the run directory's copy", greedy64)
with open(moved, "w") as f:
    f.write("# another program\n")
t.check(sample("moved", "--prompt", "And God", "--temperature", "0") == greedy64,
        "the run's .duet file changed: the same text from the run directory's copy", greedy64)

t.duet_run("run", MODELS, "regression", "--steps", "0", "--out", "regression", "--quiet")
expect(["regression", "--prompt", "x"],
       "regression/source/sample.duet:23:16: error: experiment regression is not a language model: its `train` data, "
       "linreg, is not text\n"
       '  data train = linreg("train", n = 64, d = 4, k = 2)\n'
       "               " + "^" + "~" * 36 + "\n"
       "  hint: text is generated from models trained on windows of tokens, such as kjv(...)\n",
       "not a language model")
t.duet_run("run", MODELS, "noncausal", "--steps", "0", "--out", "noncausal", "--quiet")
expect(["noncausal", "--prompt", "And"],
       "duet: error: cannot sample: the model of experiment noncausal is not causal: its output at "
       "a position depends on later tokens\n"
       "  hint: give a prompt of at least its context, 8 bytes\n", "a model that is not causal")
out = sample("noncausal", "--prompt", "And God said")
t.check(out.startswith(b"And God said"), "a prompt as long as the context needs no padding",
        "And God said...", out)

expect(["gpt32"], "duet: error: give the text to continue with --prompt TEXT\n" + USAGE,
       "no prompt")
expect(["gpt32", "--prompt", "x", "--temperature", "-1"],
       "duet: error: --temperature needs a non-negative number, got '-1'\n" + USAGE,
       "a negative temperature")
expect(["gpt32", "--prompt", "x", "--top-k", "2.5"],
       "duet: error: --top-k needs a non-negative integer, got '2.5'\n" + USAGE, "a bad --top-k")
expect(["gpt32", "--prompt", "x", "--set", "width=8"],
       "duet: error: unknown option '--set'\n" + USAGE, "options of other commands")
t.done()
