/* reconcile.c - see reconcile.h.
 *
 * Order of work, and why:
 *  1. probe the list (ids, empty nodes, nodes of other clusters);
 *  2. no listed node in a cluster: create one (create.h) and stop; the
 *     same when the only "clusters" are lone nodes holding what a killed
 *     create gave them (create_interrupted): create finishes it;
 *  3. survey the cluster from its listed members;
 *  4. take the cluster lock, then survey again (a run we waited for may
 *     have changed everything);
 *  4b. repair views a killed run left wrong: a node importing slots whose
 *     owner it never learned is told the owners (owners.h);
 *  5. finish slots a killed run left open (source MIGRATING to target,
 *     target IMPORTING from source): re-running the same move is safe; the
 *     planner makes that the first plan (FINISH steps, planner.h), after
 *     which the cluster is surveyed and planned again;
 *  6. plan; nothing to do is said and changes nothing;
 *  7. carry the plan out (exec.h);
 *  8. wait for agreement, survey, and verify the result against the ask.
 */
#include "engine/reconcile.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cluster/dbs.h"
#include "cluster/await.h"
#include "engine/create.h"
#include "engine/exec.h"
#include "engine/migration_method.h"
#include "engine/replsync.h"
#include "cluster/fastjoin.h"
#include "cluster/marks.h"
#include "cluster/lock.h"
#include "cluster/owners.h"
#include "core/planner.h"
#include "cluster/probe.h"
#include "cluster/survey.h"
#include "core/topo.h"

struct rec {
	const struct reconcile_req *r;
	struct addr *part;        /* the nodes taking part (method.h) */
	int *capable;             /* per part: its atomic slot migration (CAP_*) */
	int npart;
	enum migrate_method method;
	enum migrate_family family;
	struct want_node *want;
	int *in_cluster;          /* per listed node: member of some cluster */
	int nwant;
	struct topo t;
	int have_t;
	int ran;                  /* the plan was carried out */
};


/* Where to reach member i: its listed address when listed, else its ip. */
static int member_addr(const struct rec *x, int i, struct addr *a)
{
	const struct node_entry *n = &x->t.m[i].n;

	for (int k = 0; k < x->nwant; k++)
		if (x->want[k].id[0] && strcmp(x->want[k].id, n->id) == 0) {
			*a = x->want[k].addr;
			return 0;
		}
	if (!n->ip[0])
		return -1;
	snprintf(a->host, sizeof(a->host), "%s", n->ip);
	a->port = n->port;
	return 0;
}

static int survey(struct rec *x, struct sc_err *e)
{
	struct addr *seeds = calloc((size_t)x->nwant + 2, sizeof(*seeds));
	int n = 0, rc;

	if (!seeds)
		return err_set(e, ERR_FAIL, "out of memory");
	/* the named member seeds the survey until the plan ran: by then it
	 * may have left (reset, knowing only itself) */
	if (x->r->cluster && !x->ran)
		seeds[n++] = *x->r->cluster;
	for (int i = 0; i < x->nwant; i++)
		if (x->in_cluster[i])
			seeds[n++] = x->want[i].addr;
	if (x->have_t)
		topo_release(&x->t);
	x->have_t = 0;
	rc = survey_read(&x->t, seeds, n, x->r->conn, 0, e);
	free(seeds);
	if (rc < 0)
		return -1;
	x->have_t = 1;
	for (int i = 0; i < x->nwant; i++)
		x->want[i].member = x->want[i].id[0] ? topo_find_id(&x->t, x->want[i].id) : -1;
	return 0;
}

static struct cluster_lock *lock_take(struct rec *x, struct sc_err *e)
{
	struct addr *m = calloc((size_t)x->t.n + 1, sizeof(*m));
	struct cluster_lock *l = NULL;
	int n = 0;

	if (!m) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	for (int i = 0; i < x->t.n; i++)
		if (x->t.m[i].reachable && (x->t.m[i].n.flags & NF_MASTER) && member_addr(x, i, &m[n]) == 0)
			n++;
	if (n == 0)
		err_set(e, ERR_FAIL, "no reachable master to hold the cluster lock on");
	else
		l = lock_acquire(m, n, x->r->conn, x->r->wait_ms > 0 ? x->r->wait_ms : 60000, e);
	free(m);
	return l;
}

/* Which method moves slots: asked of every listed node and every reachable
 * member (migration_method.h).  Before the lock: a refusal changes nothing. */
