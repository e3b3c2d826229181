/*
 * test_io_safetensors_tool.c - drives the safetensors writer and reader for
 * test_io_safetensors.py.
 *   write FILE      writes the reference tensors (formulas shared with the
 *                   Python test) and metadata
 *   read FILE       prints the file's tensors and metadata as JSON, or
 *                   "error: <message>"
 *   roundtrip DIR   write -> read bit-exactly, atomic replacement, and the
 *                   writer's own diagnostics; prints a tally
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_io.h"
#include "test_io_check.h"

/* The reference tensors; the Python test computes the same values. */
typedef struct reference {
  float w[15];
  double bias[7];
  int64_t step;
  int32_t labels[12];
  float name_test[2];
  rt_tensor_ref refs[6];
  rt_str_pair meta[3];
} reference;

static void make_reference(reference *r) {
  for (int i = 0; i < 15; i++)
    r->w[i] = (float)(((i * 37) % 101 - 50) / 16.0);
  r->w[3] = -0.0f;
  r->w[4] = 1e-45f;         /* smallest subnormal */
  r->w[5] = 3.40282347e38f; /* largest float */
  r->w[6] = (float)(1.0 / 3.0);
  for (int i = 0; i < 7; i++)
    r->bias[i] = i / 3.0 - 1;
  r->step = 123456789012345LL;
  for (int i = 0; i < 12; i++)
    r->labels[i] = i * i - 40;
  r->labels[0] = INT32_MIN;
  r->labels[11] = INT32_MAX;
  r->name_test[0] = 1.5f;
  r->name_test[1] = -2.25f;
  r->refs[0] = (rt_tensor_ref){"weights.w1", RT_F32, 2, {3, 5}, r->w};
  r->refs[1] = (rt_tensor_ref){"bias", RT_F64, 1, {7}, r->bias};
  r->refs[2] = (rt_tensor_ref){"step", RT_I64, 0, {0}, &r->step};
  r->refs[3] = (rt_tensor_ref){"labels", RT_I32, 3, {2, 3, 2}, r->labels};
  r->refs[4] = (rt_tensor_ref){"empty", RT_F32, 2, {0, 4}, NULL};
  r->refs[5] = (rt_tensor_ref){"blocks.0/\"q\"\\\xc3\xa9", RT_F32, 1, {2}, r->name_test};
  r->meta[0] = (rt_str_pair){"format", "duet"};
  r->meta[1] = (rt_str_pair){"step", "1200"};
  r->meta[2] = (rt_str_pair){"note", "line\nbreak \"quoted\""};
}

static void print_json_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      printf("\\%c", *p);
    else if (*p < 0x20)
      printf("\\u%04x", *p);
    else
      putchar(*p);
  }
  putchar('"');
}

static void print_values(const rt_st_tensor *t) {
  size_t n = t->nbytes / rt_dtype_size(t->dtype);
  for (size_t i = 0; i < n; i++) {
    printf("%s", i ? ", " : "");
    switch (t->dtype) {
    case RT_F32:
      printf("%.9g", ((const float *)t->data)[i]);
      break;
    case RT_F64:
      printf("%.17g", ((const double *)t->data)[i]);
      break;
    case RT_I32:
      printf("%d", ((const int32_t *)t->data)[i]);
      break;
    case RT_I64:
      printf("%lld", (long long)((const int64_t *)t->data)[i]);
      break;
    }
  }
}

static int cmd_read(const char *path) {
  rt_st_file f;
  rt_error err;
  if (rt_safetensors_read(&f, path, &err)) {
    printf("error: %s\n", err.msg);
    return 1;
  }
  printf("{\"tensors\": [");
  for (size_t k = 0; k < f.count; k++) {
    const rt_st_tensor *t = &f.tensors[k];
    printf("%s{\"name\": ", k ? ", " : "");
    print_json_string(t->name);
    printf(", \"dtype\": \"%s\", \"aligned\": %d, \"shape\": [", rt_dtype_name(t->dtype),
           (uintptr_t)t->data % 64 == 0);
    for (int d = 0; d < t->ndim; d++)
      printf("%s%lld", d ? ", " : "", (long long)t->shape[d]);
    printf("], \"values\": [");
    print_values(t);
    printf("]}");
  }
  printf("], \"metadata\": {");
  for (size_t i = 0; i < f.nmeta; i++) {
    printf("%s", i ? ", " : "");
    print_json_string(f.meta_keys[i]);
    printf(": ");
    print_json_string(f.meta_values[i]);
  }
  printf("}}\n");
  rt_st_file_free(&f);
  return 0;
}

/* Writes a one-tensor file with the given reference and returns the message
 * (empty on success). */
static const char *write_one(const char *path, rt_tensor_ref t, rt_error *err) {
  err->msg[0] = '\0';
  rt_tensor_ref two[2] = {t, t};
  rt_safetensors_write(path, two, strcmp(t.name, "dup") == 0 ? 2 : 1, NULL, 0, err);
  return err->msg;
}

