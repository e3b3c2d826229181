/*
 * test_io_formats_tool.c - drives the readers of the data files users bring
 * for the Python tests (test_io_npy.py, test_io_npz.py, test_io_idx.py,
 * test_io_csv.py, test_io_tokens.py), which compare what it writes with
 * numpy's reading of the same files. On success the first line of stdout
 * is "ok ..." and raw data in the host's byte order may follow; on failure
 * stdout is "error: <message>" and the exit code 1.
 *   array FORMAT FILE MEMBER AS   FORMAT idx | npy | npz (MEMBER, else -),
 *                                 AS raw | f32 | f64 | ids:CLASSES:
 *       "ok ELEM NDIM D0 D1 ...\n" + the elements (raw: as read; f32, f64:
 *       converted; ids: int32 ids, and the line ends with " bound=B")
 *   members FILE                  "ok NAME NAME ..." of an .npz archive
 *   tokens FILE WIDTH VOCAB POS LEN SCAN
 *       "ok count=C width=W header=H [bound=B]\n" + LEN int32 ids at POS
 *   csv FILE KIND LABEL CLASSES [FEATURE ...]   KIND none|class|real|auto
 *       "ok rows=R features=F kind=K bound=B\tNAME\t...\n" (names with controls
 *       and backslashes as \xNN) + x as f64 [R, F],
 *       then ids (int32 [R]) or targets (f64 [R])
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_io.h"

static int failed(const rt_error *err) {
  printf("error: %s\n", err->msg);
  return 1;
}

static void put(const void *p, size_t size, size_t n) { fwrite(p, size, n, stdout); }

static int array_cmd(const char *format, const char *file, const char *member, const char *as) {
  rt_array a;
  rt_error err;
  int rc;
  if (strcmp(format, "idx") == 0)
    rc = rt_idx_load(&a, file, &err);
  else if (strcmp(format, "npy") == 0)
    rc = rt_npy_load(&a, file, &err);
  else {
    rt_npz z;
    rc = rt_npz_open(&z, file, &err);
    if (rc == 0)
      rc = rt_npz_load(&z, member, &a, &err);
    rt_npz_close(&z);
  }
  if (rc)
    return failed(&err);
  size_t n = a.count ? a.count : 1;
  void *out = malloc(n * 8);
  int32_t bound = 0;
  const char *elem = rt_elem_name(a.elem);
  if (strcmp(as, "f32") == 0)
    rc = rt_array_to_f32(&a, out, &err), elem = "f32";
  else if (strcmp(as, "f64") == 0)
    rc = rt_array_to_f64(&a, out, &err), elem = "f64";
  else if (strncmp(as, "ids:", 4) == 0)
    rc = rt_array_to_ids(&a, out, atoll(as + 4), &bound, &err), elem = "i32";
  else
    memcpy(out, a.data, a.count * rt_elem_size(a.elem));
  if (rc) {
    rt_array_free(&a);
    free(out);
    return failed(&err);
  }
  printf("ok %s %d", elem, a.ndim);
  for (int d = 0; d < a.ndim; d++)
    printf(" %zu", a.shape[d]);
  if (strncmp(as, "ids:", 4) == 0)
    printf(" bound=%d", bound);
  printf("\n");
  size_t size = strcmp(elem, "f32") == 0 || strcmp(elem, "i32") == 0 ? 4 : 8;
  put(out, strcmp(as, "raw") == 0 ? rt_elem_size(a.elem) : size, a.count);
  free(out);
  rt_array_free(&a);
  return 0;
}

static int members_cmd(const char *file) {
  rt_npz z;
  rt_error err;
  if (rt_npz_open(&z, file, &err))
    return failed(&err);
  printf("ok");
  for (size_t i = 0; i < z.count; i++)
    printf(" %s", z.members[i].name);
  printf("\n");
  rt_npz_close(&z);
  return 0;
}

static int tokens_cmd(char **argv) {
  rt_tokens t;
  rt_error err;
  if (rt_tokens_open(&t, argv[0], atoi(argv[1]), &err))
    return failed(&err);
  size_t pos = strtoull(argv[3], NULL, 10), len = strtoull(argv[4], NULL, 10);
  uint32_t bound = 0;
  int32_t *win = malloc((len ? len : 1) * sizeof *win);
  if ((atoi(argv[5]) && rt_tokens_bound(&t, &bound, &err)) ||
      rt_tokens_window(&t, pos, len, (uint32_t)strtoul(argv[2], NULL, 10), win, &err)) {
    free(win);
    rt_tokens_close(&t);
    return failed(&err);
  }
  printf("ok count=%zu width=%d header=%zu", t.count, t.width, t.header_bytes);
  if (t.scanned)
    printf(" bound=%u", bound);
  printf("\n");
  put(win, sizeof *win, len);
  free(win);
  rt_tokens_close(&t);
  return 0;
}

static int csv_cmd(int argc, char **argv) {
  static const char *const kinds[] = {"none", "class", "real", "auto"};
  rt_csv_spec spec = {.label = argv[2], .classes = atoll(argv[3])};
  for (int k = 0; k < 4; k++)
    if (strcmp(argv[1], kinds[k]) == 0)
      spec.label_kind = (rt_csv_label)k;
  if (argc > 4) {
    spec.features = (const char *const *)argv + 4;
    spec.nfeatures = argc - 4;
  }
  rt_csv c;
  rt_error err;
  if (rt_csv_load(&c, argv[0], &spec, &err))
    return failed(&err);
  printf("ok rows=%zu features=%d kind=%s bound=%d", c.rows, c.nfeatures, kinds[c.label_kind],
         c.bound);
  for (int k = 0; k < c.nfeatures; k++) { /* tab-separated, controls and '\\' escaped */
    putchar('\t');
    for (const char *p = c.names[k]; *p; p++)
      printf((unsigned char)*p < 0x20 || *p == '\\' ? "\\x%02x" : "%c", (unsigned char)*p);
  }
  printf("\n");
  put(c.x, sizeof *c.x, c.rows * (size_t)c.nfeatures);
  if (c.ids)
    put(c.ids, sizeof *c.ids, c.rows);
  if (c.targets)
    put(c.targets, sizeof *c.targets, c.rows);
  rt_csv_free(&c);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "array") == 0)
    return array_cmd(argv[2], argv[3], argv[4], argv[5]);
  if (argc == 3 && strcmp(argv[1], "members") == 0)
    return members_cmd(argv[2]);
  if (argc == 8 && strcmp(argv[1], "tokens") == 0)
    return tokens_cmd(argv + 2);
  if (argc >= 6 && strcmp(argv[1], "csv") == 0)
    return csv_cmd(argc - 2, argv + 2);
  fprintf(stderr, "usage: see the comment at the top of test_io_formats_tool.c\n");
  return 2;
}
