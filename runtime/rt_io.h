/*
 * rt_io.h - data, files and training-loop support of the duet runtime:
 * error reporting, the data files users bring (IDX, NumPy .npy and .npz,
 * token binaries, CSV), image datasets and shuffled mini-batches, byte-level
 * text corpora, synthetic toy problems, safetensors checkpoints, metrics
 * (JSON lines and summary.json), a progress display, SVG line plots and
 * NaN/Inf detection.
 *
 * Conventions (apply to every function below):
 *  - A function that can fail returns 0 on success and -1 on failure, and
 *    then fills the caller's rt_error with one line naming the file and what
 *    is wrong. Library code never prints and never exits; `err` may
 *    be NULL when the caller does not want the message.
 *  - Structs that own memory say so field by field; each has one *_free
 *    function that releases everything it owns and leaves the struct zeroed
 *    (calling it on a zeroed struct is harmless).
 *  - Strings are UTF-8. Numbers in files are little-endian (the host must be).
 */
#ifndef DUET_RT_IO_H
#define DUET_RT_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- errors --------------------------------------------------------------- */

typedef struct rt_error {
  char msg[512];
} rt_error;

#if defined(__GNUC__)
#define RT_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define RT_PRINTF_LIKE(f, a)
#endif

/* printf-style: replaces err->msg (truncated to fit). err may be NULL. */
void rt_error_set(rt_error *err, const char *fmt, ...) RT_PRINTF_LIKE(2, 3);

/* ---- data location ---------------------------------------------------------
 * Data files that duet generates (e.g. the King James Bible text written by
 * scripts/kjv-text) live in the data directory: $DUET_DATA when set and
 * non-empty, else `data` relative to the working directory.
 * rt_data_path writes "<data dir>/<name>" into out[cap]. */
int rt_data_path(char *out, size_t cap, const char *name, rt_error *err);

/* ==== data files users bring ==================================================
 * Readers of the formats of docs/data.md: IDX (idx.c), NumPy .npy (npy.c)
 * and .npz (npz.c), token binaries (tokens.c) and CSV (csv.c); the arrays
 * they return and their conversions (ndarray.c). Every reader validates
 * the whole file before it returns and never trusts a size it has not
 * checked against the bytes present. Messages name the file and the place:
 *   "FILE: byte N: what"                 binary formats: N counts from the
 *       start of the file (of the uncompressed stream for gzip files);
 *   "FILE: member M.npy: byte N: what"   inside an .npz member (N counts
 *       from the member's start); faults of the archive around a member
 *       are "FILE: byte N: member "M.npy": what";
 *   "FILE: row R, column C ("NAME"): what"  CSV: records, the header is
 *       row 1.
 * The host must be little-endian; files of either byte order are read. */

/* Element types of arrays read from files. */
typedef enum rt_elem {
  RT_ELEM_U8,
  RT_ELEM_I8,
  RT_ELEM_U16,
  RT_ELEM_I16,
  RT_ELEM_U32,
  RT_ELEM_I32,
  RT_ELEM_U64,
  RT_ELEM_I64,
  RT_ELEM_F32,
  RT_ELEM_F64
} rt_elem;

size_t rt_elem_size(rt_elem e);
const char *rt_elem_name(rt_elem e); /* "u8", "i8", "u16", ..., "f32", "f64" */

/* Files with more dimensions are rejected. */
#define RT_ARRAY_MAX_DIMS 8

/* A dense array read from a file, in the host's byte order and row-major
 * (C) order whatever the file's. */
typedef struct rt_array {
  rt_elem elem;
  int ndim; /* 0 (a scalar, .npy only) to RT_ARRAY_MAX_DIMS */
  size_t shape[RT_ARRAY_MAX_DIMS];
  size_t count; /* prod(shape) */
  void *data;   /* [count] elements, aligned for elem; points into block */
  void *block;  /* malloc-owned storage behind data; rt_array_free */
  /* Where the elements came from, for messages about them: */
  char *origin;         /* "FILE" or "FILE: member M.npy", owned */
  uint64_t data_offset; /* byte offset of the first element in origin */
  int fortran;          /* the file stores them column-major */
} rt_array;

void rt_array_free(rt_array *a);
/* The shape as "60000 x 28 x 28" ("scalar" for ndim 0) into buf[cap]. */
void rt_array_shape_text(const rt_array *a, char *buf, size_t cap);

/* Every element as float or double, into out[count]. Fails on a NaN, an
 * infinity, or (float) a value beyond the float range, naming the element
 * by its index and byte offset. */
int rt_array_to_f32(const rt_array *a, float *out, rt_error *err);
int rt_array_to_f64(const rt_array *a, double *out, rt_error *err);
/* Class ids (or token ids) into out[count]: the array must have an integer
 * element type and every value must lie in [0, classes) when classes > 0,
 * in [0, 2^31 - 1) otherwise. *bound receives 1 + the largest value (0 for
 * an empty array): the number of classes the data shows. */
