"""test_torch_load.py - the weights of a run loaded into a torch.nn model as
docs/commands.md shows it ("model.safetensors in PyTorch"): a shortened
run of examples/fashion_mlp.duet (width 64), its model.safetensors read
with a plain reader, the public names mapped to torch's by the documented
rule (the positions stay, W becomes weight), the test images normalized
with the file's metadata; the PyTorch forward gives the logits `duet
predict RUN_DIR --scores` writes, to float32 precision, and the same
classes."""
import gzip
import json
import os
import struct

import numpy as np
import torch
from torch import nn

from drvtest import EXAMPLES, Test

FASHION = "/usr/share/datasets/fashion-mnist"
IMAGES = [f"{FASHION}/t10k-images-idx3-ubyte.gz", f"{FASHION}/t10k-labels-idx1-ubyte.gz"]
WIDTH = 64
TOL = 1e-5  # largest difference relative to the largest logit

t = Test("test_torch_load")
t.duet_run("run", os.path.join(EXAMPLES, "fashion_mlp.duet"), "--steps", "20", "--set",
           f"model.width={WIDTH}", "--out", "run", "--threads", "1", "--quiet")
t.duet_run("predict", "run", "--idx", *IMAGES, "--scores", "scores.f32", "--threads", "1")
duet_logits = np.fromfile(t.path("scores.f32"), dtype="<f4").reshape(10000, 10)


def load_safetensors(path):
    """(name -> tensor, metadata) of a safetensors file (as
    safetensors.torch.load_file, which needs the safetensors package)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": np.float32, "F64": np.float64}
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        a = np.frombuffer(blob[8 + n + b:8 + n + end], dtypes[e["dtype"]]).reshape(e["shape"])
        tensors[name] = torch.from_numpy(a.copy())
    return tensors, meta


weights, meta = load_safetensors(t.path("run", "model.safetensors"))
net = nn.Sequential(nn.Flatten(), nn.Sequential(
    nn.Linear(784, WIDTH, bias=False), nn.GELU(approximate="tanh"),
    nn.Linear(WIDTH, WIDTH, bias=False), nn.GELU(approximate="tanh"),
    nn.Linear(WIDTH, 10, bias=False)))
missing = net.load_state_dict({k.removesuffix("W") + "weight": v for k, v in weights.items()})
t.check(sorted(weights) == ["1.0.W", "1.2.W", "1.4.W"] and not missing.missing_keys and
        not missing.unexpected_keys, "the public names map onto torch's by the rule",
        ["1.0.W", "1.2.W", "1.4.W"], sorted(weights))

with gzip.open(IMAGES[0]) as f:
    pixels = np.frombuffer(f.read()[16:], np.uint8).reshape(10000, 1, 28, 28)
mean, std = float(meta["duet.input.pixel_mean"]), float(meta["duet.input.pixel_std"])
x = torch.from_numpy(((pixels / np.float32(255) - np.float32(mean)) / np.float32(std))
                     .astype(np.float32))
with torch.no_grad():
    torch_logits = net(x).numpy()
err = np.max(np.abs(torch_logits - duet_logits)) / np.max(np.abs(duet_logits))
t.check(err <= TOL, "PyTorch's logits are duet predict's", f"<= {TOL}", err)
agree = np.mean(torch_logits.argmax(1) == duet_logits.argmax(1))
t.check(agree == 1.0, "the same classes", 1.0, agree)
print(f"10000 test images: largest logit difference {err:.2e} of the largest logit")
t.done()
