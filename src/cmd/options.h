/* options.h - one option table per command: it parses the command line,
 * words every usage error the same way and writes the options part of
 * `--help` (the idea of git's parse-options).
 *
 * A table is an array of rows ended by OPT_END().  A row names an option
 * (long name, and a short letter or 0), its kind, where the value goes, the
 * placeholder shown in help (`--nodes LIST`) and its help line.  A row with
 * no long name is a positional argument; each one is required, in order.
 * OPT_GROUP includes a shared set of rows (cli.h's connection options).
 *
 * Tables point at the command's own variables, so they are built where those
 * live (on the stack): no global state.  The targets keep whatever the
 * command put in them (its defaults) unless the option is given; given twice,
 * the last one counts.  Values are taken as written: `--opt value`,
 * `--opt=value`, `-n value`, `-nvalue`; the word after an option that needs a
 * value is its value even if it starts with '-' (`--replicas -1` is refused
 * as out of range, not as an unknown option).  `--` ends the options; `-h` or
 * `--help` asks for help.  Long names are matched whole (no abbreviations).
 *
 * Messages (lowercase, no final period, the subject quoted):
 *   option '--nodes' needs a value
 *   unknown option '--frob'
 *   option '--dry-run' takes no value
 *   option '--shards' expects a whole number, got 'x'
 *   option '--shards' expects a number from 3 to 16384, got '2'
 *   option '--max-latency' expects a number of milliseconds like 1.5, got 'x'
 *   option '--migration' expects one of auto, atomic, legacy, got 'x'
 *   option '--dir' expects a path, got ''
 *   missing HOST:PORT
 *   unexpected argument 'extra'
 * and address values say what addr_parse / addr_list_parse say.
 */
#ifndef SHARDCTL_OPTIONS_H
#define SHARDCTL_OPTIONS_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"

enum opt_kind {
	OPTION_END = 0,
	OPTION_GROUP,     /* value: const struct opt[], the rows of a shared set */
	OPTION_FLAG,      /* int *: set to 1; takes no value */
	OPTION_INT,       /* int *: a whole number within [min, max] */
	OPTION_STRING,    /* const char **: the word itself (argv outlives the parse) */
	OPTION_FILE,      /* const char **: a path; refuses an empty one */
	OPTION_ADDR,      /* struct addr *: host:port, see addr_parse */
	OPTION_ADDR_LIST, /* struct addr_list *: see addr_list_parse; starts as
			   * { NULL, 0 }, the caller releases it, even after an error */
	OPTION_ENUM,      /* int *: the index of the word in `words` */
	OPTION_MS,        /* int *: milliseconds with up to three decimals ("1.5")
			   * within [min, max] ms, stored in microseconds */
};

struct opt {
	enum opt_kind kind;
	char short_name;       /* 0: none */
	const char *long_name; /* without "--"; NULL: a positional argument */
	void *value;
	const char *placeholder; /* "LIST" in "--nodes LIST"; a positional's name */
	const char *help;        /* NULL: accepted but not listed in --help */
	int min, max;            /* OPTION_INT, OPTION_MS (ms) */
	const char *const *words; /* OPTION_ENUM: ended by NULL */
};

/* The type check of a row's target: `(1 ? (v) : (T *)0)` does not compile
 * (with -Werror) when v is a pointer to anything else. */
#define OPT_TARGET_(T, v) ((void *)(1 ? (v) : (T *)0))

#define OPT_END() { .kind = OPTION_END }
#define OPT_GROUP(rows) { .kind = OPTION_GROUP, .value = (void *)(rows) }
#define OPT_FLAG(s, l, v, h) \
	{ .kind = OPTION_FLAG, .short_name = (s), .long_name = (l), .value = OPT_TARGET_(int, v), .help = (h) }
#define OPT_INT(s, l, v, ph, lo, hi, h)                                                           \
	{ .kind = OPTION_INT, .short_name = (s), .long_name = (l), .value = OPT_TARGET_(int, v), \
	  .placeholder = (ph), .help = (h), .min = (lo), .max = (hi) }
