/* conn.c - see conn.h */
#include "cluster/conn.h"

#include <netinet/in.h>

#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

void conn_opts_init(struct conn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 2000;
	o->command_timeout_ms = 10000;
}

void conn_opts_release(struct conn_opts *o)
{
	if (!o)
		return;
	if (o->password) {
		memset(o->password, 0, strlen(o->password));
		free(o->password);
	}
	free(o->user);
	o->password = o->user = NULL;
}

int conn_opts_load_password(struct conn_opts *o, const char *file, struct sc_err *e)
{
	char line[1024];
	const char *env;

	if (!file) {
		env = getenv("REDISCLI_AUTH");
		if (!env || !*env)
			return 0;
		free(o->password);
		o->password = strdup(env);
		return o->password ? 0 : err_set(e, ERR_FAIL, "out of memory");
	}
	FILE *f = fopen(file, "r");
	if (!f)
		return err_set(e, ERR_REFUSED, "cannot read password file '%s': %s", file, strerror(errno));
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return err_set(e, ERR_REFUSED, "password file '%s' is empty", file);
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	free(o->password);
	o->password = strdup(line);
	memset(line, 0, sizeof(line));
	return o->password ? 0 : err_set(e, ERR_FAIL, "out of memory");
}

static struct timeval ms_tv(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return tv;
}

static void conn_break(struct conn *c)
{
	const char *why = c->ctx && c->ctx->errstr[0] ? c->ctx->errstr : "connection lost";

	if (c->broken)
		return;
	c->broken = 1;
	if (c->ctx && c->ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
		why = "timed out";
	err_set(&c->err, ERR_IO, "lost connection to '%s': %s", c->name, why);
}

struct conn *conn_open(const struct addr *a, const struct conn_opts *o, struct sc_err *e)
{
	struct conn *c = calloc(1, sizeof(*c));
	redisReply *r = NULL;

	if (!c) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	c->addr = *a;
	addr_format(a, c->name, sizeof(c->name));
	c->command_timeout_ms = o->command_timeout_ms;
	c->ctx = redisConnectWithTimeout(a->host, a->port, ms_tv(o->connect_timeout_ms));
	if (!c->ctx || c->ctx->err) {
		const char *why = c->ctx ? c->ctx->errstr : "out of memory";
		if (c->ctx && c->ctx->err == REDIS_ERR_IO && errno == EINPROGRESS)
			why = "connect timed out";
		err_set(e, ERR_IO, "cannot connect to '%s': %s", c->name, why);
		goto fail;
	}
	if (redisSetTimeout(c->ctx, ms_tv(o->command_timeout_ms)) != REDIS_OK) {
		err_set(e, ERR_IO, "cannot set timeout on '%s'", c->name);
		goto fail;
	}
	redisEnableKeepAlive(c->ctx);
	if (o->password) {
		if (o->user)
			r = conn_command(c, "AUTH %s %s", o->user, o->password);
		else
			r = conn_command(c, "AUTH %s", o->password);
		if (!r) {
			*e = c->err;
			goto fail;
		}
		if (!reply_is_status(r, "OK")) {
			err_set(e, ERR_FAIL, "authentication failed on '%s': %s", c->name,
				r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
			goto fail;
		}
		freeReplyObject(r);
	}
	return c;
fail:
	if (r)
		freeReplyObject(r);
	conn_free(c);
	return NULL;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->ctx)
		redisFree(c->ctx);
	free(c);
}

int conn_set_timeout(struct conn *c, int ms)
{
	if (c->broken)
		return -1;
	if (redisSetTimeout(c->ctx, ms_tv(ms)) != REDIS_OK) {
		conn_break(c);
		return -1;
	}
	c->command_timeout_ms = ms;
	return 0;
}

redisReply *conn_read(struct conn *c)
{
	void *r = NULL;

	if (c->broken)
		return NULL;
	if (redisGetReply(c->ctx, &r) != REDIS_OK || !r) {
		conn_break(c);
		return NULL;
	}
	return r;
}

int conn_flush(struct conn *c)
{
	int done = 0;

	if (c->broken)
		return -1;
	while (!done) {
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK) {
			conn_break(c);
			return -1;
		}
	}
	return 0;
}

int conn_append_argv(struct conn *c, int argc, const char **argv, const size_t *lens)
{
	if (c->broken)
		return -1;
	if (redisAppendCommandArgv(c->ctx, argc, argv, lens) != REDIS_OK) {
		conn_break(c);
		return -1;
	}
	return 0;
}

