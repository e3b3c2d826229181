/*
 * kernels_instantiate.h - compiles the generic kernel body named by RT_IMPL
 * (a file name string) once for float and once for double. A kernels_*.c
 * file defines RT_IMPL and includes this header; nothing else.
 */
#include "kernels_generic.h"

#define REAL float
#define SFX  _f32
#define PFX  s
#include RT_IMPL
#undef REAL
#undef SFX
#undef PFX

#define REAL double
#define SFX  _f64
#define PFX  d
#include RT_IMPL
#undef REAL
#undef SFX
#undef PFX
