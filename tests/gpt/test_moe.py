"""The routed mixture of experts (std.moe; moe.duet) against the same model
written directly in PyTorch: the router's scores x R^T, the top 2 experts
of every token with a softmax over their scores as gates, the experts
gelu(x W1_e^T) W2_e^T summed with the gates, and the load-balancing loss
0.5 * 4 * sum_e f_e P_e (f_e the fraction of tokens whose best score is
e, P_e the mean softmax probability of e) added to the cross-entropy.
torch starts from duet's initial weights (a --steps 0 checkpoint), is fed
the batches duet trained on (--dump-batches) and trained with
torch.optim.AdamW; in float64 the four training losses agree to 1e-8
relative (metrics.jsonl keeps 9 digits) and the weights after them to
1e-12. `duet gradcheck` passes on the model.

usage: test_moe.py DUET WORKDIR"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "driver"))
from drvtest import Test, read_checkpoint, read_jsonl, read_safetensors  # noqa: E402
import parity  # noqa: E402

SRC = os.path.join(HERE, "moe.duet")
STEPS, EXPERTS, K, BALANCE = 4, 4, 2, 0.5
MOE = "model[2].MoE"
NAMES = ["model[1].Embed.E", f"{MOE}[0][1][0].Router.R", f"{MOE}[1].Experts.W1",
         f"{MOE}[1].Experts.W2", "model[3].Head.W"]


def losses(w, x, y):
    """(cross-entropy, balancing loss) of tokens x, targets y."""
    e, r, w1, w2, head = w
    h = torch.nn.functional.embedding(x, e)
    s = h @ r.T
    probs = torch.softmax(s, dim=-1).reshape(-1, EXPERTS)
    best = torch.nn.functional.one_hot(s.argmax(-1), EXPERTS).reshape(-1, EXPERTS).to(s.dtype)
    balance = BALANCE * EXPERTS * torch.sum(best.mean(0) * probs.mean(0))
    vals, ids = torch.topk(s, K, dim=-1)
    gates = torch.zeros_like(s).scatter(-1, ids, torch.softmax(vals, dim=-1))
    out = sum(gates[..., i:i + 1] *
              (torch.nn.functional.gelu(h @ w1[i].T, approximate="tanh") @ w2[i].T)
              for i in range(EXPERTS))
    logits = out @ head.T
    xent = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return xent, balance


t = Test("test_moe")
w = parity.f64_run(t, SRC, NAMES)
opt = torch.optim.AdamW(w, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
want, balances = [], []
for step in range(1, STEPS + 1):
    batch, _ = read_safetensors(t.path("batches", f"step-{step:06d}.safetensors"))
    opt.zero_grad()
    xent, balance = losses(w, torch.tensor(batch["x"].astype(np.int64)),
                           torch.tensor(batch["y"].astype(np.int64)))
    (xent + balance).backward()
    opt.step()
    want.append((xent + balance).item())
    balances.append(balance.item())
got = [d["loss"] for d in read_jsonl(t.path("run", "metrics.jsonl")) if "loss" in d]
errs = [abs(a - b) / b for a, b in zip(got, want)]
t.check(len(got) == STEPS and max(errs) <= 1e-8, f"the {STEPS} losses agree to 1e-8", want, got)
t.check(min(balances) > 0.5, "the balancing term is part of them", "> 0.5", balances)
final = read_checkpoint(t.path("run"))
worst = max(np.linalg.norm(final[n] - w[i].detach().numpy()) / np.linalg.norm(final[n])
            for i, n in enumerate(NAMES))
t.check(worst <= 1e-12, f"the weights after {STEPS} steps agree to 1e-12", 1e-12, worst)
print(f"losses {' '.join('%.6f' % v for v in got)} (balancing terms "
      f"{' '.join('%.4f' % v for v in balances)}); worst relative difference {max(errs):.1e}; "
      f"weights {worst:.1e}")
t.done()