static int conn_appendv(struct conn *c, const char *fmt, va_list ap)
{
	if (c->broken)
		return -1;
	if (redisvAppendCommand(c->ctx, fmt, ap) != REDIS_OK) {
		conn_break(c);
		return -1;
	}
	return 0;
}

int conn_append(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = conn_appendv(c, fmt, ap);
	va_end(ap);
	return rc;
}

redisReply *conn_command(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = conn_appendv(c, fmt, ap);
	va_end(ap);
	return rc < 0 ? NULL : conn_read(c);
}

redisReply *conn_command_argv(struct conn *c, int argc, const char **argv, const size_t *lens)
{
	return conn_append_argv(c, argc, argv, lens) < 0 ? NULL : conn_read(c);
}

static const struct {
	const char *word;
	enum reply_class rc;
} error_words[] = {
	{ "MOVED", RC_MOVED },       { "ASK", RC_ASK },
	{ "BUSYKEY", RC_BUSYKEY },   { "TRYAGAIN", RC_TRYAGAIN },
	{ "CLUSTERDOWN", RC_CLUSTERDOWN }, { "LOADING", RC_LOADING },
	{ "NOAUTH", RC_NOAUTH },     { "WRONGPASS", RC_NOAUTH },
	{ "NOPERM", RC_NOAUTH },     { "IOERR", RC_IOERR },
	{ "NOREPLICAS", RC_NOREPLICAS }, { "UNBLOCKED", RC_UNBLOCKED },
};

/* "ERR ..." replies that call for something other than "stop", by the
 * words the servers use (Redis 7.0 cluster.c, Valkey 8/9 cluster_legacy.c;
 * valkey-cli also accepts "primaries" for the replica refusal). */
static const struct {
	const char *words;
	enum reply_class rc;
} error_texts[] = {
	{ "already the owner of hash slot", RC_ALREADY_OWNER },
	{ "know about node", RC_UNKNOWN_NODE },
	{ "Unknown node", RC_UNKNOWN_NODE },
	{ "SETSLOT only with masters", RC_ONLY_MASTERS },
	{ "SETSLOT only with primaries", RC_ONLY_MASTERS },
	{ "still hold keys for this hash slot", RC_HOLDS_KEYS },
	{ "cluster support disabled", RC_NO_CLUSTER },
	{ "Master is down or failed", RC_MASTER_DOWN },
	{ "Primary is down or failed", RC_MASTER_DOWN },
	{ "ASM task is already in progress", RC_ASM_BUSY },
	{ "is currently in an active atomic slot migration", RC_ASM_BUSY },
};

#define TARGET_ERROR "ERR Target instance replied with error: "

static enum reply_class class_of(const char *s)
{
	size_t n = strcspn(s, " ");

	if (strncmp(s, TARGET_ERROR, strlen(TARGET_ERROR)) == 0)
		return class_of(s + strlen(TARGET_ERROR));
	for (size_t i = 0; i < sizeof(error_words) / sizeof(error_words[0]); i++)
		if (strlen(error_words[i].word) == n && strncmp(s, error_words[i].word, n) == 0)
			return error_words[i].rc;
	if (n == 3 && strncmp(s, "ERR", 3) == 0)
		for (size_t i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
			if (strstr(s, error_texts[i].words))
				return error_texts[i].rc;
	return RC_OTHER;
}

enum reply_class reply_class(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ERROR)
		return RC_OK;
	return class_of(r->str);
}

int reply_class_retryable(enum reply_class rc)
{
	return rc == RC_TRYAGAIN || rc == RC_CLUSTERDOWN || rc == RC_LOADING || rc == RC_NOREPLICAS ||
	       rc == RC_ASM_BUSY;
}

const char *reply_class_name(enum reply_class rc)
{
	static const char *names[] = { "ok", "moved", "ask", "busykey", "tryagain", "clusterdown", "loading",
				       "noauth", "other", "ioerr", "noreplicas", "unblocked", "already-owner",
				       "unknown-node", "only-masters", "holds-keys", "no-cluster",
				       "master-down", "asm-busy" };
	_Static_assert(sizeof(names) / sizeof(names[0]) == RC_ASM_BUSY + 1, "a name for every reply class");
	return (unsigned)rc < sizeof(names) / sizeof(names[0]) ? names[rc] : "?";
}

