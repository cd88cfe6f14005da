/* survey_read against scripted fake nodes (fake_node.h): following the nodes
 * each view names, stats and their shapes, and every way a node can answer
 * wrongly (an error reply, another node's id, a malformed or non-string
 * reply, nothing at all), for a seed and for a member. */
#include <stdio.h>
#include <stdlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/fake_node.h"
#include "cluster/survey.h"
#include "unit.h"

#define IDA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IDB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define IDC "cccccccccccccccccccccccccccccccccccccccc"
#define IDD "dddddddddddddddddddddddddddddddddddddddd"
#define IDX "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static int pa, pb, pc, pd; /* ports: three fakes and one where nothing listens */
static char replies[64][4096]; /* a ring: a setup uses at most 8 */
static int nreplies;

/* A port nothing listens on (bound, then closed). */
static int dead_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* A bulk string reply with the cluster of A (master 0-8191), B (master
 * 8192-16383), C (replica of A) and D (replica of B, at the dead port), as
 * node `self` sees it. */
static const char *nodes_reply(const char *self)
{
	char text[2048];
	char *out = replies[nreplies++ % 64];

	snprintf(text, sizeof(text),
		 IDA " 127.0.0.1:%d@%d %smaster - 0 0 1 connected 0-8191\n"
		 IDB " 127.0.0.1:%d@%d %smaster - 0 0 2 connected 8192-16383\n"
		 IDC " 127.0.0.1:%d@%d %sslave " IDA " 0 0 1 connected\n"
		 IDD " 127.0.0.1:%d@%d slave,fail " IDB " 0 0 2 disconnected\n",
		 pa, 16379, !strcmp(self, IDA) ? "myself," : "", pb, 16379,
		 !strcmp(self, IDB) ? "myself," : "", pc, 16379, !strcmp(self, IDC) ? "myself," : "",
		 pd, 16379);
	snprintf(out, 4096, "$%zu\r\n%s\r\n", strlen(text), text);
	return out;
}

static const char *bulk(const char *text)
{
	char *out = replies[nreplies++ % 64];
	snprintf(out, 4096, "$%zu\r\n%s\r\n", strlen(text), text);
	return out;
}

/* Three fakes; B's CLUSTER NODES answer is `b_reply` (NULL: the normal one). */
static void setup(const char *a_reply, const char *b_reply)
{
	struct fake_node *a, *b, *c;

	fake_reset();
	a = fake_add(IDA);
	b = fake_add(IDB);
	c = fake_add(IDC);
	pa = a->port;
	pb = b->port;
	pc = c->port;
	pd = dead_port();
	fake_rule(a, "CLUSTER NODES", 0, a_reply ? a_reply : nodes_reply(IDA));
	fake_rule(a, "CLUSTER INFO", 0, bulk("cluster_state:ok\r\ncluster_known_nodes:4\r\n"));
	fake_rule(a, "INFO replication", 0, bulk("# Replication\r\nrole:master\r\n"));
	fake_rule(a, "INFO server", 0,
		  bulk("# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n"));
	fake_rule(b, "CLUSTER NODES", 0, b_reply ? b_reply : nodes_reply(IDB));
	fake_rule(b, "INFO keyspace", 0, "+OK\r\n"); /* a wrong shape: keys unknown */
	fake_rule(b, "CLUSTER INFO", 0, "*0\r\n");
	fake_rule(c, "CLUSTER NODES", 0, nodes_reply(IDC));
	fake_rule(c, "INFO replication", 0,
		  bulk("# Replication\r\nrole:slave\r\nmaster_link_status:down\r\n"));
	fake_rule(c, "CLUSTER INFO", 0, bulk("cluster_state:fail\r\ncluster_known_nodes:3\r\n"));
	fake_rule(c, "INFO server", 0, bulk("# Server\r\nredis_version:7.0.15\r\n"));
	fake_key(a, "k1");
	fake_key(a, "k2");
	fake_key(c, "k1");
	fake_start();
}

