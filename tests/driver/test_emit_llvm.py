"""test_emit_llvm.py - `duet emit-llvm` prints one LLVM module with a function
per entry point of the training program, optimized (vector instructions for
the fused loops) unless --no-opt, which keeps the plain loops."""
import os
import re

from drvtest import HERE, Test

t = Test("test_emit_llvm")
src = os.path.join(HERE, "small_mlp.duet")
entries = ["train_step", "train_step_logged", "eval_step", "init"]
for args, vector in (([], True), (["--no-opt"], False)):
    p = t.duet_run("emit-llvm", src, *args)
    defined = re.findall(r"^define .*@duet_entry_(\w+)\(", p.stdout, re.M)
    t.check(sorted(defined) == sorted(entries), f"entry functions {args}", entries, defined)
    vec = re.search(r"<\d+ x float>", p.stdout) is not None
    t.check(vec == vector, f"vectorized loops {args}", vector, vec)
    t.check("call void @rt_gemm_f32" in p.stdout or "@rt_gemm_f32(" in p.stdout,
            f"GEMM calls into the runtime {args}")
t.done()
