/* The health rules on topos built from CLUSTER NODES replies captured from
 * real redis-server 7.0 clusters (tests/fixtures/nodes), some hand-edited. */
#include <stdlib.h>

#include "core/health.h"
#include "fixture.h"
#include "unit.h"

/* Build a topo from the named fixtures (or texts, when given). */
static void build(struct topo *t, int n, char **texts)
{
	struct view v[8];
	struct sc_err e = { 0 };

	for (int i = 0; i < n; i++)
		if (view_parse(&v[i], texts[i], &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			exit(1);
		}
	if (topo_build(t, v, n, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		exit(1);
	}
	for (int i = 0; i < n; i++)
		view_release(&v[i]);
}

static void build_fixtures(struct topo *t, const char *prefix, int n)
{
	char *texts[8], name[64];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.%d", prefix, i + 1);
		texts[i] = fixture_read(name);
	}
	build(t, n, texts);
	for (int i = 0; i < n; i++)
		free(texts[i]);
}

/* Healthy topos from fixtures have every member reachable only when all
 * views are given; single views make the others unreachable, so tests of
 * one view pretend the others were read (as survey would have). */
static void all_reachable(struct topo *t)
{
	for (int i = 0; i < t->n; i++)
		if (!(t->m[i].n.flags & (NF_HANDSHAKE | NF_NOADDR)) && !(t->m[i].peer_flags & NF_FAIL))
			t->m[i].reachable = 1;
}

static int count_kind(const struct health *h, enum problem_kind k)
{
	int n = 0;

	for (int i = 0; i < h->n; i++)
		n += h->p[i].kind == k;
	return n;
}

static const char *msg_of(const struct health *h, enum problem_kind k)
{
	for (int i = 0; i < h->n; i++)
		if (h->p[i].kind == k)
			return h->p[i].msg;
	return "";
}

static void judge(const struct topo *t, int shards, int replicas, struct health *h)
{
	struct health_opts o = { shards, replicas };
	struct sc_err e = { 0 };

	CHECK_INT(health_check(t, &o, h, &e), 0);
}

static void test_healthy(void)
{
	struct topo t;
	struct health h;

	build_fixtures(&t, "healthy", 6);
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 0);
	health_release(&h);
	judge(&t, 3, 1, &h);
	CHECK_INT(h.n, 0);
	health_release(&h);

	/* wrong shape: each difference said */
	judge(&t, 4, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_kind(&h, PK_SHARDS), 1);
	CHECK_STR(msg_of(&h, PK_SHARDS), "3 masters own slots, expected 4");
	health_release(&h);
	judge(&t, 3, 2, &h);
	CHECK_INT(count_kind(&h, PK_REPLICAS), 3);
	CHECK(strstr(msg_of(&h, PK_REPLICAS), "has 1 working replica, expected 2") != NULL);
	health_release(&h);
	judge(&t, -1, 0, &h);
	CHECK_INT(count_kind(&h, PK_REPLICAS), 3);
	health_release(&h);

	/* a node reporting cluster_state:fail */
	t.m[2].state_ok = 0;
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_kind(&h, PK_STATE), 1);
	health_release(&h);
	t.m[2].state_ok = 1;

	/* a replica whose link is down: said, and not a working replica */
	for (int i = 0; i < t.n; i++)
		if (t.m[i].n.flags & NF_REPLICA) {
			t.m[i].repl_link_up = 0;
			break;
		}
	judge(&t, 3, 1, &h);
	CHECK_INT(count_kind(&h, PK_REPL_DOWN), 1);
	CHECK(strstr(msg_of(&h, PK_REPL_DOWN), "is not linked to its master (master_link_status:down)") != NULL);
	CHECK_INT(count_kind(&h, PK_REPLICAS), 1);
	CHECK(strstr(msg_of(&h, PK_REPLICAS), "has 0 working replicas, expected 1") != NULL);
	CHECK_STR(problem_kind_name(PK_REPL_DOWN), "repl-down");
	health_release(&h);
	/* unknown (not read) is not down */
	for (int i = 0; i < t.n; i++)
		t.m[i].repl_link_up = -1;
	judge(&t, 3, 1, &h);
	CHECK_INT(h.n, 0);
	health_release(&h);
	topo_release(&t);
}

