/* server.c - see server.h */
#include "local/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a node folder may hold; a fresh start removes these (nothing else). */
static const char *const node_files[] = {
	"redis.conf", "nodes.conf", "redis.log", "redis.pid", "dump.rdb", "appendonly.aof",
};

void server_init(struct server *s, const char *cluster_dir, const char *host, int port)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s/node-%d", cluster_dir, port);
	snprintf(s->host, sizeof(s->host), "%s", host);
	s->port = port;
}

static void path_of(const struct server *s, const char *file, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", s->dir, file);
}

int server_prepare(const struct server *s, const char *password, struct sc_err *e)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int fd;

	if (mkdir(s->dir, 0755) < 0 && errno != EEXIST)
		return err_set(e, ERR_FAIL, "cannot create '%s': %s", s->dir, strerror(errno));
	for (size_t i = 0; i < sizeof(node_files) / sizeof(node_files[0]); i++) {
		path_of(s, node_files[i], path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT)
			return err_set(e, ERR_FAIL, "cannot remove '%s': %s", path, strerror(errno));
	}
	path_of(s, "redis.conf", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return err_set(e, ERR_FAIL, "cannot write '%s': %s", path, strerror(errno));
	}
	fprintf(f,
		"# written by 'shardctl local': one node of a local cluster\n"
		"bind %s\n"
		"port %d\n"
		"dir %s\n"
		"logfile %s/redis.log\n"
		"pidfile %s/redis.pid\n"
		"daemonize no\n"
		"cluster-enabled yes\n"
		"cluster-config-file nodes.conf\n"
		"cluster-node-timeout 5000\n"
		"# peers must see the address clients use, not the connection's source\n"
		"cluster-announce-ip %s\n"
		"# local clusters keep their data in memory only: starting and stopping\n"
		"# are instant and leave nothing to clean up; 'local down' loses the data\n"
		"save \"\"\n"
		"appendonly no\n"
		"# a replica's first sync starts at once, not after 5 s: local clusters\n"
		"# are in sync by the time 'local up' returns\n"
		"repl-diskless-sync-delay 0\n"
		"# stopping (SIGTERM) does not wait for lagging replicas\n"
		"shutdown-on-sigterm nosave now\n",
		s->host, s->port, s->dir, s->dir, s->dir, s->host);
	if (password)
		fprintf(f, "requirepass \"%s\"\nmasterauth \"%s\"\n", password, password);
	if (fclose(f) != 0)
		return err_set(e, ERR_FAIL, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

void server_remove(const struct server *s)
{
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(node_files) / sizeof(node_files[0]); i++) {
		path_of(s, node_files[i], path, sizeof(path));
		unlink(path);
	}
	rmdir(s->dir);
}

int server_spawn(struct server *s, const char *binary, struct sc_err *e)
{
	char conf[PATH_MAX + 32], pidpath[PATH_MAX + 32];
	FILE *f;
	pid_t pid;

	path_of(s, "redis.conf", conf, sizeof(conf));
	path_of(s, "redis.pid", pidpath, sizeof(pidpath));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return err_set(e, ERR_FAIL, "cannot start '%s': fork: %s", binary, strerror(errno));
	if (pid == 0) {
		/* its own session: a Ctrl-C on shardctl must not stop the cluster */
		int null = open("/dev/null", O_RDWR);
		setsid();
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execlp(binary, binary, conf, (char *)NULL);
		_exit(127);
	}
	s->pid = pid;
	s->child = 1;
	f = fopen(pidpath, "w");
	if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0)
		return err_set(e, ERR_FAIL, "cannot write '%s': %s", pidpath, strerror(errno));
	return 0;
}

/* 1 if /proc says pid is a live (non-zombie) process. */
static int proc_running(pid_t pid, int want_redis)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;
	char *close_paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	if (!close_paren || close_paren[1] != ' ' || close_paren[2] == 'Z' || close_paren[2] == 'X')
		return 0;
	/* pid files outlive reboots: only a redis-server counts as ours */
	return !want_redis || strstr(buf, "(redis-server)") || strstr(buf, "(valkey-server)");
}

int server_alive(struct server *s)
{
	int status;

	if (s->pid <= 0)
		return 0;
	if (s->child && waitpid(s->pid, &status, WNOHANG) == s->pid) {
		s->child = 0;
		s->pid = 0;
		return 0;
	}
	if (!proc_running(s->pid, 0)) {
		s->pid = 0;
		return 0;
	}
	return 1;
}

int server_load_pid(struct server *s)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int pid = 0;

	s->pid = 0;
	s->child = 0;
	path_of(s, "redis.pid", path, sizeof(path));
	if (!(f = fopen(path, "r")))
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid > 0 && proc_running(pid, 1))
		s->pid = pid;
	return s->pid > 0;
}

int server_port_busy(const char *host, int port)
{
	struct sockaddr_in sa;
	int fd, one = 1, busy = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 0; /* not an IPv4 literal: redis-server will say so itself */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	/* as redis does: TIME_WAIT leftovers do not make a port busy */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EADDRINUSE)
		busy = 1;
	close(fd);
	return busy;
}
