/* log.h - the one way shardctl writes a line of what it is doing.
 *
 * Lines go to a FILE the caller chose (stderr of a command, a Job's log),
 * are flushed at once so a Kubernetes Job log shows them live, and a NULL
 * FILE means quiet: callers never test for it.  Errors are not logged here:
 * they travel in struct sc_err and the command prints them once. */
#ifndef SHARDCTL_LOG_H
#define SHARDCTL_LOG_H

#include <stdio.h>

/* One line (printf-style, newline added) to out; out NULL: nothing. */
void log_say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same line after "TAG: ", for commands whose lines are tagged (fix,
 * heal), so a line in a shared log says which run wrote it. */
void log_tagged(FILE *out, const char *tag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