int rt_array_to_ids(const rt_array *a, int32_t *out, int64_t classes, int32_t *bound,
                    rt_error *err);

/* ---- IDX (MNIST family), gzip-compressed or plain ---------------------------
 * Magic 0x0000TTDD (TT: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32,
 * 0x0e f64; DD: 1 to RT_ARRAY_MAX_DIMS dimensions), DD big-endian uint32
 * sizes, then exactly prod(sizes) big-endian elements: truncation and
 * trailing bytes are errors. */
int rt_idx_load(rt_array *out, const char *path, rt_error *err);
/* Only the magic and sizes: out->elem, ndim, shape, count (no data; the
 * rest of the file is not read, so not checked). */
int rt_idx_header(rt_array *out, const char *path, rt_error *err);

/* The images and labels of image datasets: rt_idx_load restricted to
 * unsigned bytes (0x08) and at most RT_IDX_MAX_DIMS dimensions. */
#define RT_IDX_MAX_DIMS 4

typedef struct rt_idx {
  int ndim;
  uint32_t dims[RT_IDX_MAX_DIMS];
  size_t count;  /* prod(dims) */
  uint8_t *data; /* [count], owned; rt_idx_free */
} rt_idx;

int rt_idx_read(rt_idx *out, const char *path, rt_error *err);
void rt_idx_free(rt_idx *idx);

/* Mean and standard deviation (population) of data[i] / 255. */
void rt_idx_pixel_stats(const rt_idx *idx, double *mean, double *std);

/* ---- NumPy .npy ---------------------------------------------------------------
 * Format versions 1.0, 2.0 and 3.0; descr '<', '>', '=' or '|' followed by
 * u1 i1 u2 i2 u4 i4 u8 i8 f4 f8; fortran_order True or False (Fortran
 * arrays are transposed to row-major); any header padding. The data must be
 * exactly the shape's bytes. */
int rt_npy_load(rt_array *out, const char *path, rt_error *err);
/* Only the preamble and header: out->elem, ndim, shape, count (no data;
 * the data is not read, so not checked). */
int rt_npy_header(rt_array *out, const char *path, rt_error *err);
/* The same from a whole .npy image in memory: buf [len] (malloc-owned) is
 * taken over, on failure too; origin names it in messages. */
int rt_npy_parse(rt_array *out, void *buf, size_t len, const char *origin, rt_error *err);

/* ---- NumPy .npz (np.savez, np.savez_compressed) -----------------------------
 * A zip archive of .npy members, stored or deflated, zip64 or not; one
 * disk, no encryption. Opening reads and checks the central directory;
 * each member is checked (local header, sizes, CRC-32) when loaded. */
typedef struct rt_npz_member {
  char *name; /* "x.npy", owned */
  uint64_t local_offset, comp_size, size;
  uint32_t crc;
  int method; /* 0 stored, 8 deflated */
} rt_npz_member;

typedef struct rt_npz {
  char *path; /* owned */
  FILE *f;    /* open until rt_npz_close; owned */
  uint64_t file_size;
  rt_npz_member *members; /* [count], in directory order, owned */
  size_t count;
} rt_npz;

int rt_npz_open(rt_npz *z, const char *path, rt_error *err);
/* The member called name or name + ".npy", or NULL. */
const rt_npz_member *rt_npz_find(const rt_npz *z, const char *name);
/* Loads member name (as rt_npz_find); a missing name is an error that
 * lists the members. */
int rt_npz_load(const rt_npz *z, const char *name, rt_array *out, rt_error *err);
void rt_npz_close(rt_npz *z);

/* ---- token binaries -----------------------------------------------------------
 * A raw file of little-endian token ids (nanoGPT's train.bin: uint16; or
 * uint32), or an llm.c file: 256 little-endian int32 (magic 20240520,
 * version 1, token count; uint16 tokens) or (20240801, 7, count; uint32
 * tokens) before the tokens, recognized by its magic. The file is never
 * read whole: a window is copied out of a read-only mapping of just the
 * pages that hold it, made and removed by the call, so the memory in use
 * stays a few pages whatever the file's size. */
#define RT_TOKENS_HEADER_BYTES 1024

typedef struct rt_tokens {
  char *path; /* owned */
  FILE *f;    /* open until rt_tokens_close; owned */
  size_t file_size;
  size_t header_bytes; /* 0 (raw) or RT_TOKENS_HEADER_BYTES (llm.c) */
  int width;           /* bytes per token: 2 or 4 */
  size_t count;        /* tokens */
  uint32_t bound;      /* 1 + the largest id, once scanned (scanned != 0) */
  int scanned;
} rt_tokens;

/* width: bytes per token of a raw file, 2 or 4, or 0 for the default (2);
 * an llm.c file has its own, which a non-zero width must match. */
int rt_tokens_open(rt_tokens *t, const char *path, int width, rt_error *err);
/* 1 + the largest token id: one sequential pass over the file, read in
 * chunks, the first time, then remembered. Callers that know the
 * vocabulary need not call it. */
