/* local.c - see local.h */
#include "local/local.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/clock.h"
#include "engine/create.h"
#include "base/vec.h"

#define STATE_FILE "cluster.state"
#define STATE_MAGIC "shardctl-local 1"


/* mkdir -p, then the absolute path into out. */
static int dir_make_abs(const char *dir, char *out, struct sc_err *e)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return err_set(e, ERR_REFUSED, "path too long: '%s'", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return err_set(e, ERR_FAIL, "cannot create '%s': %s", tmp, strerror(errno));
			*p = '/';
		}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return err_set(e, ERR_FAIL, "cannot create '%s': %s", tmp, strerror(errno));
	if (!realpath(tmp, out))
		return err_set(e, ERR_FAIL, "cannot resolve '%s': %s", dir, strerror(errno));
	return 0;
}

static int dir_abs(const char *dir, char *out, struct sc_err *e)
{
	if (!realpath(dir, out))
		return err_set(e, ERR_REFUSED, "cannot use '%s': %s", dir, strerror(errno));
	return 0;
}

int local_state_read(const char *dir, struct local_state *st, struct sc_err *e)
{
	char path[PATH_MAX + 32], line[PATH_MAX + 32];
	FILE *f;
	int seen = 0;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	if (!(f = fopen(path, "r")))
		return err_set(e, ERR_REFUSED,
			       "no local cluster in '%s' (start one with 'shardctl local up --dir %s')", dir, dir);
	if (!fgets(line, sizeof(line), f) || strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC)) != 0) {
		fclose(f);
		return err_set(e, ERR_FAIL, "'%s' is not a shardctl local state file", path);
	}
	while (fgets(line, sizeof(line), f)) {
		seen += sscanf(line, "host %63s", st->host) == 1;
		seen += sscanf(line, "port %d", &st->port) == 1;
		seen += sscanf(line, "shards %d", &st->shards) == 1;
		seen += sscanf(line, "replicas %d", &st->replicas) == 1;
		if (strncmp(line, "server ", 7) == 0) /* optional: older files lack it */
			snprintf(st->server, sizeof(st->server), "%.*s", (int)strcspn(line + 7, "\n"),
				 line + 7);
	}
	fclose(f);
	if (seen != 4 || st->port < 1 || st->shards < 1 || st->replicas < 0)
		return err_set(e, ERR_FAIL, "state file '%s' is damaged", path);
	st->nodes = st->shards * (1 + st->replicas);
	return 0;
}