static int choose_method(struct rec *x, struct sc_err *e)
{
	struct method_req mr;

	free(x->part);
	free(x->capable);
	x->capable = NULL;
	x->npart = 0;
	if (!(x->part = calloc((size_t)(x->nwant + x->t.n) + 1, sizeof(*x->part))))
		return err_set(e, ERR_FAIL, "out of memory");
	for (int i = 0; i < x->nwant; i++)
		if (x->want[i].reachable)
			x->part[x->npart++] = x->want[i].addr;
	for (int i = 0; i < x->t.n; i++) {
		int listed = 0;
		for (int k = 0; k < x->nwant; k++)
			listed |= x->want[k].member == i && x->want[k].reachable;
		if (!listed && x->t.m[i].reachable && member_addr(x, i, &x->part[x->npart]) == 0)
			x->npart++;
	}
	memset(&mr, 0, sizeof(mr));
	mr.nodes = x->part;
	mr.n = x->npart;
	mr.conn = x->r->conn;
	mr.want = (int)x->r->migration;
	mr.log = x->r->out;
	return method_choose(&mr, &x->method, &x->family, &x->capable, e);
}

/* Atomic jobs a killed run left on the servers run on by themselves:
 * wait for them, then look at the cluster they leave. */
static int await_jobs(struct rec *x, struct sc_err *e)
{
	struct method_req mr;
	int n;

	memset(&mr, 0, sizeof(mr));
	mr.nodes = x->part;
	mr.n = x->npart;
	mr.conn = x->r->conn;
	mr.log = x->r->out;
	if ((n = method_await_jobs(&mr, x->capable, x->r->wait_ms > 0 ? x->r->wait_ms : 60000, e)) < 0)
		return -1;
	return n ? survey(x, e) : 0;
}

/* Step 4b.  Without it a node that began importing before it learned the
 * slot's owner (a run killed during or right after a join) stays in
 * cluster_state:fail and refuses every MIGRATE ("CLUSTERDOWN Hash slot not
 * served"), so resume_open and every later move to it would fail.
 * No general wait for agreement here: views that differ only in members (a
 * run killed between the FORGETs and the RESET of a removed node) never
 * agree by themselves, and the plan is what repairs them; the executor
 * waits for agreement after its own joins, and moves retry CLUSTERDOWN. */
static int repair_views(struct rec *x, struct sc_err *e)
{
	struct owners_req ow;
	int taught;

	memset(&ow, 0, sizeof(ow));
	ow.t = &x->t;
	ow.conn = x->r->conn;
	ow.log = x->r->out;
	if ((taught = owners_teach(&ow, e)) < 0)
		return -1;
	return taught ? survey(x, e) : 0;
}

/* Step 5 reads what the planner cannot: for a slot a source still shows
 * MIGRATING while its target already owns it (a run killed between SETSLOT
 * NODE on the target and on the source), the keys the source still holds,
 * in every database (cluster/dbs.h: SETSLOT NODE and the dirty-slot cleanup
 * count them all).  The planner closes such a slot only when there are none
 * (planner.h, RESUMING). */
static long long keys_in_slot(struct rec *x, int member, int slot)
{
	struct addr a;
	struct sc_err e;
	struct conn *c = member_addr(x, member, &a) == 0 ? conn_open(&a, x->r->conn, &e) : NULL;
	struct node_dbs d;
	long long n = -1;

	if (c && node_dbs_read(c, &d, &e) == 0) {
		n = node_dbs_slot_keys(c, &d, slot, &e);
		node_dbs_release(&d);
	}
	conn_free(c);
	return n;
}

/* Fills closing[] (CLUSTER_SLOTS entries) as planner.h asks: -1 where the
 * count could not be read. */
static void closing_keys(struct rec *x, long long *closing)
{
	const struct topo *t = &x->t;

	for (int i = 0; i < t->n; i++) {
		const struct node_entry *n = &t->m[i].n;
		for (int k = 0; t->m[i].reachable && k < n->nopen; k++) {
			const struct open_slot *o = &n->open[k];
			int peer = topo_find_id(t, o->peer);
			if (o->kind == OPEN_MIGRATING && peer >= 0 && t->owner[o->slot] == peer)
				closing[o->slot] = keys_in_slot(x, i, o->slot);
		}
	}
}

static void create_req_of(const struct rec *x, struct create_req *c)
{
	const struct reconcile_req *r = x->r;

	memset(c, 0, sizeof(*c));
	c->nodes = r->nodes->v;
	c->nnodes = r->nodes->n;
	c->shards = r->shards;
	c->replicas = r->replicas;
	c->conn = r->conn;
	c->wait_ms = r->wait_ms;
	c->log = r->out;
}

