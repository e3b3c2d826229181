/* words_tool.c: prints the words the compiler gives a meaning to, as
 * semantic analysis declares them: "builtin NAME" for every builtin
 * function (tensor functions, initializers, data sources, losses,
 * schedules, metrics) and "setting NAME" for every experiment setting, so
 * that the editor files are checked against the compiler's own tables. */
#include <stdio.h>

#include "sema_internal.h"

int main(void) {
  for (int i = 0; i < sema_builtin_count(); i++)
    printf("builtin %s\n", sema_builtin_at(i)->name);
  for (int k = 0; k < SETTING_COUNT; k++)
    printf("setting %s\n", sema_setting_names[k]);
  return 0;
}
