/* Which server a node runs, from INFO server: the replies of the five
 * servers of the matrix (tests/fixtures/info, captured by
 * tests/fixtures/capture-info.sh), versions beyond the matrix as one-line
 * texts, malformed texts; then the DUMP versions each writes and accepts,
 * and which moves between them are allowed (server_kind.h). */
#include <stdlib.h>

#include "core/server_kind.h"
#include "fixture.h"
#include "unit.h"

struct kind_case {
	const char *fixture; /* in tests/fixtures/info, or NULL: text */
	const char *text;
	int rc;
	enum server_family family;
	const char *version;
	int major, minor, patch;
	int dump;            /* DUMP version written, -1 unknown */
	const char *shown;   /* server_kind_format */
};

static const struct kind_case kinds[] = {
	/* the matrix, as the servers wrote it (CRLF lines) */
	{ "redis-7.0", NULL, 0, SERVER_REDIS, "7.0.15", 7, 0, 15, 10, "redis 7.0.15" },
	{ "valkey-8.0", NULL, 0, SERVER_VALKEY, "8.0.1", 8, 0, 1, 11, "valkey 8.0.1" },
	{ "redis-8.0", NULL, 0, SERVER_REDIS, "8.0.6", 8, 0, 6, 12, "redis 8.0.6" },
	{ "valkey-9.1", NULL, 0, SERVER_VALKEY, "9.1.2", 9, 1, 2, 80, "valkey 9.1.2" },
	{ "redis-8.6", NULL, 0, SERVER_REDIS, "8.6.3", 8, 6, 3, 13, "redis 8.6.3" },
	/* releases beyond the matrix */
	{ NULL, "# Server\r\nredis_version:6.2.14\r\n", 0, SERVER_REDIS, "6.2.14", 6, 2, 14, 9, "redis 6.2.14" },
	{ NULL, "redis_version:7.2.4\r\n", 0, SERVER_REDIS, "7.2.4", 7, 2, 4, 11, "redis 7.2.4" },
	{ NULL, "redis_version:7.4.2\r\n", 0, SERVER_REDIS, "7.4.2", 7, 4, 2, 12, "redis 7.4.2" },
	{ NULL, "redis_version:8.2.1\n", 0, SERVER_REDIS, "8.2.1", 8, 2, 1, 12, "redis 8.2.1" },
	{ NULL, "redis_version:8.4.0\n", 0, SERVER_REDIS, "8.4.0", 8, 4, 0, 12, "redis 8.4.0" },
	{ NULL, "redis_version:8.6.3\n", 0, SERVER_REDIS, "8.6.3", 8, 6, 3, 13, "redis 8.6.3" },
	{ NULL, "redis_version:8.8.0\n", 0, SERVER_REDIS, "8.8.0", 8, 8, 0, 14, "redis 8.8.0" },
	{ NULL, "redis_version:9.0.0\n", 0, SERVER_REDIS, "9.0.0", 9, 0, 0, 14, "redis 9.0.0" },
	{ NULL, "redis_version:4.0.14\n", 0, SERVER_REDIS, "4.0.14", 4, 0, 14, -1, "redis 4.0.14" },
	{ NULL, "redis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:7.2.4\r\n", 0, SERVER_VALKEY,
	  "7.2.4", 7, 2, 4, 11, "valkey 7.2.4" },
	{ NULL, "redis_version:7.2.4\nvalkey_version:8.1.3\n", 0, SERVER_VALKEY, "8.1.3", 8, 1, 3, 11,
	  "valkey 8.1.3" },
	{ NULL, "redis_version:7.2.4\nvalkey_version:9.0.0\n", 0, SERVER_VALKEY, "9.0.0", 9, 0, 0, 80,
	  "valkey 9.0.0" },
	{ NULL, "redis_version:8.4.0-rc1\n", 0, SERVER_REDIS, "8.4.0-rc1", 8, 4, 0, 12, "redis 8.4.0-rc1" },
	{ NULL, "redis_version:8.4\n", 0, SERVER_REDIS, "8.4", 8, 4, 0, 12, "redis 8.4" },
	/* valkey_version decides even when it comes after redis_version, and
	 * a field merely starting with the name is not it */
	{ NULL, "redis_version:7.2.4\nvalkey_version_x:1\nvalkey_version:9.1.0\n", 0, SERVER_VALKEY,
	  "9.1.0", 9, 1, 0, 80, "valkey 9.1.0" },
	/* nothing to go by */
	{ NULL, "", -1, SERVER_UNKNOWN, "", 0, 0, 0, -1, "unknown" },
	{ NULL, "# Server\r\nuptime_in_seconds:3\r\n", -1, SERVER_UNKNOWN, "", 0, 0, 0, -1, "unknown" },
	{ NULL, "redis_version:abc\n", -1, SERVER_UNKNOWN, "", 0, 0, 0, -1, "unknown" },
	{ NULL, "redis_version:8\n", -1, SERVER_UNKNOWN, "", 0, 0, 0, -1, "unknown" },
	{ NULL, "redis_version:\n", -1, SERVER_UNKNOWN, "", 0, 0, 0, -1, "unknown" },
	{ NULL, "redis_version:7.0.15\nvalkey_version:-1.2\n", -1, SERVER_UNKNOWN, "", 0, 0, 0, -1, "unknown" },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind_case *c = &kinds[i];
		char *text = c->fixture ? fixture_read_in("tests/fixtures/info", c->fixture) : NULL;
		struct server_kind k;
		char buf[64];
		int rc = server_kind_parse(&k, text ? text : c->text);
		const char *what = c->fixture ? c->fixture : c->text;

		if (rc != c->rc || k.family != c->family || strcmp(k.version, c->version) ||
		    server_kind_dump_version(&k) != c->dump)
			fprintf(stderr, "case %zu (%s)\n", i, what);
		CHECK_INT(rc, c->rc);
		CHECK_INT(k.family, c->family);
		CHECK_STR(k.version, c->version);
		CHECK_INT(k.major, c->major);
		CHECK_INT(k.minor, c->minor);
		CHECK_INT(k.patch, c->patch);
		CHECK_INT(server_kind_dump_version(&k), c->dump);
		CHECK_STR(server_kind_format(&k, buf, sizeof(buf)), c->shown);
		free(text);
	}
	{
		struct server_kind k;
		CHECK_INT(server_kind_parse(&k, NULL), -1);
		CHECK_INT(k.family, SERVER_UNKNOWN);
	}
}

