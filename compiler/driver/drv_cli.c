/* drv_cli.c: arguments and set-up shared by the commands that build an
 * experiment: the file, the experiment, --set and --stdlib, the command's
 * own options, then one checked experiment (see drv_cli.h). */
#include "drv_cli.h"

#include <stdlib.h>
#include <string.h>

#include "drv_commands.h"
#include "drv_usage.h"

int drv_cli_parse(drv_cli *c, const char *cmd, int argc, char **argv, drv_cli_option own,
                  void *ctx) {
  *c = (drv_cli){.cmd = cmd, .sets = calloc((size_t)argc + 1, sizeof *c->sets)};
  if (!c->sets)
    return 2;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    int used = own ? own(ctx, i, argc, argv) : 0;
    if (used < 0)
      return 1;
    if (used > 0) {
      i += used - 1;
    } else if ((strcmp(arg, "--set") == 0 || strcmp(arg, "--stdlib") == 0) && i + 1 == argc) {
      return drv_usage_error(cmd, "%s needs a value", arg);
    } else if (strcmp(arg, "--set") == 0) {
      c->sets[c->nsets++] = argv[++i];
    } else if (strcmp(arg, "--stdlib") == 0) {
      c->stdlib = argv[++i];
    } else if (arg[0] == '-' && arg[1]) {
      return drv_unknown_option(cmd, arg);
    } else if (!c->file) {
      c->file = arg;
    } else if (!c->name) {
      c->name = arg;
    } else {
      return drv_usage_error(cmd, "too many arguments ('%s')", arg);
    }
  }
  return 0;
}

void drv_cli_free(drv_cli *c) {
  free(c->sets);
  *c = (drv_cli){0};
}

int drv_cli_experiment(const drv_cli *c, drv_source *s, sema_experiment **e) {
  *e = NULL;
  if (!c->file)
    return drv_usage_error(c->cmd, "no file given");
  int rc = drv_source_load(s, c->file, drv_stdlib_dir(c->stdlib));
  if (rc == 0)
    s->sema->data_dir = c->data_dir;
  drv_target t;
  sema_override *ov;
  if (rc == 0)
    rc = drv_find_target(s, c->name, DRV_TARGET_ANY, &t);
  if (rc == 0)
    rc = drv_parse_sets(s, c->nsets, c->sets, &ov);
  if (rc == 0) {
    *e = drv_experiment(s, t.experiment, c->nsets, ov);
    rc = *e ? 0 : drv_failure_code(s);
  }
  return rc;
}
