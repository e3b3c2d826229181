/* drv_commands.h: the subcommands of the `duet` executable. Each takes the
 * arguments after its name and returns the process exit code (0 ok, 1 user
 * error, 2 internal error). To add one, implement it in cmd_<name>.c and add
 * a row with its options to the table in drv_usage.c. */
#ifndef DUET_DRV_COMMANDS_H
#define DUET_DRV_COMMANDS_H

int drv_cmd_check(int argc, char **argv);
int drv_cmd_run(int argc, char **argv);
int drv_cmd_compare(int argc, char **argv);
int drv_cmd_sweep(int argc, char **argv);
int drv_cmd_emit_llvm(int argc, char **argv);
int drv_cmd_emit_c(int argc, char **argv);
int drv_cmd_predict(int argc, char **argv);
int drv_cmd_gradcheck(int argc, char **argv);
int drv_cmd_dualcheck(int argc, char **argv);
int drv_cmd_explain(int argc, char **argv);
int drv_cmd_sample(int argc, char **argv);
int drv_cmd_plot(int argc, char **argv);
int drv_cmd_completion(int argc, char **argv);
int drv_cmd_help(int argc, char **argv);

/* Prints `duet: error: <message>` and a pointer to --help; returns 1. */
int drv_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints `duet: error: <message>`; returns 1. */
int drv_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
