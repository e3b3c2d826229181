/*
 * zlib.h - the part of zlib's gz* interface the duet runtime reads files
 * with (gzopen, gzbuffer, gzread, gzerror, gzclose), implemented in
 * portable C by gzip.c: gzip files (one or more members, CRC-32 and length
 * checked) are inflated, other files are read as they are, like zlib's
 * transparent mode. Only reading ("rb") is supported.
 */
#ifndef DUET_PORTABLE_ZLIB_H
#define DUET_PORTABLE_ZLIB_H

#define Z_OK         0
#define Z_ERRNO      (-1)
#define Z_DATA_ERROR (-3)
#define Z_MEM_ERROR  (-4)
#define Z_BUF_ERROR  (-5)

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

#endif
