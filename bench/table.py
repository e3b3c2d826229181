#!/usr/bin/python3
"""table.py - the markdown tables of bench/run.sh from its raw results
directory: for the MLP, training step against PyTorch and the GEMM floor,
Newton-Schulz, the targets and peak memory; for the GPT, training step
(AdamW and Dual) against PyTorch and the GEMM floor, the targets and the
speed of the example's training runs; for the CNN of
examples/fashion_cnn.duet, training step against PyTorch and the targets;
compile times and the cost of the logged step.

  table.py OUT_DIR
Each number is the median over the runs of a configuration, with the
smallest and largest run in brackets; within a run, times are medians of
the lockstep steps and ratios medians of the per-step ratios; duet / floor
over the steps that followed duet's own, the column beside it over those
that followed PyTorch's (compare_step.py says why).
"""
import glob
import json
import os
import sys

import numpy as np

CONFIGS = [("adamw", 128), ("adamw", 256), ("dual", 256)]   # the MLP's
GPT_CONFIGS = [("adamw", 12), ("dual", 12)]
CNN_CONFIGS = [("adamw", 128), ("dual", 128)]   # examples/fashion_cnn.duet's
GPT_CONTEXT = 64   # examples/kjv_gpt.duet: tokens per batch row
ALLOCS = [("default", "default"), ("tuned", "malloc tuned"),
          ("native", "malloc tuned, OpenBLAS's own kernels")]
OPT_NAME = {"adamw": "AdamW", "dual": "Dual"}

# (label, optimizer, batch, key, bound, what): the MLP's, then the GPT's
TARGETS = [
    ("1", "adamw", 128, "duet_over_torch", 0.5, "AdamW, batch 128: duet / PyTorch"),
    ("2", "adamw", 256, "duet_over_torch", 0.5, "AdamW, batch 256: duet / PyTorch"),
    ("3", "adamw", 256, "duet_over_floor", 1.2, "AdamW, batch 256: duet / GEMM floor"),
    ("4", "dual", 256, "duet_over_torch", 0.7, "Dual, batch 256: duet / PyTorch (NS in bf16)"),
    ("5", "dual", 256, "ns_bf16_speedup", None,
     "Dual, batch 256: Newton-Schulz bf16 (oneDNN) over f32 (OpenBLAS), >= 2.5"),
]
GPT_TARGETS = [
    ("1", "adamw", 12, "duet_over_torch", 0.5, "GPT, AdamW, batch 12: duet / PyTorch"),
    ("2", "adamw", 12, "duet_over_floor", 1.2, "GPT, AdamW, batch 12: duet / GEMM floor"),
    ("3", "dual", 12, "duet_over_torch", 0.7,
     "GPT, Dual, batch 12: duet / PyTorch Muon peer (NS in bf16)"),
]
CNN_TARGETS = [
    ("1", "adamw", 128, "duet_over_torch", 0.6, "CNN, AdamW, batch 128: duet / PyTorch"),
    ("2", "dual", 128, "duet_over_torch", 0.6, "CNN, Dual, batch 128: duet / PyTorch (NS in bf16)"),
]


def read_kv(path):
    kv = {}
    with open(path) as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2:
                try:
                    kv[parts[0]] = float(parts[1])
                except ValueError:
                    kv[parts[0]] = parts[1].strip()
    return kv


def runs(out, opt, batch, alloc, model="mlp"):
    files = sorted(glob.glob(os.path.join(out, "step.%s.%s.%d.%s.*.txt"
                                          % (model, opt, batch, alloc))))
    return [read_kv(f) for f in files]


