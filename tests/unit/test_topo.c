/* The CLUSTER NODES parser and the topology merge, on replies captured from
 * real redis-server 7.0 clusters (tests/fixtures/capture.sh made them), plus
 * malformed input and hand-edited disagreements. */
#include <stdlib.h>

#include "core/topo.h"
#include "fixture.h"
#include "unit.h"

/* Replace the first `from` in s by `to` (a new string; s freed). */
static int parse_fixture(struct view *v, const char *name)
{
	struct sc_err e = { 0 };
	char *text = fixture_read(name);
	int rc = view_parse(v, text, &e);

	if (rc < 0)
		fprintf(stderr, "%s: %s\n", name, e.msg);
	free(text);
	return rc;
}

static const struct node_entry *by_port(const struct view *v, int port)
{
	for (int i = 0; i < v->n; i++)
		if (v->e[i].port == port)
			return &v->e[i];
	return NULL;
}

static const struct node_entry *by_flag(const struct view *v, unsigned flag)
{
	for (int i = 0; i < v->n; i++)
		if (v->e[i].flags & flag)
			return &v->e[i];
	return NULL;
}

static void test_healthy(void)
{
	struct view v[6];
	struct topo t;
	struct sc_err e = { 0 };
	struct slot_range r[4];
	char name[32];
	int masters = 0;

	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "healthy.%d", i + 1);
		CHECK_INT(parse_fixture(&v[i], name), 0);
		CHECK_INT(v[i].n, 6);
		CHECK(v[i].self >= 0);
	}
	/* healthy.1 is the node on the base port: rc-0, master of 0-5460 */
	{
		const struct node_entry *s = &v[0].e[v[0].self];
		CHECK_STR(s->hostname, "rc-0.rc-headless");
		CHECK_STR(s->ip, "127.0.1.1");
		CHECK_INT(s->cport, s->port + 10000);
		CHECK_INT(s->flags, NF_MYSELF | NF_MASTER);
		CHECK_INT(s->nranges, 1);
		CHECK_INT(s->ranges[0].first, 0);
		CHECK_INT(s->ranges[0].last, 5460);
		CHECK_INT(s->connected, 1);
		CHECK_INT(s->config_epoch, 1);
		CHECK_STR(s->master, "");
	}
	for (int i = 0; i < v[0].n; i++)
		if (v[0].e[i].flags & NF_REPLICA)
			CHECK_INT(strlen(v[0].e[i].master), NODE_ID_LEN);
		else
			masters++;
	CHECK_INT(masters, 3);

	CHECK_INT(topo_build(&t, v, 6, &e), 0);
	CHECK_INT(t.n, 6);
	CHECK_INT(t.agree, 1);
	CHECK_STR(t.disagreement, "");
	CHECK_INT(t.nconflicts, 0);
	CHECK_INT(topo_count_masters(&t), 3);
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		if (t.owner[s] < 0) {
			CHECK_INT(s, -1);
			break;
		}
	for (int i = 0; i + 1 < t.n; i++)
		CHECK(strcmp(t.m[i].n.id, t.m[i + 1].n.id) < 0); /* sorted by id */
	for (int i = 0; i < t.n; i++) {
		const struct member *m = &t.m[i];
		CHECK_INT(m->reachable, 1);
		CHECK_INT(m->n.flags & NF_MYSELF, 0);
		CHECK_INT(m->keys, -1);
		CHECK_INT(topo_find_id(&t, m->n.id), i);
		CHECK_INT(topo_find_addr(&t, "127.0.1.1", m->n.port), i);
		CHECK_INT(topo_find_addr(&t, m->n.hostname, m->n.port), i);
		if (m->n.flags & NF_REPLICA) {
			CHECK(m->master >= 0);
			CHECK_INT(m->nslots, 0);
			CHECK_INT(topo_member_ranges(&t, i, r, 4), 0);
		} else {
			CHECK_INT(m->master, -1);
			CHECK(m->nslots == 5461 || m->nslots == 5462);
			CHECK_INT(topo_member_ranges(&t, i, r, 4), 1);
			CHECK_INT(r[0].last - r[0].first + 1, m->nslots);
		}
	}
	CHECK_INT(topo_find_addr(&t, "127.0.1.1", 1), -1);
	CHECK_INT(topo_find_id(&t, "0123"), -1);
	topo_release(&t);

	/* only one view: the others are hearsay but the same model */
	CHECK_INT(topo_build(&t, v, 1, &e), 0);
	CHECK_INT(t.n, 6);
	CHECK_INT(t.agree, 1);
	CHECK_INT(topo_count_masters(&t), 3);
	{
		int reach = 0;
		for (int i = 0; i < t.n; i++)
			reach += t.m[i].reachable;
		CHECK_INT(reach, 1);
	}
	topo_release(&t);
	for (int i = 0; i < 6; i++)
		view_release(&v[i]);
}

