/* server_image.c - see server_image.h */
#include "core/server_image.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Leading "MAJOR[.MINOR[.PATCH]]" of s into k (the rest, e.g. "-alpine",
 * ignored); how many parts were read, 0 when s does not start with one. */
static int parse_numbers(struct server_kind *k, const char *s)
{
	int *part[3] = { &k->major, &k->minor, &k->patch };
	const char *start = s;
	int i = 0;

	while (i < 3 && isdigit((unsigned char)*s)) {
		char *end;
		long n = strtol(s, &end, 10);

		*part[i++] = n > 100000 ? 100000 : (int)n;
		s = end;
		if (*s != '.' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	snprintf(k->version, sizeof(k->version), "%.*s", (int)(s - start), start);
	return i;
}

int server_kind_from_image(struct server_kind *k, const char *repository, const char *tag, const char *flavor)
{
	const char *base = strrchr(repository, '/');

	memset(k, 0, sizeof(*k));
	base = base ? base + 1 : repository;
	if (flavor && *flavor)
		k->family = strcmp(flavor, "valkey") == 0 ? SERVER_VALKEY
			    : strcmp(flavor, "redis") == 0 ? SERVER_REDIS
							   : SERVER_UNKNOWN;
	else if (strstr(base, "valkey"))
		k->family = SERVER_VALKEY;
	else if (strstr(base, "redis"))
		k->family = SERVER_REDIS;
	if (!tag || parse_numbers(k, tag) < 2 || k->family == SERVER_UNKNOWN) {
		enum server_family f = k->family;
		memset(k, 0, sizeof(*k));
		k->family = f;
		return -1;
	}
	return 0;
}
