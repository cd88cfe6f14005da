/* cli.c - see cli.h */
#include "cmd/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const cli_migration_words[] = { "auto", "atomic", "legacy", NULL };

void cli_common_init(struct cli_common *c)
{
	const struct opt rows[] = {
		OPT_STRING(0, "user", &c->user, "USER", "authenticate as USER (ACL)"),
		OPT_FILE(0, "password-file", &c->password_file, "FILE",
			 "read the password from FILE (first line); otherwise REDISCLI_AUTH is used when set"),
		OPT_INT(0, "timeout", &c->conn.command_timeout_ms, "MS", 1, 3600000,
			"command timeout in milliseconds (default 10000)"),
		OPT_END(),
	};

	memset(c, 0, sizeof(*c));
	conn_opts_init(&c->conn);
	c->tty = isatty(STDOUT_FILENO);
	_Static_assert(sizeof(rows) == sizeof(c->opts), "cli_common.opts holds the common rows");
	memcpy(c->opts, rows, sizeof(rows));
}

void cli_common_release(struct cli_common *c)
{
	conn_opts_release(&c->conn);
}

int cli_parse_int(const char *arg, int min, int max, const char *what, int *out, struct sc_err *e)
{
	return opt_parse_int(what, arg, min, max, out, e);
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
	if (c->user) {
		free(c->conn.user);
		c->conn.user = strdup(c->user);
		if (!c->conn.user)
			return err_set(e, ERR_FAIL, "out of memory");
	}
	return conn_opts_load_password(&c->conn, c->password_file, e);
}

int cli_fail(const char *cmd, const struct sc_err *e)
{
	fprintf(stderr, "shardctl %s: error: %s\n", cmd, e->msg[0] ? e->msg : "unknown error");
	return err_exit_status(e);
}