static void test_open_slots(void)
{
	struct view mig, imp;
	struct topo t;
	struct view both[2];
	struct sc_err e = { 0 };
	const struct node_entry *s;

	CHECK_INT(parse_fixture(&mig, "migrating.1"), 0);
	CHECK_INT(parse_fixture(&imp, "importing.1"), 0);
	s = &mig.e[mig.self];
	CHECK_INT(s->nopen, 1);
	CHECK_INT(s->open[0].slot, 100);
	CHECK_INT(s->open[0].kind, OPEN_MIGRATING);
	CHECK_STR(s->open[0].peer, imp.e[imp.self].id);
	CHECK_INT(s->nranges, 1); /* the open slot is not a range */
	s = &imp.e[imp.self];
	CHECK_INT(s->nopen, 1);
	CHECK_INT(s->open[0].slot, 100);
	CHECK_INT(s->open[0].kind, OPEN_IMPORTING);
	CHECK_STR(s->open[0].peer, mig.e[mig.self].id);

	both[0] = mig;
	both[1] = imp;
	CHECK_INT(topo_build(&t, both, 2, &e), 0);
	CHECK_INT(t.agree, 1);
	{
		int i = topo_find_id(&t, mig.e[mig.self].id);
		CHECK(i >= 0);
		CHECK_INT(t.m[i].n.nopen, 1);
		CHECK_INT(t.owner[100], i); /* still the source's until finished */
	}
	topo_release(&t);
	view_release(&mig);
	view_release(&imp);
}

