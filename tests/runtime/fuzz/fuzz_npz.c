/* fuzz_npz.c: libFuzzer entry point for the .npz reader: every input is a
 * file whose zip directory rt_npz_open reads; then every member is loaded
 * (and converted), and a name no member has. */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  rt_npz z;
  rt_error err;
  if (rt_npz_open(&z, path, &err)) {
    fuzz_check_error(&err, path);
    return 0;
  }
  for (size_t i = 0; i < z.count; i++) {
    rt_array a;
    if (rt_npz_load(&z, z.members[i].name, &a, &err) == 0) {
      fuzz_use_array(&a);
      rt_array_free(&a);
    } else
      fuzz_check_error(&err, path);
  }
  rt_array a;
  if (rt_npz_load(&z, "no such member \x01", &a, &err) == 0)
    abort();
  fuzz_check_error(&err, path);
  rt_npz_close(&z);
  return 0;
}
