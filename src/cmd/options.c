/* options.c - see options.h */
#include "cmd/options.h"

#include "base/millis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define HELP_COLUMN 28 /* where help lines start */
#define HELP_WIDTH 79  /* the last column help fills */

int opt_parse_int(const char *name, const char *arg, int min, int max, int *out, struct sc_err *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg ? arg : "", &end, 10);
	if (!arg || !*arg || *end || errno || v < -2147483647L - 1 || v > 2147483647L)
		return err_set(e, ERR_REFUSED, "option '%s' expects a whole number, got '%s'", name,
			       arg ? arg : "");
	if (v < min || v > max)
		return err_set(e, ERR_REFUSED, "option '%s' expects a number from %d to %d, got '%s'",
			       name, min, max, arg);
	*out = (int)v;
	return 0;
}

/* The row for a long name (len bytes of name) or a short letter, looking
 * into included groups; NULL when none. */
static const struct opt *find(const struct opt *o, const char *name, size_t len, char letter)
{
	for (; o->kind != OPTION_END; o++) {
		if (o->kind == OPTION_GROUP) {
			const struct opt *r = find(o->value, name, len, letter);
			if (r)
				return r;
			continue;
		}
		if (!o->long_name)
			continue;
		if (name && strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
		if (!name && letter && o->short_name == letter)
			return o;
	}
	return NULL;
}

/* The k-th positional row (groups hold none), or NULL. */
static const struct opt *positional(const struct opt *o, int k)
{
	for (; o->kind != OPTION_END; o++)
		if (o->kind != OPTION_GROUP && !o->long_name && k-- == 0)
			return o;
	return NULL;
}

/* Store `arg` as row o's value.  `name` names the row in messages. */
static int store(const struct opt *o, const char *name, const char *arg, struct sc_err *e)
{
	switch (o->kind) {
	case OPTION_FLAG:
		*(int *)o->value = 1;
		return 0;
	case OPTION_INT:
		return opt_parse_int(name, arg, o->min, o->max, o->value, e);
	case OPTION_MS: {
		long long us;
		if (millis_parse(arg, &us) < 0)
			return err_set(e, ERR_REFUSED, "option '%s' expects a number of milliseconds like 1.5, got '%s'",
				       name, arg);
		if (us < o->min * 1000LL || us > o->max * 1000LL)
			return err_set(e, ERR_REFUSED, "option '%s' expects a number from %d to %d, got '%s'",
				       name, o->min, o->max, arg);
		*(int *)o->value = (int)us;
		return 0;
	}
	case OPTION_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPTION_FILE:
		if (!*arg)
			return err_set(e, ERR_REFUSED, "option '%s' expects a path, got ''", name);
		*(const char **)o->value = arg;
		return 0;
	case OPTION_ADDR:
		return addr_parse(o->value, arg, e);
	case OPTION_ADDR_LIST:
		addr_list_release(o->value); /* given twice: the last one counts */
		return addr_list_parse(o->value, arg, e);
	case OPTION_ENUM: {
		char list[256] = "";
		size_t used = 0;
		for (int i = 0; o->words[i]; i++)
			if (!strcmp(o->words[i], arg)) {
				*(int *)o->value = i;
				return 0;
			}
		for (int i = 0; o->words[i] && used < sizeof(list); i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
						 o->words[i]);
		return err_set(e, ERR_REFUSED, "option '%s' expects one of %s, got '%s'", name, list, arg);
	}
	case OPTION_END:
	case OPTION_GROUP:
		break;
	}
	return err_set(e, ERR_FAIL, "option '%s' has no kind", name);
}

/* A positional argument.  Its name in messages is its placeholder. */
static int store_positional(const struct opt *o, const char *arg, struct sc_err *e)
{
	return store(o, o->placeholder, arg, e);
}

/* "--name" or "--name=value" at argv[*i]; moves *i past a separate value. */
static int parse_long(const struct opt *opts, int argc, char **argv, int *i, struct sc_err *e)
{
	const char *word = argv[*i] + 2, *eq = strchr(word, '='), *arg;
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const struct opt *o = find(opts, word, len, 0);
	char name[128];

	if (!o) {
		if (eq)
			return err_set(e, ERR_REFUSED, "unknown option '--%.*s'", (int)len, word);
		return err_set(e, ERR_REFUSED, "unknown option '%s'", argv[*i]);
	}
	snprintf(name, sizeof(name), "--%s", o->long_name);
	if (o->kind == OPTION_FLAG) {
		if (eq)
			return err_set(e, ERR_REFUSED, "option '%s' takes no value", name);
		return store(o, name, NULL, e);
	}
	if (eq) {
		arg = eq + 1;
	} else {
		if (*i + 1 >= argc)
			return err_set(e, ERR_REFUSED, "option '%s' needs a value", name);
		arg = argv[++*i];
	}
	return store(o, name, arg, e);
}

/* "-n", "-nVALUE", "-n VALUE" at argv[*i]; letters of flags may be joined. */
static int parse_short(const struct opt *opts, int argc, char **argv, int *i, struct sc_err *e)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct opt *o = find(opts, NULL, 0, *p);
		char name[128];

		if (!o)
			return err_set(e, ERR_REFUSED, "unknown option '-%c'", *p);
		snprintf(name, sizeof(name), "--%s", o->long_name);
		if (o->kind == OPTION_FLAG) {
			if (store(o, name, NULL, e) < 0)
				return -1;
			continue;
		}
		if (p[1])
			return store(o, name, p + 1, e);
		if (*i + 1 >= argc)
			return err_set(e, ERR_REFUSED, "option '%s' needs a value", name);
		return store(o, name, argv[++*i], e);
	}
	return 0;
}

