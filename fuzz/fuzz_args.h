/* fuzz_args.h - the body of the option fuzz target, shared with the unit
 * test that replays the regression inputs (tests/unit/test_fuzz.c).
 * The bytes are given whole as a value to the address and number parsers,
 * then split at newlines into a command line for the option table parser
 * (cmd/options.h) over a table holding every kind.
 * Contracts checked: each parser returns 0 or -1 (the table parser also 1
 * for help); on -1 the error is ERR_REFUSED with a message; on 0 the result
 * is in range, an enum names one of its words, a list holds no duplicate,
 * and an address formats back to something addr_parse accepts as the same
 * address. */
#ifndef SHARDCTL_FUZZ_ARGS_H
#define SHARDCTL_FUZZ_ARGS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "cmd/options.h"

static inline void fuzz_args_check_err(int rc, const struct sc_err *e)
{
	if (rc != 0 && rc != -1)
		abort();
	if (rc < 0 && (!e->msg[0] || (e->kind != ERR_REFUSED && e->kind != ERR_FAIL)))
		abort();
}

static inline void fuzz_args_check_addr(const struct addr *a)
{
	char buf[ADDR_HOST_MAX + 16];
	struct addr b;
	struct sc_err e;

	if (a->port < 1 || a->port > 65535 || !a->host[0])
		abort();
	addr_format(a, buf, sizeof(buf));
	err_clear(&e);
	if (addr_parse(&b, buf, &e) == 0 && !addr_equal(a, &b))
		abort(); /* format and parse must round-trip */
}

static inline void fuzz_args_check_list(const struct addr_list *l)
{
	for (int i = 0; i < l->n; i++)
		if (addr_list_find(l, &l->v[i]) != i)
			abort(); /* duplicates are refused */
}

/* text split at '\n' (modified in place) as the words after a command name */
static inline void fuzz_args_cmdline(char *text)
{
	static const char *const words[] = { "auto", "atomic", "legacy", NULL };
	char *argv[33] = { "fuzz" };
	int argc = 1, flag = 0, num = -7, shared = -7, mode = -1, rc;
	const char *str = NULL, *file = NULL;
	struct addr to = { "", 0 };
	struct addr_list list = { NULL, 0 }, seeds = { NULL, 0 };
	struct sc_err e;
	const struct opt shared_rows[] = {
		OPT_INT(0, "timeout", &shared, "MS", 1, 3600000, "shared"),
		OPT_END(),
	};
	const struct opt rows[] = {
		OPT_ARG(OPTION_ADDR_LIST, &seeds, "HOST:PORT", NULL),
		OPT_FLAG('f', "dry-run", &flag, "flag"),
		OPT_INT('s', "shards", &num, "S", 3, 16384, "int"),
		OPT_STRING(0, "host", &str, "H", "string"),
		OPT_FILE('d', "dir", &file, "DIR", "file"),
		OPT_ADDR(0, "to", &to, "HOST:PORT", "address"),
		OPT_ADDR_LIST('n', "nodes", &list, "LIST", "list"),
		OPT_ENUM(0, "migration", &mode, "MODE", words, "enum"),
		OPT_GROUP(shared_rows),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "fuzz", "usage: fuzz\n", "\n", NULL, rows };

	for (char *p = text; p && argc < 32; argc++) {
		argv[argc] = p;
		if ((p = strchr(p, '\n')))
			*p++ = '\0';
	}
	err_clear(&e);
	rc = opt_parse(&cmd, argc, argv, &e);
	if (rc != 0 && rc != 1)
		fuzz_args_check_err(rc, &e);
	if (rc == 0) {
		if ((num != -7 && (num < 3 || num > 16384)) || (shared != -7 && shared < 1))
			abort();
		if (mode < -1 || mode > 2 || (flag != 0 && flag != 1))
			abort();
		if (file && !*file)
			abort();
		if (to.port)
			fuzz_args_check_addr(&to);
		if (seeds.n < 1)
			abort(); /* the positional is required */
	}
	fuzz_args_check_list(&list);
	fuzz_args_check_list(&seeds);
	addr_list_release(&list);
	addr_list_release(&seeds);
}

static inline void fuzz_args_one(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct addr a;
	struct addr_list l;
	struct sc_err e;
	int rc, v = 0;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';

	err_clear(&e);
	rc = addr_parse(&a, text, &e);
	fuzz_args_check_err(rc, &e);
	if (rc == 0)
		fuzz_args_check_addr(&a);

	err_clear(&e);
	rc = addr_list_parse(&l, text, &e);
	fuzz_args_check_err(rc, &e);
	if (rc == 0) {
		if (l.n < 1)
			abort();
		fuzz_args_check_list(&l);
		addr_list_release(&l);
	}

	err_clear(&e);
	rc = opt_parse_int("--fuzz", text, -1000, 1000, &v, &e);
	fuzz_args_check_err(rc, &e);
	if (rc == 0 && (v < -1000 || v > 1000))
		abort();

	fuzz_args_cmdline(text);
	free(text);
}

#endif
