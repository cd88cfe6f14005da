/* fake_node.c - scripted fake Redis Cluster nodes for unit tests (see
 * fake_node.h). */
#include "fake_node.h"

#include "cluster/conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/keyslot.h"

struct fake_client {
	int fd, node;
	int db;  /* selected database */
	char buf[65536];
	size_t len;
};

struct fake_node fake_nodes[FAKE_MAX];
static int fake_n;
static int fake_seq, fake_stop_flag;
static struct fake_client fake_clients[FAKE_CLIENTS];
static pthread_t fake_thread;

struct fake_node *fake_add(const char *id)
{
	struct fake_node *f = &fake_nodes[fake_n++];
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa));
	listen(f->lfd, 16);
	getsockname(f->lfd, (struct sockaddr *)&sa, &sl);
	f->port = ntohs(sa.sin_port);
	return f;
}

void fake_key_db(struct fake_node *f, const char *k, int db)
{
	f->kdb[f->nkeys] = db;
	snprintf(f->keys[f->nkeys++], sizeof(f->keys[0]), "%s", k);
}

void fake_key(struct fake_node *f, const char *k)
{
	fake_key_db(f, k, 0);
}

void fake_rule(struct fake_node *f, const char *prefix, int nth, const char *reply)
{
	f->rules[f->nrules++] = (struct fake_rule){ prefix, nth, reply, 0 };
}

int fake_has_db(const struct fake_node *f, const char *k, int db)
{
	for (int i = 0; i < f->nkeys; i++)
		if (!strcmp(f->keys[i], k) && f->kdb[i] == db)
			return 1;
	return 0;
}

int fake_has(const struct fake_node *f, const char *k)
{
	return fake_has_db(f, k, 0);
}

void fake_del_db(struct fake_node *f, const char *k, int db)
{
	for (int i = 0; i < f->nkeys; i++)
		if (!strcmp(f->keys[i], k) && f->kdb[i] == db) {
			memmove(f->keys[i], f->keys[f->nkeys - 1], sizeof(f->keys[0]));
			f->kdb[i] = f->kdb[f->nkeys - 1];
			f->nkeys--;
			return;
		}
}

void fake_del(struct fake_node *f, const char *k)
{
	fake_del_db(f, k, 0);
}

static struct fake_node *fake_by_port(int port)
{
	for (int i = 0; i < fake_n; i++)
		if (fake_nodes[i].port == port)
			return &fake_nodes[i];
	return NULL;
}

/* MSG_NOSIGNAL: a client that hung up (the migrator drops a connection
 * after UNBLOCKED) must not kill the test with SIGPIPE. */
