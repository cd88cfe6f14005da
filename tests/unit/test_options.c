/* The option table parser (cmd/options.h): argv vectors against one table
 * holding every kind, and the help written from it. */
#include <stdlib.h>

#include "base/millis.h"
#include "cmd/options.h"
#include "engine/migrate.h"
#include "unit.h"

/* Where one parse puts its values; reset before each case. */
static struct {
	int flag, num, mode;
	const char *str, *file;
	struct addr addr;
	struct addr_list list, seeds;
	int shared, us;
} got;

static const char *const modes[] = { "auto", "atomic", "legacy", NULL };

static const struct opt shared_rows[] = {
	OPT_INT(0, "timeout", &got.shared, "MS", 1, 3600000, "a row of a shared set"),
	OPT_END(),
};

static const struct opt rows[] = {
	OPT_ARG(OPTION_ADDR_LIST, &got.seeds, "HOST:PORT", NULL),
	OPT_FLAG('f', "dry-run", &got.flag, "change nothing"),
	OPT_INT('s', "shards", &got.num, "S", 3, 16384, "number of masters"),
	OPT_STRING(0, "host", &got.str, "H", "a word as given"),
	OPT_FILE('d', "dir", &got.file, "DIR", "a folder"),
	OPT_ADDR(0, "to", &got.addr, "HOST:PORT", "one address"),
	OPT_ADDR_LIST('n', "nodes", &got.list, "LIST", "comma-separated host:port list"),
	OPT_ENUM(0, "migration", &got.mode, "MODE", modes, "how slots move"),
	OPT_MS(0, "max-latency", &got.us, "MS", 0, 60000, "a budget in ms"),
	OPT_FLAG(0, "secret", &got.flag, NULL),
	OPT_GROUP(shared_rows),
	OPT_END(),
};

static const struct opt_cmd cmd = {
	"test", "usage: shardctl test HOST:PORT [options]\n", "About the test.\n", "After.\n", rows,
};