static int cmd_roundtrip(const char *dir) {
  check_ctx t = {0};
  reference r;
  make_reference(&r);
  char path[1024], tmp[1100], msg[1400];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  rt_error err;
  for (int pass = 0; pass < 2; pass++) { /* the second pass replaces */
    int rc = rt_safetensors_write(path, r.refs, 6, r.meta, 3, &err);
    CHECK(&t, rc == 0, "write failed: %s", err.msg);
    CHECK(&t, access(tmp, F_OK) != 0, "%s left behind", tmp);
  }
  rt_st_file f;
  int rc = rt_safetensors_read(&f, path, &err);
  CHECK(&t, rc == 0, "read failed: %s", err.msg);
  if (rc == 0) {
    CHECK(&t, f.count == 6, "expected 6 tensors, got %zu", f.count);
    for (int k = 0; k < 6; k++) {
      const rt_tensor_ref *want = &r.refs[k];
      const rt_st_tensor *got = rt_st_find(&f, want->name);
      CHECK(&t, got != NULL, "tensor %s missing", want->name);
      if (!got)
        continue;
      size_t bytes = rt_dtype_size(want->dtype);
      for (int d = 0; d < want->ndim; d++)
        bytes *= (size_t)want->shape[d];
      CHECK(&t,
            got->dtype == want->dtype && got->ndim == want->ndim &&
                memcmp(got->shape, want->shape, sizeof(int64_t) * (size_t)want->ndim) == 0,
            "%s: dtype/shape differ", want->name);
      CHECK(&t, got->nbytes == bytes && (bytes == 0 || memcmp(got->data, want->data, bytes) == 0),
            "%s: data not bit-identical (%zu vs %zu bytes)", want->name, got->nbytes, bytes);
      CHECK(&t, (uintptr_t)got->data % 64 == 0, "%s: data not aligned", want->name);
    }
    for (int i = 0; i < 3; i++) {
      const char *v = rt_st_meta(&f, r.meta[i].key);
      CHECK(&t, v && strcmp(v, r.meta[i].value) == 0, "metadata %s: expected \"%s\", got \"%s\"",
            r.meta[i].key, r.meta[i].value, v ? v : "(missing)");
    }
    CHECK(&t, rt_st_find(&f, "nope") == NULL && rt_st_meta(&f, "nope") == NULL,
          "lookup of a missing name succeeded");
    rt_st_file_free(&f);
  }

  rt_tensor_ref ok = {"x", RT_F32, 1, {2}, r.w};
  snprintf(msg, sizeof msg,
           "%s/no-such-dir/m.safetensors.tmp: cannot create: "
           "No such file or directory",
           dir);
  char bad[1100];
  snprintf(bad, sizeof bad, "%s/no-such-dir/m.safetensors", dir);
  CHECK_STR(&t, write_one(bad, ok, &err), msg);

  rt_tensor_ref dup = ok, reserved = ok, negative = ok, nodata = ok;
  dup.name = "dup";
  reserved.name = "__metadata__";
  negative.shape[0] = -3;
  nodata.data = NULL;
  snprintf(msg, sizeof msg, "%s: duplicate tensor name 'dup'", path);
  CHECK_STR(&t, write_one(path, dup, &err), msg);
  snprintf(msg, sizeof msg, "%s: invalid tensor name '__metadata__'", path);
  CHECK_STR(&t, write_one(path, reserved, &err), msg);
  snprintf(msg, sizeof msg, "%s: tensor 'x': negative dimension -3", path);
  CHECK_STR(&t, write_one(path, negative, &err), msg);
  snprintf(msg, sizeof msg, "%s: tensor 'x': no data", path);
  CHECK_STR(&t, write_one(path, nodata, &err), msg);
  rt_str_pair twice[2] = {{"k", "a"}, {"k", "b"}};
  rt_safetensors_write(path, &ok, 1, twice, 2, &err);
  snprintf(msg, sizeof msg, "%s: duplicate metadata key 'k'", path);
  CHECK_STR(&t, err.msg, msg);
  /* failed writes leave the previous file intact */
  rc = rt_safetensors_read(&f, path, &err);
  CHECK(&t, rc == 0 && f.count == 6, "previous file damaged: %s",
        rc ? err.msg : "wrong tensor count");
  if (rc == 0)
    rt_st_file_free(&f);
  return check_done(&t, "safetensors roundtrip");
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "write") == 0) {
    reference r;
    make_reference(&r);
    rt_error err;
    if (rt_safetensors_write(argv[2], r.refs, 6, r.meta, 3, &err)) {
      printf("error: %s\n", err.msg);
      return 1;
    }
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "read") == 0)
    return cmd_read(argv[2]);
  if (argc == 3 && strcmp(argv[1], "roundtrip") == 0)
    return cmd_roundtrip(argv[2]);
  fprintf(stderr, "usage: %s write FILE | read FILE | roundtrip DIR\n", argv[0]);
  return 2;
}