int rt_tokens_bound(rt_tokens *t, uint32_t *bound, rt_error *err);
/* out[0 .. len) = tokens [pos, pos + len): fails on a window past the end
 * and on an id >= vocab (vocab 0: no check), naming its byte offset. */
int rt_tokens_window(const rt_tokens *t, size_t pos, size_t len, uint32_t vocab, int32_t *out,
                     rt_error *err);
void rt_tokens_close(rt_tokens *t);

/* ---- CSV ----------------------------------------------------------------------
 * RFC 4180: comma-separated fields, quoted fields (with doubled quotes,
 * commas and line breaks inside), CRLF or LF line ends, the last line with
 * or without one, an optional UTF-8 byte-order mark; a header row of
 * distinct column names, then rows of as many fields. Selected cells are
 * decimal numbers, [+-] (digits [. [digits]] | . digits) [(e|E) [+-]
 * digits], with spaces or tabs around allowed, quoted or not; NaN,
 * infinities, empty and other cells are errors. */
typedef enum rt_csv_label {
  RT_CSV_NO_LABEL, /* no label column */
  RT_CSV_CLASS,    /* class ids: non-negative integers (below classes if > 0) */
  RT_CSV_REAL,     /* real targets */
  RT_CSV_AUTO      /* class ids when every cell is a plain non-negative integer, else real */
} rt_csv_label;

typedef struct rt_csv_spec {
  rt_csv_label label_kind;
  const char *label;           /* the label column's name (unless RT_CSV_NO_LABEL) */
  int64_t classes;             /* RT_CSV_CLASS: the class count when known, else 0 */
  const char *const *features; /* feature columns in this order, or NULL: every */
  int nfeatures;               /*   column but the label, in file order */
} rt_csv_spec;

typedef struct rt_csv {
  size_t rows;             /* data rows */
  int nfeatures;           /* columns of x */
  char **names;            /* [nfeatures] the feature columns' names, owned */
  double *x;               /* [rows, nfeatures], owned */
  rt_csv_label label_kind; /* RT_CSV_CLASS or RT_CSV_REAL (AUTO resolved), or none */
  int32_t *ids;            /* RT_CSV_CLASS: [rows] class ids, owned */
  int32_t bound;           /*   1 + the largest id */
  double *targets;         /* RT_CSV_REAL: [rows], owned */
} rt_csv;

int rt_csv_load(rt_csv *out, const char *path, const rt_csv_spec *spec, rt_error *err);
void rt_csv_free(rt_csv *c);

/* ==== end of the data files users bring ==================================== */

/* ---- image classification datasets ----------------------------------------
 * Images are stored as float [n, 1, rows, cols] with
 *     x = (pixel / 255 - mean) / std,
 * labels as int32 [n]. For Fashion-MNIST, mean and std are those of the 60000
 * training images scaled to [0, 1] (rt_idx_pixel_stats: 0.286040, 0.353024);
 * the same constants normalize the test set. */
#define RT_FASHION_MNIST_DIR  "/usr/share/datasets/fashion-mnist"
#define RT_FASHION_MNIST_MEAN 0.2860f
#define RT_FASHION_MNIST_STD  0.3530f

typedef struct rt_image_dataset {
  uint32_t n;   /* examples */
  int channels; /* 1 */
  int rows, cols;
  int classes;     /* 1 + largest label */
  float *images;   /* [n, channels, rows, cols], owned; rt_image_dataset_free */
  int32_t *labels; /* [n], owned */
} rt_image_dataset;

/* table[v]: the normalized value of pixel value v, the arithmetic every
 * image of a dataset goes through (also for predictions on IDX files). */
void rt_pixel_table(float mean, float std, float table[256]);

/* Loads an images file (3 dims: count, rows, cols) and a labels file
 * (1 dim: count) of equal count. */
int rt_image_dataset_load(rt_image_dataset *ds, const char *images_path, const char *labels_path,
                          float mean, float std, rt_error *err);
/* Fashion-MNIST from dir (NULL: RT_FASHION_MNIST_DIR), the training set
 * (train != 0, 60000 images) or the test set (10000), with the constants
 * above. */
int rt_fashion_mnist_load(rt_image_dataset *ds, const char *dir, int train, rt_error *err);
void rt_image_dataset_free(rt_image_dataset *ds);

/* ---- mini-batches ----------------------------------------------------------
 * The example order of epoch e (counted from 0) is
 * rt_permutation(n, seed, stream = e) when shuffling, else 0..n-1; it is a
 * pure function of (n, seed, e), so a resumed run sees the same batches.
 * Batch b of an epoch holds order[b * batch .. b * batch + batch), the last
 * one possibly shorter. Training drops that partial batch (drop_last = 1);
 * evaluation keeps it (drop_last = 0) so that every example is seen once. */