int local_state_write(const char *dir, const struct local_state *st, struct sc_err *e)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return err_set(e, ERR_FAIL, "cannot write '%s': %s", tmp, strerror(errno));
	fprintf(f, "%s\nhost %s\nport %d\nshards %d\nreplicas %d\nnodes %d\n", STATE_MAGIC, st->host,
		st->port, st->shards, st->replicas, st->shards * (1 + st->replicas));
	if (st->server[0])
		fprintf(f, "server %s\n", st->server);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return err_set(e, ERR_FAIL, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

static int cmp_port(const void *a, const void *b)
{
	return ((const struct server *)a)->port - ((const struct server *)b)->port;
}

/* Every node-PORT folder under dir, in port order, with its pid. */
static int scan_nodes(const char *dir, const char *host, struct server **out, int *n, struct sc_err *e)
{
	struct server *v = NULL;
	struct dirent *d;
	DIR *dp = opendir(dir);
	int cap = 0, port;
	char rest;

	*out = NULL;
	*n = 0;
	if (!dp)
		return err_set(e, ERR_REFUSED, "cannot read '%s': %s", dir, strerror(errno));
	while ((d = readdir(dp))) {
		if (sscanf(d->d_name, "node-%d%c", &port, &rest) != 1 || port < 1 || port > 65535)
			continue;
		if (vec_grow((void **)&v, &cap, *n + 1, sizeof(*v), 16) < 0) {
			free(v);
			closedir(dp);
			return err_set(e, ERR_FAIL, "out of memory");
		}
		server_init(&v[*n], dir, host, port);
		server_load_pid(&v[*n]);
		(*n)++;
	}
	closedir(dp);
	if (*n)
		qsort(v, (size_t)*n, sizeof(*v), cmp_port);
	*out = v;
	return 0;
}

int local_inspect(const char *dir, struct local_state *st, struct server **servers, int *n,
		  struct sc_err *e)
{
	char abs[PATH_MAX];

	*servers = NULL;
	*n = 0;
	if (dir_abs(dir, abs, e) < 0 || local_state_read(abs, st, e) < 0)
		return -1;
	return scan_nodes(abs, st->host, servers, n, e);
}

int local_server_path(const char *given, char *out, size_t len, struct sc_err *e)
{
	char cwd[PATH_MAX];
	int n;

	if (strchr(given, '\n'))
		return err_set(e, ERR_REFUSED, "--redis-server: a path with a newline is not supported");
	if (given[0] == '/' || !strchr(given, '/')) {
		n = snprintf(out, len, "%s", given);
	} else {
		/* not realpath(): it would resolve the links the servers are
		 * started by (redis-server -> redis-check-rdb) */
		if (!getcwd(cwd, sizeof(cwd)))
			return err_set(e, ERR_FAIL, "cannot read the current folder: %s", strerror(errno));
		n = snprintf(out, len, "%s/%s", cwd, given);
	}
	if (n < 0 || (size_t)n >= len)
		return err_set(e, ERR_REFUSED, "--redis-server: path too long: '%s'", given);
	return 0;
}

int local_check_ports(const char *host, int first, int count, struct sc_err *e)
{
	if (first + count - 1 + 10000 > 65535)
		return err_set(e, ERR_REFUSED,
			       "ports %d-%d do not leave room for their cluster bus ports (+10000): use a --port "
			       "of at most %d",
			       first, first + count - 1, 65535 - 10000 - count + 1);
	for (int i = 0; i < count; i++) {
		int p = first + i;
		if (server_port_busy(host, p))
			return err_set(e, ERR_REFUSED,
				       "port %d on %s is busy (node %d of %d needs it): choose another --port "
				       "or stop what uses it",
				       p, host, i + 1, count);
		if (server_port_busy(host, p + 10000))
			return err_set(e, ERR_REFUSED,
				       "port %d on %s is busy (the cluster bus port of node %d of %d, port %d): "
				       "choose another --port or stop what uses it",
				       p + 10000, host, i + 1, count, p);
	}
	return 0;
}

/* 1 when the node answers PING. */
static int answers(const struct server *s, const struct conn_opts *o)
{
	struct conn_opts quick = *o;
	struct addr a;
	struct sc_err e;
	struct conn *c;
	redisReply *r;
	int ok;

	quick.connect_timeout_ms = 500;
	quick.command_timeout_ms = 1000;
	snprintf(a.host, sizeof(a.host), "%s", s->host);
	a.port = s->port;
	if (!(c = conn_open(&a, &quick, &e)))
		return 0;
	r = conn_command(c, "PING");
	ok = reply_is_status(r, "PONG");
	if (r)
		freeReplyObject(r);
	conn_free(c);
	return ok;
}

int local_start(struct server *v, int n, const struct local_opts *o, struct sc_err *e)
{
	const char *bin = o->server ? o->server : "redis-server";
	long long deadline;
	int *ready = calloc((size_t)(n ? n : 1), sizeof(int)), left = n, rc = -1;

	if (!ready)
		return err_set(e, ERR_FAIL, "out of memory");
	/* all at once: write every config and fork every process, then wait */
	for (int i = 0; i < n; i++)
		if (server_prepare(&v[i], o->conn ? o->conn->password : NULL, e) < 0 ||
		    server_spawn(&v[i], bin, e) < 0)
			goto out;
	deadline = clock_now_ms() + (o->wait_ms > 0 ? o->wait_ms : 10000);
	while (left > 0) {
		for (int i = 0; i < n; i++) {
			if (ready[i])
				continue;
			if (!server_alive(&v[i])) {
				err_set(e, ERR_FAIL, "'%s' on port %d exited at startup (see %s/redis.log)",
					bin, v[i].port, v[i].dir);
				goto out;
			}
			if (answers(&v[i], o->conn)) {
				ready[i] = 1;
				left--;
			}
		}
		if (left == 0)
			break;
		if (clock_now_ms() >= deadline) {
			for (int i = 0; i < n; i++)
				if (!ready[i]) {
					err_set(e, ERR_FAIL, "'%s' on port %d did not answer PING in time (see %s/redis.log)",
						bin, v[i].port, v[i].dir);
					break;
				}
			goto out;
		}
		clock_sleep_ms(20);
	}
	log_say(o->log, "started %d %s process%s", n, bin, n == 1 ? "" : "es");
	rc = 0;
out:
	free(ready);
	return rc;
}

int local_stop(struct server *v, int n, int wait_ms, struct sc_err *e)
{
	long long deadline = clock_now_ms() + (wait_ms > 0 ? wait_ms : 10000);
	int killed = 0, left;

	for (int i = 0; i < n; i++)
		if (server_alive(&v[i]))
			kill(v[i].pid, SIGTERM);
	for (;;) {
		left = 0;
		for (int i = 0; i < n; i++)
			left += server_alive(&v[i]);
		if (!left)
			break;
		if (clock_now_ms() >= deadline) {
			if (killed)
				break;
			/* stuck past the deadline: no more waiting */
			for (int i = 0; i < n; i++)
				if (server_alive(&v[i]))
					kill(v[i].pid, SIGKILL);
			killed = 1;
			deadline = clock_now_ms() + 5000;
		}
		clock_sleep_ms(20);
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 32];
		if (v[i].pid)
			continue;
		snprintf(path, sizeof(path), "%s/redis.pid", v[i].dir);
		unlink(path);
	}
	if (left)
		return err_set(e, ERR_FAIL, "%d redis-server process%s did not stop, even after SIGKILL", left,
			       left == 1 ? "" : "es");
	return 0;
}

