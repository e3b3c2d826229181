/* fuzz_tokens.c: libFuzzer entry point for the token-binary reader: every
 * input is a file opened with each token width (raw or llm.c header), its
 * bound scanned, and windows read at its start, middle and end. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  for (int width = 0; width <= 4; width += 2) {
    rt_tokens t;
    rt_error err;
    if (rt_tokens_open(&t, path, width, &err)) {
      fuzz_check_error(&err, path);
      continue;
    }
    uint32_t bound;
    if (rt_tokens_bound(&t, &bound, &err))
      fuzz_check_error(&err, path);
    int32_t win[9];
    size_t len = t.count < 9 ? t.count : 9;
    const size_t at[] = {0, (t.count - len) / 2, t.count - len, t.count};
    for (int k = 0; k < 4; k++)
      if (rt_tokens_window(&t, at[k], len, 1000, win, &err))
        fuzz_check_error(&err, path);
    rt_tokens_close(&t);
  }
  return 0;
}
