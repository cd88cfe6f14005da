/* addr.c - see addr.h */
#include "base/addr.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int addr_parse(struct addr *a, const char *text, struct sc_err *e)
{
	const char *colon, *host = text;
	size_t hlen;
	char *end;
	long port;

	if (!text || !*text)
		return err_set(e, ERR_REFUSED, "empty address (expected host:port)");
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			return err_set(e, ERR_REFUSED, "malformed address '%s' (expected [ipv6]:port)", text);
		host = text + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return err_set(e, ERR_REFUSED, "malformed address '%s' (expected host:port)", text);
		hlen = (size_t)(colon - text);
		if (memchr(text, ':', hlen))
			return err_set(e, ERR_REFUSED, "malformed address '%s' (write IPv6 as [addr]:port)", text);
	}
	if (hlen == 0)
		return err_set(e, ERR_REFUSED, "malformed address '%s': empty host", text);
	if (hlen >= sizeof(a->host))
		return err_set(e, ERR_REFUSED, "malformed address '%s': host too long", text);
	if (!colon[1])
		return err_set(e, ERR_REFUSED, "malformed address '%s': missing port", text);
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return err_set(e, ERR_REFUSED, "malformed address '%s': port must be 1..65535", text);
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	a->port = (int)port;
	return 0;
}

char *addr_format(const struct addr *a, char *buf, int len)
{
	if (strchr(a->host, ':'))
		snprintf(buf, (size_t)len, "[%s]:%d", a->host, a->port);
	else
		snprintf(buf, (size_t)len, "%s:%d", a->host, a->port);
	return buf;
}

char *addr_label(const struct addr *a, char *buf, int len)
{
	char f[ADDR_HOST_MAX + 16];

	snprintf(buf, (size_t)len, "'%s'", addr_format(a, f, sizeof(f)));
	return buf;
}

int addr_equal(const struct addr *a, const struct addr *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

int addr_list_find(const struct addr_list *l, const struct addr *a)
{
	for (int i = 0; i < l->n; i++)
		if (addr_equal(&l->v[i], a))
			return i;
	return -1;
}

int addr_list_parse(struct addr_list *l, const char *text, struct sc_err *e)
{
	char *copy = NULL, *item, *save = NULL;
	int cap = 0, rc = -1;

	l->v = NULL;
	l->n = 0;
	if (!text || !*text)
		return err_set(e, ERR_REFUSED, "empty node list (expected host:port,host:port,...)");
	copy = strdup(text);
	if (!copy)
		return err_set(e, ERR_FAIL, "out of memory");
	for (const char *p = text; *p; p++)
		if (*p == ',' && (p == text || p[1] == ',' || p[1] == '\0')) {
			err_set(e, ERR_REFUSED, "empty item in node list '%s'", text);
			goto out;
		}
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		struct addr a;
		if (addr_parse(&a, item, e) < 0)
			goto out;
		if (addr_list_find(l, &a) >= 0) {
			err_set(e, ERR_REFUSED, "node '%s' appears twice in the node list", item);
			goto out;
		}
		if (l->n == cap) {
			int ncap = cap ? cap * 2 : 8;
			struct addr *tmp = realloc(l->v, (size_t)ncap * sizeof(*tmp));
			if (!tmp) {
				err_set(e, ERR_FAIL, "out of memory");
				goto out;
			}
			l->v = tmp;
			cap = ncap;
		}
		l->v[l->n++] = a;
	}
	rc = 0;
out:
	free(copy);
	if (rc < 0)
		addr_list_release(l);
	return rc;
}

void addr_list_release(struct addr_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int addr_resolve_ip(const char *host, char *out, int len, struct sc_err *e)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0 || !res)
		return err_set(e, ERR_IO, "cannot resolve '%s': %s", host, gai_strerror(rc));
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	return rc == 0 ? 0 : err_set(e, ERR_IO, "cannot resolve '%s'", host);
}