/* want: 0 parsed, 1 help, -1 refused with a message containing msg */
static const struct {
	const char *argv[8];
	int want;
	const char *msg;
} cases[] = {
	/* positional counts */
	{ { "a:1" }, 0, NULL },
	{ { NULL }, -1, "missing HOST:PORT" },
	{ { "--dry-run" }, -1, "missing HOST:PORT" },
	{ { "a:1", "b:2" }, -1, "unexpected argument 'b:2'" },
	{ { "a:1", "--", "--dry-run" }, -1, "unexpected argument '--dry-run'" },
	{ { "--", "a:1" }, 0, NULL },
	{ { "a:1,,b:2" }, -1, "empty item in node list 'a:1,,b:2'" },
	/* each kind, both forms */
	{ { "a:1", "--dry-run" }, 0, NULL },
	{ { "--dry-run=yes", "a:1" }, -1, "option '--dry-run' takes no value" },
	{ { "a:1", "--shards", "5" }, 0, NULL },
	{ { "a:1", "--shards=5" }, 0, NULL },
	{ { "a:1", "-s", "5" }, 0, NULL },
	{ { "a:1", "-s5" }, 0, NULL },
	{ { "a:1", "-fs5" }, 0, NULL },
	{ { "a:1", "--host", "-x" }, 0, NULL },
	{ { "a:1", "--host=" }, 0, NULL },
	{ { "a:1", "--dir", "/tmp/c" }, 0, NULL },
	{ { "a:1", "-d", "" }, -1, "option '--dir' expects a path, got ''" },
	{ { "a:1", "--to", "[::1]:7000" }, 0, NULL },
	{ { "a:1", "--to", "nohost" }, -1, "malformed address 'nohost'" },
	{ { "a:1", "-n", "a:1,b:2", "--nodes=c:3" }, 0, NULL },
	{ { "a:1", "--nodes", "a:1,a:1" }, -1, "appears twice" },
	{ { "a:1", "--migration", "legacy" }, 0, NULL },
	{ { "a:1", "--migration=x" }, -1, "option '--migration' expects one of auto, atomic, legacy, got 'x'" },
	{ { "a:1", "--secret" }, 0, NULL },
	{ { "a:1", "--timeout", "500" }, 0, NULL },
	/* missing values */
	{ { "a:1", "--nodes" }, -1, "option '--nodes' needs a value" },
	{ { "a:1", "-n" }, -1, "option '--nodes' needs a value" },
	{ { "a:1", "--timeout" }, -1, "option '--timeout' needs a value" },
	/* unknown options */
	{ { "a:1", "--frob" }, -1, "unknown option '--frob'" },
	{ { "a:1", "--frob=1" }, -1, "unknown option '--frob'" },
	{ { "a:1", "-x" }, -1, "unknown option '-x'" },
	{ { "a:1", "--node", "a:1" }, -1, "unknown option '--node'" },
	/* numbers */
	{ { "a:1", "--shards", "x" }, -1, "option '--shards' expects a whole number, got 'x'" },
	{ { "a:1", "--shards", "" }, -1, "option '--shards' expects a whole number, got ''" },
	{ { "a:1", "--shards", "3.5" }, -1, "option '--shards' expects a whole number, got '3.5'" },
	{ { "a:1", "--shards", "99999999999" }, -1, "expects a whole number, got '99999999999'" },
	{ { "a:1", "--shards", "2" }, -1, "option '--shards' expects a number from 3 to 16384, got '2'" },
	{ { "a:1", "--shards", "-1" }, -1, "option '--shards' expects a number from 3 to 16384, got '-1'" },
	{ { "a:1", "--timeout=0" }, -1, "option '--timeout' expects a number from 1 to 3600000, got '0'" },
	/* milliseconds with decimals */
	{ { "a:1", "--max-latency", "1.5" }, 0, NULL },
	{ { "a:1", "--max-latency=0" }, 0, NULL },
	{ { "a:1", "--max-latency", "60000" }, 0, NULL },
	{ { "a:1", "--max-latency", "x" }, -1, "option '--max-latency' expects a number of milliseconds like 1.5, got 'x'" },
	{ { "a:1", "--max-latency", "1,5" }, -1, "expects a number of milliseconds like 1.5, got '1,5'" },
	{ { "a:1", "--max-latency", "1." }, -1, "expects a number of milliseconds like 1.5, got '1.'" },
	{ { "a:1", "--max-latency", ".5" }, -1, "expects a number of milliseconds like 1.5, got '.5'" },
	{ { "a:1", "--max-latency", "0.0001" }, -1, "expects a number of milliseconds like 1.5, got '0.0001'" },
	{ { "a:1", "--max-latency", "" }, -1, "expects a number of milliseconds like 1.5, got ''" },
	{ { "a:1", "--max-latency", "-1" }, -1, "option '--max-latency' expects a number from 0 to 60000, got '-1'" },
	{ { "a:1", "--max-latency", "60000.001" }, -1, "expects a number from 0 to 60000, got '60000.001'" },
	/* help wins where it stands; an error before it wins */
	{ { "--help" }, 1, NULL },
	{ { "a:1", "-h", "--frob" }, 1, NULL },
	{ { "--frob", "--help" }, -1, "unknown option '--frob'" },
};

static void reset(void)
{
	addr_list_release(&got.list);
	addr_list_release(&got.seeds);
	memset(&got, 0, sizeof(got));
	got.num = -1;
	got.mode = -1;
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = { "test" };
		struct sc_err e;
		int argc = 1, rc;

		while (cases[i].argv[argc - 1])
			argv[argc] = (char *)cases[i].argv[argc - 1], argc++;
		reset();
		err_clear(&e);
		rc = opt_parse(&cmd, argc, argv, &e);
		if (rc != cases[i].want)
			fprintf(stderr, "case %zu (%s ...): %s\n", i, argv[1] ? argv[1] : "", e.msg);
		CHECK_INT(rc, cases[i].want);
		if (cases[i].want < 0) {
			CHECK_INT(e.kind, ERR_REFUSED);
			if (!strstr(e.msg, cases[i].msg))
				fprintf(stderr, "case %zu: '%s' not in '%s'\n", i, cases[i].msg, e.msg);
			CHECK(strstr(e.msg, cases[i].msg) != NULL);
		}
	}
	reset();
}

/* The values land where the rows say. */
static void test_values(void)
{
	char *argv[] = { "test", "--shards=7", "h:1,h:2", "-fd", "/d", "--to", "[::1]:6379",
			 "-n", "x:1", "--nodes", "y:1,y:2,y:3", "--migration", "atomic",
			 "--host", "10.0.0.1", "--timeout", "250", "--max-latency", "0.25" };
	struct sc_err e;

	reset();
	err_clear(&e);
	CHECK_INT(opt_parse(&cmd, (int)(sizeof(argv) / sizeof(argv[0])), argv, &e), 0);
	CHECK_INT(got.num, 7);
	CHECK_INT(got.flag, 1);
	CHECK_INT(got.seeds.n, 2);
	CHECK_STR(got.file, "/d");
	CHECK_STR(got.addr.host, "::1");
	CHECK_INT(got.addr.port, 6379);
	CHECK_INT(got.list.n, 3); /* given twice: the last one counts */
	CHECK_STR(got.list.v[0].host, "y");
	CHECK_INT(got.mode, 1);
	CHECK_STR(got.str, "10.0.0.1");
	CHECK_INT(got.shared, 250);
	CHECK_INT(got.us, 250);
	reset();

	/* untouched targets keep the command's defaults */
	{
		char *argv2[] = { "test", "a:1" };
		CHECK_INT(opt_parse(&cmd, 2, argv2, &e), 0);
		CHECK_INT(got.num, -1);
		CHECK_INT(got.mode, -1);
		CHECK(got.str == NULL);
		reset();
	}
}

