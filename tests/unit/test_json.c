/* json_str: every string comes out as valid JSON (quotes, backslashes and
 * control characters escaped; NULL as null). */
#include <stdlib.h>

#include "base/json.h"
#include "unit.h"

static char *render(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_str(f, s);
	fclose(f);
	return buf;
}

int main(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "rc-0.rc-headless", "\"rc-0.rc-headless\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "l1\nl2\r\t", "\"l1\\nl2\\r\\t\"" },
		{ "\x01\x1f", "\"\\u0001\\u001f\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" }, /* UTF-8 passes through */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = render(cases[i].in);
		CHECK_STR(got, cases[i].out);
		free(got);
	}
	{
		char *got = render(NULL);
		CHECK_STR(got, "null");
		free(got);
	}
	return UNIT_DONE("json");
}
