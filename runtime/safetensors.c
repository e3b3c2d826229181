/*
 * safetensors.c - checkpoints in the safetensors format: an 8-byte
 * little-endian header length, a JSON header (dtype, shape and data offsets
 * per tensor, optional string metadata), then raw little-endian data.
 * Writing is atomic; reading validates everything before trusting it.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rt_io_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c stores tensors in host byte order and needs a little-endian host"
#endif

/* Largest header accepted (the limit of the reference implementation). */
#define MAX_HEADER 100000000ull
/* Alignment of every tensor in a file read into memory. */
#define DATA_ALIGN 64

static const char *const dtype_names[] = {"F32", "F64", "I32", "I64"};
static const size_t dtype_sizes[] = {4, 8, 4, 8};
#define NUM_DTYPES (sizeof dtype_names / sizeof dtype_names[0])

size_t rt_dtype_size(rt_dtype dt) { return dtype_sizes[dt]; }

const char *rt_dtype_name(rt_dtype dt) { return dtype_names[dt]; }

/* Bytes of a tensor of this shape and dtype; -1 on overflow. */
static int tensor_bytes(rt_dtype dt, int ndim, const int64_t *shape, size_t *out) {
  size_t n = dtype_sizes[dt];
  for (int i = 0; i < ndim; i++) {
    uint64_t d = (uint64_t)shape[i];
    if (d != 0 && n > SIZE_MAX / d)
      return -1;
    n *= (size_t)d;
  }
  *out = n;
  return 0;
}

/* "[2, 3]" */
static void shape_text(const int64_t *shape, int ndim, char *buf, size_t cap) {
  size_t off = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < ndim && off < cap; i++)
    off += (size_t)snprintf(buf + off, cap - off, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (off < cap)
    snprintf(buf + off, cap - off, "]");
}

static int cmp_str_ptr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A name that occurs twice among names[0..n), or NULL; NULL also when the
 * check cannot allocate (*oom set). */
static const char *find_duplicate(const char *const *names, size_t n, int *oom) {
  *oom = 0;
  if (n < 2)
    return NULL;
  const char **sorted = malloc(n * sizeof *sorted);
  if (!sorted) {
    *oom = 1;
    return NULL;
  }
  memcpy(sorted, names, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_str_ptr);
  const char *dup = NULL;
  for (size_t i = 1; i < n && !dup; i++)
    if (strcmp(sorted[i - 1], sorted[i]) == 0)
      dup = sorted[i];
  free(sorted);
  return dup;
}

/* ---- writing --------------------------------------------------------------- */

/* Validates one tensor to be written and returns its size in bytes. */
static int check_ref(const char *path, const rt_tensor_ref *t, size_t *nbytes, rt_error *err) {
  if (!t->name || !*t->name || strcmp(t->name, "__metadata__") == 0) {
    rt_error_set(err, "%s: invalid tensor name '%s'", path, t->name ? t->name : "(null)");
    return -1;
  }
  if ((unsigned)t->dtype >= NUM_DTYPES || t->ndim < 0 || t->ndim > RT_MAX_DIMS) {
    rt_error_set(err, "%s: tensor '%s': invalid dtype %d or rank %d", path, t->name, (int)t->dtype,
                 t->ndim);
    return -1;
  }
  for (int i = 0; i < t->ndim; i++)
    if (t->shape[i] < 0) {
      rt_error_set(err, "%s: tensor '%s': negative dimension %lld", path, t->name,
                   (long long)t->shape[i]);
      return -1;
    }
  if (tensor_bytes(t->dtype, t->ndim, t->shape, nbytes)) {
    rt_error_set(err, "%s: tensor '%s': size overflows", path, t->name);
    return -1;
  }
  if (*nbytes && !t->data) {
    rt_error_set(err, "%s: tensor '%s': no data", path, t->name);
    return -1;
  }
  return 0;
}

/* The JSON header for tensors of the given sizes, padded with spaces so that
 * 8 + its length is a multiple of 8. */
