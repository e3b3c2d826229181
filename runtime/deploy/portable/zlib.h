/*
 * zlib.h - the part of zlib's interface the duet runtime uses, in portable
 * C: reading gzip files through gzopen, gzbuffer, gzread, gzerror and
 * gzclose (gzip.c: gzip members are inflated, their CRC-32 and length
 * checked; other files are read as they are, like zlib's transparent
 * mode; only reading, "rb"), and raw DEFLATE streams through z_stream,
 * inflateInit2 (negative window bits only), inflate, inflateEnd and
 * crc32 (zstream.c, for the members of .npz archives).
 */
#ifndef DUET_PORTABLE_ZLIB_H
#define DUET_PORTABLE_ZLIB_H

#define Z_OK         0
#define Z_STREAM_END 1
#define Z_ERRNO      (-1)
#define Z_DATA_ERROR (-3)
#define Z_MEM_ERROR  (-4)
#define Z_BUF_ERROR  (-5)
#define Z_NO_FLUSH   0
#define Z_NULL       0
#define MAX_WBITS    15

typedef unsigned char Bytef;
typedef unsigned int uInt;
typedef unsigned long uLong;

typedef struct gz_state *gzFile;

/* Reads the whole file path into memory; NULL (errno set) if it cannot be
 * read or mode is not a read mode. */
gzFile gzopen(const char *path, const char *mode);
/* Accepted for compatibility: the file is already in memory. Returns 0. */
int gzbuffer(gzFile file, unsigned size);
/* Up to len bytes of the data into buf: the count (less than len at the end
 * of the data or before an error), or -1 when an error comes first. */
int gzread(gzFile file, void *buf, unsigned len);
/* The error after a short read, its code in *errnum: Z_OK at a clean end,
 * Z_BUF_ERROR for a truncated stream, Z_DATA_ERROR for corrupt data. */
const char *gzerror(gzFile file, int *errnum);
int gzclose(gzFile file);

/* A raw inflation: the fields zlib documents, with the same meaning. The
 * stream is decoded whole, from all the input given, at the first call of
 * inflate that brings no new input; until then inflate takes the input and
 * returns Z_OK without output. After decoding, next_in and avail_in give
 * the input past the end of the stream (or, after an error, past the
 * point where decoding stopped), pointing into the stream's own copy. */
typedef struct z_stream_s {
  const Bytef *next_in;
  uInt avail_in;
  uLong total_in;
  Bytef *next_out;
  uInt avail_out;
  uLong total_out;
  const char *msg; /* the last error, or NULL */
  struct pz_stream *state;
} z_stream;

/* window_bits must be -8 .. -15 (raw DEFLATE, no zlib or gzip wrapper). */
int inflateInit2(z_stream *strm, int window_bits);
/* Z_OK (progress), Z_STREAM_END (the stream ended and all of its output
 * was delivered), Z_BUF_ERROR (no progress possible: the input ended
 * inside the stream), Z_DATA_ERROR (corrupt data, msg set), Z_MEM_ERROR.
 * flush is ignored. */
int inflate(z_stream *strm, int flush);
int inflateEnd(z_stream *strm);
/* The CRC-32 of buf [len] continued from crc; crc32(0, Z_NULL, 0) is 0. */
uLong crc32(uLong crc, const Bytef *buf, uInt len);

#endif
