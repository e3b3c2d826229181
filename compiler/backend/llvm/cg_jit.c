/*
 * cg_jit.c - host target machine, the default<O3> pipeline, and ORC LLJIT:
 * the optimized module is added to a JIT whose code generator targets the
 * same CPU; runtime kernels are defined as absolute symbols, everything else
 * resolves against the host process; optionally registered with perf.
 */
#include "cg_int.h"
#include "cg_llvm.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/OrcEE.h>
#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cg_jit {
  LLVMOrcLLJITRef jit; /* owned: holds the compiled code */
  int n;
  cg_entry_fn *fns; /* malloc-owned; code owned by jit */
};

/* Consumes an LLVM error into err; returns -1 if there was one. */
static int take_error(LLVMErrorRef e, const char *what, char *err, size_t errlen) {
  if (!e)
    return 0;
  char *m = LLVMGetErrorMessage(e);
  snprintf(err, errlen, "%s: %s", what, m);
  LLVMDisposeErrorMessage(m);
  return -1;
}

LLVMTargetMachineRef cg_host_machine(char *err, size_t errlen) {
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef target;
  char *msg = NULL;
  LLVMTargetMachineRef tm = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    snprintf(err, errlen, "LLVM target %s: %s", triple, msg ? msg : "unknown");
    LLVMDisposeMessage(msg);
  } else {
    char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    tm = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive,
                                 LLVMRelocDefault, LLVMCodeModelJITDefault);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    if (!tm)
      snprintf(err, errlen, "cannot create a target machine for %s", triple);
  }
  LLVMDisposeMessage(triple);
  return tm;
}

int cg_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, char *err, size_t errlen) {
  char *msg = NULL;
  if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
    snprintf(err, errlen, "invalid LLVM module: %s", msg ? msg : "");
    LLVMDisposeMessage(msg);
    return -1;
  }
  LLVMDisposeMessage(msg);
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(mod, triple);
  LLVMDisposeMessage(triple);
  LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(mod, dl);
  LLVMDisposeTargetData(dl);
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  LLVMPassBuilderOptionsSetLoopVectorization(opts, 1);
  LLVMPassBuilderOptionsSetSLPVectorization(opts, 1);
  LLVMPassBuilderOptionsSetLoopUnrolling(opts, 1);
  int rc = take_error(LLVMRunPasses(mod, "default<O3>", tm, opts), "optimization", err, errlen);
  LLVMDisposePassBuilderOptions(opts);
  return rc;
}

/* Absolute definitions of the runtime kernels called by the program. */
static int define_runtime(LLVMOrcLLJITRef jit, const kp_program *kp, char *err, size_t errlen) {
  int cap = 0;
  for (int e = 0; e < kp->nentries; e++)
    cap += kp->entries[e].ninstr;
  LLVMOrcCSymbolMapPair *syms = calloc((size_t)cap + 1, sizeof *syms);
  const char **names = calloc((size_t)cap + 1, sizeof *names);
  if (!syms || !names)
    abort();
  int n = 0, rc = 0;
  for (int e = 0; e < kp->nentries && rc == 0; e++)
    for (int i = 0; i < kp->entries[e].ninstr && rc == 0; i++) {
      const kp_instr *in = &kp->entries[e].instr[i];
      if (in->kind != KP_CALL)
        continue;
      int seen = 0;
      for (int k = 0; k < n && !seen; k++)
        seen = !strcmp(names[k], in->u.call.fn);
      if (seen)
        continue;
      cg_fnptr fp = cg_runtime_symbol(in->u.call.fn);
      if (!fp) {
        snprintf(err, errlen, "runtime kernel %s is not available", in->u.call.fn);
        rc = -1;
        break;
      }
      names[n] = in->u.call.fn;
      syms[n].Name = LLVMOrcLLJITMangleAndIntern(jit, in->u.call.fn);
      syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)fp;
      syms[n].Sym.Flags.GenericFlags =
          LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
      n++;
    }
  if (rc == 0 && n > 0) {
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(syms, (size_t)n);
    LLVMErrorRef e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jit), mu);
    if (e)
      LLVMOrcDisposeMaterializationUnit(mu);
    rc = take_error(e, "defining runtime symbols", err, errlen);
  } else {
    for (int k = 0; k < n; k++)
      LLVMOrcReleaseSymbolStringPoolEntry(syms[k].Name);
  }
  free(syms);
  free(names);
  return rc;
}