static void build_header(rt_strbuf *sb, const rt_tensor_ref *t, const size_t *nbytes, size_t count,
                         const rt_str_pair *meta, size_t nmeta) {
  rt_sb_puts(sb, "{");
  if (nmeta) {
    rt_sb_puts(sb, "\"__metadata__\":{");
    for (size_t i = 0; i < nmeta; i++) {
      rt_sb_puts(sb, i ? "," : "");
      rt_json_put_string(sb, meta[i].key);
      rt_sb_puts(sb, ":");
      rt_json_put_string(sb, meta[i].value);
    }
    rt_sb_puts(sb, count ? "}," : "}");
  }
  size_t offset = 0;
  for (size_t i = 0; i < count; i++) {
    rt_sb_puts(sb, i ? "," : "");
    rt_json_put_string(sb, t[i].name);
    rt_sb_printf(sb, ":{\"dtype\":\"%s\",\"shape\":[", dtype_names[t[i].dtype]);
    for (int d = 0; d < t[i].ndim; d++)
      rt_sb_printf(sb, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
    rt_sb_printf(sb, "],\"data_offsets\":[%zu,%zu]}", offset, offset + nbytes[i]);
    offset += nbytes[i];
  }
  rt_sb_puts(sb, "}");
  while (sb->len % 8 != 0)
    rt_sb_puts(sb, " ");
}

int rt_safetensors_write(const char *path, const rt_tensor_ref *tensors, size_t count,
                         const rt_str_pair *meta, size_t nmeta, rt_error *err) {
  size_t most = count > nmeta ? count : nmeta;
  size_t *nbytes = malloc((count + 1) * sizeof *nbytes);
  const char **names = malloc((most + 1) * sizeof *names);
  rt_chunk *chunks = malloc((count + 2) * sizeof *chunks);
  rt_strbuf header = {0};
  int rc = -1, oom = !nbytes || !names || !chunks;
  const char *dup = NULL;
  if (oom)
    goto done;
  for (size_t i = 0; i < count; i++) {
    if (check_ref(path, &tensors[i], &nbytes[i], err))
      goto done;
    names[i] = tensors[i].name;
  }
  if ((dup = find_duplicate(names, count, &oom)) != NULL) {
    rt_error_set(err, "%s: duplicate tensor name '%s'", path, dup);
    goto done;
  }
  if (oom)
    goto done;
  for (size_t i = 0; i < nmeta; i++) {
    assert(meta[i].key && meta[i].value);
    names[i] = meta[i].key;
  }
  if ((dup = find_duplicate(names, nmeta, &oom)) != NULL) {
    rt_error_set(err, "%s: duplicate metadata key '%s'", path, dup);
    goto done;
  }
  if (oom)
    goto done;
  build_header(&header, tensors, nbytes, count, meta, nmeta);
  if ((oom = header.oom) != 0)
    goto done;
  uint8_t len_le[8];
  for (int b = 0; b < 8; b++)
    len_le[b] = (uint8_t)((uint64_t)header.len >> (8 * b));
  chunks[0] = (rt_chunk){len_le, 8};
  chunks[1] = (rt_chunk){header.data, header.len};
  for (size_t i = 0; i < count; i++)
    chunks[i + 2] = (rt_chunk){tensors[i].data, nbytes[i]};
  rc = rt_write_atomic(path, chunks, count + 2, err);
done:
  if (oom)
    rt_error_set(err, "%s: out of memory", path);
  rt_sb_free(&header);
  free(nbytes);
  free(names);
  free(chunks);
  return rc;
}

/* ---- reading --------------------------------------------------------------- */

/* Header facts of one tensor before its data is loaded. */
typedef struct entry {
  const char *name; /* points into the parsed header */
  rt_dtype dtype;
  int ndim;
  int64_t shape[RT_MAX_DIMS];
  uint64_t begin, end;
} entry;

typedef struct reader {
  const char *path;
  rt_error *err;
} reader;

static int bad_header(reader *r, const char *fmt, ...) RT_PRINTF_LIKE(2, 3);
static int bad_header(reader *r, const char *fmt, ...) {
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  rt_error_set(r->err, "%s: corrupt header: %s", r->path, what);
  return -1;
}

/* A non-negative integer of the header (a shape entry or an offset). */
static int header_uint(const rt_json *v, uint64_t *out) {
  if (v->type != RT_JSON_NUMBER || !v->is_int || v->inum < 0)
    return -1;
  *out = (uint64_t)v->inum;
  return 0;
}

/* Parses the description of one tensor into e. */
static int parse_entry(reader *r, const char *name, const rt_json *v, entry *e) {
  e->name = name;
  if (v->type != RT_JSON_OBJECT)
    return bad_header(r, "tensor '%s': expected an object", name);
  const rt_json *dt = rt_json_member(v, "dtype");
  const rt_json *shape = rt_json_member(v, "shape");
  const rt_json *offs = rt_json_member(v, "data_offsets");
  if (!dt || !shape || !offs)
    return bad_header(r, "tensor '%s': missing \"%s\"", name,
                      !dt      ? "dtype"
                      : !shape ? "shape"
                               : "data_offsets");
  if (dt->type != RT_JSON_STRING)
    return bad_header(r, "tensor '%s': dtype is not a string", name);
  size_t k = 0;
  while (k < NUM_DTYPES && strcmp(dt->str, dtype_names[k]) != 0)
    k++;
  if (k == NUM_DTYPES)
    return bad_header(r,
                      "tensor '%s': unsupported dtype \"%s\" (supported: "
                      "F32, F64, I32, I64)",
                      name, dt->str);
  e->dtype = (rt_dtype)k;
  if (shape->type != RT_JSON_ARRAY || shape->count > RT_MAX_DIMS)
    return bad_header(r,
                      "tensor '%s': shape must be an array of at most %d "
                      "dimensions",
                      name, RT_MAX_DIMS);
  e->ndim = (int)shape->count;
  for (size_t i = 0; i < shape->count; i++) {
    uint64_t d;
    if (header_uint(&shape->items[i], &d))
      return bad_header(r,
                        "tensor '%s': shape entries must be "
                        "non-negative integers",
                        name);
    e->shape[i] = (int64_t)d;
  }
  if (offs->type != RT_JSON_ARRAY || offs->count != 2 || header_uint(&offs->items[0], &e->begin) ||
      header_uint(&offs->items[1], &e->end) || e->begin > e->end)
    return bad_header(r,
                      "tensor '%s': data_offsets must be [begin, end] "
                      "with 0 <= begin <= end",
                      name);
  size_t nbytes;
  char st[160];
  shape_text(e->shape, e->ndim, st, sizeof st);
  if (tensor_bytes(e->dtype, e->ndim, e->shape, &nbytes))
    return bad_header(r, "tensor '%s': shape %s is too large", name, st);
  if (nbytes != e->end - e->begin)
    return bad_header(r,
                      "tensor '%s': shape %s of %s needs %zu bytes but "
                      "data_offsets [%llu, %llu] span %llu",
                      name, st, dtype_names[e->dtype], nbytes, (unsigned long long)e->begin,
                      (unsigned long long)e->end, (unsigned long long)(e->end - e->begin));
  return 0;
}

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

static int parse_metadata(reader *r, const rt_json *v, rt_st_file *out) {
  if (v->type != RT_JSON_OBJECT)
    return bad_header(r, "__metadata__ must be an object of strings");
  if (out->meta_keys)
    return bad_header(r, "duplicate __metadata__");
  out->meta_keys = calloc(v->count + 1, sizeof *out->meta_keys);
  out->meta_values = calloc(v->count + 1, sizeof *out->meta_values);
  if (!out->meta_keys || !out->meta_values) {
    rt_error_set(r->err, "%s: out of memory", r->path);
    return -1;
  }
  for (size_t i = 0; i < v->count; i++) {
    if (v->items[i].type != RT_JSON_STRING)
      return bad_header(r, "__metadata__ value of '%s' is not a string", v->keys[i]);
    out->meta_keys[i] = dup_string(v->keys[i]);
    out->meta_values[i] = dup_string(v->items[i].str);
    out->nmeta = i + 1;
    if (!out->meta_keys[i] || !out->meta_values[i]) {
      rt_error_set(r->err, "%s: out of memory", r->path);
      return -1;
    }
  }
  return 0;
}

static int cmp_entry(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* Sorts the entries by offset and checks that they tile [0, data_len)
 * exactly: in bounds, no overlap, no hole. */
static int check_layout(reader *r, entry *e, size_t n, uint64_t data_len) {
  for (size_t i = 0; i < n; i++)
    if (e[i].end > data_len) {
      rt_error_set(r->err,
                   "%s: truncated payload: tensor '%s' ends at "
                   "byte %llu of the data but the file holds %llu data "
                   "bytes",
                   r->path, e[i].name, (unsigned long long)e[i].end, (unsigned long long)data_len);
      return -1;
    }
  qsort(e, n, sizeof *e, cmp_entry);
  uint64_t covered = 0;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && e[i].begin < e[i - 1].end)
      return bad_header(r,
                        "tensors '%s' [%llu, %llu) and '%s' [%llu, "
                        "%llu) overlap",
                        e[i - 1].name, (unsigned long long)e[i - 1].begin,
                        (unsigned long long)e[i - 1].end, e[i].name, (unsigned long long)e[i].begin,
                        (unsigned long long)e[i].end);
    if (e[i].begin > covered)
      break;
    covered = e[i].end;
  }
  if (covered < data_len) {
    uint64_t next = data_len;
    for (size_t i = 0; i < n; i++)
      if (e[i].begin > covered) {
        next = e[i].begin;
        break;
      }
    return bad_header(r, "data bytes [%llu, %llu) belong to no tensor", (unsigned long long)covered,
                      (unsigned long long)next);
  }
  return 0;
}

