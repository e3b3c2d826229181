/* fuzz_idx.c: libFuzzer entry point for the IDX reader: every input is a
 * file, plain or gzip, read by rt_idx_load (any element type, then
 * converted), by rt_idx_read (the unsigned-byte view) and by rt_idx_header
 * (the shape only, what compile time reads). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  rt_array a;
  rt_error err;
  if (rt_idx_load(&a, path, &err) == 0) {
    fuzz_use_array(&a);
    rt_array_free(&a);
  } else
    fuzz_check_error(&err, path);
  if (rt_idx_header(&a, path, &err) == 0)
    rt_array_free(&a);
  else
    fuzz_check_error(&err, path);
  rt_idx idx;
  if (rt_idx_read(&idx, path, &err) == 0)
    rt_idx_free(&idx);
  else
    fuzz_check_error(&err, path);
  return 0;
}