typedef struct rt_batcher {
  uint32_t n;     /* examples */
  uint32_t batch; /* batch size */
  int shuffle;
  uint64_t seed;
  uint32_t *order; /* [n] order of the current epoch, owned; rt_batcher_free */
} rt_batcher;

/* Allocates the order array and sets epoch 0. Fails on n == 0, batch == 0. */
int rt_batcher_init(rt_batcher *bt, uint32_t n, uint32_t batch, int shuffle, uint64_t seed,
                    rt_error *err);
void rt_batcher_set_epoch(rt_batcher *bt, uint64_t epoch);
/* Number of batches per epoch: n / batch, or ceil(n / batch) without drop_last. */
uint32_t rt_batcher_count(const rt_batcher *bt, int drop_last);
/* Sets *idx to the example indices of batch b and returns how many there are
 * (0 when b >= rt_batcher_count(bt, 0)). *idx points into bt->order. */
uint32_t rt_batcher_indices(const rt_batcher *bt, uint32_t b, const uint32_t **idx);
void rt_batcher_free(rt_batcher *bt);

/* The batch order of a training run with experiment seed s uses seed
 * s ^ RT_BATCH_SEED_MIX, so that it does not reuse the random streams of
 * the initializers. */
#define RT_BATCH_SEED_MIX 0x9E3779B97F4A7C15ull

/* dst row i = src row idx[i], for i < count; rows are row_bytes long. */
void rt_gather_rows(void *dst, const void *src, size_t row_bytes, const uint32_t *idx,
                    uint32_t count);
/* Copies batch b of the current epoch into x [count, channels, rows, cols]
 * and y [count]; returns count. */
uint32_t rt_image_batch(const rt_image_dataset *ds, const rt_batcher *bt, uint32_t b, float *x,
                        int32_t *y);

/* The whole file, NUL-terminated (*len excludes the NUL), malloc-owned by
 * the caller; NULL + message on failure. */
char *rt_read_file(const char *path, size_t *len, rt_error *err);

/* ---- byte-level text corpus ------------------------------------------------
 * Any file, read as bytes (vocabulary: 256). The last floor(len *
 * val_fraction) bytes are the validation split, the rest the training split.
 * The King James Bible is written by `scripts/kjv-text` to
 * rt_data_path("kjv.txt"). */
#define RT_TEXT_VOCAB 256

typedef enum rt_split { RT_SPLIT_TRAIN = 0, RT_SPLIT_VAL = 1 } rt_split;

typedef struct rt_text {
  char *path;     /* as given, owned; for messages */
  uint8_t *bytes; /* [len], owned; rt_text_free */
  size_t len;
  size_t train_len; /* train: [0, train_len); validation: [train_len, len) */
} rt_text;

/* val_fraction in [0, 1). Fails on a missing, unreadable or empty file. */
int rt_text_load(rt_text *t, const char *path, double val_fraction, rt_error *err);
/* Fails unless the training split, and the validation split when it is not
 * empty, hold at least one window of context ctx (ctx + 1 bytes). */
int rt_text_check_context(const rt_text *t, int ctx, rt_error *err);
void rt_text_free(rt_text *t);

/* batch random windows of the split, each ctx bytes: inputs [batch, ctx] and
 * targets [batch, ctx] = the same windows shifted by one byte. Window i starts
 * at a position drawn from rt_philox4x32(seed, stream, counter = i), uniform
 * over the split's len - ctx possible starts. Training uses stream = step;
 * validation estimates should use another seed. Fails when the split is
 * shorter than ctx + 1 bytes. */
int rt_text_random_windows(const rt_text *t, rt_split split, int batch, int ctx, uint64_t seed,
                           uint64_t stream, int32_t *inputs, int32_t *targets, rt_error *err);
/* Evaluation over a whole split: the split is cut into
 * rt_text_window_count() consecutive, non-overlapping windows (window w
 * starts at w * ctx; the remainder shorter than ctx + 1 bytes is skipped).
 * rt_text_windows copies windows first .. first + batch - 1 (fewer at the
 * end) and returns how many it copied. */
size_t rt_text_window_count(const rt_text *t, rt_split split, int ctx);
size_t rt_text_windows(const rt_text *t, rt_split split, int batch, int ctx, size_t first,
                       int32_t *inputs, int32_t *targets);

/* ---- synthetic toy problems ------------------------------------------------
 * Deterministic for a seed; every output is written into caller buffers.
 * Each generator draws from its own fixed streams of the seed. */

/* Multi-output linear regression: A [k, d] ~ N(0, 1/d), X [n, d] ~ N(0, 1),
 * Y [n, k] = X A^T + noise * N(0, 1). */
void rt_synth_linreg(float *X, float *Y, float *A, long n, int d, int k, float noise,
                     uint64_t seed);

/* Targets for given inputs and weights: Y [n, k] = X A^T + noise * N(0, 1),
 * noise drawn from (seed, stream). */
