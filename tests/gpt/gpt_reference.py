"""gpt_reference.py - duet's GPTPreNorm (stdlib/gpt.duet) written directly
in PyTorch, for the parity test (test_torch_reference.py) and the step
benchmark (bench/torch_gpt.py): token embedding; per block
h <- (1 - 1/L) h + 1/L f(rmsnorm(h)) with L = 2 * depth and f causal
multi-head attention with interleaved RoPE, then the scaled-GELU MLP;
rmsnorm and the head. The weights are a list in the order of
weight_names(), each stored [out, in] as in duet's checkpoint."""
import functools
import math

import torch

ROOT = "model.GPTPreNorm"
ROPE_BASE = 10000.0
RMS_EPS = 1e-6
SGELU_RMS = 0.6520687931753055   # RMS of gelu(z), z ~ N(0, 1)
EXPAND = 4                       # MLPBlock's width -> 4 width -> width


def weight_names(depth):
    """The checkpoint names of the weights, in the order loss() takes them."""
    out = [f"{ROOT}[1].Embed.E"]
    for layer in range(depth):
        att = f"{ROOT}[2][{2 * layer}].residual[1][1].Attention."
        mlp = f"{ROOT}[2][{2 * layer + 1}].residual[1][1].MLPBlock"
        out += [att + w for w in "QKVO"] + [mlp + "[0].Linear.W", mlp + "[2].Linear.W"]
    return out + [f"{ROOT}[4].Head.W"]


def weight_shapes(vocab, width, depth):
    """The shapes of the weights, in the order of weight_names()."""
    d, ff = width, EXPAND * width
    block = [(d, d)] * 4 + [(ff, d), (d, ff)]
    return [(vocab, d)] + block * depth + [(vocab, d)]


def rmsnorm(x):
    return x / torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + RMS_EPS)


def sgelu(x):
    """GELU in its tanh form, scaled to unit RMS on a standard normal input."""
    return torch.nn.functional.gelu(x, approximate="tanh") / SGELU_RMS


@functools.lru_cache(maxsize=None)
def rope_tables(t, d, dtype):
    """cos and sin of t * base^(-2i/d), [t, d / 2]."""
    freq = ROPE_BASE ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = torch.arange(t, dtype=torch.float64)[:, None] * freq[None, :]
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def rope(x):
    """Rotates pairs (2i, 2i+1) of [B, H, T, D] by t * base^(-2i/D)."""
    c, s = rope_tables(x.shape[-2], x.shape[-1], x.dtype)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * c - b * s, a * s + b * c), dim=-1).flatten(-2)


@functools.lru_cache(maxsize=None)
def future_mask(t):
    return torch.triu(torch.ones(t, t, dtype=torch.bool), 1)


def attention(x, q, k, v, o, heads):
    b, t, d = x.shape
    dh = d // heads

    def split(w):
        return (x @ w.T).reshape(b, t, heads, dh).transpose(1, 2)
    qh, kh, vh = rope(split(q)), rope(split(k)), split(v)
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(dh)
    p = torch.softmax(scores.masked_fill(future_mask(t), float("-inf")), dim=-1)
    return (p @ vh).transpose(1, 2).reshape(b, t, d) @ o.T


def logits(w, x, heads, depth):
    """Logits [batch, T, vocab] of tokens x [batch, T] (int64, any T up to
    the context), weights w as weight_names(depth)."""
    L = 2 * depth
    h = torch.nn.functional.embedding(x, w[0])
    for layer in range(depth):
        q, k, v, o, w1, w2 = w[1 + 6 * layer:7 + 6 * layer]
        h = (1 - 1 / L) * h + attention(rmsnorm(h), q, k, v, o, heads) / L
        h = (1 - 1 / L) * h + (sgelu(rmsnorm(h) @ w1.T) @ w2.T) / L
    return rmsnorm(h) @ w[-1].T


def loss(w, x, y, heads, depth):
    """Mean cross-entropy of next-byte prediction: tokens x and targets y
    [batch, context] (int64), weights w as weight_names(depth)."""
    out = logits(w, x, heads, depth)
    return torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
