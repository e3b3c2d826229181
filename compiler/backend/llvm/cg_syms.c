/*
 * cg_syms.c - addresses of the runtime kernels the generated code calls, for
 * binding them in the JIT. Referencing them here also keeps the linker from
 * dropping them from executables that link the static runtime.
 */
#include "cg_llvm.h"

#include <string.h>

#include "rt_kernels.h"

#define RT_SYM(name) \
  {#name "_f32", (cg_fnptr)name##_f32}, { #name "_f64", (cg_fnptr)name##_f64 }

typedef struct rt_symbol {
  const char *name;
  cg_fnptr fn;
} rt_symbol;

static const rt_symbol RT_SYMBOLS[] = {
    RT_SYM(rt_gemm),
    RT_SYM(rt_conv2d_fwd),
    RT_SYM(rt_conv2d_bwd_data),
    RT_SYM(rt_conv2d_bwd_weight),
    RT_SYM(rt_maxpool2d_fwd),
    RT_SYM(rt_maxpool2d_bwd),
    RT_SYM(rt_avgpool2d_fwd),
    RT_SYM(rt_avgpool2d_bwd),
    RT_SYM(rt_softmax_xent_fwd),
    RT_SYM(rt_softmax_xent_bwd),
    RT_SYM(rt_count_correct),
    RT_SYM(rt_softmax_fwd),
    RT_SYM(rt_softmax_bwd),
    RT_SYM(rt_mse_fwd),
    RT_SYM(rt_mse_bwd),
    RT_SYM(rt_rmsnorm_fwd),
    RT_SYM(rt_rmsnorm_bwd),
    RT_SYM(rt_layernorm_fwd),
    RT_SYM(rt_layernorm_bwd),
    RT_SYM(rt_attention_fwd),
    RT_SYM(rt_attention_bwd),
    RT_SYM(rt_rope_fwd),
    RT_SYM(rt_rope_bwd),
    RT_SYM(rt_embed_fwd),
    RT_SYM(rt_embed_bwd),
    RT_SYM(rt_polar_ns),
    RT_SYM(rt_polar_svd),
    RT_SYM(rt_spectral_norm),
    RT_SYM(rt_spectral_lanczos),
    RT_SYM(rt_spd_pow),
    RT_SYM(rt_init_normal),
    RT_SYM(rt_init_uniform),
    RT_SYM(rt_init_orthogonal),
};

cg_fnptr cg_runtime_symbol(const char *name) {
  for (size_t i = 0; i < sizeof RT_SYMBOLS / sizeof RT_SYMBOLS[0]; i++)
    if (!strcmp(RT_SYMBOLS[i].name, name))
      return RT_SYMBOLS[i].fn;
  return NULL;
}
