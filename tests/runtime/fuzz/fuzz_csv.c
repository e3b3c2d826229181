/* fuzz_csv.c: libFuzzer entry point for the CSV reader: every input is a
 * file read with each kind of label (none, class ids with and without a
 * class count, real, decided from the data) and with chosen features. */
#include <stdlib.h>

#include "fuzz_common.h"

static void load(const char *path, const rt_csv_spec *spec) {
  rt_csv c;
  rt_error err;
  if (rt_csv_load(&c, path, spec, &err)) {
    fuzz_check_error(&err, path);
    return;
  }
  if (c.rows == 0 || c.nfeatures < 1 || !c.x || (c.label_kind == RT_CSV_CLASS) != (c.ids != NULL) ||
      (c.label_kind == RT_CSV_REAL) != (c.targets != NULL))
    abort();
  for (size_t i = 0; c.ids && i < c.rows; i++)
    if (c.ids[i] < 0 || c.ids[i] >= c.bound || (spec->classes && c.ids[i] >= spec->classes))
      abort();
  rt_csv_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  static const char *const features[] = {"b", "a"};
  const rt_csv_spec specs[] = {
      {.label_kind = RT_CSV_NO_LABEL},
      {.label_kind = RT_CSV_AUTO, .label = "y"},
      {.label_kind = RT_CSV_CLASS, .label = "y", .classes = 3},
      {.label_kind = RT_CSV_CLASS, .label = "y"},
      {.label_kind = RT_CSV_REAL, .label = "y", .features = features, .nfeatures = 2},
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    load(path, &specs[i]);
  return 0;
}