/* What a server accepts, version by version. */
struct accept_case {
	const char *text;
	int v, want;
};

static const struct accept_case accepts[] = {
	{ "redis_version:7.0.15", 9, 1 },   { "redis_version:7.0.15", 10, 1 },
	{ "redis_version:7.0.15", 11, 0 },  { "redis_version:7.0.15", 80, 0 },
	{ "redis_version:8.0.6", 12, 1 },   { "redis_version:8.0.6", 13, 0 },
	{ "redis_version:8.6.3", 13, 1 },   { "redis_version:8.6.3", 80, 0 },
	{ "valkey_version:8.0.1", 11, 1 },  { "valkey_version:8.0.1", 12, 0 },
	{ "valkey_version:8.0.1", 80, 0 },  { "valkey_version:9.1.2", 10, 1 },
	{ "valkey_version:9.1.2", 11, 1 },  { "valkey_version:9.1.2", 12, 0 },
	{ "valkey_version:9.1.2", 13, 0 },  { "valkey_version:9.1.2", 79, 0 },
	{ "valkey_version:9.1.2", 80, 1 },  { "valkey_version:9.1.2", 81, 0 },
	{ "", 10, -1 },
};

static void test_accepts(void)
{
	for (size_t i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		struct server_kind k;
		int got;
		server_kind_parse(&k, accepts[i].text);
		got = server_kind_accepts(&k, accepts[i].v);
		if (got != accepts[i].want)
			fprintf(stderr, "'%s' accepting %d\n", accepts[i].text, accepts[i].v);
		CHECK_INT(got, accepts[i].want);
	}
}

/* Moves between the servers of the matrix, and beyond: allowed[i][j] says
 * whether keys may go from server i to server j. */
static const char *const servers[] = {
	"redis_version:7.0.15",              /* 10 */
	"valkey_version:8.0.1",              /* 11 */
	"redis_version:7.2.4",               /* 11 */
	"redis_version:8.0.6",               /* 12 */
	"redis_version:8.6.3",               /* 13 */
	"valkey_version:9.1.2",              /* 80 */
	"",                                  /* unknown */
};
#define NSERVERS (int)(sizeof(servers) / sizeof(servers[0]))

static const int allowed[NSERVERS][NSERVERS] = {
	/* to:  r7.0 v8.0 r7.2 r8.0 r8.6 v9.1 unknown */
	{ 1, 1, 1, 1, 1, 1, 1 }, /* from redis 7.0: everyone reads 10 */
	{ 0, 1, 1, 1, 1, 1, 1 }, /* from valkey 8.0 (11) */
	{ 0, 1, 1, 1, 1, 1, 1 }, /* from redis 7.2 (11) */
	{ 0, 0, 0, 1, 1, 0, 1 }, /* from redis 8.0 (12): valkey 9 calls it foreign */
	{ 0, 0, 0, 0, 1, 0, 1 }, /* from redis 8.6 (13) */
	{ 0, 0, 0, 0, 0, 1, 1 }, /* from valkey 9.1 (80) */
	{ 1, 1, 1, 1, 1, 1, 1 }, /* from unknown: not judged */
};

static void test_can_receive(void)
{
	struct server_kind k[NSERVERS];

	for (int i = 0; i < NSERVERS; i++)
		server_kind_parse(&k[i], servers[i]);
	for (int i = 0; i < NSERVERS; i++)
		for (int j = 0; j < NSERVERS; j++) {
			int got = server_kind_can_receive(&k[i], &k[j]);
			if (got != allowed[i][j])
				fprintf(stderr, "from '%s' to '%s'\n", servers[i], servers[j]);
			CHECK_INT(got, allowed[i][j]);
		}
}

int main(void)
{
	test_parse();
	test_accepts();
	test_can_receive();
	return UNIT_DONE("server_kind");
}
