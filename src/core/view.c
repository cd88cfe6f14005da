/* view.c - the CLUSTER NODES parser (view_parse in topo.h) and node entries.
 *
 * The parser is hand-written (no sscanf/strtok) because a survey of a
 * 1000-node cluster parses 1000 replies of 1000 lines each.  Every field is
 * checked; the first bad one makes the whole reply an error naming the line.
 */
#include "core/topo.h"
#include "base/vec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- parsing */

struct field {
	const char *p;
	size_t len;
};

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int parse_id(const struct field *f, char *out)
{
	if (f->len != NODE_ID_LEN)
		return -1;
	for (size_t i = 0; i < NODE_ID_LEN; i++)
		if (!is_hex(f->p[i]))
			return -1;
	memcpy(out, f->p, NODE_ID_LEN);
	out[NODE_ID_LEN] = '\0';
	return 0;
}

/* Unsigned decimal, the whole field, at most `max`. */
static int parse_ull(const char *p, size_t len, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_int_max(const char *p, size_t len, int max, int *out)
{
	unsigned long long v;

	if (parse_ull(p, len, (unsigned long long)max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* "ip:port@cport[,hostname[,...]]"; ip may be empty (noaddr) or an IPv6
 * literal without brackets, so the port follows the LAST ':' before '@'.
 * The "@cport" part is optional (older servers). */
static int parse_addr(const struct field *f, struct node_entry *n, const char **why)
{
	const char *p = f->p, *end = f->p + f->len;
	const char *comma = memchr(p, ',', f->len);
	const char *hp_end = comma ? comma : end;
	const char *at = memchr(p, '@', (size_t)(hp_end - p));
	const char *port_end = at ? at : hp_end;
	const char *colon = NULL;

	for (const char *q = port_end; q > p; q--)
		if (q[-1] == ':') {
			colon = q - 1;
			break;
		}
	if (!colon) {
		*why = "address without ':port'";
		return -1;
	}
	if ((size_t)(colon - p) >= sizeof(n->ip)) {
		*why = "address too long";
		return -1;
	}
	memcpy(n->ip, p, (size_t)(colon - p));
	n->ip[colon - p] = '\0';
	if (parse_int_max(colon + 1, (size_t)(port_end - colon - 1), 65535, &n->port) < 0) {
		*why = "bad port";
		return -1;
	}
	n->cport = 0;
	if (at && parse_int_max(at + 1, (size_t)(hp_end - at - 1), 65535, &n->cport) < 0) {
		*why = "bad cluster bus port";
		return -1;
	}
	n->hostname[0] = '\0';
	if (comma) {
		const char *h = comma + 1;
		const char *hend = memchr(h, ',', (size_t)(end - h));
		size_t hlen;

		if (!hend)
			hend = end;
		hlen = (size_t)(hend - h);
		/* later servers may append key=value aux fields: not a hostname */
		if (memchr(h, '=', hlen))
			hlen = 0;
		if (hlen >= sizeof(n->hostname)) {
			*why = "hostname too long";
			return -1;
		}
		memcpy(n->hostname, h, hlen);
		n->hostname[hlen] = '\0';
	}
	return 0;
}

static const struct {
	const char *name;
	size_t len;
	unsigned flag;
} flag_names[] = {
	{ "myself", 6, NF_MYSELF },
	{ "master", 6, NF_MASTER },
	{ "slave", 5, NF_REPLICA },
	{ "fail?", 5, NF_PFAIL },
	{ "fail", 4, NF_FAIL },
	{ "handshake", 9, NF_HANDSHAKE },
	{ "noaddr", 6, NF_NOADDR },
	{ "nofailover", 10, NF_NOFAILOVER },
	{ "noflags", 7, 0 },
};

/* Unknown flag names are ignored (later servers add some); empty ones are
 * malformed. */
static int parse_flags(const struct field *f, unsigned *out)
{
	const char *p = f->p, *end = f->p + f->len;
	unsigned flags = 0;

	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t len;

		if (!c)
			c = end;
		len = (size_t)(c - p);
		if (len == 0)
			return -1;
		for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (flag_names[i].len == len && !memcmp(flag_names[i].name, p, len)) {
				flags |= flag_names[i].flag;
				break;
			}
		p = c + 1;
	}
	*out = flags;
	return 0;
}

static int grow(void **v, int *cap, int need, size_t size)
{
	return vec_grow(v, cap, need, size, 4);
}

/* One slot field: "N", "N-M", "[N->-id]" or "[N-<-id]". */
static int parse_slot(const struct field *f, struct node_entry *n, int *rcap, int *ocap,
		      const char **why)
{
	const char *p = f->p;
	size_t len = f->len;

	if (len > 0 && p[0] == '[') {
		const char *dash;
		struct open_slot o;
		struct field id;

		if (len < 2 || p[len - 1] != ']')
			goto bad;
		dash = memchr(p + 1, '-', len - 2);
		if (!dash || dash + 2 >= p + len - 1)
			goto bad;
		if (parse_int_max(p + 1, (size_t)(dash - p - 1), CLUSTER_SLOTS - 1, &o.slot) < 0)
			goto bad;
		if (dash[1] == '>' && dash[2] == '-')
			o.kind = OPEN_MIGRATING;
		else if (dash[1] == '<' && dash[2] == '-')
			o.kind = OPEN_IMPORTING;
		else
			goto bad;
		id.p = dash + 3;
		id.len = (size_t)(p + len - 1 - id.p);
		if (parse_id(&id, o.peer) < 0)
			goto bad;
		if (grow((void **)&n->open, ocap, n->nopen + 1, sizeof(*n->open)) < 0) {
			*why = "out of memory";
			return -1;
		}
		n->open[n->nopen++] = o;
		return 0;
	} else {
		const char *dash = memchr(p, '-', len);
		struct slot_range r;

		if (dash) {
			if (parse_int_max(p, (size_t)(dash - p), CLUSTER_SLOTS - 1, &r.first) < 0 ||
			    parse_int_max(dash + 1, (size_t)(p + len - dash - 1), CLUSTER_SLOTS - 1,
					  &r.last) < 0 ||
			    r.last < r.first)
				goto bad;
		} else {
			if (parse_int_max(p, len, CLUSTER_SLOTS - 1, &r.first) < 0)
				goto bad;
			r.last = r.first;
		}
		if (grow((void **)&n->ranges, rcap, n->nranges + 1, sizeof(*n->ranges)) < 0) {
			*why = "out of memory";
			return -1;
		}
		n->ranges[n->nranges++] = r;
		return 0;
	}
bad:
	*why = "bad slot";
	return -1;
}

void node_entry_release(struct node_entry *n)
{
	if (!n)
		return;
	free(n->ranges);
	free(n->open);
	n->ranges = NULL;
	n->open = NULL;
	n->nranges = n->nopen = 0;
}

static int cmp_open(const void *a, const void *b)
{
	const struct open_slot *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = strcmp(x->peer, y->peer);
	if (c)
		return c;
	return (x->slot > y->slot) - (x->slot < y->slot);
}

int node_entry_open_runs(const struct node_entry *n, struct open_run *out)
{
	struct open_slot *o;
	int count = 0;

	if (n->nopen == 0)
		return 0;
	o = malloc((size_t)n->nopen * sizeof(*o));
	if (!o)
		return -1;
	memcpy(o, n->open, (size_t)n->nopen * sizeof(*o));
	qsort(o, (size_t)n->nopen, sizeof(*o), cmp_open);
	for (int i = 0; i < n->nopen; i++) {
		struct open_run *r = count ? &out[count - 1] : NULL;
		if (r && r->kind == o[i].kind && !strcmp(r->peer, o[i].peer) && o[i].slot <= r->last + 1) {
			if (o[i].slot > r->last)
				r->last = o[i].slot;
			continue;
		}
		out[count].first = out[count].last = o[i].slot;
		out[count].kind = o[i].kind;
		memcpy(out[count].peer, o[i].peer, sizeof(out[count].peer));
		count++;
	}
	free(o);
	return count;
}

int node_entry_copy(struct node_entry *dst, const struct node_entry *src)
{
	*dst = *src;
	dst->ranges = NULL;
	dst->open = NULL;
	if (src->nranges) {
		dst->ranges = malloc((size_t)src->nranges * sizeof(*src->ranges));
		if (!dst->ranges)
			goto fail;
		memcpy(dst->ranges, src->ranges, (size_t)src->nranges * sizeof(*src->ranges));
	}
	if (src->nopen) {
		dst->open = malloc((size_t)src->nopen * sizeof(*src->open));
		if (!dst->open)
			goto fail;
		memcpy(dst->open, src->open, (size_t)src->nopen * sizeof(*src->open));
	}
	return 0;
fail:
	node_entry_release(dst);
	return -1;
}

#define MAX_FIELDS_FIXED 8

/* Parse one line (without its newline) into n.  On failure *why says which
 * field, *bad points at it. */
static int parse_line(const char *line, size_t len, struct node_entry *n, const char **why,
		      struct field *bad)
{
	struct field f[MAX_FIELDS_FIXED];
	const char *p = line, *end = line + len;
	unsigned long long ull;
	int nf = 0, rcap = 0, ocap = 0;

	memset(n, 0, sizeof(*n));
	/* the eight fixed fields */
	while (nf < MAX_FIELDS_FIXED) {
		const char *s;
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		s = p;
		while (p < end && *p != ' ')
			p++;
		f[nf].p = s;
		f[nf].len = (size_t)(p - s);
		nf++;
	}
	if (nf < MAX_FIELDS_FIXED) {
		*why = "too few fields";
		bad->p = line;
		bad->len = len;
		return -1;
	}
	*bad = f[0];
	if (parse_id(&f[0], n->id) < 0) {
		*why = "bad node id";
		return -1;
	}
	*bad = f[1];
	if (parse_addr(&f[1], n, why) < 0)
		return -1;
	*bad = f[2];
	if (parse_flags(&f[2], &n->flags) < 0) {
		*why = "bad flags";
		return -1;
	}
	*bad = f[3];
	if (f[3].len == 1 && f[3].p[0] == '-') {
		n->master[0] = '\0';
	} else if (parse_id(&f[3], n->master) < 0) {
		*why = "bad master id";
		return -1;
	}
	*bad = f[4];
	if (parse_ull(f[4].p, f[4].len, UINT64_MAX, &ull) < 0) {
		*why = "bad ping-sent";
		return -1;
	}
	*bad = f[5];
	if (parse_ull(f[5].p, f[5].len, UINT64_MAX, &ull) < 0) {
		*why = "bad pong-recv";
		return -1;
	}
	*bad = f[6];
	if (parse_ull(f[6].p, f[6].len, UINT64_MAX, &n->config_epoch) < 0) {
		*why = "bad config-epoch";
		return -1;
	}
	*bad = f[7];
	if (f[7].len == 9 && !memcmp(f[7].p, "connected", 9)) {
		n->connected = 1;
	} else if (f[7].len == 12 && !memcmp(f[7].p, "disconnected", 12)) {
		n->connected = 0;
	} else {
		*why = "bad link-state";
		return -1;
	}
	/* the slots */
	for (;;) {
		struct field s;
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		s.p = p;
		while (p < end && *p != ' ')
			p++;
		s.len = (size_t)(p - s.p);
		*bad = s;
		if (parse_slot(&s, n, &rcap, &ocap, why) < 0) {
			node_entry_release(n);
			return -1;
		}
	}
	return 0;
}

void view_release(struct view *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->n; i++)
		node_entry_release(&v->e[i]);
	free(v->e);
	v->e = NULL;
	v->n = 0;
	v->self = -1;
}

/* Copy at most 60 bytes of s into buf, printable characters only. */
static const char *excerpt(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 4 < size && i < 60; i++)
		buf[o++] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
	if (i < len && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

int view_parse(struct view *v, const char *text, struct sc_err *e)
{
	const char *p = text;
	int cap = 0, lineno = 0, rc = -1;

	v->e = NULL;
	v->n = 0;
	v->self = -1;
	if (!text)
		return err_set(e, ERR_FAIL, "empty CLUSTER NODES reply");
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *why = "";
		struct field bad = { p, len };
		char b1[80], b2[80];

		lineno++;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0) {
			if (grow((void **)&v->e, &cap, v->n + 1, sizeof(*v->e)) < 0) {
				err_set(e, ERR_FAIL, "out of memory parsing CLUSTER NODES");
				goto out;
			}
			if (parse_line(p, len, &v->e[v->n], &why, &bad) < 0) {
				if (bad.p == p && bad.len == len)
					err_set(e, ERR_FAIL, "malformed CLUSTER NODES line %d: %s in '%s'",
						lineno, why, excerpt(p, len, b2, sizeof(b2)));
				else
					err_set(e, ERR_FAIL,
						"malformed CLUSTER NODES line %d: %s '%s' in '%s'", lineno,
						why, excerpt(bad.p, bad.len, b1, sizeof(b1)),
						excerpt(p, len, b2, sizeof(b2)));
				goto out;
			}
			if (v->e[v->n].flags & NF_MYSELF) {
				if (v->self >= 0) {
					node_entry_release(&v->e[v->n]);
					err_set(e, ERR_FAIL,
						"malformed CLUSTER NODES line %d: a second 'myself' line",
						lineno);
					goto out;
				}
				v->self = v->n;
			}
			v->n++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (v->n == 0) {
		err_set(e, ERR_FAIL, "empty CLUSTER NODES reply");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		view_release(v);
	return rc;
}