void rt_synth_linear_targets(const float *X, const float *A, float *Y, long n, int d, int k,
                             float noise, uint64_t seed, uint64_t stream);

/* Matrix quadratic f(W) = 1/2 tr((W - Wstar)^T H (W - Wstar)) for W [m, n]:
 * H [m, m] = Q diag(lambda) Q^T with Q a random orthogonal matrix and
 * lambda_i = cond^(i / (m - 1)) (from 1 to cond), Wstar [m, n] ~ N(0, 1). */
int rt_synth_quadratic(float *H, float *Wstar, int m, int n, double cond, uint64_t seed,
                       rt_error *err);

/* Multiclass logistic regression on Gaussian clusters: means [k, d] are
 * random directions of length sep; y [n] uniform in 0..k-1; X [n, d] =
 * means[y] + N(0, 1). */
void rt_synth_clusters(float *X, int32_t *y, float *means, long n, int d, int k, float sep,
                       uint64_t seed);

/* Deep linear network target M [m, n] = U diag(sv) V^T with U [m, r],
 * V [n, r] random with orthonormal columns, r = nsv <= min(m, n): the
 * singular values of M are exactly sv[0..nsv). */
int rt_synth_spectrum(float *M, int m, int n, const double *sv, int nsv, uint64_t seed,
                      rt_error *err);

/* The cycle task: for every skip s = skips[k] and start x0 in 0..n-1 (in
 * that order, example k * n + x0), the sequence x_t = (x0 + s t) mod n,
 * t = 0..length, as one-hot rows of n values: X [nskips * n, length, n]
 * holds x_0 .. x_{length-1} and Y the next tokens x_1 .. x_length. */
void rt_synth_cycle(float *X, float *Y, int n, int length, const long long *skips, int nskips);

/* ---- safetensors checkpoints -----------------------------------------------
 * File: 8-byte little-endian header length N, N bytes of JSON
 *   {"__metadata__": {"k": "v", ...},
 *    "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
 * padded with spaces so that the data starts at a multiple of 8, then the
 * raw little-endian tensor data, offsets relative to the data start. */
#define RT_MAX_DIMS 8

typedef enum rt_dtype { RT_F32, RT_F64, RT_I32, RT_I64 } rt_dtype;

size_t rt_dtype_size(rt_dtype dt);
const char *rt_dtype_name(rt_dtype dt); /* "F32", "F64", "I32", "I64" */

typedef struct rt_str_pair {
  const char *key, *value;
} rt_str_pair;

/* A tensor to write; nothing is owned. data may be NULL only when the shape
 * has no elements. */
typedef struct rt_tensor_ref {
  const char *name;
  rt_dtype dtype;
  int ndim;
  int64_t shape[RT_MAX_DIMS];
  const void *data;
} rt_tensor_ref;

/* Writes the tensors (in the given order) and the metadata pairs to
 * "<path>.tmp", flushes and fsyncs it, then renames it to path: a crash never
 * leaves a half-written file at path. Fails on duplicate or empty names,
 * the reserved name "__metadata__", a bad dtype/shape, or an I/O error. */
int rt_safetensors_write(const char *path, const rt_tensor_ref *tensors, size_t count,
                         const rt_str_pair *meta, size_t nmeta, rt_error *err);

typedef struct rt_st_tensor {
  char *name; /* owned by the file */
  rt_dtype dtype;
  int ndim;
  int64_t shape[RT_MAX_DIMS];
  size_t nbytes;
  void *data; /* 64-byte aligned, owned by the file */
} rt_st_tensor;

typedef struct rt_st_file {
  rt_st_tensor *tensors; /* [count], in data-offset order, owned */
  size_t count;
  char **meta_keys;   /* [nmeta], owned */
  char **meta_values; /* [nmeta], owned */
  size_t nmeta;
  void *payload; /* storage behind every data pointer, owned */
} rt_st_file;

/* Reads and validates a whole file: header length within the file, JSON
 * syntax, known dtypes, shape x dtype size == offsets span, offsets within
 * the data, no overlaps or holes, no duplicate names. */
int rt_safetensors_read(rt_st_file *out, const char *path, rt_error *err);
/* The tensor called name, or NULL. */
const rt_st_tensor *rt_st_find(const rt_st_file *f, const char *name);
/* The metadata value for key, or NULL. */
const char *rt_st_meta(const rt_st_file *f, const char *key);
void rt_st_file_free(rt_st_file *f);

/* ---- metrics: JSON lines and summary.json ----------------------------------
 * A log line or summary is a list of fields, written in the given order.
 * Numbers are printed with %.9g (exact round trip for float32); integers in
 * full. A non-finite number is written as null together with a companion
 * field "<key>_nonfinite": "nan" | "inf" | "-inf" (in an array: null
 * alone). Log lines hold numbers, integers and strings; summaries any kind. */