def spread(values, fmt):
    """median [min, max] of the runs' values."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return "n/a"
    if len(v) == 1:
        return fmt % v[0]
    return (fmt + " [" + fmt + ", " + fmt + "]") % (np.median(v), v.min(), v.max())


def col(rs, key, fmt):
    return spread([r[key] for r in rs if key in r], fmt)


# The columns every step table has: duet's, its floor's and PyTorch's times
# and their ratios.
STEP_HEAD = ("| duet ms | GEMM floor ms | PyTorch ms | duet / PyTorch | duet / floor "
             "| duet / floor, step after PyTorch's | PyTorch / floor |")
STEP_RULE = "---|" * 7


def step_cells(rs):
    return " | ".join([col(rs, "duet_step_ms", "%.2f"), col(rs, "floor_ms", "%.2f"),
                       col(rs, "torch_step_ms", "%.2f"), col(rs, "duet_over_torch", "%.3f"),
                       col(rs, "duet_over_floor", "%.3f"),
                       col(rs, "duet_over_floor_cold", "%.3f"),
                       col(rs, "torch_over_floor", "%.2f")])


def step_table(out):
    print("| optimizer | batch | PyTorch allocator " + STEP_HEAD)
    print("|---|---|---|" + STEP_RULE)
    for opt, batch in CONFIGS:
        for alloc, name in ALLOCS:
            rs = runs(out, opt, batch, alloc)
            print("| %s | %d | %s | %s |" % (OPT_NAME[opt], batch, name, step_cells(rs)))


def ns_table(out):
    print("| batch | PyTorch allocator | duet NS ms (bf16) | duet NS ms (f32, OpenBLAS) "
          "| bf16 speed-up | PyTorch NS ms (bf16) | NS duet / PyTorch "
          "| NS share of duet's step | NS share of PyTorch's step |")
    print("|---|---|---|---|---|---|---|---|---|")
    for opt, batch in CONFIGS:
        if opt != "dual":
            continue
        for alloc, name in ALLOCS:
            rs = runs(out, opt, batch, alloc)
            print("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                batch, name, col(rs, "duet_ns_ms", "%.1f"), col(rs, "duet_ns_f32_ms", "%.1f"),
                col(rs, "ns_bf16_speedup", "%.2f"), col(rs, "torch_ns_ms", "%.1f"),
                col(rs, "ns_duet_over_torch", "%.3f"), col(rs, "duet_ns_share", "%.2f"),
                col(rs, "torch_ns_share", "%.2f")))


def target_table(out, targets=TARGETS, model="mlp"):
    print("| target | bound | " + " | ".join("PyTorch %s | met" % n for _, n in ALLOCS) + " |")
    print("|---|---|" + "---|---|" * len(ALLOCS))
    for label, opt, batch, key, bound, what in targets:
        cells = []
        for alloc, _ in ALLOCS:
            values = [r[key] for r in runs(out, opt, batch, alloc, model) if key in r]
            ok = (lambda v: v <= bound) if bound else (lambda v: v >= 2.5)
            met = "n/a" if not values else ("yes" if ok(np.median(values)) else "no")
            cells += [spread(values, "%.3f"), met]
        print("| %s. %s | %s | %s |" % (label, what, "<= %g" % bound if bound else ">= 2.5",
                                        " | ".join(cells)))


def memory_table(out):
    print("| one epoch, batch 256 | duet peak RSS MB | PyTorch peak RSS MB | duet / PyTorch "
          "| duet ms/step | PyTorch ms/step | duet test acc. | PyTorch test acc. |")
    print("|---|---|---|---|---|---|---|---|")
    for opt in ("dual", "adamw"):
        duet_path = os.path.join(out, "mem.duet.%s.txt" % opt)
        torch_path = os.path.join(out, "mem.torch.%s.txt" % opt)
        summary_path = os.path.join(out, "run.%s" % opt, "summary.json")
        if not (os.path.exists(duet_path) and os.path.exists(torch_path)
                and os.path.exists(summary_path)):
            continue
        d, t = read_kv(duet_path), read_kv(torch_path)
        with open(summary_path) as f:
            s = json.load(f)
        print("| %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.4f | %.4f |" % (
            OPT_NAME[opt], d["peak_rss_kb"] / 1024, t["peak_rss_kb"] / 1024,
            d["peak_rss_kb"] / t["peak_rss_kb"], s["ms_per_step"], t["train_ms_per_step"],
            s["test_accuracy"], t["test_accuracy"]))


def gpt_step_table(out):
    print("| optimizer | PyTorch allocator " + STEP_HEAD + " duet tokens/s | PyTorch tokens/s |")
    print("|---|---|" + STEP_RULE + "---|---|")
    for opt, batch in GPT_CONFIGS:
        for alloc, name in ALLOCS:
            rs = runs(out, opt, batch, alloc, "gpt")
            if not rs:
                continue
            print("| %s | %s | %s | %s | %s |" % (
                OPT_NAME[opt], name, step_cells(rs), col(rs, "duet_tokens_per_s", "%.0f"),
                col(rs, "torch_tokens_per_s", "%.0f")))


def cnn_step_table(out):
    print("| optimizer | batch | PyTorch allocator " + STEP_HEAD)
    print("|---|---|---|" + STEP_RULE)
    for opt, batch in CNN_CONFIGS:
        for alloc, name in ALLOCS:
            rs = runs(out, opt, batch, alloc, "cnn")
            if not rs:
                continue
            print("| %s | %d | %s | %s |" % (OPT_NAME[opt], batch, name, step_cells(rs)))


def gpt_example_table(out):
    print("| optimizer | steps | ms/step | tokens/s | val loss (nats/byte) | compile s |")
    print("|---|---|---|---|---|---|")
    for opt, name in (("dual", "Dual (derived)"), ("adamw", "AdamW(lr = 0.002)")):
        path = os.path.join(out, "gpt.%s" % opt, "summary.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            s = json.load(f)
        print("| %s | %d | %.1f | %.0f | %.4f | %.2f |" % (
            name, s["steps"], s["ms_per_step"], s["batch"] * GPT_CONTEXT * 1e3 / s["ms_per_step"],
            s["val_loss"], s["compile_s"]))


def compile_table(out):
    print("| program | compile s, train_step + train_step_logged | compile s, train_step only "
          "| train_step ms | train_step_logged ms | arena MB, train_step / all entries |")
    print("|---|---|---|---|---|---|")
    programs = [("mlp", opt, batch, "%s, batch %d" % (OPT_NAME[opt], batch))
                for opt, batch in CONFIGS]
    programs += [("gpt", opt, batch, "GPT, %s, batch %d" % (OPT_NAME[opt], batch))
                 for opt, batch in GPT_CONFIGS]
    programs += [("cnn", opt, batch, "CNN, %s, batch %d" % (OPT_NAME[opt], batch))
                 for opt, batch in CNN_CONFIGS]
    for model, opt, batch, name in programs:
        rs = runs(out, opt, batch, "default", model)
        if not rs:
            continue
        arena = "%s / %s" % (spread([r["duet_step_arena_bytes"] / 2**20 for r in rs], "%.1f"),
                             spread([r["duet_arena_bytes"] / 2**20 for r in rs], "%.1f"))
        print("| %s | %s | %s | %s | %s | %s |" % (
            name, col(rs, "duet_compile_s_logged", "%.3f"),
            col(rs, "duet_compile_s", "%.3f"), col(rs, "duet_step_ms", "%.1f"),
            col(rs, "duet_logged_step_ms", "%.1f"), arena))


def main():
    out = sys.argv[1]
    m = read_kv(os.path.join(out, "machine.txt"))
    print("Machine: %s (%d CPUs), %s; PyTorch %s, OpenBLAS %s; load average before %s, "
          "after %s; %d runs of %d lockstep steps per configuration.\n" % (
              m["machine"], m["cpus"], m["date"], m["torch"], m["openblas"],
              m["load_before"], m.get("load_after", "n/a"), m["repeats"], m["steps"]))
    sections = []
    if runs(out, *CONFIGS[0], "default"):
        sections += [("MLP: training step", step_table), ("MLP: Newton-Schulz (Dual)", ns_table),
                     ("MLP: targets", target_table), ("MLP: peak memory", memory_table)]
    if runs(out, *GPT_CONFIGS[0], "default", "gpt") or runs(out, *GPT_CONFIGS[1], "default",
                                                             "gpt"):
        sections += [("GPT: training step", gpt_step_table),
                     ("GPT: targets", lambda o: target_table(o, GPT_TARGETS, "gpt")),
                     ("GPT: the example's training runs", gpt_example_table)]
    if runs(out, *CNN_CONFIGS[0], "default", "cnn"):
        sections += [("CNN: training step", cnn_step_table),
                     ("CNN: targets", lambda o: target_table(o, CNN_TARGETS, "cnn"))]
    sections.append(("Compile time and the logged step", compile_table))
    for title, fn in sections:
        print("#### %s\n" % title)
        fn(out)
        print()


if __name__ == "__main__":
    main()
