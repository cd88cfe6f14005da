/* test_server_image.c - which server an image holds, which data version it
 * writes, and which image changes upgrade-check refuses (the node side is
 * test_server_kind.c). */
#include "core/server_image.h"
#include "unit.h"

static int image_rdb(const char *image, const char *flavor)
{
	struct server_kind k;
	char repo[200], tag[100];

	server_image_split(image, repo, sizeof(repo), tag, sizeof(tag));
	if (server_kind_from_image(&k, repo, tag, flavor) < 0)
		return -1;
	return server_kind_dump_version(&k);
}

/* 1 when image `to` can run over a node whose INFO server is `info` */
static int allowed(const char *info, const char *to)
{
	struct server_kind from, t;
	char repo[200], tag[100];

	if (server_kind_parse(&from, info) < 0)
		return -2;
	server_image_split(to, repo, sizeof(repo), tag, sizeof(tag));
	if (server_kind_from_image(&t, repo, tag, NULL) < 0)
		return -1;
	return server_kind_accepts(&t, server_kind_dump_version(&from));
}

static const struct {
	const char *image, *repo, *tag;
} splits[] = {
	{ "valkey/valkey:9.1.3", "valkey/valkey", "9.1.3" },
	{ "registry.local:5000/cache/redis:7.2-alpine", "registry.local:5000/cache/redis", "7.2-alpine" },
	{ "registry.local:5000/redis", "registry.local:5000/redis", "" },
	{ "redis@sha256:abcd", "redis", "" },
	{ "redis:8.0.2@sha256:abcd", "redis", "8.0.2" },
};

int main(void)
{
	struct server_kind k;
	char repo[200], tag[100], buf[64];

	/* image references: REPO[:TAG][@DIGEST] */
	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		server_image_split(splits[i].image, repo, sizeof(repo), tag, sizeof(tag));
		CHECK_STR(repo, splits[i].repo);
		CHECK_STR(tag, splits[i].tag);
	}

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

	/* what an image is named as */
	server_image_split("valkey/valkey:9.1.3-alpine", repo, sizeof(repo), tag, sizeof(tag));
	CHECK_INT(server_kind_from_image(&k, repo, tag, NULL), 0);
	CHECK_STR(server_kind_format(&k, buf, sizeof(buf)), "valkey 9.1.3");
	CHECK_INT(server_kind_from_image(&k, "redis", "7.2", NULL), 0);
	CHECK_STR(server_kind_format(&k, buf, sizeof(buf)), "redis 7.2");
	CHECK_INT(server_kind_from_image(&k, "ghcr.io/acme/cache", "8.1", "keydb"), -1);
	CHECK_INT(k.family, SERVER_UNKNOWN);
	CHECK_INT(server_kind_from_image(&k, "valkey/valkey", "latest", NULL), -1);
	CHECK_INT(k.family, SERVER_VALKEY); /* the family is still told */

	/* the changes: upgrades allowed, downgrades of the format refused */
	CHECK_INT(allowed("redis_version:7.0.15", "valkey/valkey:9.1.3"), 1);  /* 10 -> Valkey 9 */
	CHECK_INT(allowed("redis_version:7.0.15", "redis:7.2.5"), 1);
	CHECK_INT(allowed("redis_version:7.2.4", "valkey/valkey:8.0.1"), 1);    /* 11 -> 11 */
	CHECK_INT(allowed("redis_version:7.2.4\nvalkey_version:8.0.1", "valkey/valkey:9.0.0"), 1);
	CHECK_INT(allowed("redis_version:7.2.4\nvalkey_version:8.1.1", "redis:7.2"), 1);          /* 11 -> 11 */
	CHECK_INT(allowed("redis_version:7.2.4\nvalkey_version:9.1.2", "valkey/valkey:9.0.7"), 1); /* 80 -> 80 */
	CHECK_INT(allowed("redis_version:8.0.6", "redis:8.2"), 1);
	CHECK_INT(allowed("redis_version:8.0.6", "redis:7.2"), 0);              /* 12 -> 11 */
	CHECK_INT(allowed("redis_version:7.2.4", "redis:7.0.15"), 0);           /* 11 -> 10 */
	CHECK_INT(allowed("redis_version:7.2.4\nvalkey_version:9.1.2", "valkey/valkey:8.1"), 0);   /* 80 -> 11 */
	CHECK_INT(allowed("redis_version:7.2.4\nvalkey_version:9.1.2", "redis:8.6"), 0);          /* 80 -> 13 */
	CHECK_INT(allowed("redis_version:7.4.1", "valkey/valkey:9.1.3"), 0);    /* 12: foreign to Valkey 9 */
	CHECK_INT(allowed("redis_version:8.0.6", "valkey/valkey:8.1"), 0);      /* 12 -> 11 */
	CHECK_INT(allowed("redis_version:7.0.15", "redis:latest"), -1);         /* not judged */
	return UNIT_DONE("test_server_image");
}