typedef enum rt_field_kind {
  RT_FIELD_NUM,
  RT_FIELD_INT,
  RT_FIELD_STR,
  RT_FIELD_BOOL,
  RT_FIELD_OBJ,
  RT_FIELD_ARR
} rt_field_kind;

typedef struct rt_field {
  const char *key; /* ignored for the elements of an array */
  rt_field_kind kind;
  double num;                 /* RT_FIELD_NUM */
  long long i;                /* RT_FIELD_INT, RT_FIELD_BOOL (0 or 1) */
  const char *str;            /* RT_FIELD_STR */
  const struct rt_field *sub; /* RT_FIELD_OBJ: nsub nested fields; RT_FIELD_ARR:
                                 nsub elements */
  size_t nsub;
} rt_field;

#define RT_NUM(k, v)    ((rt_field){.key = (k), .kind = RT_FIELD_NUM, .num = (v)})
#define RT_INT(k, v)    ((rt_field){.key = (k), .kind = RT_FIELD_INT, .i = (v)})
#define RT_STR(k, v)    ((rt_field){.key = (k), .kind = RT_FIELD_STR, .str = (v)})
#define RT_BOOL(k, v)   ((rt_field){.key = (k), .kind = RT_FIELD_BOOL, .i = (v) != 0})
#define RT_OBJ(k, f, n) ((rt_field){.key = (k), .kind = RT_FIELD_OBJ, .sub = (f), .nsub = (n)})
#define RT_ARR(k, f, n) ((rt_field){.key = (k), .kind = RT_FIELD_ARR, .sub = (f), .nsub = (n)})

/* Other formats a metrics log also goes to (rt_metrics_formats). */
enum {
  RT_LOG_CSV = 1,        /* metrics.csv, written from metrics.jsonl when the
                            log is closed (rt_metrics_csv) */
  RT_LOG_TENSORBOARD = 2 /* events.out.tfevents.<time>.<host>.<pid>.<n> (n:
                            0, or the first number not taken): an Event per
                            log line, as it is logged (rt_tb_*) */
};

typedef struct rt_tb_writer rt_tb_writer;

typedef struct rt_metrics {
  FILE *f;          /* owned; closed by rt_metrics_close */
  char *path;       /* owned copy, for messages */
  unsigned formats; /* RT_LOG_* */
  rt_tb_writer *tb; /* owned, with RT_LOG_TENSORBOARD */
} rt_metrics;

/* Opens path for writing (truncating), or for appending when append != 0
 * (a resumed run). */
int rt_metrics_open(rt_metrics *m, const char *path, int append, rt_error *err);
/* Also writes the log as the RT_LOG_* formats, into the directory of
 * path: a new event file for TensorBoard (a resumed run adds one), and on
 * closing metrics.csv from the whole of path. */
int rt_metrics_formats(rt_metrics *m, unsigned formats, rt_error *err);
/* Writes one JSON object on one line and flushes it (and an Event). */
int rt_metrics_log(rt_metrics *m, const rt_field *fields, size_t n, rt_error *err);
/* Closes the log (and the event file) and writes metrics.csv. */
int rt_metrics_close(rt_metrics *m, rt_error *err);

/* The RT_LOG_* flags of a comma-separated list of format names ("jsonl",
 * always written, "csv", "tensorboard") into *formats. */
int rt_log_formats_parse(const char *list, unsigned *formats, rt_error *err);

/* metrics.csv from metrics.jsonl, replaced atomically: a header row, then
 * one row per step (the lines of a step merged, in order of first
 * appearance), a column per key in order of first appearance ("step"
 * first; a nested object's keys as "<object>/<key>"). Numbers as in the
 * JSON, a non-finite one as nan, inf or -inf (not its _nonfinite field),
 * strings quoted when they hold a comma, quote or line break; an empty cell
 * where a step has no value. */
int rt_metrics_csv(const char *jsonl_path, const char *csv_path, rt_error *err);

/* TensorBoard event files: TFRecord framing (length, masked CRC-32C of the
 * length, data, masked CRC-32C of the data), a first Event with
 * file_version "brain.Event:2", then Events with wall_time, step and a
 * Summary of simple_value scalars (float32), tagged by key. */
rt_tb_writer *rt_tb_open(const char *path, rt_error *err);
/* One Event at `step`: every numeric field but "step" (a nested object's
 * as "<object>/<key>"). Flushed. */
int rt_tb_write(rt_tb_writer *w, long long step, const rt_field *fields, size_t n, rt_error *err);
int rt_tb_close(rt_tb_writer *w, rt_error *err);
/* The CRC-32C (Castagnoli) of data, before the masking of TFRecord. */
uint32_t rt_crc32c(const void *data, size_t len);

/* Writes one pretty-printed JSON object (2-space indent) atomically. */
int rt_summary_write(const char *path, const rt_field *fields, size_t n, rt_error *err);
/* The fields as one JSON object on one line (as rt_metrics_log writes
 * them, without the line break): malloc'd, NULL when out of memory. */
char *rt_fields_json(const rt_field *fields, size_t n);