static int survey_from(struct topo *t, int port, int stats, struct sc_err *e)
{
	struct conn_opts o;
	struct addr a;
	int rc;

	conn_opts_init(&o);
	o.connect_timeout_ms = 1000;
	o.command_timeout_ms = 1000;
	snprintf(a.host, sizeof(a.host), "127.0.0.1");
	a.port = port;
	err_clear(e);
	rc = survey_read(t, &a, 1, &o, stats, e);
	conn_opts_release(&o);
	if (rc < 0 && getenv("VERBOSE"))
		fprintf(stderr, "survey: %s\n", e->msg);
	return rc;
}

static const struct member *by_id(const struct topo *t, const char *id)
{
	int i = topo_find_id(t, id);
	return i >= 0 ? &t->m[i] : NULL;
}

static void test_follow_and_stats(void)
{
	struct topo t;
	struct sc_err e;
	const struct member *a, *b, *c, *d;

	setup(NULL, NULL);
	CHECK_INT(survey_from(&t, pc, 1, &e), 0); /* from a replica */
	fake_stop();
	CHECK_INT(t.n, 4);
	CHECK_INT(t.agree, 1);
	CHECK_INT(topo_count_masters(&t), 2);
	a = by_id(&t, IDA);
	b = by_id(&t, IDB);
	c = by_id(&t, IDC);
	d = by_id(&t, IDD);
	CHECK(a && b && c && d);
	if (!a || !b || !c || !d)
		return;
	CHECK_INT(a->reachable && b->reachable && c->reachable, 1);
	CHECK_INT(d->reachable, 0);
	CHECK(strstr(d->error, "cannot connect to '127.0.0.1:") != NULL);
	CHECK_INT(d->peer_flags, NF_FAIL);
	CHECK_INT(a->keys, 2);
	CHECK_INT(a->used_memory, -1); /* INFO had used_memory_dataset only */
	CHECK_INT(a->state_ok, 1);
	CHECK_INT(a->known_nodes, 4);
	CHECK_INT(a->repl_link_up, -1);
	CHECK_INT(b->keys, -1); /* +OK is not a count */
	CHECK_INT(b->state_ok, -1);
	CHECK_INT(c->keys, 1);
	CHECK_INT(c->state_ok, 0);
	CHECK_INT(c->repl_link_up, 0);
	CHECK_INT(c->master, topo_find_id(&t, IDA));
	/* the servers: A Valkey, C Redis, B's INFO names none, D unreachable */
	CHECK_INT(a->server.family, SERVER_VALKEY);
	CHECK_STR(a->server.version, "9.1.2");
	CHECK_INT(c->server.family, SERVER_REDIS);
	CHECK_STR(c->server.version, "7.0.15");
	CHECK_INT(b->server.family, SERVER_UNKNOWN);
	CHECK_INT(d->server.family, SERVER_UNKNOWN);
	/* each reachable node was read once, each with one connection */
	for (int i = 0; i < 3; i++) {
		int nodes = 0;
		for (int k = 0; k < fake_nodes[i].nlog; k++)
			nodes += !strcmp(fake_nodes[i].log[k], "CLUSTER NODES");
		CHECK_INT(nodes, 1);
	}
	topo_release(&t);

	/* without stats: only CLUSTER NODES and INFO server are sent */
	setup(NULL, NULL);
	CHECK_INT(survey_from(&t, pa, 0, &e), 0);
	fake_stop();
	CHECK_INT(t.n, 4);
	CHECK_INT(fake_nodes[0].nlog, 2);
	CHECK_STR(fake_nodes[0].log[1], "INFO server");
	CHECK(by_id(&t, IDA) && by_id(&t, IDA)->keys == -1);
	CHECK(by_id(&t, IDA) && by_id(&t, IDA)->server.family == SERVER_VALKEY);
	topo_release(&t);
}

