/* test_local.c - the parts of local mode that need no redis-server: the
 * state file, a node's redis.conf, the busy-port probe, pid files that do
 * not name a redis-server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "local/local.h"
#include "unit.h"

static char dir[] = "/tmp/shardctl-test-local.XXXXXX";

static int file_has(const char *path, const char *needle)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void test_state(void)
{
	struct local_state st = { .host = "127.0.2.1", .port = 7000, .shards = 4, .replicas = 1, .nodes = 8 },
			   back;
	struct sc_err e = { 0 };
	char path[512];
	FILE *f;

	CHECK_INT(local_state_read(dir, &back, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK(strstr(e.msg, "no local cluster in") != NULL);
	CHECK_INT(local_state_write(dir, &st, &e), 0);
	CHECK_INT(local_state_read(dir, &back, &e), 0);
	CHECK_STR(back.host, "127.0.2.1");
	CHECK_INT(back.port, 7000);
	CHECK_INT(back.shards, 4);
	CHECK_INT(back.replicas, 1);
	CHECK_INT(back.nodes, 8);
	CHECK_STR(back.server, ""); /* none given: redis-server from PATH */
	/* the server binary, when given, is recorded */
	snprintf(st.server, sizeof(st.server), "/opt/valkey 9/bin/valkey-server");
	CHECK_INT(local_state_write(dir, &st, &e), 0);
	CHECK_INT(local_state_read(dir, &back, &e), 0);
	CHECK_STR(back.server, "/opt/valkey 9/bin/valkey-server");
	CHECK_INT(back.shards, 4);
	snprintf(path, sizeof(path), "%s/cluster.state", dir);
	CHECK(file_has(path, "\nserver /opt/valkey 9/bin/valkey-server\n"));
	/* a file written before the server was recorded still reads */
	f = fopen(path, "w");
	fprintf(f, "shardctl-local 1\nhost 127.0.0.1\nport 7000\nshards 3\nreplicas 0\nnodes 3\n");
	fclose(f);
	CHECK_INT(local_state_read(dir, &back, &e), 0);
	CHECK_INT(back.nodes, 3);
	CHECK_STR(back.server, "");
	/* damaged: a line missing */
	f = fopen(path, "w");
	fprintf(f, "shardctl-local 1\nhost 127.0.0.1\nport 7000\nshards 3\n");
	fclose(f);
	CHECK_INT(local_state_read(dir, &back, &e), -1);
	CHECK(strstr(e.msg, "is damaged") != NULL);
	f = fopen(path, "w");
	fprintf(f, "something else\n");
	fclose(f);
	CHECK_INT(local_state_read(dir, &back, &e), -1);
	CHECK(strstr(e.msg, "is not a shardctl local state file") != NULL);
	unlink(path);
}

/* How the server binary is recorded: absolute, links not resolved. */
static void test_server_path(void)
{
	char out[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 32];
	struct sc_err e = { 0 };

	CHECK_INT(local_server_path("/usr/bin/redis-server", out, sizeof(out), &e), 0);
	CHECK_STR(out, "/usr/bin/redis-server");
	CHECK_INT(local_server_path("valkey-server", out, sizeof(out), &e), 0);
	CHECK_STR(out, "valkey-server"); /* a bare name: looked up in PATH */
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(want, sizeof(want), "%s/build/servers/valkey-server", cwd);
	CHECK_INT(local_server_path("build/servers/valkey-server", out, sizeof(out), &e), 0);
	CHECK_STR(out, want);
	CHECK_INT(local_server_path("/x/y\nz", out, sizeof(out), &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK_INT(local_server_path("/x", out, 2, &e), -1);
	CHECK(strstr(e.msg, "path too long") != NULL);
}

static void test_config(void)
{
	struct server s;
	struct sc_err e = { 0 };
	char path[PATH_MAX + 32];

	server_init(&s, dir, "127.0.2.9", 7005);
	CHECK_INT(server_prepare(&s, "pw", &e), 0);
	snprintf(path, sizeof(path), "%s/node-7005/redis.conf", dir);
	CHECK(file_has(path, "port 7005\n"));
	CHECK(file_has(path, "bind 127.0.2.9\n"));
	CHECK(file_has(path, "cluster-enabled yes\n"));
	CHECK(file_has(path, "cluster-announce-ip 127.0.2.9\n"));
	CHECK(file_has(path, "save \"\"\n"));
	CHECK(file_has(path, "requirepass \"pw\"\n"));
	CHECK(file_has(path, "masterauth \"pw\"\n"));
	CHECK(access(path, R_OK) == 0);
	/* a pid file naming a process that is not a redis-server: not ours */
	snprintf(path, sizeof(path), "%s/node-7005/redis.pid", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	CHECK_INT(server_load_pid(&s), 0);
	CHECK_INT(s.pid, 0);
	server_remove(&s);
	snprintf(path, sizeof(path), "%s/node-7005", dir);
	CHECK(access(path, F_OK) != 0);
}

static void test_ports(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct sc_err e = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.2.77", &sa.sin_addr);
	/* A port of our choosing, not an ephemeral one: above 55534 the node
	 * after it would have no room for its bus port, another message. */
	for (port = 21000; port < 22000; port++) {
		sa.sin_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
	}
	CHECK(port < 22000);
	CHECK_INT(listen(fd, 1), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	CHECK_INT(server_port_busy("127.0.2.77", port), 1);
	CHECK_INT(server_port_busy("127.0.2.78", port), 0); /* another address */
	if (port > 10000) {
		CHECK_INT(local_check_ports("127.0.2.77", port - 10000, 1, &e), -1);
		CHECK(strstr(e.msg, "the cluster bus port of node 1 of 1") != NULL);
	}
	CHECK_INT(local_check_ports("127.0.2.77", port, 2, &e), -1);
	CHECK_INT(e.kind, ERR_REFUSED);
	CHECK(strstr(e.msg, "is busy (node 1 of 2 needs it)") != NULL);
	CHECK_INT(local_check_ports("127.0.2.77", 60000, 3, &e), -1);
	CHECK(strstr(e.msg, "do not leave room for their cluster bus ports") != NULL);
	close(fd);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_state();
	test_server_path();
	test_config();
	test_ports();
	rmdir(dir);
	return UNIT_DONE("local");
}