static void fake_send(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Parse one RESP array of bulk strings from c->buf; returns its length in
 * bytes (0: incomplete) and fills argv (pointers into a copy). */
static size_t fake_parse(const char *b, size_t len, char argv[][64], int *argc)
{
	const char *p = b, *end = b + len, *nl;
	int n;

	if (len < 4 || *p != '*' || !(nl = memchr(p, '\n', len)))
		return 0;
	n = atoi(p + 1);
	p = nl + 1;
	*argc = 0;
	for (int i = 0; i < n; i++) {
		int l;
		if (p >= end || *p != '$' || !(nl = memchr(p, '\n', (size_t)(end - p))))
			return 0;
		l = atoi(p + 1);
		p = nl + 1;
		if (end - p < l + 2)
			return 0;
		if (*argc < 40) {
			int c = l < 63 ? l : 63;
			memcpy(argv[*argc], p, (size_t)c);
			argv[*argc][c] = '\0';
			(*argc)++;
		}
		p += l + 2;
	}
	return (size_t)(p - b);
}

/* Answer one command on node f; returns 0, or -1 to close the connection. */
static int fake_answer(struct fake_node *f, struct fake_client *c, char argv[][64], int argc)
{
	int fd = c->fd, db = c->db;
	char text[160] = "", out[4096];
	size_t o = 0;

	for (int i = 0; i < argc; i++) {
		size_t l = strlen(text);
		snprintf(text + l, sizeof(text) - l, "%s%s", i ? " " : "", argv[i]);
	}
	if (f->nlog < FAKE_LOG) {
		snprintf(f->log[f->nlog], sizeof(f->log[0]), "%s", text);
		f->seq[f->nlog++] = ++fake_seq;
	}
	/* every rule counts the commands it matches; the first rule whose
	 * occurrence matches answers */
	for (int i = 0; i < f->nrules; i++)
		if (!strncmp(text, f->rules[i].prefix, strlen(f->rules[i].prefix)))
			f->rules[i].seen++;
	for (int i = 0; i < f->nrules; i++) {
		struct fake_rule *r = &f->rules[i];
		if (strncmp(text, r->prefix, strlen(r->prefix)) != 0)
			continue;
		if (r->nth && r->seen != r->nth)
			continue;
		if (!strcmp(r->reply, "CLOSE"))
			return -1;
		fake_send(fd, r->reply);
		return 0;
	}
	if (!strcasecmp(argv[0], "SELECT")) {
		if (atoi(argv[1]) < (f->dbs > 1 ? f->dbs : 1)) {
			c->db = atoi(argv[1]);
			snprintf(out, sizeof(out), "+OK\r\n");
		} else {
			snprintf(out, sizeof(out), "-ERR DB index is out of range\r\n");
		}
	} else if (argc >= 3 && !strcasecmp(argv[0], "CONFIG") && !strcasecmp(argv[2], "cluster-databases")) {
		if (f->dbs > 1)
			snprintf(out, sizeof(out), "*2\r\n$17\r\ncluster-databases\r\n$%d\r\n%d\r\n",
				 f->dbs > 9 ? 2 : 1, f->dbs);
		else
			snprintf(out, sizeof(out), "*0\r\n");
	} else if (argc >= 2 && !strcasecmp(argv[0], "INFO") && !strcasecmp(argv[1], "keyspace")) {
		char info[1000] = "# Keyspace\r\n";
		for (int d = 0; d < 16; d++) {
			int n = 0;
			for (int i = 0; i < f->nkeys; i++)
				n += f->kdb[i] == d;
			if (n)
				snprintf(info + strlen(info), sizeof(info) - strlen(info),
					 "db%d:keys=%d,expires=0,avg_ttl=0\r\n", d, n);
		}
		snprintf(out, sizeof(out), "$%zu\r\n%s\r\n", strlen(info), info);
	} else if (argc >= 5 && !strcasecmp(argv[1], "SLOT-STATS")) {
		int lo = atoi(argv[3]), hi = atoi(argv[4]);
		size_t l;
		if (f->dbs <= 1) {
			snprintf(out, sizeof(out), "-ERR unknown subcommand 'SLOT-STATS'\r\n");
		} else {
			l = (size_t)snprintf(out, sizeof(out), "*%d\r\n", hi - lo + 1);
			for (int s = lo; s <= hi && l < sizeof(out) - 100; s++) {
				int n = 0;
				for (int i = 0; i < f->nkeys; i++)
					n += keyslot_of(f->keys[i], strlen(f->keys[i])) == s;
				l += (size_t)snprintf(out + l, sizeof(out) - l,
						      "*2\r\n:%d\r\n*2\r\n$9\r\nkey-count\r\n:%d\r\n", s, n);
			}
		}
	} else if (!strcasecmp(argv[0], "INFO")) {
		const char *info = "# Memory\r\nused_memory_dataset:1000\r\n";
		snprintf(out, sizeof(out), "$%zu\r\n%s\r\n", strlen(info), info);
	} else if (!strcasecmp(argv[0], "DBSIZE")) {
		int n = 0;
		for (int i = 0; i < f->nkeys; i++)
			n += f->kdb[i] == db;
		snprintf(out, sizeof(out), ":%d\r\n", n);
	} else if (!strcasecmp(argv[0], "ASKING") || !strcasecmp(argv[0], "PING")) {
		snprintf(out, sizeof(out), "+OK\r\n");
	} else if (!strcasecmp(argv[0], "EXISTS")) {
		snprintf(out, sizeof(out), ":%d\r\n", fake_has_db(f, argv[1], db));
	} else if (argc >= 3 && !strcasecmp(argv[1], "COUNTKEYSINSLOT")) {
		int n = 0;
		for (int i = 0; i < f->nkeys; i++)
			n += f->kdb[i] == db && keyslot_of(f->keys[i], strlen(f->keys[i])) == atoi(argv[2]);
		snprintf(out, sizeof(out), ":%d\r\n", n);
	} else if (argc >= 4 && !strcasecmp(argv[1], "GETKEYSINSLOT")) {
		int n = 0, max = atoi(argv[3]);
		char body[4000] = "";
		size_t bl = 0;
		for (int i = 0; i < f->nkeys && n < max; i++)
			if (f->kdb[i] == db && keyslot_of(f->keys[i], strlen(f->keys[i])) == atoi(argv[2])) {
				bl += (size_t)snprintf(body + bl, sizeof(body) - bl, "$%zu\r\n%s\r\n",
						       strlen(f->keys[i]), f->keys[i]);
				n++;
			}
		snprintf(out, sizeof(out), "*%d\r\n%s", n, body);
	} else if (!strcasecmp(argv[0], "MIGRATE")) {
		struct fake_node *t = fake_by_port(atoi(argv[2]));
		int k = 0, moved = 0, to_db = atoi(argv[4]);
		while (k < argc && strcasecmp(argv[k], "KEYS"))
			k++;
		snprintf(out, sizeof(out), "+NOKEY\r\n");
		for (k++; t && k < argc; k++) {
			if (!fake_has_db(f, argv[k], db))
				continue;
			if (to_db >= (t->dbs > 1 ? t->dbs : 1)) {
				snprintf(out, sizeof(out), "-ERR Target instance replied with error: "
					 "ERR DB index is out of range\r\n");
				moved = -1;
				break;
			}
			if (fake_has_db(t, argv[k], to_db)) {
				snprintf(out, sizeof(out), "-ERR Target instance replied with error: "
					 "BUSYKEY Target key name already exists.\r\n");
				moved = -1;
				continue;
			}
			fake_key_db(t, argv[k], to_db);
			fake_del_db(f, argv[k], db);
			if (moved >= 0)
				moved++;
		}
		if (moved > 0)
			snprintf(out, sizeof(out), "+OK\r\n");
	} else {
		snprintf(out, sizeof(out), "+OK\r\n"); /* SETSLOT and the rest */
	}
	(void)o;
	fake_send(fd, out);
	return 0;
}

static void *fake_loop(void *arg)
{
	struct pollfd pfd[FAKE_MAX + FAKE_CLIENTS];
	int who[FAKE_MAX + FAKE_CLIENTS];

	(void)arg;
	while (!fake_stop_flag) {
		int n = 0;
		for (int i = 0; i < fake_n; i++) {
			pfd[n] = (struct pollfd){ fake_nodes[i].lfd, POLLIN, 0 };
			who[n++] = -1 - i;
		}
		for (int i = 0; i < FAKE_CLIENTS; i++)
			if (fake_clients[i].fd > 0) {
				pfd[n] = (struct pollfd){ fake_clients[i].fd, POLLIN, 0 };
				who[n++] = i;
			}
		if (poll(pfd, (nfds_t)n, 20) <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (who[k] < 0) {
				int fd = accept(pfd[k].fd, NULL, NULL);
				for (int i = 0; fd >= 0 && i < FAKE_CLIENTS; i++)
					if (fake_clients[i].fd <= 0) {
						fake_clients[i].fd = fd;
						fake_clients[i].node = -1 - who[k];
						fake_clients[i].len = 0;
						fake_clients[i].db = 0;
						fd = -1;
					}
				if (fd >= 0)
					close(fd);
				continue;
			}
			struct fake_client *c = &fake_clients[who[k]];
			ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
			if (r <= 0) {
				close(c->fd);
				c->fd = 0;
				continue;
			}
			c->len += (size_t)r;
			for (;;) {
				static char argv[40][64];
				int argc = 0;
				size_t used = fake_parse(c->buf, c->len, argv, &argc);
				if (!used)
					break;
				memmove(c->buf, c->buf + used, c->len - used);
				c->len -= used;
				if (fake_answer(&fake_nodes[c->node], c, argv, argc) < 0) {
					close(c->fd);
					c->fd = 0;
					break;
				}
			}
		}
	}
	return NULL;
}

void fake_start(void)
{
	fake_stop_flag = 0;
	pthread_create(&fake_thread, NULL, fake_loop, NULL);
}

/* Stop serving and forget every fake (the logs stay readable until the
 * next fake_add). */
void fake_stop(void)
{
	fake_stop_flag = 1;
	pthread_join(fake_thread, NULL);
	for (int i = 0; i < FAKE_CLIENTS; i++)
		if (fake_clients[i].fd > 0) {
			close(fake_clients[i].fd);
			fake_clients[i].fd = 0;
		}
	for (int i = 0; i < fake_n; i++)
		close(fake_nodes[i].lfd);
}

void fake_reset(void)
{
	fake_n = 0;
	fake_seq = 0;
}

/* Index in f's log of the first command starting with prefix, -1. */
int fake_find(const struct fake_node *f, const char *prefix)
{
	for (int i = 0; i < f->nlog; i++)
		if (!strncmp(f->log[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

int fake_count(const struct fake_node *f, const char *prefix)
{
	int n = 0;
	for (int i = 0; i < f->nlog; i++)
		n += !strncmp(f->log[i], prefix, strlen(prefix));
	return n;
}

struct conn *fake_connect(const struct fake_node *f, const struct conn_opts *co)
{
	struct addr a;
	struct sc_err e;

	memset(&a, 0, sizeof(a));
	snprintf(a.host, sizeof(a.host), "127.0.0.1");
	a.port = f->port;
	return conn_open(&a, co, &e);
}