int opt_parse(const struct opt_cmd *c, int argc, char **argv, struct sc_err *e)
{
	int npos = 0, only_args = 0;
	const struct opt *p;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc;

		if (!only_args && (!strcmp(a, "--help") || !strcmp(a, "-h")))
			return 1;
		if (!only_args && !strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!only_args && a[0] == '-' && a[1] == '-')
			rc = parse_long(c->opts, argc, argv, &i, e);
		else if (!only_args && a[0] == '-' && a[1])
			rc = parse_short(c->opts, argc, argv, &i, e);
		else if (!(p = positional(c->opts, npos)))
			rc = err_set(e, ERR_REFUSED, "unexpected argument '%s'", a);
		else if ((rc = store_positional(p, a, e)) == 0)
			npos++;
		if (rc < 0)
			return -1;
	}
	if ((p = positional(c->opts, npos)))
		return err_set(e, ERR_REFUSED, "missing %s", p->placeholder);
	return 0;
}

/* Write `text` from column `col` on, wrapped at HELP_WIDTH; continuation
 * lines start at HELP_COLUMN.  A '\n' in text starts a new line. */
static void wrap(FILE *f, const char *text, int col)
{
	const char *p = text;

	while (*p) {
		size_t word = strcspn(p, " \n");
		if (col > HELP_COLUMN && col + 1 + (int)word > HELP_WIDTH) {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		} else if (col > HELP_COLUMN) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, word, f);
		col += (int)word;
		p += word;
		if (*p == '\n' && p[1]) {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		}
		while (*p == ' ' || *p == '\n')
			p++;
	}
	fputc('\n', f);
}

static void help_row(FILE *f, char short_name, const char *long_name, const char *placeholder,
		     const char *help)
{
	char left[128];
	int n;

	if (short_name)
		n = snprintf(left, sizeof(left), "  -%c, --%s", short_name, long_name);
	else
		n = snprintf(left, sizeof(left), "      --%s", long_name);
	if (placeholder)
		n += snprintf(left + n, sizeof(left) - (size_t)n, " %s", placeholder);
	if (n > HELP_COLUMN - 2)
		fprintf(f, "%s\n%*s", left, HELP_COLUMN, "");
	else
		fprintf(f, "%-*s", HELP_COLUMN, left);
	wrap(f, help, HELP_COLUMN);
}

static void help_rows(FILE *f, const struct opt *o)
{
	for (; o->kind != OPTION_END; o++) {
		char help[512];

		if (o->kind == OPTION_GROUP) {
			help_rows(f, o->value);
			continue;
		}
		if (!o->long_name || !o->help)
			continue;
		snprintf(help, sizeof(help), "%s", o->help);
		for (int i = 0; o->kind == OPTION_ENUM && o->words[i]; i++) {
			size_t used = strlen(help);
			snprintf(help + used, sizeof(help) - used, "%s%s%s", i ? ", " : " (one of ",
				 o->words[i], o->words[i + 1] ? "" : ")");
		}
		help_row(f, o->short_name, o->long_name, o->kind == OPTION_FLAG ? NULL : o->placeholder,
			 help);
	}
}

void opt_help(const struct opt_cmd *c, FILE *f)
{
	fprintf(f, "%s\n%s\noptions:\n", c->usage, c->about);
	help_rows(f, c->opts);
	help_row(f, 'h', "help", NULL, "this text");
	if (c->after)
		fprintf(f, "\n%s", c->after);
}

int opt_usage_error(const struct opt_cmd *c, const struct sc_err *e)
{
	fprintf(stderr, "shardctl %s: error: %s\n%ssee 'shardctl %s --help'\n", c->name,
		e->msg[0] ? e->msg : "bad usage", c->usage, c->name);
	return e->kind == ERR_REFUSED ? 2 : err_exit_status(e);
}

int opt_refuse(const struct opt_cmd *c, const char *fmt, ...)
{
	struct sc_err e;
	va_list ap;

	e.kind = ERR_REFUSED;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return opt_usage_error(c, &e);
}

int opt_parse_cmdline(const struct opt_cmd *c, int argc, char **argv, int *status)
{
	struct sc_err e;
	int rc;

	err_clear(&e);
	rc = opt_parse(c, argc, argv, &e);
	if (rc == 0)
		return 0;
	if (rc > 0) {
		opt_help(c, stdout);
		*status = 0;
	} else {
		*status = opt_usage_error(c, &e);
	}
	return -1;
}