/* Lone nodes that each own slots look like nodes of different clusters,
 * but a create killed between ADDSLOTSRANGE and the meet leaves exactly
 * that: when every node has nothing or exactly what create's layout gives
 * it (create_interrupted: create's own checks), create finishes the job.
 * 1: it is such a state; 0: it is not (e untouched). */
static int interrupted_create(const struct rec *x)
{
	struct create_req c;
	struct sc_err ce;

	create_req_of(x, &c);
	c.log = NULL;
	return create_interrupted(&c, &ce) == 0;
}

static int create(struct rec *x, int resume, struct sc_err *e)
{
	const struct reconcile_req *r = x->r;
	struct create_req c;

	create_req_of(x, &c);
	if (resume)
		log_say(x->r->out, "the listed nodes hold slots of an interrupted create of %d shards x %d replicas: "
		    "finishing it", r->shards, r->replicas);
	else
		log_say(x->r->out, "no listed node belongs to a cluster: creating one of %d shards x %d replicas",
		    r->shards, r->replicas);
	if (create_cluster(&c, e) < 0)
		return -1;
	log_say(x->r->out, "created: %d shards x %d replicas", r->shards, r->replicas);
	return 0;
}

/* Step 8.  Settled first (gossip), then the result is checked. */
static int verify(struct rec *x, struct sc_err *e)
{
	const struct reconcile_req *r = x->r;
	struct addr *seeds = calloc((size_t)x->nwant + 1, sizeof(*seeds));
	struct await_req w;
	int n = 0, rc = -1, masters = 0, marks, lo = CLUSTER_SLOTS / r->shards, hi = lo + (CLUSTER_SLOTS % r->shards != 0);
	const struct topo *t = &x->t;

	if (!seeds)
		return err_set(e, ERR_FAIL, "out of memory");
	/* ids change when a replica is turned into an empty master (reset) */
	if (probe_nodes(r->nodes, r->conn, x->want, x->in_cluster, e) < 0)
		goto out;
	for (int i = 0; i < x->nwant; i++)
		if (x->in_cluster[i])
			seeds[n++] = x->want[i].addr;
	memset(&w, 0, sizeof(w));
	w.seeds = seeds;
	w.nseeds = n;
	w.conn = r->conn;
	w.wait_ms = r->wait_ms;
	w.what = "the cluster to settle";
	if (await_agreement(&w, e) < 0 || survey(x, e) < 0)
		goto out;
	/* Valkey >= 8: a replica may keep a mark its primary no longer has
	 * (cluster/marks.h); cleared here, then looked at again */
	if ((marks = marks_clear(t, r->conn, r->wait_ms, r->out, e)) < 0 || (marks > 0 && survey(x, e) < 0))
		goto out;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		if (t->owner[s] < 0) {
			err_set(e, ERR_FAIL, "slot %d has no owner", s);
			goto out;
		}
	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		int listed = 0, reps = 0;
		for (int k = 0; k < x->nwant; k++)
			listed |= x->want[k].member == i;
		if (m->n.nopen) {
			err_set(e, ERR_FAIL, "slot %d is still open on '%s:%d'", m->n.open[0].slot, m->n.ip, m->n.port);
			goto out;
		}
		if (!listed && (m->nslots > 0 || !r->evacuate_only)) {
			err_set(e, ERR_FAIL, "'%s:%d' is not listed but still %s", m->n.ip, m->n.port,
				m->nslots ? "owns slots" : "a member");
			goto out;
		}
		if (m->nslots == 0)
			continue;
		masters++;
		if (!r->evacuate_only && (m->nslots < lo || m->nslots > hi)) {
			err_set(e, ERR_FAIL, "'%s:%d' owns %d slots, not %d-%d", m->n.ip, m->n.port, m->nslots, lo, hi);
			goto out;
		}
		for (int k = 0; k < t->n; k++)
			reps += t->m[k].master == i;
		if (!r->evacuate_only && reps < r->replicas) {
			err_set(e, ERR_FAIL, "'%s:%d' has %d replicas, not %d", m->n.ip, m->n.port, reps, r->replicas);
			goto out;
		}
	}
	if (!r->evacuate_only && masters != r->shards) {
		err_set(e, ERR_FAIL, "%d masters own slots, not %d", masters, r->shards);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		err_prefix(e, "the cluster does not match yet (run reconcile again)");
	free(seeds);
	return rc;
}

/* The plan for the cluster as last surveyed (x->t), with what the planner
 * cannot read itself (closing[]: CLUSTER_SLOTS entries, refilled here). */
