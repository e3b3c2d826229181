/* host_interrupt.h: SIGINT and SIGTERM during training. The first signal
 * is only recorded: the training loop (and a distributed layer, which must
 * start no collective after it) polls host_interrupt_signal() between
 * steps, finishes cleanly and exits with host_interrupt_exit_code(); a
 * second signal ends the process at once with that code. The one place
 * that holds the signal state. */
#ifndef DUET_HOST_INTERRUPT_H
#define DUET_HOST_INTERRUPT_H

/* Installs the handlers (once per process; later calls do nothing). */
void host_interrupt_install(void);

/* The signal received since the handlers were installed (SIGINT or
 * SIGTERM), or 0. */
int host_interrupt_signal(void);

/* "SIGINT" or "SIGTERM". */
const char *host_interrupt_name(int sig);

/* The exit code of a process ended by sig: 128 + sig (130 for SIGINT, 143
 * for SIGTERM). */
int host_interrupt_exit_code(int sig);

#endif
