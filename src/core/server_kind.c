/* server_kind.c - see server_kind.h */
#include "core/server_kind.h"

#include <stdio.h>
#include <string.h>

/* The value of "field:value" in an INFO text into out (at most len-1
 * characters, up to the end of the line); -1 when the field is absent. */
static int field(const char *info, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t v;
		if (strncmp(p, name, n) != 0 || p[n] != ':')
			continue;
		v = strcspn(p + n + 1, "\r\n");
		if (v >= len)
			v = len - 1;
		memcpy(out, p + n + 1, v);
		out[v] = '\0';
		return 0;
	}
	return -1;
}

/* "X.Y.Z" (Z optional; anything after it ignored, as in "8.4.0-rc1")
 * into k; major and minor are required. */
static int parse_version(struct server_kind *k, const char *s)
{
	int v[3] = { 0, 0, 0 }, n;

	if (*s < '0' || *s > '9')
		return -1;
	n = sscanf(s, "%5d.%5d.%5d", &v[0], &v[1], &v[2]);
	if (n < 2 || v[1] < 0 || v[2] < 0)
		return -1;
	k->major = v[0];
	k->minor = v[1];
	k->patch = v[2];
	return 0;
}

int server_kind_parse(struct server_kind *k, const char *info)
{
	char v[sizeof(k->version)];

	memset(k, 0, sizeof(*k));
	if (!info)
		return -1;
	if (field(info, "valkey_version", v, sizeof(v)) == 0)
		k->family = SERVER_VALKEY;
	else if (field(info, "redis_version", v, sizeof(v)) == 0)
		k->family = SERVER_REDIS;
	else
		return -1;
	if (parse_version(k, v) < 0) {
		memset(k, 0, sizeof(*k));
		return -1;
	}
	snprintf(k->version, sizeof(k->version), "%s", v);
	return 0;
}

const char *server_family_name(enum server_family f)
{
	return f == SERVER_REDIS ? "redis" : f == SERVER_VALKEY ? "valkey" : "unknown";
}

const char *server_kind_format(const struct server_kind *k, char *buf, int len)
{
	if (k->family == SERVER_UNKNOWN)
		snprintf(buf, (size_t)len, "unknown");
	else
		snprintf(buf, (size_t)len, "%s %s", server_family_name(k->family), k->version);
	return buf;
}

/* major * 100 + minor, for comparing releases */
static int release(const struct server_kind *k)
{
	return k->major * 100 + (k->minor < 100 ? k->minor : 99);
}

int server_kind_dump_version(const struct server_kind *k)
{
	int r = release(k);

	switch (k->family) {
	case SERVER_REDIS:
		if (r >= 808)
			return 14;
		if (r >= 806)
			return 13;
		if (r >= 703)
			return 12; /* 7.3.x were the 7.4 release candidates */
		if (r >= 701)
			return 11; /* 7.1.x were the 7.2 release candidates */
		if (r >= 700)
			return 10;
		if (r >= 500)
			return 9;
		return -1;
	case SERVER_VALKEY:
		return k->major >= 9 ? 80 : 11;
	case SERVER_UNKNOWN:
		break;
	}
	return -1;
}

int server_kind_accepts(const struct server_kind *k, int v)
{
	int own = server_kind_dump_version(k);

	if (own < 0)
		return -1;
	if (k->family == SERVER_VALKEY && own == 80)
		return v <= 11 || v == 80;
	return v <= own;
}

int server_kind_can_receive(const struct server_kind *from, const struct server_kind *to)
{
	int v = server_kind_dump_version(from);

	if (v < 0)
		return 1;
	return server_kind_accepts(to, v) != 0;
}