static int build_plan(struct rec *x, struct plan *p, long long *closing, struct sc_err *e)
{
	const struct reconcile_req *r = x->r;
	struct plan_input in;

	memset(&in, 0, sizeof(in));
	in.t = &x->t;
	in.want = x->want;
	in.nwant = x->nwant;
	in.shards = r->shards;
	in.replicas = r->replicas;
	in.evacuate_only = r->evacuate_only;
	in.named_cluster = r->cluster != NULL;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		closing[s] = 0;
	closing_keys(x, closing);
	in.closing_keys = closing;
	return plan_build(p, &in, e);
}

/* --cluster names the live cluster: it must be one (a member that owns
 * slots or knows other members), and every listed node already in a
 * cluster must be one of its members (a list that mixes two clusters is
 * refused before anything changes). */
static int named_cluster_check(struct rec *x, struct sc_err *e)
{
	struct topo t = { 0 };
	char a[300], b[300];
	int rc = -1, owned = 0;

	addr_format(x->r->cluster, a, sizeof(a));
	if (survey_read(&t, x->r->cluster, 1, x->r->conn, 0, e) < 0) {
		err_prefix(e, "--cluster '%s'", a);
		return -1;
	}
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		owned += t.owner[s] >= 0;
	if (!owned) {
		err_set(e, ERR_REFUSED, "--cluster '%s' is not a member of a cluster that serves slots; "
			"name a node of the live cluster", a);
		goto out;
	}
	for (int i = 0; i < x->nwant; i++)
		if (x->in_cluster[i] && topo_find_id(&t, x->want[i].id) < 0) {
			err_set(e, ERR_REFUSED, "listed node '%s' belongs to another cluster than --cluster '%s'; "
				"list only new nodes or members of that cluster",
				addr_format(&x->want[i].addr, b, sizeof(b)), a);
			goto out;
		}
	rc = 0;
out:
	topo_release(&t);
	return rc;
}

