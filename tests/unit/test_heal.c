/* heal_plan_build on hand-written CLUSTER NODES views: which meets restore
 * membership after address changes, and what heal refuses or leaves alone. */
#include <stdlib.h>

#include "engine/heal.h"
#include "unit.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccc"
#define ID_X "dddddddddddddddddddddddddddddddddddddddd"
#define ID_Y "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

/* A node alive at ip:6379 whose CLUSTER NODES is `text`. */
static void mk(struct heal_node *h, const char *id, const char *ip, const char *text)
{
	struct sc_err e;

	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "%s", id);
	snprintf(h->ip, sizeof(h->ip), "%s", ip);
	snprintf(h->name, sizeof(h->name), "%s:6379", ip);
	h->port = 6379;
	h->cport = 16379;
	h->listed = 1;
	if (view_parse(&h->view, text, &e) < 0) {
		fprintf(stderr, "fixture does not parse: %s\n", e.msg);
		exit(1);
	}
}

static void release(struct heal_node *h, int n)
{
	for (int i = 0; i < n; i++)
		view_release(&h[i].view);
}

static int has_meet(const struct heal_plan *p, int on, int to)
{
	for (int i = 0; i < p->nmeets; i++)
		if (p->meets[i].on == on && p->meets[i].to == to)
			return 1;
	return 0;
}

/* Three masters; `ip` is where each one is seen, `link` its link state. */
static void three(struct heal_node *h, const char *seen, const char *link)
{
	char t[3][1024];
	const char *ids[3] = { ID_A, ID_B, ID_C };
	const char *slots[3] = { "0-5460", "5461-10922", "10923-16383" };

	for (int me = 0; me < 3; me++) {
		int off = 0;
		for (int k = 0; k < 3; k++)
			off += snprintf(t[me] + off, sizeof(t[me]) - (size_t)off,
					"%s %s.%d:6379@16379,rc-%d.rc %s - 0 0 %d %s %s\n", ids[k],
					k == me ? "10.0.1" : seen, k + 1, k,
					k == me ? "myself,master" : "master", k + 1,
					k == me ? "connected" : link, slots[k]);
		mk(&h[me], ids[me], me == 0 ? "10.0.1.1" : me == 1 ? "10.0.1.2" : "10.0.1.3", t[me]);
	}
}

int main(void)
{
	struct heal_node h[5];
	struct heal_plan p;
	struct sc_err e;

	/* healthy: every peer at its current address, linked */
	three(h, "10.0.1", "connected");
	CHECK_INT(heal_plan_build(&p, h, 3, &e), 0);
	CHECK_INT(p.nmembers, 3);
	CHECK_INT(p.nmeets, 0);
	CHECK_INT(p.nlone, 0);
	heal_plan_release(&p);
	release(h, 3);

	/* every pod restarted on a new IP: each node met every other one */
	three(h, "10.0.0", "disconnected");
	CHECK_INT(heal_plan_build(&p, h, 3, &e), 0);
	CHECK_INT(p.nmeets, 6);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			if (a != b)
				CHECK(has_meet(&p, a, b));
	heal_plan_release(&p);
	release(h, 3);

	/* old address but a working link (e.g. listed as localhost, seen as
	 * 127.0.0.1): the address works, nothing to meet */
	three(h, "10.0.0", "connected");
	CHECK_INT(heal_plan_build(&p, h, 3, &e), 0);
	CHECK_INT(p.nmeets, 0);
	heal_plan_release(&p);
	release(h, 3);

	/* a fresh node in the list is left alone, never met */
	three(h, "10.0.0", "disconnected");
	mk(&h[3], ID_X, "10.0.1.9", ID_X " 10.0.1.9:6379@16379 myself,master - 0 0 0 connected\n");
	CHECK_INT(heal_plan_build(&p, h, 4, &e), 0);
	CHECK_INT(p.nlone, 1);
	CHECK_INT(p.lone[0], 3);
	CHECK_INT(p.nmembers, 3);
	CHECK_INT(p.nmeets, 6);
	for (int i = 0; i < p.nmeets; i++)
		CHECK(p.meets[i].on != 3 && p.meets[i].to != 3);
	heal_plan_release(&p);
	release(h, 4);

	/* two clusters in one list: refused */
	three(h, "10.0.1", "connected");
	mk(&h[3], ID_X, "10.0.2.1",
	   ID_X " 10.0.2.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
	   ID_Y " 10.0.2.2:6379@16379 master - 0 0 2 connected 8192-16383\n");
	err_clear(&e);
	CHECK_INT(heal_plan_build(&p, h, 4, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK(strstr(e.msg, "belong to different clusters") != NULL);
	CHECK(strstr(e.msg, "'10.0.2.1:6379'") != NULL);
	CHECK_INT(p.nmeets, 0);
	release(h, 4);

	/* a single node owning slots is a cluster too: refused with another */
	three(h, "10.0.1", "connected");
	mk(&h[3], ID_X, "10.0.2.1", ID_X " 10.0.2.1:6379@16379 myself,master - 0 0 1 connected 0-2\n");
	CHECK_INT(heal_plan_build(&p, h, 4, &e), -1);
	release(h, 4);

	/* one-way knowledge: C knows A (stale) but A does not know C (it was
	 * forgotten): no meet that would re-add it */
	mk(&h[0], ID_A, "10.0.1.1",
	   ID_A " 10.0.1.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
	   ID_B " 10.0.1.2:6379@16379 master - 0 0 2 connected 8192-16383\n");
	mk(&h[1], ID_B, "10.0.1.2",
	   ID_B " 10.0.1.2:6379@16379 myself,master - 0 0 2 connected 8192-16383\n"
	   ID_A " 10.0.1.1:6379@16379 master - 0 0 1 connected 0-8191\n");
	mk(&h[2], ID_C, "10.0.1.3",
	   ID_C " 10.0.1.3:6379@16379 myself,master - 0 0 3 connected\n"
	   ID_A " 10.0.0.1:6379@16379 master,fail - 0 0 1 disconnected 0-8191\n");
	CHECK_INT(heal_plan_build(&p, h, 3, &e), 0);
	CHECK_INT(p.nmembers, 3);
	CHECK_INT(p.nmeets, 0);
	CHECK(strstr(p.note, "not the other way round") != NULL);
	heal_plan_release(&p);
	release(h, 3);

	/* a replica that lost its master (pfail, old address) is met; handshake
	 * entries are ignored */
	mk(&h[0], ID_A, "10.0.1.1",
	   ID_A " 10.0.1.1:6379@16379 myself,master - 0 0 1 connected 0-16383\n"
	   ID_B " 10.0.0.2:6379@16379 slave,fail? " ID_A " 0 0 1 disconnected\n"
	   ID_Y " 10.0.1.2:6379@16379 handshake - 0 0 0 disconnected\n");
	mk(&h[1], ID_B, "10.0.1.2",
	   ID_B " 10.0.1.2:6379@16379 myself,slave " ID_A " 0 0 1 connected\n"
	   ID_A " 10.0.0.1:6379@16379 master - 0 0 1 disconnected 0-16383\n");
	CHECK_INT(heal_plan_build(&p, h, 2, &e), 0);
	CHECK_INT(p.nmeets, 2);
	CHECK(has_meet(&p, 0, 1));
	CHECK(has_meet(&p, 1, 0));
	CHECK_INT(heal_view_find(&h[0].view, ID_Y), -1);
	heal_plan_release(&p);
	release(h, 2);

	return UNIT_DONE("heal");
}
