/*
 * rt_error.c - filling the caller's error record. Library code reports every
 * failure through rt_error_set and never prints.
 */
#include <stdarg.h>
#include <stdio.h>

#include "rt_io.h"

void rt_error_set(rt_error *err, const char *fmt, ...) {
  if (!err)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
}