int local_up(const struct local_opts *o, struct sc_err *e)
{
	struct local_state st = { 0 };
	struct local_opts lo = *o;
	struct server *old = NULL, *v = NULL;
	struct addr *nodes = NULL;
	struct create_req req;
	char abs[PATH_MAX];
	int nold = 0, n, rc = -1, started = 0;

	if (o->shards < 3)
		return err_set(e, ERR_REFUSED,
			       "too few shards: %d (a cluster needs at least 3 masters; use --shards 3 or more)",
			       o->shards);
	if (o->replicas < 0)
		return err_set(e, ERR_REFUSED, "replicas per shard must be 0 or more, not %d", o->replicas);
	snprintf(st.host, sizeof(st.host), "%s", o->host ? o->host : LOCAL_DEFAULT_HOST);
	{
		unsigned char buf[sizeof(struct in6_addr)];
		/* it is also the announced address, which must be an IP */
		if (inet_pton(AF_INET, st.host, buf) != 1)
			return err_set(e, ERR_REFUSED, "--host must be an IPv4 address, not '%s'", st.host);
	}
	if (o->server && local_server_path(o->server, st.server, sizeof(st.server), e) < 0)
		return -1;
	lo.server = st.server[0] ? st.server : NULL;
	st.port = o->port ? o->port : LOCAL_DEFAULT_PORT;
	st.shards = o->shards;
	st.replicas = o->replicas;
	n = st.nodes = o->shards * (1 + o->replicas);
	if (dir_make_abs(o->dir, abs, e) < 0 || scan_nodes(abs, st.host, &old, &nold, e) < 0)
		goto out;
	for (int i = 0; i < nold; i++)
		if (old[i].pid) {
			err_set(e, ERR_REFUSED,
				"'%s' already holds a running cluster (port %d, pid %d): stop it with 'shardctl "
				"local down --dir %s' or use another --dir",
				o->dir, old[i].port, (int)old[i].pid, o->dir);
			goto out;
		}
	if (local_check_ports(st.host, st.port, n, e) < 0)
		goto out;
	for (int i = 0; i < nold; i++)
		if (old[i].port < st.port || old[i].port >= st.port + n)
			server_remove(&old[i]); /* a previous, larger run's folder */
	v = calloc((size_t)n, sizeof(*v));
	nodes = calloc((size_t)n, sizeof(*nodes));
	if (!v || !nodes) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		server_init(&v[i], abs, st.host, st.port + i);
		snprintf(nodes[i].host, sizeof(nodes[i].host), "%s", st.host);
		nodes[i].port = st.port + i;
	}
	/* the state first: whatever happens next, 'down' finds the nodes */
	if (local_state_write(abs, &st, e) < 0)
		goto out;
	log_say(o->log, "starting %d nodes on %s:%d-%d in %s", n, st.host, st.port, st.port + n - 1, abs);
	started = 1;
	if (local_start(v, n, &lo, e) < 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.nodes = nodes;
	req.nnodes = n;
	req.shards = o->shards;
	req.replicas = o->replicas;
	req.conn = o->conn;
	req.wait_ms = o->wait_ms;
	req.log = o->log;
	if (create_cluster(&req, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && started) {
		struct sc_err ignored;
		char path[PATH_MAX + 32];
		local_stop(v, n, o->wait_ms, &ignored);
		snprintf(path, sizeof(path), "%s/%s", abs, STATE_FILE);
		unlink(path);
	}
	free(old);
	free(v);
	free(nodes);
	return rc;
}

int local_down(const struct local_opts *o, int *stopped, struct sc_err *e)
{
	struct local_state st;
	struct server *v = NULL;
	char abs[PATH_MAX], path[PATH_MAX + 32];
	int n = 0, running = 0, rc = -1;

	if (stopped)
		*stopped = 0;
	if (dir_abs(o->dir, abs, e) < 0)
		return -1;
	/* without a state file, still stop whatever node runs there */
	if (local_state_read(abs, &st, NULL) < 0)
		snprintf(st.host, sizeof(st.host), "%s", LOCAL_DEFAULT_HOST);
	if (scan_nodes(abs, st.host, &v, &n, e) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		running += v[i].pid > 0;
	if (local_stop(v, n, o->wait_ms, e) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", abs, STATE_FILE);
	unlink(path);
	if (stopped)
		*stopped = running;
	rc = 0;
out:
	free(v);
	return rc;
}