/* ---- JSON input (json.c) ---------------------------------------------------
 * A parsed document (summary.json, a safetensors header) is a tree of
 * rt_json nodes; the root owns everything. */
typedef enum rt_json_type {
  RT_JSON_NULL,
  RT_JSON_BOOL,
  RT_JSON_NUMBER,
  RT_JSON_STRING,
  RT_JSON_ARRAY,
  RT_JSON_OBJECT
} rt_json_type;

typedef struct rt_json {
  rt_json_type type;
  int boolean;           /* RT_JSON_BOOL */
  double num;            /* RT_JSON_NUMBER */
  int is_int;            /* number written without fraction or exponent */
  int64_t inum;          /*   and fits in int64: its value */
  char *str;             /* RT_JSON_STRING: decoded, NUL-terminated, owned */
  size_t str_len;        /*   may contain NUL bytes; str_len is exact */
  struct rt_json *items; /* ARRAY / OBJECT: [count] values, owned */
  char **keys;           /* OBJECT: [count] keys, owned */
  size_t *key_lens;      /* OBJECT: [count] exact key lengths, owned */
  size_t count;
} rt_json;

/* Parses text[0..len) (one value, surrounding whitespace allowed). On error
 * returns NULL and writes "byte N: what" into msg[cap]. Free with
 * rt_json_free. */
rt_json *rt_json_parse(const char *text, size_t len, char *msg, size_t cap);
void rt_json_free(rt_json *root);
/* The member called key of an object, or NULL. */
const rt_json *rt_json_member(const rt_json *obj, const char *key);

/* ---- numbers as text -------------------------------------------------------
 * The one format of numbers shown to people (tables, end-of-run lines, the
 * progress line): 4 significant digits, "%.4g": 2.7e-11, 0.9091, 1.235,
 * 1.234e+04, nan, inf. Returns buf. */
#define RT_NUM_CHARS 32
const char *rt_num_text(char buf[RT_NUM_CHARS], double v);

/* ---- progress display ------------------------------------------------------
 * On a terminal: one line redrawn in place with '\r', at most every
 * bar_interval_s seconds, never wider than the terminal (one column less:
 * the width is read at each redraw, so a resized terminal is followed):
 *   [####........] step 450/1000 (45%) | epoch 1.28/2 | loss 1.235
 *     | 25.0 steps/s | elapsed 0:18 | ETA 0:22
 * As it narrows, the fields are dropped in this order: bar, rate, epoch,
 * percentage, elapsed time, ETA, loss (the step stays; below its width
 * the line is cut). Otherwise (a file or pipe): the same fields without the
 * bar, as a plain line each time the run passes a multiple of 5% of its
 * steps, and at the last step. The epoch is step / steps_per_epoch, shown
 * with 2 decimals; rates count the steps since rt_progress_init (a resumed
 * run starts at first_step). The caller passes the time (rt_now_s()). */
typedef enum rt_progress_mode {
  RT_PROGRESS_AUTO, /* bar when out is a terminal, else lines */
  RT_PROGRESS_BAR,
  RT_PROGRESS_LINES
} rt_progress_mode;

typedef struct rt_progress {
  FILE *out;   /* not owned */
  int bar;     /* 1: redrawn bar, 0: plain lines */
  int columns; /* bar: the width to fit; 0 (default): the terminal's */
  long total_steps;
  long steps_per_epoch; /* 0: epochs not shown */
  long first_step;
  double start_s;
  double bar_interval_s; /* default 0.1 */
  long last_step;        /* last step shown */
  double last_s;         /* when it was shown */
  int bar_visible;       /* a bar line is on screen without newline */
} rt_progress;

/* Monotonic clock in seconds. */
double rt_now_s(void);
/* The width of the terminal behind out: TIOCGWINSZ, else $COLUMNS, else 80. */
int rt_terminal_columns(FILE *out);

void rt_progress_init(rt_progress *p, FILE *out, rt_progress_mode mode, long first_step,
                      long total_steps, long steps_per_epoch, double now_s);
/* The status text for step (steps done) at most width characters wide
 * (0: no limit), without '\r' or newline, into buf[cap]; returns its length
 * (as snprintf). */
int rt_progress_format(const rt_progress *p, char *buf, size_t cap, int width, long step,
                       double loss, double now_s);
/* Shows the status if it is due (or step == total_steps). Returns 1 when
 * something was written. */
int rt_progress_update(rt_progress *p, long step, double loss, double now_s);
/* Prints a full line of text (e.g. evaluation results) without garbling the
 * bar: the bar line is cleared first and redrawn at the next update. */
void rt_progress_message(rt_progress *p, const char *line);
/* Ends the bar line (newline) if one is on screen. */
void rt_progress_end(rt_progress *p);