static void test_open(void)
{
	struct topo t;
	struct health h;
	char *texts[2] = { fixture_read("migrating.1"), fixture_read("importing.1") };

	build(&t, 2, texts);
	all_reachable(&t);
	judge(&t, 3, 1, &h);
	CHECK_INT(h.n, 2);
	CHECK_INT(count_kind(&h, PK_OPEN_SLOT), 2);
	CHECK(strstr(h.p[0].msg, "slot 100 is open") != NULL);
	CHECK(strstr(msg_of(&h, PK_OPEN_SLOT), "migrating from '127.0.1.1:") ||
	      strstr(msg_of(&h, PK_OPEN_SLOT), "importing into '127.0.1.1:"));
	health_release(&h);
	topo_release(&t);
	free(texts[0]);
	free(texts[1]);
}

/* A killed migration leaves hundreds of open slots: one problem per run */
static void test_many_open(void)
{
	struct topo t;
	struct health h;
	char *text = fixture_read("migrating.1"), *texts[1], *peer, buf[128];
	char more[16384] = "";
	size_t o = 0;

	peer = strstr(text, "[100->-") + 7;
	for (int s = 101; s < 300; s++)
		o += (size_t)snprintf(more + o, sizeof(more) - o, " [%d->-%.40s]", s, peer);
	snprintf(buf, sizeof(buf), "[100->-%.40s]", peer);
	{
		char *with = malloc(strlen(buf) + o + 1);
		sprintf(with, "%s%s", buf, more);
		text = fixture_edit(text, buf, with);
		free(with);
	}
	texts[0] = text;
	build(&t, 1, texts);
	all_reachable(&t);
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK(strstr(msg_of(&h, PK_OPEN_SLOT), "slots 100-299 (200) are open: migrating from '127.0.1.1:") != NULL);
	health_release(&h);
	topo_release(&t);
	free(text);
}

static void test_nodes(void)
{
	struct topo t;
	struct health h;

	build_fixtures(&t, "pfail", 1);
	all_reachable(&t);
	judge(&t, 3, 1, &h);
	CHECK_INT(count_kind(&h, PK_PFAIL), 1);
	CHECK_INT(count_kind(&h, PK_REPLICAS), 1); /* its master lacks a working one */
	CHECK_INT(h.n, 2);
	health_release(&h);
	topo_release(&t);

	build_fixtures(&t, "failed", 1);
	all_reachable(&t);
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_kind(&h, PK_UNREACHABLE), 1);
	CHECK(strstr(msg_of(&h, PK_UNREACHABLE), "its peers mark it failed") != NULL);
	health_release(&h);
	/* reachable again but still flagged: a fail problem */
	for (int i = 0; i < t.n; i++)
		t.m[i].reachable = 1;
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_kind(&h, PK_FAIL), 1);
	health_release(&h);
	topo_release(&t);

	build_fixtures(&t, "handshake", 1);
	all_reachable(&t);
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_kind(&h, PK_HANDSHAKE), 1);
	health_release(&h);
	topo_release(&t);

	/* the node meeting a stranger is the only one to list the handshake:
	 * a handshake problem, not a disagreement */
	{
		char *texts[6], name[32];
		texts[0] = fixture_read("handshake.1");
		for (int i = 1; i < 6; i++) {
			snprintf(name, sizeof(name), "healthy.%d", i + 1);
			texts[i] = fixture_read(name);
		}
		build(&t, 6, texts);
		CHECK_INT(t.agree, 0); /* waits (await.c) rely on this */
		CHECK_INT(t.handshake_only, 1);
		CHECK(strstr(t.disagreement, ", in handshake") != NULL);
		judge(&t, 3, 1, &h);
		CHECK_INT(h.n, 1);
		CHECK_INT(count_kind(&h, PK_HANDSHAKE), 1);
		health_release(&h);
		topo_release(&t);
		for (int i = 0; i < 6; i++)
			free(texts[i]);
	}

	build_fixtures(&t, "noaddr", 1);
	all_reachable(&t);
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_kind(&h, PK_NOADDR), 1);
	CHECK(strstr(msg_of(&h, PK_NOADDR), "('rc-") != NULL);
	health_release(&h);
	topo_release(&t);

	/* the failed master still covers its slots by its peers' word, but is
	 * unreachable and failed */
	build_fixtures(&t, "failed-master", 1);
	all_reachable(&t);
	judge(&t, -1, -1, &h);
	CHECK_INT(count_kind(&h, PK_UNCOVERED), 0);
	CHECK_INT(count_kind(&h, PK_UNREACHABLE), 1);
	CHECK_INT(count_kind(&h, PK_NOADDR), 1);
	CHECK_INT(h.n, 2);
	health_release(&h);
	topo_release(&t);

	/* after the failover: 3 masters again, one without replica */
	build_fixtures(&t, "failover", 1);
	all_reachable(&t);
	judge(&t, 3, 1, &h);
	CHECK_INT(count_kind(&h, PK_SHARDS), 0);
	CHECK_INT(count_kind(&h, PK_REPLICAS), 2); /* the promoted one and rc-0's */
	health_release(&h);
	topo_release(&t);
}

