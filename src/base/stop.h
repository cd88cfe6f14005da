/* stop.h - a request to stop, from SIGINT or SIGTERM (Ctrl-C, a Kubernetes
 * Job deleted, `kill`).
 *
 * The handler only records the signal; long operations look at it between
 * steps and stop cleanly (a slot migration cancels the server-side jobs it
 * started, or brings the slots it has open to an end), then fail with a
 * message, so the cluster is left consistent and the next run continues.
 * A second signal of the same kind ends the process at once (the default
 * action is restored after the first), for when a clean stop hangs.
 * Installed with SA_RESTART: blocking reads and writes are not cut short.
 */
#ifndef SHARDCTL_STOP_H
#define SHARDCTL_STOP_H

/* Install the handler for SIGINT and SIGTERM. */
void stop_install(void);

/* The signal that asked to stop (SIGINT, SIGTERM), or 0. */
int stop_requested(void);

/* "SIGINT", "SIGTERM" or "a signal" for messages. */
const char *stop_name(int sig);

#endif
