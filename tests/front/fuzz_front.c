/* fuzz_front.c: libFuzzer entry point for the front end: every input is
 * loaded and checked exactly as `duet check` does (drv_load_string), and its
 * diagnostics are rendered, so crashes in lexing, parsing, later checks and
 * printing are all found. `use std.x` reads the real standard library. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "drv_front.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink; /* libFuzzer's interface has no context argument */
  if (!sink)
    sink = fopen("/dev/null", "w");
  drv_unit u;
  drv_load_string(&u, "fuzz.duet", (const char *)data, size, DUET_STDLIB_DIR);
  diag_print(u.diag, sink);
  drv_unit_free(&u);
  return 0;
}
