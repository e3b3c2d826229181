/*
 * numtext.c - numbers as people read them in tables, summaries and the
 * progress line: 4 significant digits, so that 2.7e-11 stays 2.7e-11 and an
 * accuracy keeps its 4 decimals (0.9091).
 */
#include <stdio.h>

#include "rt_io.h"

const char *rt_num_text(char buf[RT_NUM_CHARS], double v) {
  snprintf(buf, RT_NUM_CHARS, "%.4g", v);
  return buf;
}
