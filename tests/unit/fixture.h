/* fixture.h - CLUSTER NODES replies captured from real redis-server 7.0
 * clusters (tests/fixtures/nodes/NAME.txt; FIXTURES overrides the folder),
 * INFO server replies of the server matrix (tests/fixtures/info), and hand
 * edits of them.  A missing fixture ends the test binary: a test
 * that cannot read its input fails, it does not pass silently. */
#ifndef SHARDCTL_FIXTURE_H
#define SHARDCTL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file DIR/NAME.txt, NUL-terminated; the caller frees it. */
static inline char *fixture_read_in(const char *dir, const char *name)
{
	char path[512], *buf;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open fixture '%s'\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "cannot read fixture '%s'\n", path);
		exit(1);
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* A CLUSTER NODES fixture (tests/fixtures/nodes, or FIXTURES). */
static inline char *fixture_read(const char *name)
{
	const char *dir = getenv("FIXTURES");
	return fixture_read_in(dir ? dir : "tests/fixtures/nodes", name);
}

/* s with its first `from` replaced by `to`; frees s.  `from` must occur. */
static inline char *fixture_edit(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from), *out;
	size_t head;

	if (!at) {
		fprintf(stderr, "fixture edit: '%s' not found\n", from);
		exit(1);
	}
	head = (size_t)(at - s);
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	if (!out)
		exit(1);
	memcpy(out, s, head);
	strcpy(out + head, to);
	strcat(out, at + strlen(from));
	free(s);
	return out;
}

#endif