/* Reads header_len and the header text; returns the parsed header. */
static rt_json *read_header(reader *r, FILE *f, uint64_t *data_len) {
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    rt_error_set(r->err, "%s: cannot stat: %s", r->path, strerror(errno));
    return NULL;
  }
  uint64_t size = (uint64_t)st.st_size;
  uint8_t le[8];
  if (size < 8 || fread(le, 1, 8, f) != 8) {
    rt_error_set(r->err,
                 "%s: truncated: %llu bytes is too short for the "
                 "8-byte header length",
                 r->path, (unsigned long long)size);
    return NULL;
  }
  uint64_t hlen = 0;
  for (int b = 7; b >= 0; b--)
    hlen = hlen << 8 | le[b];
  if (hlen > MAX_HEADER) {
    bad_header(r, "header length %llu is over the %llu-byte limit", (unsigned long long)hlen,
               MAX_HEADER);
    return NULL;
  }
  if (hlen > size - 8) {
    rt_error_set(r->err,
                 "%s: truncated: header length %llu but only %llu "
                 "bytes follow",
                 r->path, (unsigned long long)hlen, (unsigned long long)(size - 8));
    return NULL;
  }
  *data_len = size - 8 - hlen;
  char *text = malloc(hlen + 1);
  if (!text) {
    rt_error_set(r->err, "%s: out of memory", r->path);
    return NULL;
  }
  rt_json *root = NULL;
  if (fread(text, 1, hlen, f) != hlen) {
    rt_error_set(r->err, "%s: read error in the header", r->path);
  } else {
    char msg[256];
    root = rt_json_parse(text, hlen, msg, sizeof msg);
    if (!root)
      bad_header(r, "invalid JSON at %s", msg);
    else if (root->type != RT_JSON_OBJECT) {
      bad_header(r, "expected a JSON object");
      rt_json_free(root);
      root = NULL;
    }
  }
  free(text);
  return root;
}

