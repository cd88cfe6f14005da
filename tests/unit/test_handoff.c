/* test_handoff.c - the pure half of `shardctl handoff`: what a node's own
 * view asks for, and which replica takes over. */
#include "core/topo.h"
#include "engine/handoff.h"
#include "unit.h"

#define M "07c37dfeb235213a872192d90877d0cd55635b91"
#define R1 "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"
#define R2 "2a1e3f5c7b9d0e2f4a6c8e0b2d4f6a8c0e2b4d6f"

static enum handoff_need need_of(const char *nodes)
{
	struct view v = { 0 };
	struct sc_err e;
	enum handoff_need n = (enum handoff_need)-1;

	if (view_parse(&v, nodes, &e) == 0)
		n = handoff_need(&v);
	view_release(&v);
	return n;
}

int main(void)
{
	/* a master owning slots, seen by itself */
	CHECK_INT(need_of(M " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n"
			    R1 " 127.0.0.1:7003@17003 slave " M " 0 1 1 connected\n"),
		  HANDOFF_NEEDED);
	/* its replica, seen by itself */
	CHECK_INT(need_of(M " 127.0.0.1:7000@17000 master - 0 0 1 connected 0-5460\n"
			  R1 " 127.0.0.1:7003@17003 myself,slave " M " 0 1 1 connected\n"),
		  HANDOFF_NONE_REPLICA);
	/* a master owning nothing (drained, or a new pod in no cluster) */
	CHECK_INT(need_of(M " 127.0.0.1:7000@17000 myself,master - 0 0 0 connected\n"), HANDOFF_NONE_EMPTY);
	/* one slot is enough to need a handoff */
	CHECK_INT(need_of(M " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 42\n"), HANDOFF_NEEDED);

	/* the choice */
	{
		struct handoff_cand none[1] = { { R1, 1, 0, 100 } };
		CHECK_INT(handoff_pick(none, 1), -1);   /* in its first sync */
		CHECK_INT(handoff_pick(none, 0), -1);   /* no replica at all */
	}
	{
		struct handoff_cand c[3] = {
			{ R1, 1, 1, 900 },
			{ R2, 1, 1, 1000 }, /* the furthest along wins */
			{ M, 0, 1, 5000 },  /* unusable (failing, nofailover) */
		};
		CHECK_INT(handoff_pick(c, 3), 1);
		c[1].synced = 0;
		CHECK_INT(handoff_pick(c, 3), 0);
		c[1].synced = 1;
		c[0].offset = 1000; /* a tie: the smaller id, every time */
		CHECK_INT(handoff_pick(c, 3), 1);
		c[1].usable = 0;
		CHECK_INT(handoff_pick(c, 3), 0);
	}
	{
		struct handoff_cand c[2] = { { R1, 1, 1, -1 }, { R2, 1, 1, 7 } }; /* offset unknown loses */
		CHECK_INT(handoff_pick(c, 2), 1);
	}
	return UNIT_DONE("test_handoff");
}