static void test_slots(void)
{
	struct topo t;
	struct health h;
	char *texts[6], name[32];

	/* the owner of 10923-16383 dropped 16000-16383 from its own view */
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "healthy.%d", i + 1);
		texts[i] = fixture_read(name);
	}
	/* find the view whose myself line ends in 10923-16383 */
	for (int i = 0; i < 6; i++) {
		char *me = strstr(texts[i], "myself,master");
		char *nl = me ? strchr(me, '\n') : NULL;
		if (me && nl && nl - me > 11 && !strncmp(nl - 11, "10923-16383", 11)) {
			*(nl - 11) = '\0';
			{
				char *fixed = malloc(strlen(texts[i]) + strlen(nl) + 32);
				sprintf(fixed, "%s10923-15999%s", texts[i], nl);
				free(texts[i]);
				texts[i] = fixed;
			}
		}
	}
	build(&t, 6, texts);
	judge(&t, -1, -1, &h);
	CHECK_INT(count_kind(&h, PK_UNCOVERED), 1);
	CHECK_STR(msg_of(&h, PK_UNCOVERED), "384 slots are not covered by any master: 16000-16383");
	CHECK_INT(count_kind(&h, PK_DISAGREE), 1);
	CHECK(strstr(msg_of(&h, PK_DISAGREE), "sees slot 16000 at") != NULL);
	health_release(&h);
	topo_release(&t);
	for (int i = 0; i < 6; i++)
		free(texts[i]);

	/* a node that does not know one member */
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "healthy.%d", i + 1);
		texts[i] = fixture_read(name);
	}
	{
		char *line = strstr(texts[3], "slave"), *start = line, *nl;
		while (start > texts[3] && start[-1] != '\n')
			start--;
		nl = strchr(line, '\n');
		if (strstr(start, "myself") && strstr(start, "myself") < nl) {
			line = strstr(nl, "slave");
			start = line;
			while (start[-1] != '\n')
				start--;
			nl = strchr(line, '\n');
		}
		memmove(start, nl + 1, strlen(nl + 1) + 1);
	}
	build(&t, 6, texts);
	judge(&t, -1, -1, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_kind(&h, PK_DISAGREE), 1);
	CHECK(strstr(msg_of(&h, PK_DISAGREE), "does not know node") != NULL);
	health_release(&h);
	topo_release(&t);
	for (int i = 0; i < 6; i++)
		free(texts[i]);

	/* two masters claiming the same slots in their own views */
	for (int i = 0; i < 6; i++) {
		char *me;
		snprintf(name, sizeof(name), "healthy.%d", i + 1);
		texts[i] = fixture_read(name);
		me = strstr(texts[i], "myself,master");
		if (me && strstr(me, " 5461-10922\n") && strstr(me, " 5461-10922\n") < strchr(me, '\n') + 1)
			texts[i] = fixture_edit(texts[i], " 5461-10922\n", " 5000-10922\n");
	}
	build(&t, 6, texts);
	judge(&t, -1, -1, &h);
	CHECK_INT(count_kind(&h, PK_CONFLICT), 1);
	CHECK_STR(msg_of(&h, PK_CONFLICT), "461 slots are claimed by two masters");
	CHECK_INT(count_kind(&h, PK_DISAGREE), 1);
	health_release(&h);
	topo_release(&t);
	for (int i = 0; i < 6; i++)
		free(texts[i]);

	CHECK_STR(problem_kind_name(PK_OPEN_SLOT), "open_slot");
	CHECK_STR(problem_kind_name((enum problem_kind)99), "unknown");
	health_release(NULL);
}

int main(void)
{
	test_healthy();
	test_open();
	test_many_open();
	test_nodes();
	test_slots();
	return UNIT_DONE("health");
}