/* Collects the tensor entries of the header and the metadata. */
static int parse_header(reader *r, const rt_json *root, entry *e, size_t *n, rt_st_file *out) {
  *n = 0;
  for (size_t i = 0; i < root->count; i++) {
    const char *key = root->keys[i];
    if (strlen(key) != root->key_lens[i] || !*key)
      return bad_header(r, "empty tensor name or name with a NUL byte");
    int rc = strcmp(key, "__metadata__") == 0 ? parse_metadata(r, &root->items[i], out)
                                              : parse_entry(r, key, &root->items[i], &e[(*n)++]);
    if (rc)
      return -1;
  }
  const char **names = malloc((*n + 1) * sizeof *names);
  if (!names) {
    rt_error_set(r->err, "%s: out of memory", r->path);
    return -1;
  }
  for (size_t i = 0; i < *n; i++)
    names[i] = e[i].name;
  int oom;
  const char *dup = find_duplicate(names, *n, &oom);
  free(names);
  if (oom) {
    rt_error_set(r->err, "%s: out of memory", r->path);
    return -1;
  }
  return dup ? bad_header(r, "duplicate tensor name '%s'", dup) : 0;
}

/* Copies the entries into out and reads their data (the file position is at
 * the start of the data and the entries tile it in order). */
static int load_tensors(reader *r, FILE *f, const entry *e, size_t n, rt_st_file *out) {
  size_t total = DATA_ALIGN;
  for (size_t i = 0; i < n; i++)
    total += (e[i].end - e[i].begin + DATA_ALIGN - 1) / DATA_ALIGN * DATA_ALIGN;
  out->tensors = calloc(n + 1, sizeof *out->tensors);
  out->payload = aligned_alloc(DATA_ALIGN, total);
  if (!out->tensors || !out->payload) {
    rt_error_set(r->err, "%s: out of memory (%zu bytes)", r->path, total);
    return -1;
  }
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    rt_st_tensor *t = &out->tensors[i];
    t->name = dup_string(e[i].name);
    out->count = i + 1;
    if (!t->name) {
      rt_error_set(r->err, "%s: out of memory", r->path);
      return -1;
    }
    t->dtype = e[i].dtype;
    t->ndim = e[i].ndim;
    memcpy(t->shape, e[i].shape, sizeof t->shape);
    t->nbytes = e[i].end - e[i].begin;
    t->data = (char *)out->payload + at;
    at += (t->nbytes + DATA_ALIGN - 1) / DATA_ALIGN * DATA_ALIGN;
    if (t->nbytes && fread(t->data, 1, t->nbytes, f) != t->nbytes) {
      rt_error_set(r->err,
                   "%s: truncated payload: could not read tensor "
                   "'%s'",
                   r->path, t->name);
      return -1;
    }
  }
  return 0;
}

