/*
 * gzip_tool.c - reads a file through the portable gz* functions of emitted
 * programs (runtime/deploy/portable/gzip.c) and writes the data to stdout,
 * then "errnum message" of gzerror() to stderr; test_gzip.py drives it.
 */
#include <stdio.h>

#include "zlib.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: gzip_tool FILE\n", stderr);
    return 2;
  }
  gzFile gz = gzopen(argv[1], "rb");
  if (!gz) {
    perror(argv[1]);
    return 1;
  }
  gzbuffer(gz, 1u << 17);
  char buf[1 << 16];
  int r;
  while ((r = gzread(gz, buf, sizeof buf)) > 0)
    fwrite(buf, 1, (size_t)r, stdout);
  int errnum;
  const char *msg = gzerror(gz, &errnum);
  fprintf(stderr, "%d %s\n", errnum, msg);
  gzclose(gz);
  return 0;
}
