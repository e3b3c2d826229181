"""torch_gpt.py - duet's GPTPreNorm (stdlib/gpt.duet) written directly in
PyTorch from the formulas of docs/transformers.md, for the reference tests:
token embedding; per block h <- (1 - 1/L) h + 1/L f(rmsnorm(h)) with f causal
multi-head attention with interleaved RoPE, then the scaled-GELU MLP;
rmsnorm and the head. Weights are a list of tensors in the order of
names(depth), the paths of duet's checkpoint."""
import math

import torch

ROOT = "model.GPTPreNorm"


def rmsnorm(x):
    return x / torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + 1e-6)


def sgelu(x):
    g = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return g / 0.6520687931753055


def rope(x):
    """Rotates pairs (2i, 2i+1) of [B, H, T, D] by t * 10000^(-2i/D)."""
    t, d = x.shape[-2], x.shape[-1]
    freq = 10000.0 ** (-torch.arange(0, d, 2, dtype=x.dtype) / d)
    ang = torch.arange(t, dtype=x.dtype)[:, None] * freq[None, :]
    c, s = torch.cos(ang), torch.sin(ang)
    a, b = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = a * c - b * s
    out[..., 1::2] = a * s + b * c
    return out


def attention(x, q, k, v, o, heads):
    b, t, d = x.shape
    dh = d // heads

    def split(w):
        return (x @ w.T).reshape(b, t, heads, dh).transpose(1, 2)
    qh, kh, vh = rope(split(q)), rope(split(k)), split(v)
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(dh)
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
    p = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    return (p @ vh).transpose(1, 2).reshape(b, t, d) @ o.T


def names(depth):
    """The checkpoint paths of the weights, in the order logits() takes them."""
    out = [f"{ROOT}[1].Embed.E"]
    for layer in range(depth):
        att = f"{ROOT}[2][{2 * layer}].residual[1][1].Attention."
        mlp = f"{ROOT}[2][{2 * layer + 1}].residual[1][1].MLPBlock"
        out += [att + w for w in "QKVO"] + [mlp + "[0].Linear.W", mlp + "[2].Linear.W"]
    return out + [f"{ROOT}[4].Head.W"]


def logits(w, x, heads, depth):
    """Logits [B, T, vocab] of token windows x [B, T] (any T)."""
    L = 2 * depth
    h = w[0][x]
    for layer in range(depth):
        q, k, v, o, w1, w2 = w[1 + 6 * layer:7 + 6 * layer]
        h = (1 - 1 / L) * h + attention(rmsnorm(h), q, k, v, o, heads) / L
        h = (1 - 1 / L) * h + (sgelu(rmsnorm(h) @ w1.T) @ w2.T) / L
    return rmsnorm(h) @ w[-1].T