int rt_safetensors_read(rt_st_file *out, const char *path, rt_error *err) {
  *out = (rt_st_file){0};
  reader r = {path, err};
  FILE *f = fopen(path, "rb");
  if (!f) {
    rt_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  uint64_t data_len = 0;
  rt_json *root = read_header(&r, f, &data_len);
  entry *e = root ? malloc((root->count + 1) * sizeof *e) : NULL;
  size_t n = 0;
  int rc = -1;
  if (root && !e)
    rt_error_set(err, "%s: out of memory", path);
  else if (e && parse_header(&r, root, e, &n, out) == 0 && check_layout(&r, e, n, data_len) == 0)
    rc = load_tensors(&r, f, e, n, out);
  free(e);
  rt_json_free(root);
  fclose(f);
  if (rc)
    rt_st_file_free(out);
  return rc;
}

const rt_st_tensor *rt_st_find(const rt_st_file *f, const char *name) {
  for (size_t i = 0; i < f->count; i++)
    if (strcmp(f->tensors[i].name, name) == 0)
      return &f->tensors[i];
  return NULL;
}

const char *rt_st_meta(const rt_st_file *f, const char *key) {
  for (size_t i = 0; i < f->nmeta; i++)
    if (strcmp(f->meta_keys[i], key) == 0)
      return f->meta_values[i];
  return NULL;
}

void rt_st_file_free(rt_st_file *f) {
  for (size_t i = 0; i < f->count; i++)
    free(f->tensors[i].name);
  for (size_t i = 0; i < f->nmeta; i++) {
    free(f->meta_keys[i]);
    free(f->meta_values[i]);
  }
  free(f->tensors);
  free(f->meta_keys);
  free(f->meta_values);
  free(f->payload);
  *f = (rt_st_file){0};
}
