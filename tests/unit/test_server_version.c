/* test_server_version.c - which server an image or a node is, which data
 * version it writes, and which image changes upgrade-check refuses. */
#include "core/server_version.h"
#include "unit.h"

static int image_rdb(const char *image, const char *flavor)
{
	struct server_version v;
	char repo[200], tag[100];

	server_image_split(image, repo, sizeof(repo), tag, sizeof(tag));
	if (server_version_from_image(&v, repo, tag, flavor) < 0)
		return -1;
	return server_rdb_version(&v);
}

/* 1 when image `to` can run over a node that reports (name, version) */
static int allowed(const char *name, const char *version, const char *to)
{
	struct server_version from, t;
	char repo[200], tag[100];

	if (server_version_parse(&from, name, version) < 0)
		return -2;
	server_image_split(to, repo, sizeof(repo), tag, sizeof(tag));
	if (server_version_from_image(&t, repo, tag, NULL) < 0)
		return -1;
	return server_can_load(&t, server_rdb_version(&from));
}

int main(void)
{
	struct server_version v;
	char repo[200], tag[100], buf[64];

	/* image references */
	server_image_split("valkey/valkey:9.1.3", repo, sizeof(repo), tag, sizeof(tag));
	CHECK_STR(repo, "valkey/valkey");
	CHECK_STR(tag, "9.1.3");
	server_image_split("registry.local:5000/cache/redis:7.2-alpine", repo, sizeof(repo), tag, sizeof(tag));
	CHECK_STR(repo, "registry.local:5000/cache/redis");
	CHECK_STR(tag, "7.2-alpine");
	server_image_split("registry.local:5000/redis", repo, sizeof(repo), tag, sizeof(tag));
	CHECK_STR(repo, "registry.local:5000/redis");
	CHECK_STR(tag, "");
	server_image_split("redis@sha256:abcd", repo, sizeof(repo), tag, sizeof(tag));
	CHECK_STR(repo, "redis");
	CHECK_STR(tag, "");
	server_image_split("redis:8.0.2@sha256:abcd", repo, sizeof(repo), tag, sizeof(tag));
	CHECK_STR(repo, "redis");
	CHECK_STR(tag, "8.0.2");

	/* data versions of images (research/server-generations.md) */
	CHECK_INT(image_rdb("redis:7.0.15", NULL), 10);
	CHECK_INT(image_rdb("redis:7.2", NULL), 11);
	CHECK_INT(image_rdb("docker.io/library/redis:7.4.2-bookworm", NULL), 12);
	CHECK_INT(image_rdb("redis:8.0", NULL), 12);
	CHECK_INT(image_rdb("redis:8.6.1", NULL), 13);
	CHECK_INT(image_rdb("valkey/valkey:8.0.1", NULL), 11);
	CHECK_INT(image_rdb("valkey/valkey:8.1-alpine", NULL), 11);
	CHECK_INT(image_rdb("valkey/valkey:9.1.3", NULL), 80);
	CHECK_INT(image_rdb("ghcr.io/acme/cache:9.0", "valkey"), 80);
	/* not told: no minor, no tag, a digest, an unknown name */
	CHECK_INT(image_rdb("valkey/valkey:9", NULL), -1);
	CHECK_INT(image_rdb("valkey/valkey:latest", NULL), -1);
	CHECK_INT(image_rdb("valkey/valkey@sha256:00", NULL), -1);
	CHECK_INT(image_rdb("ghcr.io/acme/cache:9.0", NULL), -1);

	/* nodes as INFO server describes them */
	CHECK_INT(server_version_parse(&v, NULL, "7.0.15"), 0);
	CHECK_STR(server_version_format(&v, buf, sizeof(buf)), "redis 7.0.15");
	CHECK_INT(server_version_parse(&v, "valkey", "9.1.2"), 0);
	CHECK_STR(server_version_format(&v, buf, sizeof(buf)), "valkey 9.1.2");
	CHECK_INT(server_version_parse(&v, "keydb", "6.3.4"), -1);
	CHECK_INT(server_version_parse(&v, NULL, "x"), -1);

	/* the changes: upgrades allowed, downgrades of the format refused */
	CHECK_INT(allowed(NULL, "7.0.15", "valkey/valkey:9.1.3"), 1);  /* 10 -> Valkey 9 */
	CHECK_INT(allowed(NULL, "7.0.15", "redis:7.2.5"), 1);
	CHECK_INT(allowed(NULL, "7.2.4", "valkey/valkey:8.0.1"), 1);    /* 11 -> 11 */
	CHECK_INT(allowed("valkey", "8.0.1", "valkey/valkey:9.0.0"), 1);
	CHECK_INT(allowed("valkey", "8.1.1", "redis:7.2"), 1);          /* 11 -> 11 */
	CHECK_INT(allowed("valkey", "9.1.2", "valkey/valkey:9.0.7"), 1); /* 80 -> 80 */
	CHECK_INT(allowed(NULL, "8.0.6", "redis:8.2"), 1);
	CHECK_INT(allowed(NULL, "8.0.6", "redis:7.2"), 0);              /* 12 -> 11 */
	CHECK_INT(allowed(NULL, "7.2.4", "redis:7.0.15"), 0);           /* 11 -> 10 */
	CHECK_INT(allowed("valkey", "9.1.2", "valkey/valkey:8.1"), 0);   /* 80 -> 11 */
	CHECK_INT(allowed("valkey", "9.1.2", "redis:8.6"), 0);          /* 80 -> 13 */
	CHECK_INT(allowed(NULL, "7.4.1", "valkey/valkey:9.1.3"), 0);    /* 12: foreign to Valkey 9 */
	CHECK_INT(allowed(NULL, "8.0.6", "valkey/valkey:8.1"), 0);      /* 12 -> 11 */
	CHECK_INT(allowed(NULL, "7.0.15", "redis:latest"), -1);         /* not judged */
	return UNIT_DONE("test_server_version");
}
