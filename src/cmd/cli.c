/* cli.c - see cli.h */
#include "cmd/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof(*c));
	conn_opts_init(&c->conn);
	c->tty = isatty(STDOUT_FILENO);
}

void cli_common_release(struct cli_common *c)
{
	conn_opts_release(&c->conn);
}

int cli_parse_int(const char *arg, int min, int max, const char *what, int *out, struct sc_err *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg ? arg : "", &end, 10);
	if (!arg || !*arg || *end || errno)
		return err_set(e, ERR_REFUSED, "%s must be a whole number, not '%s'", what, arg ? arg : "");
	if (v < min || v > max)
		return err_set(e, ERR_REFUSED, "%s must be between %d and %d, not %ld", what, min, max, v);
	*out = (int)v;
	return 0;
}

int cli_common_option(struct cli_common *c, int opt, const char *arg, struct sc_err *e)
{
	switch (opt) {
	case OPT_USER:
		free(c->conn.user);
		c->conn.user = strdup(arg);
		return 1;
	case OPT_PASSWORD_FILE:
		c->password_file = arg;
		return 1;
	case OPT_TIMEOUT:
		if (cli_parse_int(arg, 1, 3600000, "--timeout", &c->conn.command_timeout_ms, e) < 0)
			return -1;
		return 1;
	case OPT_JSON:
		c->json = 1;
		return 1;
	}
	return 0;
}

int cli_common_finish(struct cli_common *c, struct sc_err *e)
{
	return conn_opts_load_password(&c->conn, c->password_file, e);
}

int cli_fail(const char *cmd, const struct sc_err *e)
{
	fprintf(stderr, "shardctl %s: error: %s\n", cmd, e->msg[0] ? e->msg : "unknown error");
	return err_exit_status(e);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "shardctl %s: error: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'shardctl %s --help'\n", cmd);
	return 2;
}