static void test_flags(void)
{
	struct view v;
	struct topo t;
	struct sc_err e = { 0 };
	const struct node_entry *n;

	CHECK_INT(parse_fixture(&v, "handshake.1"), 0);
	n = by_flag(&v, NF_HANDSHAKE);
	CHECK(n != NULL);
	if (n) {
		CHECK_INT(n->flags, NF_HANDSHAKE);
		CHECK_INT(n->connected, 0);
		CHECK_STR(n->hostname, "");
		CHECK_STR(n->master, "");
	}
	view_release(&v);

	CHECK_INT(parse_fixture(&v, "pfail.1"), 0);
	n = by_flag(&v, NF_PFAIL);
	CHECK(n != NULL);
	if (n)
		CHECK_INT(n->flags, NF_PFAIL | NF_REPLICA);
	CHECK(by_flag(&v, NF_FAIL) == NULL);
	view_release(&v);

	CHECK_INT(parse_fixture(&v, "failed.1"), 0);
	n = by_flag(&v, NF_FAIL);
	CHECK(n != NULL);
	if (n) {
		CHECK_INT(n->flags, NF_FAIL | NF_REPLICA);
		CHECK_INT(n->connected, 0);
		CHECK_INT(topo_build(&t, &v, 1, &e), 0);
		for (int i = 0; i < t.n; i++) {
			int bad = !strcmp(t.m[i].n.id, n->id);
			CHECK_INT(t.m[i].peer_flags, bad ? NF_FAIL : 0);
			CHECK_INT(t.m[i].peers_disconnected, bad ? 1 : 0);
		}
		topo_release(&t);
	}
	view_release(&v);

	CHECK_INT(parse_fixture(&v, "noaddr.1"), 0);
	n = by_flag(&v, NF_NOADDR);
	CHECK(n != NULL);
	if (n) {
		CHECK_INT(n->flags, NF_NOADDR | NF_FAIL | NF_REPLICA);
		CHECK_STR(n->ip, "");
		CHECK_INT(n->port, 0);
		CHECK_INT(n->cport, 0);
		CHECK(!strncmp(n->hostname, "rc-", 3));
	}
	CHECK(by_port(&v, 0) == n);
	view_release(&v);

	/* a failed master still owns its slots by its peers' word */
	CHECK_INT(parse_fixture(&v, "failed-master.1"), 0);
	CHECK_INT(topo_build(&t, &v, 1, &e), 0);
	for (int i = 0; i < t.n; i++)
		if ((t.m[i].n.flags & NF_FAIL) && (t.m[i].n.flags & NF_MASTER)) {
			CHECK_INT(t.m[i].reachable, 0);
			CHECK_INT(t.m[i].nslots, 5462);
			CHECK_INT(t.owner[5461], i);
		}
	CHECK_INT(topo_count_masters(&t), 3);
	topo_release(&t);
	view_release(&v);

	/* after the failover the promoted replica owns them, epoch bumped */
	CHECK_INT(parse_fixture(&v, "failover.1"), 0);
	CHECK_INT(topo_build(&t, &v, 1, &e), 0);
	{
		int o = t.owner[5461];
		CHECK(o >= 0);
		if (o >= 0) {
			CHECK_INT(t.m[o].n.flags, NF_MASTER);
			CHECK_INT(t.m[o].n.config_epoch, 7);
			CHECK_INT(t.m[o].nslots, 5462);
		}
	}
	CHECK_INT(topo_count_masters(&t), 3);
	topo_release(&t);
	view_release(&v);
}

static void test_disagreement(void)
{
	struct view v[6];
	struct topo t;
	struct sc_err e = { 0 };
	char name[32], *text;
	const char *third;
	int victim;

	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "healthy.%d", i + 1);
		CHECK_INT(parse_fixture(&v[i], name), 0);
	}
	/* view 2 misses a node: the last line of healthy.2 that is not itself */
	victim = v[1].self == v[1].n - 1 ? 0 : v[1].n - 1;
	third = v[1].e[victim].id;
	text = fixture_read("healthy.2");
	{
		char *line = strstr(text, third), *nl = strchr(line, '\n');
		memmove(line, nl + 1, strlen(nl + 1) + 1);
	}
	view_release(&v[1]);
	CHECK_INT(view_parse(&v[1], text, &e), 0);
	free(text);
	CHECK_INT(v[1].n, 5);
	CHECK_INT(topo_build(&t, v, 6, &e), 0);
	CHECK_INT(t.agree, 0);
	CHECK(strstr(t.disagreement, "does not know node") != NULL);
	CHECK_INT(t.n, 6);
	topo_release(&t);
	view_release(&v[1]);

	/* view 2 thinks slot 16383 unassigned (it is not its owner) */
	text = fixture_read("healthy.2");
	text = fixture_edit(text, " 10923-16383", " 10923-16382");
	CHECK_INT(view_parse(&v[1], text, &e), 0);
	free(text);
	CHECK_INT(topo_build(&t, v, 6, &e), 0);
	CHECK_INT(t.agree, 0);
	CHECK(strstr(t.disagreement, "sees slot 16383 unassigned") != NULL);
	CHECK_INT(t.nconflicts, 0);
	CHECK(t.owner[16383] >= 0);
	topo_release(&t);

	/* the owner of 5461-10922 claims 0-10922 with a higher epoch: 5461
	 * conflicting slots, resolved in its favour */
	{
		int owner_view = -1;
		for (int i = 0; i < 6; i++)
			if (v[i].e[v[i].self].nranges && v[i].e[v[i].self].ranges[0].first == 5461)
				owner_view = i;
		CHECK(owner_view >= 0);
		snprintf(name, sizeof(name), "healthy.%d", owner_view + 1);
		text = fixture_read(name);
		text = fixture_edit(text, "connected 5461-10922", "connected 0-10922");
		view_release(&v[owner_view]);
		CHECK_INT(view_parse(&v[owner_view], text, &e), 0);
		free(text);
		CHECK_INT(topo_build(&t, v, 6, &e), 0);
		CHECK_INT(t.nconflicts, 5461);
		CHECK_INT(t.agree, 0);
		CHECK_INT(t.owner[0], topo_find_id(&t, v[owner_view].e[v[owner_view].self].id));
		topo_release(&t);
	}
	for (int i = 0; i < 6; i++)
		view_release(&v[i]);
}

