/* fuzz_args.h - the body of the option fuzz target, shared with the unit
 * test that replays the regression inputs (tests/unit/test_fuzz.c).
 * Contracts checked: each parser returns 0 or -1; on -1 the error is
 * ERR_REFUSED with a message; on 0 the result is in range and an address
 * formats back to something addr_parse accepts as the same address. */
#ifndef SHARDCTL_FUZZ_ARGS_H
#define SHARDCTL_FUZZ_ARGS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "cmd/cli.h"

static inline void fuzz_args_check_err(int rc, const struct sc_err *e)
{
	if (rc != 0 && rc != -1)
		abort();
	if (rc < 0 && (!e->msg[0] || (e->kind != ERR_REFUSED && e->kind != ERR_FAIL)))
		abort();
}

static inline void fuzz_args_one(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), buf[ADDR_HOST_MAX + 16];
	struct addr a, b;
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
	if (rc == 0) {
		if (a.port < 1 || a.port > 65535 || !a.host[0])
			abort();
		addr_format(&a, buf, sizeof(buf));
		err_clear(&e);
		if (addr_parse(&b, buf, &e) == 0 && !addr_equal(&a, &b))
			abort(); /* format and parse must round-trip */
	}

	err_clear(&e);
	rc = addr_list_parse(&l, text, &e);
	fuzz_args_check_err(rc, &e);
	if (rc == 0) {
		if (l.n < 1)
			abort();
		for (int i = 0; i < l.n; i++)
			if (addr_list_find(&l, &l.v[i]) != i)
				abort(); /* duplicates are refused */
		addr_list_release(&l);
	}

	err_clear(&e);
	rc = cli_parse_int(text, -1000, 1000, "--fuzz", &v, &e);
	fuzz_args_check_err(rc, &e);
	if (rc == 0 && (v < -1000 || v > 1000))
		abort();
	free(text);
}

#endif
