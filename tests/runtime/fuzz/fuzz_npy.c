/* fuzz_npy.c: libFuzzer entry point for the .npy reader: every input is a
 * .npy image parsed by rt_npy_parse (the path rt_npy_load and .npz members
 * take), and a loaded array is converted; the same input as a file is read
 * by rt_npy_header (the shape only, what compile time reads). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  rt_array h;
  rt_error herr;
  if (rt_npy_header(&h, path, &herr) == 0)
    rt_array_free(&h);
  else
    fuzz_check_error(&herr, path);
  void *buf = malloc(size + 1); /* taken over by rt_npy_parse */
  if (!buf)
    abort();
  memcpy(buf, data, size);
  rt_array a;
  rt_error err;
  if (rt_npy_parse(&a, buf, size, "fuzz.npy", &err) == 0) {
    fuzz_use_array(&a);
    rt_array_free(&a);
  } else
    fuzz_check_error(&err, "fuzz.npy");
  return 0;
}
