/* err.h - the sticky error object every fallible function reports into.
 *
 * Convention (whole project): functions return 0 on success and -1 on
 * failure; on failure they have filled a `struct sc_err` with a kind and a
 * one-line message (lowercase, no final period, the failure first, the
 * subject quoted).  Only the command layer prints errors.
 */
#ifndef SHARDCTL_ERR_H
#define SHARDCTL_ERR_H

enum err_kind {
	ERR_NONE = 0,
	ERR_FAIL,    /* the operation failed; exit status 1 */
	ERR_REFUSED, /* bad usage or refused input, nothing changed; exit 2 */
	ERR_IO,      /* connection or timeout; exit status 1 */
};

struct sc_err {
	enum err_kind kind;
	char msg[512];
};

/* Set kind and message (printf-style).  Always returns -1 so callers can
 * write `return err_set(e, ERR_FAIL, "...")`.  `e` may be NULL. */
int err_set(struct sc_err *e, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "context: " keeping the kind. */
int err_prefix(struct sc_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void err_clear(struct sc_err *e);

/* Process exit status for an error: 2 for ERR_REFUSED, 1 otherwise. */
int err_exit_status(const struct sc_err *e);

#endif