int reconcile_run(const struct reconcile_req *r, struct sc_err *e)
{
	struct rec x;
	struct plan p;
	struct plan_input in;
	struct sc_err ce;
	struct exec_opts xo;
	struct migrate_opts mo;
	struct cluster_lock *lock = NULL;
	long long *closing = malloc(sizeof(long long) * CLUSTER_SLOTS);
	int rc = -1, nseeds = 0, have_plan = 0, nmarks, unsettled = 0;

	memset(&x, 0, sizeof(x));
	memset(&p, 0, sizeof(p));
	x.r = r;
	x.nwant = r->nodes->n;
	x.want = calloc((size_t)x.nwant + 1, sizeof(*x.want));
	x.in_cluster = calloc((size_t)x.nwant + 1, sizeof(*x.in_cluster));
	if (!x.want || !x.in_cluster || !closing) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	if (probe_nodes(r->nodes, r->conn, x.want, x.in_cluster, e) < 0) {
		if (e->kind == ERR_REFUSED && !r->evacuate_only && interrupted_create(&x))
			goto resume_create;
		goto out;
	}
	for (int i = 0; i < x.nwant; i++)
		nseeds += x.in_cluster[i];
	if (r->cluster) {
		/* the cluster is named: it is moved onto the list, never created */
		if (named_cluster_check(&x, e) < 0)
			goto out;
		nseeds++;
	} else if (nseeds == 1 && !r->evacuate_only && interrupted_create(&x)) {
		/* one lone node with slots: maybe the only one a killed create
		 * reached */
		goto resume_create;
	}
	if (nseeds == 0) {
		if (r->evacuate_only) {
			log_say(x.r->out, "no listed node belongs to a cluster yet: nothing to evacuate");
			rc = 0;
		} else if (r->dry_run) {
			/* an empty topo: the planner says "no cluster, create" */
			memset(&in, 0, sizeof(in));
			in.t = &x.t;
			in.want = x.want;
			in.nwant = x.nwant;
			in.shards = r->shards;
			in.replicas = r->replicas;
			if (plan_build(&p, &in, e) < 0)
				goto out;
			have_plan = 1;
			plan_print(&p, r->out ? r->out : stdout, r->json);
			rc = 0;
		} else {
			rc = create(&x, 0, e);
		}
		goto out;
	}
	if (survey(&x, e) < 0 || choose_method(&x, e) < 0)
		goto out;
	if (!r->dry_run) {
		if (!(lock = lock_take(&x, e)))
			goto out;
		/* a run we waited for may have changed everything */
		if (probe_nodes(r->nodes, r->conn, x.want, x.in_cluster, e) < 0 || survey(&x, e) < 0 ||
		    await_jobs(&x, e) < 0 || repair_views(&x, e) < 0)
			goto out;
		/* marks an earlier run (or tool) left on replicas only */
		if ((nmarks = marks_clear(&x.t, r->conn, r->wait_ms, r->out, e)) < 0 ||
		    (nmarks > 0 && survey(&x, e) < 0))
			goto out;
	}
	migrate_opts_init(&mo, r->conn);
	mo.method = x.method;
	mo.family = x.family;
	mo.max_latency_us = r->max_latency_us;
	memset(&xo, 0, sizeof(xo));
	xo.conn = r->conn;
	xo.t = &x.t;
	xo.wait_ms = r->wait_ms;
	xo.log = r->out;
	xo.tty = r->tty;
	xo.mig = &mo;
	/* Step 5: slots a killed run left open are the first plan (FINISH
	 * steps), carried out like any other; then the rest is planned on
	 * the cluster that leaves.  A dry run prints that first plan. */
	for (int round = 0;; round++) {
		if (build_plan(&x, &p, closing, e) < 0)
			goto out;
		have_plan = 1;
		p.atomic_moves = x.method != MIGRATE_ATOMIC ? PLAN_MOVES_LEGACY
				 : x.family == ATOMIC_REDIS ? PLAN_MOVES_REDIS : PLAN_MOVES_VALKEY;
		if (r->dry_run) {
			plan_print(&p, r->out ? r->out : stdout, r->json);
			rc = 0;
			goto out;
		}
		if (!p.then_replan)
			break;
		if (round > 0) {
			err_set(e, ERR_FAIL, "slots are still left open after finishing them; run 'shardctl fix'");
			goto out;
		}
		if (r->out)
			plan_print(&p, r->out, 0);
		if (exec_run(&p, &xo, e) < 0 || survey(&x, e) < 0)
			goto out;
		plan_release(&p);
		have_plan = 0;
	}
	(void)fastjoin_repair(&x.t, r->conn, r->out);
	if (p.nsteps == 0) {
		/* an earlier run may have stopped waiting for a replica to sync */
		if (replsync_topo(&x.t, r->conn, r->wait_ms, r->out, e) < 0)
			goto out;
		log_say(x.r->out, "the cluster already matches (%d shards x %d replicas%s): nothing to do", r->shards,
		    r->replicas, r->evacuate_only ? ", nothing to evacuate" : "");
		rc = 0;
		goto out;
	}
	if (r->out)
		plan_print(&p, r->out, 0);
	x.ran = 1;
	xo.unsettled = &unsettled;
	for (int again = 0;; again++) {
		/* The servers may change something meanwhile, e.g. move a
		 * replica to a master left without one (replica migration,
		 * cluster-migration-barrier), so that the result differs from
		 * the plan, or a wait for the roles the plan set never settles:
		 * then plan again from the cluster as it is now, at most twice,
		 * like a rerun would. */
		unsettled = 0;
		if (exec_run(&p, &xo, e) < 0) {
			if (!unsettled || again == 2 || survey(&x, &ce) < 0)
				goto out;
		} else if (verify(&x, e) == 0) {
			break;
		} else if (again == 2) {
			goto out;
		}
		plan_release(&p);
		have_plan = 0;
		if (build_plan(&x, &p, closing, &ce) < 0 || p.then_replan)
			goto out;
		have_plan = 1;
		if (p.nsteps == 0) {
			/* nothing left to change: the result is what verify says */
			if (verify(&x, e) < 0)
				goto out;
			break;
		}
		log_say(r->out, "%s; planning again from the cluster as it is now", e->msg);
		if (r->out)
			plan_print(&p, r->out, 0);
	}
	log_say(x.r->out, "done: the cluster matches %d shards x %d replicas%s", r->shards, r->replicas,
	    r->evacuate_only ? " (departing members evacuated)" : "");
	rc = 0;
	goto out;
resume_create:
	if (r->dry_run) {
		FILE *f = r->out ? r->out : stdout;
		if (r->json)
			fprintf(f, "{\"no_cluster\":true,\"finish_create\":true,\"steps\":[]}\n");
		else
			fprintf(f, "reconcile would finish an interrupted create of %d shards x %d replicas "
				"(the listed nodes own its slots but have not met)\n", r->shards, r->replicas);
		rc = 0;
	} else {
		memset(e, 0, sizeof(*e)); /* the refusal was not the last word */
		rc = create(&x, 1, e);
	}
out:
	if (have_plan)
		plan_release(&p);
	lock_release(lock);
	if (x.have_t)
		topo_release(&x.t);
	free(x.want);
	free(x.in_cluster);
	free(x.part);
	free(x.capable);
	free(closing);
	return rc;
}