/* ---- learning-rate schedule ------------------------------------------------
 * A schedule is `a >> b >> ...` of pieces, each declared in duet as an
 * expression of `t` (the step, from 1) and `total` (the steps it spans),
 * compiled to a value program: instructions in postfix order on a stack of
 * doubles. CONST pushes imm; T and TOTAL push t and total; the unary
 * operations replace the top, the binary ones (a then b on the stack) and
 * SELECT (cond, a, b: cond != 0 ? a : b) replace their operands by the
 * result. Comparisons, AND, OR and NOT give 1 or 0; MIN(a, b) is b < a ?
 * b : a and MAX(a, b) b > a ? b : a; POW, the functions and the rest are
 * C's double operations (libm), as compile-time numbers compute. */
typedef enum rt_sched_opcode {
  RT_SCHED_CONST,
  RT_SCHED_T,
  RT_SCHED_TOTAL,
  RT_SCHED_NEG, /* unary */
  RT_SCHED_NOT,
  RT_SCHED_SQRT,
  RT_SCHED_EXP,
  RT_SCHED_LOG,
  RT_SCHED_ABS,
  RT_SCHED_FLOOR,
  RT_SCHED_CEIL,
  RT_SCHED_SIN,
  RT_SCHED_COS,
  RT_SCHED_TANH,
  RT_SCHED_ADD, /* binary */
  RT_SCHED_SUB,
  RT_SCHED_MUL,
  RT_SCHED_DIV,
  RT_SCHED_POW,
  RT_SCHED_MIN,
  RT_SCHED_MAX,
  RT_SCHED_LT,
  RT_SCHED_LE,
  RT_SCHED_GT,
  RT_SCHED_GE,
  RT_SCHED_EQ,
  RT_SCHED_NE,
  RT_SCHED_AND,
  RT_SCHED_OR,
  RT_SCHED_SELECT /* ternary */
} rt_sched_opcode;

typedef struct rt_sched_instr {
  int op; /* rt_sched_opcode */
  double imm;
} rt_sched_instr;

/* The deepest stack a value program may use. */
enum { RT_SCHED_STACK = 64 };

/* One piece of a schedule. */
typedef struct rt_sched_piece {
  const char *text; /* as written, with its arguments: "warmup(steps = 100)" */
  double steps;     /* its own length in steps (declared `over`), or NaN */
  int ncode;
  const rt_sched_instr *code;
} rt_sched_piece;

/* The value of a value program at (t, total). */
double rt_sched_eval(const rt_sched_instr *code, int ncode, double t, double total);

/* The value at step t (1-based) of a run of `total` steps of the schedule
 * p[0] >> p[1] >> ... of n pieces. The pieces run one after another: a
 * piece with its own length (warmup(n) lasts n steps) takes those steps,
 * the others share the steps left equally. Piece i, which starts after
 * `start` steps and lasts `len`, is evaluated at (t - start, len); the
 * last piece also beyond its end. No pieces: 1. */
double rt_schedule_at(const rt_sched_piece *p, int n, long t, long total);

/* ---- SVG line plots ---------------------------------------------------------
 * A self-contained SVG file, replaced atomically: axes with ticks and labels,
 * a title, one polyline per series (colors cycle through 10, optionally
 * dashed) over an optional shaded band, and a legend to the right of the
 * plot area (the picture grows by its width; names longer than 48
 * characters are cut). Points with a non-finite coordinate (or y <= 0 on a
 * log axis; with a band, also when its bounds are not drawable) are
 * skipped and break the line; a plot with nothing to draw still gets its
 * axes. */
#define RT_COLOR_GRAY (-1)

typedef struct rt_series {
  const char *name;    /* legend text; NULL: not in the legend */
  const double *x, *y; /* [n] each; not owned. n = 0: only a legend entry */
  size_t n;
  const double *lo, *hi; /* [n] each: a band drawn under the line, or NULL */
  int color;             /* 0: by position in the list; k > 0: color k - 1 of
                            the palette; RT_COLOR_GRAY */
  int dash;              /* 0 solid, 1 dashed, 2 dotted, 3 dash-dotted */
} rt_series;

typedef enum rt_scale {
  RT_SCALE_AUTO, /* log when every finite y is positive and max/min > 100 */
  RT_SCALE_LINEAR,
  RT_SCALE_LOG
} rt_scale;

typedef struct rt_plot_opts {
  const char *title, *xlabel, *ylabel; /* NULL: none */
  rt_scale y_scale;
  int log_x;         /* x on a log axis (points with x <= 0 skipped) */
  int width, height; /* pixels of the plot with its axes, legend not counted;
                        0: 720 x 450 */
} rt_plot_opts;

int rt_svg_plot(const char *path, const rt_plot_opts *opts, const rt_series *series, size_t nseries,
                rt_error *err);

/* ---- non-finite detection ---------------------------------------------------
 * Index of the first NaN or +-Inf in x[0..n), or -1 when all are finite. */
long rt_find_nonfinite_f32(const float *x, size_t n);
long rt_find_nonfinite_f64(const double *x, size_t n);

#endif