#define OPT_MS(s, l, v, ph, lo, hi, h)                                                           \
	{ .kind = OPTION_MS, .short_name = (s), .long_name = (l), .value = OPT_TARGET_(int, v), \
	  .placeholder = (ph), .help = (h), .min = (lo), .max = (hi) }
#define OPT_STRING(s, l, v, ph, h)                                                                          \
	{ .kind = OPTION_STRING, .short_name = (s), .long_name = (l), .value = OPT_TARGET_(const char *, v), \
	  .placeholder = (ph), .help = (h) }
#define OPT_FILE(s, l, v, ph, h)                                                                          \
	{ .kind = OPTION_FILE, .short_name = (s), .long_name = (l), .value = OPT_TARGET_(const char *, v), \
	  .placeholder = (ph), .help = (h) }
#define OPT_ADDR(s, l, v, ph, h)                                                                   \
	{ .kind = OPTION_ADDR, .short_name = (s), .long_name = (l), .value = OPT_TARGET_(struct addr, v), \
	  .placeholder = (ph), .help = (h) }
#define OPT_ADDR_LIST(s, l, v, ph, h)                                                       \
	{ .kind = OPTION_ADDR_LIST, .short_name = (s), .long_name = (l),                    \
	  .value = OPT_TARGET_(struct addr_list, v), .placeholder = (ph), .help = (h) }
#define OPT_ENUM(s, l, v, ph, w, h)                                                              \
	{ .kind = OPTION_ENUM, .short_name = (s), .long_name = (l), .value = OPT_TARGET_(int, v), \
	  .placeholder = (ph), .help = (h), .words = (w) }
/* A positional argument: kind is OPTION_STRING, _FILE, _ADDR, _ADDR_LIST
 * or _ENUM (then w is its words, else NULL); name is what help and
 * "missing NAME" call it. */
#define OPT_ARG(k, v, name, w) { .kind = (k), .value = (void *)(v), .placeholder = (name), .words = (w) }

/* A command as its help shows it. */
struct opt_cmd {
	const char *name;  /* in messages: "create", "local up" */
	const char *usage; /* the usage line(s), each ending in '\n' */
	const char *about; /* the hand-written description (paragraphs, '\n'-ended) */
	const char *after; /* printed after the options (exit status...), or NULL */
	const struct opt *opts;
};

/* Parse argv[1..argc-1] (argv[0] is the command's name) into the targets.
 * Returns 0 when parsed, 1 when help was asked for (parsing stops there), -1
 * on bad usage (e filled, ERR_REFUSED; ERR_FAIL only when out of memory).
 * Prints nothing. */
int opt_parse(const struct opt_cmd *c, int argc, char **argv, struct sc_err *e);

/* The whole help: usage, description, "options:" written from the table
 * (rows with a help line, then -h, --help), and the text after. */
void opt_help(const struct opt_cmd *c, FILE *f);

/* The command line of a command, start to end: parse; on help print it to
 * stdout; on bad usage print the error as opt_usage_error does.  Returns 0
 * when the command goes on, -1 when it stops and returns *status (0 after
 * help, 2 after bad usage). */
int opt_parse_cmdline(const struct opt_cmd *c, int argc, char **argv, int *status);

/* Print "shardctl NAME: error: MESSAGE", the usage line(s) and "see
 * 'shardctl NAME --help'" on stderr; returns the exit status (2, or 1 when
 * e is not ERR_REFUSED). */
int opt_usage_error(const struct opt_cmd *c, const struct sc_err *e);
/* The same for a combination a command refuses after parsing (a required
 * option missing, two that exclude each other); returns 2. */
int opt_refuse(const struct opt_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A whole number within [min, max] for `name` ("--timeout"), in the words
 * above.  What OPTION_INT uses; for parsers that have no table. */
int opt_parse_int(const char *name, const char *arg, int min, int max, int *out, struct sc_err *e);

#endif