#define ID "e60c897720fdc214dba34ab7efe761a532493b0e"
#define ID2 "4d4c557595044c316ad4b7991537a0d98221b1e3"

static void test_malformed(void)
{
	static const struct {
		const char *text;
		const char *want; /* substring of the message */
	} bad[] = {
		{ "", "empty" },
		{ "\n\n", "empty" },
		{ "garbage", "line 1: too few fields" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1", "line 1: too few fields" },
		{ "xyz 1.2.3.4:1@2 myself,master - 0 0 1 connected", "line 1: bad node id" },
		{ ID "00 1.2.3.4:1@2 myself,master - 0 0 1 connected", "bad node id" },
		{ ID " 1.2.3.4@2 myself,master - 0 0 1 connected", "without ':port'" },
		{ ID " 1.2.3.4:x@2 myself,master - 0 0 1 connected", "bad port" },
		{ ID " 1.2.3.4:70000@2 myself,master - 0 0 1 connected", "bad port" },
		{ ID " 1.2.3.4:1@ myself,master - 0 0 1 connected", "bad cluster bus port" },
		{ ID " 1.2.3.4:1@2 myself,,master - 0 0 1 connected", "bad flags" },
		{ ID " 1.2.3.4:1@2 myself,master abc 0 0 1 connected", "bad master id" },
		{ ID " 1.2.3.4:1@2 myself,master - x 0 1 connected", "bad ping-sent" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 -1 1 connected", "bad pong-recv" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 99999999999999999999999 connected",
		  "bad config-epoch" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 up", "bad link-state" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected 16384", "bad slot '16384'" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected 5-3", "bad slot '5-3'" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected 1-", "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected -1", "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected [", "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected []", "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected [1->-abc]", "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected [1-?-" ID2 "]", "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected [1->-" ID2, "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected [99999->-" ID2 "]", "bad slot" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected 0-100\n" ID2
		     " 1.2.3.4:2@3 myself,master - 0 0 1 connected",
		  "line 2: a second 'myself' line" },
		{ ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected\n"
		     "\n" ID2 " 1.2.3.4:2@3 master - 0 0 1 connected 1-2-3",
		  "line 3: bad slot" },
	};
	struct view v;
	struct sc_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		v.n = 12345;
		CHECK_INT(view_parse(&v, bad[i].text, &e), -1);
		CHECK_INT(e.kind, ERR_FAIL);
		CHECK_INT(v.n, 0);
		CHECK(v.e == NULL);
		if (!strstr(e.msg, bad[i].want))
			fprintf(stderr, "case %zu: message '%s' lacks '%s'\n", i, e.msg, bad[i].want);
		CHECK(strstr(e.msg, bad[i].want) != NULL);
	}
	CHECK_INT(view_parse(&v, NULL, &e), -1);

	/* a very long line is cut in the message, not overflowed */
	{
		size_t n = 100000;
		char *s = malloc(n + 1);
		memset(s, 'z', n);
		s[n] = '\0';
		CHECK_INT(view_parse(&v, s, &e), -1);
		CHECK(strlen(e.msg) < sizeof(e.msg));
		free(s);
	}
	/* control bytes do not reach the message */
	CHECK_INT(view_parse(&v, "\x01\x02 \x1b[31m", &e), -1);
	CHECK(strchr(e.msg, '\x1b') == NULL);

	/* no myself line: parses, but cannot be merged */
	CHECK_INT(view_parse(&v, ID " 1.2.3.4:1@2 master - 0 0 1 connected\n", &e), 0);
	CHECK_INT(v.self, -1);
	{
		struct topo t;
		CHECK_INT(topo_build(&t, &v, 1, &e), -1);
		CHECK(strstr(e.msg, "no 'myself' line") != NULL);
		topo_release(&t);
	}
	view_release(&v);
}