/* millis_parse / millis_format (base/millis.h), and the default of
 * --max-latency written in help the same as the value. */
static void test_millis(void)
{
	static const struct {
		const char *in;
		long long us;
		const char *out;
	} ok[] = {
		{ "1.5", 1500, "1.5" }, { "2", 2000, "2" }, { "0.25", 250, "0.25" }, { "0", 0, "0" },
		{ "0.001", 1, "0.001" }, { "10.100", 10100, "10.1" }, { "-3.5", -3500, "-3.5" },
		{ "60000", 60000000, "60000" },
	};
	const char *bad[] = { "", "-", "x", "1.", ".5", "1.2345", "1e3", "1,5", " 1", "1 ", "+1", "3000000" };
	char buf[32];
	long long us;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		us = -7;
		CHECK_INT(millis_parse(ok[i].in, &us), 0);
		CHECK_INT(us, ok[i].us);
		CHECK_STR(millis_format(ok[i].us, buf, sizeof(buf)), ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		us = -7;
		CHECK_INT(millis_parse(bad[i], &us), -1);
		CHECK_INT(us, -7);
	}
	CHECK_INT(millis_parse(NULL, &us), -1);
	CHECK_INT(millis_parse(MIGRATE_MAX_LATENCY_TEXT, &us), 0);
	CHECK_INT(us, MIGRATE_MAX_LATENCY_US);
}

/* The help holds the hand-written parts and one line per listed row. */
static void test_help(void)
{
	static const char *const want[] = {
		"usage: shardctl test HOST:PORT [options]\n\nAbout the test.\n\noptions:\n",
		"  -f, --dry-run             change nothing\n",
		"  -s, --shards S            number of masters\n",
		"      --host H              a word as given\n",
		"  -d, --dir DIR             a folder\n",
		"      --to HOST:PORT        one address\n",
		"  -n, --nodes LIST          comma-separated host:port list\n",
		"      --migration MODE      how slots move (one of auto, atomic, legacy)\n",
		"      --max-latency MS      a budget in ms\n",
		"      --timeout MS          a row of a shared set\n",
		"  -h, --help                this text\n\nAfter.\n",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rows_listed = 0;

	opt_help(&cmd, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(buf, want[i]))
			fprintf(stderr, "help lacks '%s':\n%s", want[i], buf);
		CHECK(strstr(buf, want[i]) != NULL);
	}
	CHECK(strstr(buf, "secret") == NULL); /* a row without help is not listed */
	for (char *p = strstr(buf, "options:\n"); p && (p = strchr(p, '\n')); p++)
		rows_listed += !strncmp(p + 1, "  -", 3) || !strncmp(p + 1, "      --", 8);
	CHECK_INT(rows_listed, 10); /* neither is a positional */
	free(buf);
}

/* Long help wraps under its column; no line passes column 79. */
static void test_wrap(void)
{
	int v = 0;
	const struct opt long_rows[] = {
		OPT_INT(0, "a-rather-long-option-name", &v, "VALUE", 0, 1,
			"a help line long enough that it has to be wrapped at least once, maybe "
			"twice, to stay within eighty columns of a terminal"),
		OPT_END(),
	};
	const struct opt_cmd c = { "wrap", "usage: x\n", "About.\n", NULL, long_rows };
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int lines = 0;

	opt_help(&c, f);
	fclose(f);
	CHECK(strstr(buf, "      --a-rather-long-option-name VALUE\n                            a help") != NULL);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) > 79)
			fprintf(stderr, "too long: '%s'\n", line);
		CHECK(strlen(line) <= 79);
		lines++;
	}
	CHECK_INT(lines, 8); /* usage, about, options:, 1 + 3 for the row, help */
	free(buf);
}

int main(void)
{
	test_cases();
	test_values();
	test_millis();
	test_help();
	test_wrap();
	return UNIT_DONE("options");
}
