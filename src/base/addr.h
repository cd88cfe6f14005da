/* addr.h - "host:port" addresses and comma-separated lists of them.
 *
 * Hosts may be IPv4 literals, bracketed IPv6 literals ("[::1]:6379") or DNS
 * names; names are never resolved here (the connection layer resolves them at
 * every attempt, since pod IPs change).  Pure: no I/O.
 */
#ifndef SHARDCTL_ADDR_H
#define SHARDCTL_ADDR_H

#include "base/err.h"

#define ADDR_HOST_MAX 256

struct addr {
	char host[ADDR_HOST_MAX]; /* without brackets */
	int port;
};

/* Parse "host:port".  Refuses (ERR_REFUSED) empty hosts, missing or
 * non-numeric ports and ports outside 1..65535. */
int addr_parse(struct addr *a, const char *text, struct sc_err *e);

/* Format as "host:port" ("[v6]:port" for IPv6) into buf; returns buf. */
char *addr_format(const struct addr *a, char *buf, int len);
/* addr_format in single quotes: how messages name an address ("'h:p'") */
char *addr_label(const struct addr *a, char *buf, int len);

int addr_equal(const struct addr *a, const struct addr *b);

struct addr_list {
	struct addr *v;
	int n;
};

/* Parse "h1:p1,h2:p2,...".  Refuses an empty list, empty items and
 * duplicates.  On success the caller owns the list (addr_list_release). */
int addr_list_parse(struct addr_list *l, const char *text, struct sc_err *e);
void addr_list_release(struct addr_list *l);
/* Index of `a` in the list, or -1. */
int addr_list_find(const struct addr_list *l, const struct addr *a);

/* The numeric IP `host` resolves to now (names resolve at every call: pod
 * IPs change).  0, or -1 with e (ERR_IO) naming the host. */
int addr_resolve_ip(const char *host, char *out, int len, struct sc_err *e);

#endif
