/* drv_share.c: where duet's own files are (the stdlib, and what emit-c
 * copies): <directory of the executable>/../share/duet, the layout of an
 * installation and of the build tree alike (cmake/share.cmake). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "drv_front.h"

const char *drv_share_dir(void) {
  static char dir[4200];
  if (dir[0])
    return dir;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  for (int up = 0; up < 2; up++) { /* <prefix>/bin/duet -> <prefix> */
    char *slash = strrchr(exe, '/');
    if (slash)
      *slash = 0;
  }
  snprintf(dir, sizeof dir, "%s/share/duet", exe);
  return dir;
}