static void test_lenient(void)
{
	struct view v;
	struct sc_err e = { 0 };

	/* CRLF, repeated spaces, no @cport, IPv6, trailing comma, aux fields,
	 * unknown flags, single slots, noflags */
	CHECK_INT(view_parse(&v,
			     ID " ::1:7000@17000,  myself,master,future - 0 0 5 connected 0 2-3  [4-<-" ID2 "]\r\n"
			     ID2 " 10.0.0.1:7001,h.example,shard-id=abc noflags - 0 0 0 disconnected\r\n",
			     &e),
		 0);
	CHECK_INT(v.n, 2);
	CHECK_STR(v.e[0].ip, "::1");
	CHECK_INT(v.e[0].port, 7000);
	CHECK_INT(v.e[0].cport, 17000);
	CHECK_STR(v.e[0].hostname, "");
	CHECK_INT(v.e[0].flags, NF_MYSELF | NF_MASTER);
	CHECK_INT(v.e[0].nranges, 2);
	CHECK_INT(v.e[0].ranges[0].first, 0);
	CHECK_INT(v.e[0].ranges[0].last, 0);
	CHECK_INT(v.e[0].ranges[1].last, 3);
	CHECK_INT(v.e[0].nopen, 1);
	CHECK_INT(v.e[0].open[0].kind, OPEN_IMPORTING);
	CHECK_INT(v.e[0].config_epoch, 5);
	CHECK_INT(v.e[1].flags, 0);
	CHECK_INT(v.e[1].cport, 0);
	CHECK_STR(v.e[1].hostname, "h.example");
	CHECK_INT(v.e[1].connected, 0);
	view_release(&v);
	view_release(&v); /* twice is harmless */
	view_release(NULL);
	topo_release(NULL);
}

/* Many nodes: the member set and ranges stay right, and it is quick. */
static void test_large(void)
{
	enum { N = 300 };
	size_t cap = (size_t)N * 160, len = 0;
	char *text = malloc(cap);
	struct view v;
	struct topo t;
	struct sc_err e = { 0 };
	struct slot_range r[2];

	for (int i = 0; i < N; i++) {
		int per = CLUSTER_SLOTS / N, first = i * per, last = i == N - 1 ? CLUSTER_SLOTS - 1 : first + per - 1;
		len += (size_t)snprintf(text + len, cap - len,
					"%040x 127.0.0.1:%d@%d %smaster - 0 0 %d connected %d-%d\n", i + 1,
					10000 + i, 20000 + i, i == 7 ? "myself," : "", i + 1, first, last);
	}
	CHECK_INT(view_parse(&v, text, &e), 0);
	CHECK_INT(v.n, N);
	CHECK_INT(topo_build(&t, &v, 1, &e), 0);
	CHECK_INT(t.n, N);
	CHECK_INT(topo_count_masters(&t), N);
	CHECK_INT(t.agree, 1);
	CHECK_INT(topo_member_ranges(&t, N - 1, r, 2), 1);
	CHECK_INT(r[0].last, CLUSTER_SLOTS - 1);
	topo_release(&t);
	view_release(&v);
	free(text);
}

