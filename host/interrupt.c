/* interrupt.c: the handlers of SIGINT and SIGTERM (host_interrupt.h): the
 * first signal is stored in a sig_atomic_t that the loop polls; a second
 * one calls _exit, which is async-signal-safe, with 128 + its number. Both
 * signals are blocked while the handler runs, so that two of them are
 * handled one after the other. */
#include "host_interrupt.h"

#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

static volatile sig_atomic_t received; /* the first signal, or 0 */
static bool installed;

static void on_signal(int sig) {
  if (received)
    _exit(128 + sig);
  received = sig;
}

void host_interrupt_install(void) {
  if (installed)
    return;
  installed = true;
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int host_interrupt_signal(void) { return received; }

const char *host_interrupt_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

int host_interrupt_exit_code(int sig) { return 128 + sig; }
