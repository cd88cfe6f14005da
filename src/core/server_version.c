/* server_version.c - see server_version.h. */
#include "core/server_version.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum server_flavor server_flavor_parse(const char *name)
{
	if (!name || !*name || strcmp(name, "redis") == 0)
		return FLAVOR_REDIS;
	if (strcmp(name, "valkey") == 0)
		return FLAVOR_VALKEY;
	return FLAVOR_UNKNOWN;
}

const char *server_flavor_name(enum server_flavor f)
{
	return f == FLAVOR_REDIS ? "redis" : f == FLAVOR_VALKEY ? "valkey" : "unknown";
}

/* Leading "MAJOR[.MINOR[.PATCH]]" of s; the rest (e.g. "-alpine") is
 * ignored.  Returns how many parts were read (0 when s does not start with a
 * number); has_minor is set when there were two or more. */
static int parse_numbers(struct server_version *v, const char *s)
{
	int *part[3] = { &v->major, &v->minor, &v->patch };
	int i = 0;

	v->major = v->minor = v->patch = 0;
	while (i < 3 && isdigit((unsigned char)*s)) {
		char *end;
		long n = strtol(s, &end, 10);

		*part[i++] = n > 100000 ? 100000 : (int)n;
		s = end;
		if (*s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	v->has_minor = i >= 2;
	return i;
}

int server_version_parse(struct server_version *v, const char *name, const char *version)
{
	memset(v, 0, sizeof(*v));
	v->flavor = server_flavor_parse(name);
	if (v->flavor == FLAVOR_UNKNOWN || !version || parse_numbers(v, version) < 2)
		return -1;
	return 0;
}

void server_image_split(const char *image, char *repo, int rlen, char *tag, int tlen)
{
	const char *at = strchr(image, '@');
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(image, ':');
	size_t n;

	if (at) { /* a digest pins the image but says no version */
		n = (size_t)(at - image);
		snprintf(tag, (size_t)tlen, "%s", "");
	} else if (colon && (!slash || colon > slash)) {
		n = (size_t)(colon - image);
		snprintf(tag, (size_t)tlen, "%s", colon + 1);
	} else {
		n = strlen(image);
		snprintf(tag, (size_t)tlen, "%s", "");
	}
	if (n >= (size_t)rlen)
		n = (size_t)rlen - 1;
	memcpy(repo, image, n);
	repo[n] = '\0';
	/* REPO:TAG@digest: the tag is still there, before the '@' */
	if (at) {
		slash = strrchr(repo, '/');
		if ((colon = strrchr(repo, ':')) && (!slash || colon > slash)) {
			snprintf(tag, (size_t)tlen, "%s", colon + 1);
			repo[colon - repo] = '\0';
		}
	}
}

int server_version_from_image(struct server_version *v, const char *repository, const char *tag,
			      const char *flavor)
{
	const char *base = strrchr(repository, '/');

	memset(v, 0, sizeof(*v));
	base = base ? base + 1 : repository;
	if (flavor && *flavor)
		v->flavor = server_flavor_parse(flavor);
	else if (strstr(base, "valkey"))
		v->flavor = FLAVOR_VALKEY;
	else if (strstr(base, "redis"))
		v->flavor = FLAVOR_REDIS;
	/* "8" may be any 8.x: too vague for the data format */
	if (!tag || parse_numbers(v, tag) < 2)
		return -1;
	return v->flavor != FLAVOR_UNKNOWN ? 0 : -1;
}

int server_rdb_version(const struct server_version *v)
{
	if (!v->has_minor)
		return -1;
	if (v->flavor == FLAVOR_VALKEY)
		return v->major >= 9 ? 80 : 11; /* Valkey 7.2 and 8.x write 11 */
	if (v->flavor != FLAVOR_REDIS)
		return -1;
	if (v->major < 7)
		return 9; /* Redis 6.x (and older: read by everything here) */
	if (v->major == 7)
		return v->minor == 0 ? 10 : v->minor <= 2 ? 11 : 12;
	if (v->major == 8 && v->minor < 6)
		return 12;
	return 13; /* Redis 8.6 and, as far as is known here, later */
}

int server_can_load(const struct server_version *to, int rdb)
{
	int own = server_rdb_version(to);

	if (own < 0 || rdb < 0)
		return 1; /* unknown: the caller warns */
	if (to->flavor == FLAVOR_VALKEY && own >= 80)
		return rdb <= 11 || (rdb >= 80 && rdb <= own);
	return rdb <= own;
}

const char *server_version_format(const struct server_version *v, char *buf, int len)
{
	if (!v->has_minor)
		snprintf(buf, (size_t)len, "%s %d", server_flavor_name(v->flavor), v->major);
	else if (v->patch)
		snprintf(buf, (size_t)len, "%s %d.%d.%d", server_flavor_name(v->flavor), v->major, v->minor, v->patch);
	else
		snprintf(buf, (size_t)len, "%s %d.%d", server_flavor_name(v->flavor), v->major, v->minor);
	return buf;
}
