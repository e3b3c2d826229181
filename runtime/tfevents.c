/*
 * tfevents.c - TensorBoard event files written by hand: TFRecord framing
 * with masked CRC-32C checksums around Event protocol buffers (wall_time,
 * step, file_version, a Summary of simple_value scalars), so that
 * TensorBoard and other readers of the format show a run's metrics.
 *
 * The protobuf wire format used: a field is a key varint (number << 3 |
 * wire type), then a varint (type 0), 8 little-endian bytes (type 1), a
 * length varint and the bytes (type 2), or 4 little-endian bytes (type 5).
 *   Event:   1 wall_time double, 2 step int64, 3 file_version string,
 *            5 summary Summary
 *   Summary: 1 value repeated Value
 *   Value:   1 tag string, 2 simple_value float
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/time.h>

#include "rt_io_internal.h"

struct rt_tb_writer {
  FILE *f;    /* owned */
  char *path; /* owned, for messages */
};

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_BYTES = 2, WIRE_FIXED32 = 5 };
enum { EVENT_WALL_TIME = 1, EVENT_STEP = 2, EVENT_FILE_VERSION = 3, EVENT_SUMMARY = 5 };
enum { SUMMARY_VALUE = 1, VALUE_TAG = 1, VALUE_SIMPLE = 2 };

/* ---- CRC-32C ---------------------------------------------------------------- */

/* Bit by bit (reflected polynomial 0x82F63B78): records are a few hundred
 * bytes. */
uint32_t rt_crc32c(const void *data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

static uint32_t masked_crc(const void *data, size_t len) {
  uint32_t c = rt_crc32c(data, len);
  return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

/* ---- protobuf encoding ------------------------------------------------------ */

static void put_le(rt_strbuf *sb, uint64_t v, int bytes) {
  unsigned char b[8];
  for (int i = 0; i < bytes; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  rt_sb_append(sb, (const char *)b, (size_t)bytes);
}

static void put_varint(rt_strbuf *sb, uint64_t v) {
  unsigned char b[10];
  size_t n = 0;
  do {
    b[n++] = (unsigned char)((v & 0x7F) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
  rt_sb_append(sb, (const char *)b, n);
}

static void put_key(rt_strbuf *sb, int field, int wire) {
  put_varint(sb, (uint64_t)(field << 3 | wire));
}

static void put_bytes(rt_strbuf *sb, int field, const char *data, size_t len) {
  put_key(sb, field, WIRE_BYTES);
  put_varint(sb, len);
  rt_sb_append(sb, data, len);
}

static void put_double(rt_strbuf *sb, int field, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  put_key(sb, field, WIRE_FIXED64);
  put_le(sb, bits, 8);
}

/* A Value {tag, simple_value} as a field of the Summary in sb. */
static void put_scalar(rt_strbuf *sb, const char *tag, double v) {
  rt_strbuf val = {0};
  put_bytes(&val, VALUE_TAG, tag, strlen(tag));
  /* out of float range (not NaN): the infinity of its sign, as IEEE rounding gives */
  float f = isfinite(v) && fabs(v) > FLT_MAX ? (v > 0 ? INFINITY : -INFINITY) : (float)v;
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  put_key(&val, VALUE_SIMPLE, WIRE_FIXED32);
  put_le(&val, bits, 4);
  sb->oom |= val.oom;
  put_bytes(sb, SUMMARY_VALUE, val.data ? val.data : "", val.len);
  rt_sb_free(&val);
}

/* The Values of the numeric fields (not "step"), nested ones tagged
 * "<prefix>/<key>". */
static void put_fields(rt_strbuf *sb, const char *prefix, const rt_field *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char tag[512];
    snprintf(tag, sizeof tag, "%s%s%s", prefix, *prefix ? "/" : "", f[i].key);
    if (f[i].kind == RT_FIELD_NUM)
      put_scalar(sb, tag, f[i].num);
    else if (f[i].kind == RT_FIELD_INT && (*prefix || strcmp(f[i].key, "step") != 0))
      put_scalar(sb, tag, (double)f[i].i);
    else if (f[i].kind == RT_FIELD_OBJ)
      put_fields(sb, tag, f[i].sub, f[i].nsub);
  }
}

static double wall_time(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec;
}

/* ---- records ------------------------------------------------------------------ */

/* The event in sb as one TFRecord, flushed. */
static int write_record(rt_tb_writer *w, const rt_strbuf *event, rt_error *err) {
  if (event->oom) {
    rt_error_set(err, "%s: out of memory", w->path);
    return -1;
  }
  rt_strbuf rec = {0};
  put_le(&rec, event->len, 8);
  uint32_t len_crc = masked_crc(rec.data, 8);
  put_le(&rec, len_crc, 4);
  rt_sb_append(&rec, event->data, event->len);
  put_le(&rec, masked_crc(event->data, event->len), 4);
  int rc = 0;
  if (rec.oom) {
    rt_error_set(err, "%s: out of memory", w->path);
    rc = -1;
  } else if (fwrite(rec.data, 1, rec.len, w->f) != rec.len || fflush(w->f)) {
    rt_error_set(err, "%s: write failed: %s", w->path, strerror(errno));
    rc = -1;
  }
  rt_sb_free(&rec);
  return rc;
}

rt_tb_writer *rt_tb_open(const char *path, rt_error *err) {
  rt_tb_writer *w = calloc(1, sizeof *w);
  if (w)
    w->path = malloc(strlen(path) + 1);
  if (!w || !w->path) {
    free(w);
    rt_error_set(err, "%s: out of memory", path);
    return NULL;
  }
  strcpy(w->path, path);
  w->f = fopen(path, "wb");
  if (!w->f) {
    rt_error_set(err, "%s: cannot open for writing: %s", path, strerror(errno));
    free(w->path);
    free(w);
    return NULL;
  }
  rt_strbuf ev = {0};
  put_double(&ev, EVENT_WALL_TIME, wall_time());
  put_bytes(&ev, EVENT_FILE_VERSION, "brain.Event:2", 13);
  int rc = write_record(w, &ev, err);
  rt_sb_free(&ev);
  if (rc < 0) {
    rt_error e2;
    rt_tb_close(w, &e2);
    return NULL;
  }
  return w;
}

int rt_tb_write(rt_tb_writer *w, long long step, const rt_field *fields, size_t n, rt_error *err) {
  rt_strbuf summary = {0}, ev = {0};
  put_fields(&summary, "", fields, n);
  put_double(&ev, EVENT_WALL_TIME, wall_time());
  put_key(&ev, EVENT_STEP, WIRE_VARINT);
  put_varint(&ev, (uint64_t)step);
  put_bytes(&ev, EVENT_SUMMARY, summary.data ? summary.data : "", summary.len);
  ev.oom |= summary.oom;
  int rc = write_record(w, &ev, err);
  rt_sb_free(&summary);
  rt_sb_free(&ev);
  return rc;
}

int rt_tb_close(rt_tb_writer *w, rt_error *err) {
  int rc = 0;
  if (w->f && fclose(w->f) != 0) {
    rt_error_set(err, "%s: close failed: %s", w->path, strerror(errno));
    rc = -1;
  }
  free(w->path);
  free(w);
  return rc;
}