int reply_is_status(const redisReply *r, const char *want)
{
	return r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, want) == 0;
}

int reply_redirect(const redisReply *r, int *slot, struct addr *to)
{
	enum reply_class rc = reply_class(r);
	char word[16], where[ADDR_HOST_MAX + 16];

	if (rc != RC_MOVED && rc != RC_ASK)
		return -1;
	if (sscanf(r->str, "%15s %d %271s", word, slot, where) != 3)
		return -1;
	if (*slot < 0 || *slot >= 16384)
		return -1;
	return addr_parse(to, where, NULL);
}

const char *reply_describe(const redisReply *r, char *buf, int len)
{
	if (!r)
		snprintf(buf, (size_t)len, "no reply");
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(buf, (size_t)len, "error '%s'", r->str);
	else if (r->type == REDIS_REPLY_STATUS)
		snprintf(buf, (size_t)len, "status '%s'", r->str);
	else if (r->type == REDIS_REPLY_STRING)
		snprintf(buf, (size_t)len, "string of %zu bytes", r->len);
	else if (r->type == REDIS_REPLY_INTEGER)
		snprintf(buf, (size_t)len, "integer %lld", r->integer);
	else if (r->type == REDIS_REPLY_ARRAY)
		snprintf(buf, (size_t)len, "array of %zu", r->elements);
	else
		snprintf(buf, (size_t)len, "nil");
	return buf;
}

int reply_copy_str(const redisReply *r, char *dst, size_t cap)
{
	size_t n;

	if (cap == 0)
		return 1;
	dst[0] = '\0';
	if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
		return 0;
	n = r->len < cap - 1 ? r->len : cap - 1;
	memcpy(dst, r->str, n);
	dst[n] = '\0';
	return r->len > cap - 1;
}

int conn_reply_list(struct conn *c, redisReply *r, const char *cmd, const char *what, size_t size,
		    int (*parse)(const redisReply *, void *), void **v, int *n, struct sc_err *e)
{
	char desc[300];
	int rc = -1;

	*v = NULL;
	*n = 0;
	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY) {
		err_set(e, ERR_FAIL, "'%s' on '%s' answered %s", cmd, c->name, reply_describe(r, desc, sizeof(desc)));
		goto out;
	}
	if (!(*v = calloc(r->elements + 1, size))) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r->elements; i++) {
		if (parse(r->element[i], (char *)*v + (size_t)*n * size) < 0) {
			err_set(e, ERR_FAIL, "'%s' on '%s': entry %zu is not %s (%s)", cmd, c->name, i, what,
				reply_describe(r->element[i], desc, sizeof(desc)));
			free(*v);
			*v = NULL;
			*n = 0;
			goto out;
		}
		(*n)++;
	}
	rc = 0;
out:
	freeReplyObject(r);
	return rc;
}

int conn_ok(struct conn *c, struct sc_err *e, const char *fmt, ...)
{
	char what[64], desc[300];
	redisReply *r;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = conn_appendv(c, fmt, ap);
	va_end(ap);
	r = rc < 0 ? NULL : conn_read(c);
	if (!r) {
		*e = c->err;
		return -1;
	}
	rc = reply_is_status(r, "OK") ? 0 : -1;
	if (rc < 0) {
		/* name the command by its first two words of the format */
		snprintf(what, sizeof(what), "%s", fmt);
		what[strcspn(what, "%")] = '\0';
		for (size_t n = strlen(what); n > 0 && what[n - 1] == ' '; n--)
			what[n - 1] = '\0';
		err_set(e, ERR_FAIL, "'%s' on '%s' failed: %s", what, c->name,
			reply_describe(r, desc, sizeof(desc)));
	}
	freeReplyObject(r);
	return rc;
}

int info_field(const char *info, const char *field, char *out, int len)
{
	size_t flen = strlen(field);
	const char *p = info;

	while (p && *p) {
		if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
			size_t n = strcspn(p + flen + 1, "\r\n");
			if ((int)n >= len)
				n = (size_t)len - 1;
			memcpy(out, p + flen + 1, n);
			out[n] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int conn_peer_ip(const struct conn *c, char *out, int len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (!c || !c->ctx || getpeername(c->ctx->fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)len) ? 0 : -1;
	if (ss.ss_family == AF_INET6)
		return inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)len) ? 0 : -1;
	return -1;
}