/* Open slots grouped into runs (what a killed migration leaves). */
static void test_open_runs(void)
{
	struct view v;
	struct sc_err e = { 0 };
	struct open_run r[16];

	CHECK_INT(view_parse(&v,
			     ID " 1.2.3.4:1@2 myself,master - 0 0 1 connected 0-100 [7->-" ID2 "] [5->-" ID2
				"] [6->-" ID2 "] [9->-" ID2 "] [6-<-" ID2 "] [8->-" ID "] [3->-" ID2 "]\n",
			     &e),
		 0);
	CHECK_INT(node_entry_open_runs(&v.e[0], r), 5);
	/* migrating to ID2: 3, 5-7, 9; migrating to ID: 8; importing: 6 */
	CHECK_INT(r[0].kind, OPEN_MIGRATING);
	CHECK_STR(r[0].peer, ID2); /* "4d4c..." sorts before "e60c..." */
	CHECK_INT(r[0].first, 3);
	CHECK_INT(r[0].last, 3);
	CHECK_INT(r[1].first, 5);
	CHECK_INT(r[1].last, 7);
	CHECK_INT(r[2].first, 9);
	CHECK_STR(r[3].peer, ID);
	CHECK_INT(r[3].first, 8);
	CHECK_INT(r[4].kind, OPEN_IMPORTING);
	CHECK_INT(r[4].first, 6);
	view_release(&v);
}

/* The builder fed one view at a time, each released at once (as survey
 * does), gives the same model as topo_build on the array. */
static void test_builder(void)
{
	struct topo_builder *b = topo_builder_new();
	struct view all[6];
	struct topo t1, t2;
	struct sc_err e = { 0 };
	char name[32];

	for (int i = 0; i < 6; i++) {
		struct view v;
		snprintf(name, sizeof(name), "healthy.%d", i + 1);
		CHECK_INT(parse_fixture(&v, name), 0);
		CHECK_INT(parse_fixture(&all[i], name), 0);
		CHECK_INT(topo_builder_add(b, &v, &e), 0);
		view_release(&v);
	}
	CHECK_INT(topo_builder_finish(b, &t1, &e), 0);
	topo_builder_free(b);
	CHECK_INT(topo_build(&t2, all, 6, &e), 0);
	CHECK_INT(t1.n, t2.n);
	CHECK_INT(t1.agree, 1);
	CHECK(memcmp(t1.owner, t2.owner, sizeof(t1.owner)) == 0);
	for (int i = 0; i < t1.n && i < t2.n; i++) {
		CHECK_STR(t1.m[i].n.id, t2.m[i].n.id);
		CHECK_INT(t1.m[i].nslots, t2.m[i].nslots);
		CHECK_INT(t1.m[i].master, t2.m[i].master);
		CHECK_INT(t1.m[i].n.nranges, t2.m[i].n.nranges);
	}
	topo_release(&t1);
	topo_release(&t2);
	for (int i = 0; i < 6; i++)
		view_release(&all[i]);

	/* a view without myself is refused; the builder stays usable/freeable */
	b = topo_builder_new();
	{
		struct view v;
		CHECK_INT(view_parse(&v, ID " 1.2.3.4:1@2 master - 0 0 1 connected 0-10\n", &e), 0);
		CHECK_INT(topo_builder_add(b, &v, &e), -1);
		CHECK(strstr(e.msg, "reply 1 has no 'myself' line") != NULL);
		view_release(&v);
	}
	topo_builder_free(b);
	topo_builder_free(NULL);
}

int main(void)
{
	test_healthy();
	test_open_slots();
	test_flags();
	test_disagreement();
	test_malformed();
	test_lenient();
	test_large();
	test_builder();
	test_open_runs();
	return UNIT_DONE("topo");
}
