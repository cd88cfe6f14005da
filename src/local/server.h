/* server.h - one local redis-server process of `shardctl local`: its
 * folder, its configuration file, starting and stopping it.
 *
 * A node lives in DIR/node-PORT/ holding redis.conf, nodes.conf, redis.log,
 * redis.pid (written by us as soon as the process exists, so a test's
 * teardown can always find it) and whatever data redis writes.
 */
#ifndef SHARDCTL_SERVER_H
#define SHARDCTL_SERVER_H

#include <limits.h>
#include <sys/types.h>

#include "base/err.h"

struct server {
	char dir[PATH_MAX];  /* absolute path of its folder */
	char host[64];
	int port;
	pid_t pid;           /* 0: not running / unknown */
	int child;           /* started by this process (waitpid works) */
};

/* Fill dir from the cluster folder (absolute) and port. */
void server_init(struct server *s, const char *cluster_dir, const char *host, int port);

/* Create the folder (removing a previous run's files) and write redis.conf.
 * `password` (may be NULL) becomes requirepass and masterauth. */
int server_prepare(const struct server *s, const char *password, struct sc_err *e);

/* Remove the folder and the files a node leaves there (nothing else). */
void server_remove(const struct server *s);

/* fork/exec `binary` (e.g. "redis-server") on its redis.conf, in its own
 * session with stdio on /dev/null, and write redis.pid. */
int server_spawn(struct server *s, const char *binary, struct sc_err *e);

/* Read redis.pid; s->pid is set only when that process is alive and is a
 * redis-server.  Returns 1 if running, 0 if not. */
int server_load_pid(struct server *s);

/* 1 if s->pid is alive (not a zombie).  Reaps it when it is our child. */
int server_alive(struct server *s);

/* 1 when nothing can bind host:port (something listens there), else 0. */
int server_port_busy(const char *host, int port);

#endif
