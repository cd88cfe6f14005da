/* cli.h - what every subcommand shares: connection options (auth and
 * timeouts, following redis-cli) as one set of option rows (options.h),
 * output mode, and the one place errors are printed. */
#ifndef SHARDCTL_CLI_H
#define SHARDCTL_CLI_H

#include <getopt.h>

#include "cluster/conn.h"
#include "base/err.h"
#include "cmd/options.h"
#include "engine/migrate.h"

/* The getopt form of the common options, for the load tool's own loop
 * (tools/sc-load.c), which is not on options.h yet; shardctl's commands
 * include struct cli_common's rows instead. */
enum cli_opt {
	OPT_USER = 1000,
	OPT_PASSWORD_FILE,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_OWN = 1100, /* subcommands number their own long options from here */
};

/* Put these in a subcommand's `struct option` table. */
#define CLI_COMMON_OPTIONS                                              \
	{ "user", required_argument, NULL, OPT_USER },                  \
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE }, \
	{ "timeout", required_argument, NULL, OPT_TIMEOUT }

#define CLI_COMMON_HELP                                                           \
	"      --user USER           authenticate as USER (ACL)\n"                \
	"      --password-file FILE  read the password from FILE (first line);\n" \
	"                            otherwise REDISCLI_AUTH is used when set\n"  \
	"      --timeout MS          command timeout in milliseconds (default 10000)\n"

struct cli_common {
	struct conn_opts conn;
	const char *user; /* --user as given; cli_common_finish copies it into conn */
	const char *password_file;
	int json;
	int tty; /* stdout is a terminal */
	/* --user, --password-file, --timeout: include them in a command's table
	 * with OPT_GROUP(common.opts).  They point into this struct, which is
	 * therefore never copied. */
	struct opt opts[4];
};

/* Defaults, and the rows of the common options. */
void cli_common_init(struct cli_common *c);

/* The words of --migration, in the order of enum migration_choice
 * (engine/reconcile.h): auto, atomic, legacy. */
extern const char *const cli_migration_words[];
#define CLI_MIGRATION_HELP \
	"how slots move: atomic (the servers' own: Valkey 9 CLUSTER MIGRATESLOTS or Redis 8.4 CLUSTER " \
	"MIGRATION; refused, nothing changed, unless every node has the same one), legacy (SETSLOT/MIGRATE), " \
	"or auto (default: atomic where every node taking part has the same one)"

/* --max-latency MS (reconcile, local scale, fix): the latency budget of the
 * legacy slot moves (migrate_opts.max_latency_us), in ms with decimals. */
#define CLI_MAX_LATENCY_MAX 60000
#define CLI_MAX_LATENCY_HELP \
	"legacy slot moves: hold each round of MIGRATE calls, which blocks its source's clients, " \
	"to about MS ms (decimals allowed), by sizing the keys per call so that the long rounds, " \
	"not only the typical ones, fit; on Redis the moves are also paced: SETSLOTs in a few " \
	"bursts, one MIGRATE a round (default " MIGRATE_MAX_LATENCY_TEXT "; 0: no limit, fastest)"

void cli_common_release(struct cli_common *c);
/* (getopt form) Handle a common option: returns 1 if handled, 0 if not one
 * of ours, -1 on a bad value (e filled, ERR_REFUSED). */
int cli_common_option(struct cli_common *c, int opt, const char *arg, struct sc_err *e);
/* After option parsing: take --user, load the password (file or
 * REDISCLI_AUTH). */
int cli_common_finish(struct cli_common *c, struct sc_err *e);

/* Parse a decimal integer within [min, max], naming option `what`
 * ("--size") on error in opt_parse_int's words. */
int cli_parse_int(const char *arg, int min, int max, const char *what, int *out, struct sc_err *e);

/* Print "shardctl CMD: error: MESSAGE" on stderr and return the exit status
 * for the error (2 refused / usage, 1 otherwise).  Usage errors go through
 * opt_usage_error / opt_refuse instead, which add the usage line. */
int cli_fail(const char *cmd, const struct sc_err *e);

#endif