static void test_member_answers_wrongly(void)
{
	struct topo t;
	struct sc_err e;
	char other[2048];
	const struct member *b;

	/* B answers an error: unreachable, with the error said */
	setup(NULL, "-LOADING Redis is loading the dataset in memory\r\n");
	CHECK_INT(survey_from(&t, pa, 1, &e), 0);
	fake_stop();
	b = by_id(&t, IDB);
	CHECK(b != NULL);
	if (b) {
		CHECK_INT(b->reachable, 0);
		CHECK(strstr(b->error, "LOADING") != NULL);
	}
	CHECK_INT(t.n, 4);
	topo_release(&t);

	/* B's address answers as another node: not taken as B, not a member */
	snprintf(other, sizeof(other), "%s", nodes_reply(IDB));
	{
		char *at = strstr(other, IDB " 127.0.0.1");
		memcpy(at, IDX, NODE_ID_LEN);
	}
	setup(NULL, other);
	CHECK_INT(survey_from(&t, pa, 1, &e), 0);
	fake_stop();
	b = by_id(&t, IDB);
	CHECK(b != NULL);
	if (b) {
		CHECK_INT(b->reachable, 0);
		CHECK(strstr(b->error, "now answers as node eeeeeeee") != NULL);
	}
	CHECK(by_id(&t, IDX) == NULL);
	CHECK_INT(t.n, 4);
	topo_release(&t);

	/* a malformed reply from a member stops the survey, naming it */
	setup(NULL, bulk(IDB " 127.0.0.1:1@2 myself,master - 0 0 1 connected 99999\n"));
	CHECK_INT(survey_from(&t, pa, 1, &e), -1);
	fake_stop();
	CHECK_INT(e.kind, ERR_FAIL);
	CHECK(strstr(e.msg, "cannot read cluster nodes from '127.0.0.1:") != NULL);
	CHECK(strstr(e.msg, "malformed CLUSTER NODES line 1: bad slot '99999'") != NULL);

	/* a member that closes the connection: unreachable */
	setup(NULL, "CLOSE");
	CHECK_INT(survey_from(&t, pa, 1, &e), 0);
	fake_stop();
	b = by_id(&t, IDB);
	CHECK(b && !b->reachable && strstr(b->error, "lost connection"));
	topo_release(&t);
}

static void test_seed_answers_wrongly(void)
{
	struct topo t;
	struct sc_err e;

	setup("-ERR This instance has cluster support disabled\r\n", NULL);
	CHECK_INT(survey_from(&t, pa, 1, &e), -1);
	fake_stop();
	CHECK_INT(e.kind, ERR_FAIL);
	CHECK(strstr(e.msg, "cluster support disabled") != NULL);

	setup(":1\r\n", NULL);
	CHECK_INT(survey_from(&t, pa, 0, &e), -1);
	fake_stop();
	CHECK(strstr(e.msg, "integer 1") != NULL);

	setup(bulk(IDA " 127.0.0.1:1@2 master - 0 0 1 connected\n"), NULL);
	CHECK_INT(survey_from(&t, pa, 0, &e), -1);
	fake_stop();
	CHECK(strstr(e.msg, "no 'myself' line") != NULL);

	/* nothing listens at the only seed */
	CHECK_INT(survey_from(&t, dead_port(), 0, &e), -1);
	CHECK_INT(e.kind, ERR_IO);
	CHECK(strstr(e.msg, "cannot connect to '127.0.0.1:") != NULL);

	/* a dead seed then a good one */
	setup(NULL, NULL);
	{
		struct conn_opts o;
		struct addr s[2];
		conn_opts_init(&o);
		snprintf(s[0].host, sizeof(s[0].host), "127.0.0.1");
		s[0].port = pd;
		snprintf(s[1].host, sizeof(s[1].host), "127.0.0.1");
		s[1].port = pb;
		err_clear(&e);
		CHECK_INT(survey_read(&t, s, 2, &o, 0, &e), 0);
		conn_opts_release(&o);
	}
	fake_stop();
	CHECK_INT(t.n, 4);
	CHECK(by_id(&t, IDD) && strstr(by_id(&t, IDD)->error, "cannot connect"));
	topo_release(&t);
}

int main(void)
{
	(void)fake_find; /* fake_node.h helpers this test does not need */
	(void)fake_count;
	test_follow_and_stats();
	test_member_answers_wrongly();
	test_seed_answers_wrongly();
	return UNIT_DONE("survey");
}