/* With DUET_PERF_JIT set in the environment: the object layer reports the
 * compiled code to LLVM's perf listener, which writes a jitdump
 * (~/.debug/jit/) that `perf inject --jit` turns into symbols, one per
 * fused loop (duet_loopN), for `perf record -k 1` profiles. */
static LLVMOrcObjectLayerRef perf_layer(void *ctx, LLVMOrcExecutionSessionRef es,
                                        const char *triple) {
  (void)ctx, (void)triple;
  LLVMOrcObjectLayerRef l = LLVMOrcCreateRTDyldObjectLinkingLayerWithSectionMemoryManager(es);
  LLVMJITEventListenerRef p = LLVMCreatePerfJITEventListener();
  if (p)
    LLVMOrcRTDyldObjectLinkingLayerRegisterJITEventListener(l, p);
  return l;
}

static LLVMOrcLLJITRef create_jit(char *err, size_t errlen) {
  LLVMTargetMachineRef tm = cg_host_machine(err, errlen);
  if (!tm)
    return NULL;
  LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
  LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(
      builder, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
  if (getenv("DUET_PERF_JIT"))
    LLVMOrcLLJITBuilderSetObjectLinkingLayerCreator(builder, perf_layer, NULL);
  LLVMOrcLLJITRef jit = NULL;
  if (take_error(LLVMOrcCreateLLJIT(&jit, builder), "creating the JIT", err, errlen))
    return NULL;
  LLVMOrcDefinitionGeneratorRef gen = NULL;
  LLVMErrorRef e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &gen, LLVMOrcLLJITGetGlobalPrefix(jit), NULL, NULL);
  if (take_error(e, "searching the host process", err, errlen)) {
    LLVMConsumeError(LLVMOrcDisposeLLJIT(jit));
    return NULL;
  }
  LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(jit), gen);
  return jit;
}

cg_jit *cg_llvm_jit(const kp_program *kp, char *err, size_t errlen) {
  LLVMOrcLLJITRef jit = create_jit(err, errlen);
  if (!jit)
    return NULL;
  cg_jit *j = calloc(1, sizeof *j);
  if (!j)
    abort();
  j->jit = jit;
  j->n = kp->nentries;
  j->fns = calloc((size_t)kp->nentries + 1, sizeof *j->fns);
  if (!j->fns)
    abort();
  LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
  LLVMModuleRef mod = cg_build_module(LLVMOrcThreadSafeContextGetContext(tsc), kp);
  LLVMTargetMachineRef tm = cg_host_machine(err, errlen);
  int rc = tm ? cg_optimize(mod, tm, err, errlen) : -1;
  if (tm)
    LLVMDisposeTargetMachine(tm);
  if (rc == 0)
    rc = define_runtime(jit, kp, err, errlen);
  if (rc == 0) {
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModule(jit, LLVMOrcLLJITGetMainJITDylib(jit), tsm);
    if (e)
      LLVMOrcDisposeThreadSafeModule(tsm);
    rc = take_error(e, "adding the module", err, errlen);
  } else {
    LLVMDisposeModule(mod);
  }
  LLVMOrcDisposeThreadSafeContext(tsc);
  for (int i = 0; i < kp->nentries && rc == 0; i++) {
    char name[256];
    LLVMOrcExecutorAddress addr = 0;
    cg_entry_symbol(kp, i, name, sizeof name);
    rc = take_error(LLVMOrcLLJITLookup(jit, &addr, name), "compiling", err, errlen);
    j->fns[i] = (cg_entry_fn)(uintptr_t)addr;
  }
  if (rc < 0) {
    cg_jit_free(j);
    return NULL;
  }
  return j;
}

cg_entry_fn cg_jit_entry(const cg_jit *j, int i) { return i >= 0 && i < j->n ? j->fns[i] : NULL; }

void cg_jit_free(cg_jit *j) {
  if (!j)
    return;
  if (j->jit)
    LLVMConsumeError(LLVMOrcDisposeLLJIT(j->jit));
  free(j->fns);
  free(j);
}
