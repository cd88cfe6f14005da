/* cmd_status.c - `shardctl status HOST:PORT [--json]`: the cluster grouped by
 * shard (master, replicas, slot ranges and count, keys, memory, server, link
 * health)
 * and a compact map of the 16384 slots.  Reads only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "base/json.h"
#include "cluster/survey.h"

#define MAP_CELLS 128 /* of 128 slots each, printed as 2 rows of 64 */
#define MAP_ROW 64
#define RANGES_SHOWN 6

static const char usage_text[] =
	"usage: shardctl status HOST:PORT [--json] [options]\n";

static const char about_text[] =
	"Shows the cluster that HOST:PORT belongs to, grouped by shard: each master\n"
	"with its replicas, slot ranges, slot count, keys, memory, server (Redis or\n"
	"Valkey, and its version, from INFO server) and link health,\n"
	"then a map of the 16384 slots with one letter per master.  Changes nothing.\n"
	"HOST:PORT may be a comma-separated list of seeds.\n"
	"\n"
	"LINK, the worst of: unreachable (not read), fail / pfail (its peers' verdict),\n"
	"handshake, noaddr, repl-down (replica not linked to its master), state-fail\n"
	"(it reports cluster_state:fail), bus-down (a peer's bus link to it is down), ok.\n";

static const char after_text[] =
	"Exit status: 0 shown, 1 the cluster could not be read, 2 bad usage.\n";

/* The letter of the k-th shard: A-Z, a-z, 0-9, then '+'. */
static char shard_letter(int k)
{
	static const char letters[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	return k < (int)sizeof(letters) - 1 ? letters[k] : '+';
}

/* One word for the health of a member's links, worst first. */
static const char *link_health(const struct member *m)
{
	if (!m->reachable)
		return (m->n.flags | m->peer_flags) & NF_FAIL ? "fail" : "unreachable";
	if (m->peer_flags & NF_FAIL)
		return "fail";
	if (m->peer_flags & NF_PFAIL)
		return "pfail";
	if ((m->n.flags | m->peer_flags) & NF_HANDSHAKE)
		return "handshake";
	if ((m->n.flags | m->peer_flags) & NF_NOADDR)
		return "noaddr";
	if (m->repl_link_up == 0)
		return "repl-down";
	if (m->state_ok == 0)
		return "state-fail";
	if (m->peers_disconnected > 0)
		return "bus-down";
	return "ok";
}

static const char *human_bytes(long long b, char *buf, size_t size)
{
	static const char units[] = "BKMGTP";
	double v = (double)b;
	int u = 0;

	if (b < 0)
		return "-";
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lldB", b);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
	return buf;
}

static const char *member_addr(const struct member *m, char *buf, size_t size)
{
	if (!m->n.ip[0])
		snprintf(buf, size, "-");
	else if (strchr(m->n.ip, ':'))
		snprintf(buf, size, "[%s]:%d", m->n.ip, m->n.port);
	else
		snprintf(buf, size, "%s:%d", m->n.ip, m->n.port);
	return buf;
}

/* "0-5460 6000 7000-7100 ..." (at most `shown` ranges, then "+N more"). */
static void format_ranges(const struct slot_range *r, int n, int shown, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && o + 24 < size; i++) {
		if (i == shown) {
			snprintf(buf + o, size - o, "(+%d more)", n - shown);
			return;
		}
		if (r[i].first == r[i].last)
			o += (size_t)snprintf(buf + o, size - o, "%s%d", i ? " " : "", r[i].first);
		else
			o += (size_t)snprintf(buf + o, size - o, "%s%d-%d", i ? " " : "", r[i].first,
					      r[i].last);
	}
}

struct shard {
	int master;
	char letter;
	int *replicas;
	int nreplicas;
	struct slot_range *ranges;
	int nranges;
};

struct shard_table {
	struct shard *s;
	int ns;
	int *orphans; /* replicas whose master is not a shard here */
	int norphans;
	int covered;
	char map[MAP_CELLS + 1];
};

static void table_release(struct shard_table *vm)
{
	for (int i = 0; i < vm->ns; i++) {
		free(vm->s[i].replicas);
		free(vm->s[i].ranges);
	}
	free(vm->s);
	free(vm->orphans);
}

static int table_build(struct shard_table *vm, const struct topo *t, struct sc_err *e)
{
	int *masters = malloc(((size_t)t->n + 1) * sizeof(int));
	int *shard_of = malloc(((size_t)t->n + 1) * sizeof(int));
	int rc = -1;

	memset(vm, 0, sizeof(*vm));
	vm->s = calloc((size_t)t->n + 1, sizeof(*vm->s));
	vm->orphans = malloc(((size_t)t->n + 1) * sizeof(int));
	if (!masters || !shard_of || !vm->s || !vm->orphans) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	vm->ns = topo_masters(t, masters, t->n);
	for (int i = 0; i < t->n; i++)
		shard_of[i] = -1;
	for (int k = 0; k < vm->ns; k++) {
		struct shard *s = &vm->s[k];
		int nr;
		s->master = masters[k];
		s->letter = shard_letter(k);
		shard_of[masters[k]] = k;
		s->replicas = malloc(((size_t)t->n + 1) * sizeof(int));
		nr = topo_member_ranges(t, masters[k], NULL, 0);
		s->ranges = malloc(((size_t)nr + 1) * sizeof(*s->ranges));
		if (!s->replicas || !s->ranges) {
			err_set(e, ERR_FAIL, "out of memory");
			goto out;
		}
		s->nranges = topo_member_ranges(t, masters[k], s->ranges, nr);
	}
	for (int i = 0; i < t->n; i++) {
		if (shard_of[i] >= 0)
			continue;
		if (t->m[i].master >= 0 && shard_of[t->m[i].master] >= 0) {
			struct shard *s = &vm->s[shard_of[t->m[i].master]];
			s->replicas[s->nreplicas++] = i;
		} else {
			vm->orphans[vm->norphans++] = i;
		}
	}
	/* the map: each cell shows the master owning most of its slots, or
	 * '.' when any slot of it is uncovered (the thing to notice) */
	for (int c = 0; c < MAP_CELLS; c++) {
		int per = CLUSTER_SLOTS / MAP_CELLS, best = -1, bestn = 0, hole = 0;
		for (int s = c * per; s < (c + 1) * per; s++) {
			int o = t->owner[s], n = 0;
			if (o < 0) {
				hole = 1;
				continue;
			}
			if (o == best)
				continue;
			for (int s2 = c * per; s2 < (c + 1) * per; s2++)
				n += t->owner[s2] == o;
			if (n > bestn) {
				bestn = n;
				best = o;
			}
		}
		vm->map[c] = hole || best < 0 ? '.' : vm->s[shard_of[best]].letter;
	}
	vm->map[MAP_CELLS] = '\0';
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		vm->covered += t->owner[s] >= 0;
	rc = 0;
out:
	free(masters);
	free(shard_of);
	if (rc < 0)
		table_release(vm);
	return rc;
}

/* Keys on the shards' masters, memory of every node; 0 if some unknown. */
static int totals(const struct topo *t, const struct shard_table *vm, long long *keys,
		  long long *mem)
{
	int known = 1;

	*keys = *mem = 0;
	for (int k = 0; k < vm->ns; k++) {
		const struct member *m = &t->m[vm->s[k].master];
		if (m->keys >= 0)
			*keys += m->keys;
		else if (m->nslots > 0)
			known = 0;
	}
	for (int i = 0; i < t->n; i++) {
		if (t->m[i].used_memory >= 0)
			*mem += t->m[i].used_memory;
		else
			known = 0;
	}
	return known;
}

static int count_reachable(const struct topo *t)
{
	int n = 0;

	for (int i = 0; i < t->n; i++)
		n += t->m[i].reachable;
	return n;
}

/* Column widths: the address, the hostname (0: no column), the server. */
struct widths {
	int addr, host, server;
};

/* "valkey 9.1.2", or "-" when unknown. */
static const char *server_text(const struct member *m, char *buf, int len)
{
	if (m->server.family == SERVER_UNKNOWN)
		return "-";
	return server_kind_format(&m->server, buf, len);
}

static void print_member_row(const struct member *m, char letter, const char *role, int slots,
			     const char *ranges, const struct widths *w)
{
	char addr[ADDR_HOST_MAX + 16], mem[32], keys[32], slotbuf[16], server[64];

	if (m->keys >= 0)
		snprintf(keys, sizeof(keys), "%lld", m->keys);
	else
		snprintf(keys, sizeof(keys), "-");
	if (slots >= 0)
		snprintf(slotbuf, sizeof(slotbuf), "%d", slots);
	else
		slotbuf[0] = '\0';
	printf("%-5c %-7s %-*s ", letter, role, w->addr, member_addr(m, addr, sizeof(addr)));
	if (w->host)
		printf("%-*s ", w->host, m->n.hostname[0] ? m->n.hostname : "-");
	printf("%-8.8s %5s %9s %8s  %-*s ", m->n.id, slotbuf, keys,
	       human_bytes(m->used_memory, mem, sizeof(mem)), w->server,
	       server_text(m, server, sizeof(server)));
	if (ranges[0])
		printf("%-11s %s\n", link_health(m), ranges);
	else
		printf("%s\n", link_health(m));
	if (m->error[0])
		printf("%-5s %-7s %s\n", "", "", m->error);
	if (m->n.nopen > 0) {
		struct open_run *runs = malloc((size_t)m->n.nopen * sizeof(*runs));
		int nruns = runs ? node_entry_open_runs(&m->n, runs) : -1;
		for (int k = 0; k < nruns; k++) {
			if (runs[k].first == runs[k].last)
				printf("%-5s %-7s slot %d", "", "", runs[k].first);
			else
				printf("%-5s %-7s slots %d-%d", "", "", runs[k].first, runs[k].last);
			printf(" %s %.8s\n",
			       runs[k].kind == OPEN_MIGRATING ? "migrating to" : "importing from",
			       runs[k].peer);
		}
		if (nruns < 0)
			printf("%-5s %-7s %d open slots\n", "", "", m->n.nopen);
		free(runs);
	}
}

static void print_human(const struct topo *t, const struct shard_table *vm)
{
	char ranges[256], addr[ADDR_HOST_MAX + 16], server[64];
	struct widths w = { 7, 0, 6 };

	for (int i = 0; i < t->n; i++) {
		int aw = (int)strlen(member_addr(&t->m[i], addr, sizeof(addr)));
		int hw = (int)strlen(t->m[i].n.hostname);
		int sw = (int)strlen(server_text(&t->m[i], server, sizeof(server)));
		if (sw > w.server)
			w.server = sw;
		if (aw > w.addr)
			w.addr = aw;
		if (hw > w.host)
			w.host = hw < 8 ? 8 : hw;
	}
	printf("cluster: %d node%s (%d reachable), %d shard%s, %d/%d slots covered, %s\n", t->n,
	       t->n == 1 ? "" : "s", count_reachable(t), vm->ns, vm->ns == 1 ? "" : "s", vm->covered,
	       CLUSTER_SLOTS,
	       t->agree ? "all views agree" : "views DISAGREE");
	if (!t->agree)
		printf("first disagreement: %s\n", t->disagreement);
	if (t->nconflicts)
		printf("slots claimed by two masters: %d\n", t->nconflicts);
	printf("\n%-5s %-7s %-*s ", "SHARD", "ROLE", w.addr, "ADDRESS");
	if (w.host)
		printf("%-*s ", w.host, "HOSTNAME");
	printf("%-8s %5s %9s %8s  %-*s %-11s %s\n", "ID", "SLOTS", "KEYS", "MEMORY", w.server, "SERVER",
	       "LINK", "RANGES");
	for (int k = 0; k < vm->ns; k++) {
		const struct shard *s = &vm->s[k];
		format_ranges(s->ranges, s->nranges, RANGES_SHOWN, ranges, sizeof(ranges));
		print_member_row(&t->m[s->master], s->letter, "master", t->m[s->master].nslots,
				 ranges, &w);
		for (int r = 0; r < s->nreplicas; r++)
			print_member_row(&t->m[s->replicas[r]], ' ', "replica", -1, "", &w);
	}
	for (int r = 0; r < vm->norphans; r++) {
		const struct member *m = &t->m[vm->orphans[r]];
		print_member_row(m, '?', m->n.flags & NF_REPLICA ? "replica" : "node", -1,
				 m->n.master[0] ? "(master not in the cluster)" : "", &w);
	}
	{
		long long keys, mem;
		char mb[32];
		int known = totals(t, vm, &keys, &mem);
		printf("total: %lld keys on the masters, %s used by all nodes%s\n", keys,
		       human_bytes(mem, mb, sizeof(mb)), known ? "" : " (some nodes unknown)");
	}
	printf("\nslot map (%d cells of %d slots, '.' = a slot in the cell is uncovered):\n",
	       MAP_CELLS, CLUSTER_SLOTS / MAP_CELLS);
	for (int row = 0; row < MAP_CELLS / MAP_ROW; row++)
		printf("  %5d %.*s\n", row * MAP_ROW * (CLUSTER_SLOTS / MAP_CELLS), MAP_ROW,
		       vm->map + row * MAP_ROW);
	printf("legend:");
	for (int k = 0; k < vm->ns; k++)
		if (t->m[vm->s[k].master].nslots > 0)
			printf(" %c=%s", vm->s[k].letter,
			       member_addr(&t->m[vm->s[k].master], addr, sizeof(addr)));
	printf("%s\n", vm->covered ? "" : " (no master owns a slot)");
}

static void json_flags(unsigned f)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ NF_MASTER, "master" },	 { NF_REPLICA, "replica" }, { NF_PFAIL, "pfail" },
		{ NF_FAIL, "fail" },		 { NF_HANDSHAKE, "handshake" }, { NF_NOADDR, "noaddr" },
		{ NF_NOFAILOVER, "nofailover" },
	};
	int first = 1;

	printf("[");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit) {
			printf("%s\"%s\"", first ? "" : ",", names[i].name);
			first = 0;
		}
	printf("]");
}

static void json_member(const struct member *m)
{
	char addr[ADDR_HOST_MAX + 16];

	printf("{\"id\":\"%s\",\"address\":", m->n.id);
	json_str(stdout, m->n.ip[0] ? member_addr(m, addr, sizeof(addr)) : NULL);
	printf(",\"hostname\":");
	json_str(stdout, m->n.hostname[0] ? m->n.hostname : NULL);
	printf(",\"role\":\"%s\",\"master_id\":", m->n.flags & NF_REPLICA ? "replica" : "master");
	json_str(stdout, m->n.master[0] ? m->n.master : NULL);
	printf(",\"flags\":");
	json_flags(m->n.flags | m->peer_flags);
	printf(",\"reachable\":%s,\"link\":\"%s\",\"slots\":%d,\"config_epoch\":%llu",
	       m->reachable ? "true" : "false", link_health(m), m->nslots, m->n.config_epoch);
	printf(",\"keys\":");
	m->keys >= 0 ? printf("%lld", m->keys) : printf("null");
	printf(",\"used_memory\":");
	m->used_memory >= 0 ? printf("%lld", m->used_memory) : printf("null");
	printf(",\"cluster_state_ok\":%s", m->state_ok < 0 ? "null" : m->state_ok ? "true" : "false");
	printf(",\"replication_link_up\":%s",
	       m->repl_link_up < 0 ? "null" : m->repl_link_up ? "true" : "false");
	printf(",\"open_slots\":[");
	for (int k = 0; k < m->n.nopen; k++)
		printf("%s{\"slot\":%d,\"state\":\"%s\",\"peer\":\"%s\"}", k ? "," : "",
		       m->n.open[k].slot,
		       m->n.open[k].kind == OPEN_MIGRATING ? "migrating" : "importing",
		       m->n.open[k].peer);
	printf("],\"server\":");
	if (m->server.family == SERVER_UNKNOWN) {
		printf("null");
	} else {
		printf("{\"family\":\"%s\",\"version\":", server_family_name(m->server.family));
		json_str(stdout, m->server.version);
		int dv = server_kind_dump_version(&m->server);
		printf(",\"dump_format\":");
		dv >= 0 ? printf("%d}", dv) : printf("null}");
	}
	printf(",\"error\":");
	json_str(stdout, m->error[0] ? m->error : NULL);
	printf("}");
}

static void print_json(const struct topo *t, const struct shard_table *vm)
{
	printf("{\"nodes\":%d,\"reachable\":%d,\"shards_count\":%d,\"slots_covered\":%d,"
	       "\"agree\":%s,\"disagreement\":",
	       t->n, count_reachable(t), vm->ns, vm->covered, t->agree ? "true" : "false");
	json_str(stdout, t->agree ? NULL : t->disagreement);
	{
		long long keys, mem;
		int known = totals(t, vm, &keys, &mem);
		printf(",\"conflicts\":%d,\"keys\":%lld,\"used_memory\":%lld,\"totals_complete\":%s",
		       t->nconflicts, keys, mem, known ? "true" : "false");
	}
	printf(",\"shards\":[");
	for (int k = 0; k < vm->ns; k++) {
		const struct shard *s = &vm->s[k];
		printf("%s{\"letter\":\"%c\",\"slots\":%d,\"ranges\":[", k ? "," : "", s->letter,
		       t->m[s->master].nslots);
		for (int r = 0; r < s->nranges; r++)
			printf("%s[%d,%d]", r ? "," : "", s->ranges[r].first, s->ranges[r].last);
		printf("],\"master\":");
		json_member(&t->m[s->master]);
		printf(",\"replicas\":[");
		for (int r = 0; r < s->nreplicas; r++) {
			printf("%s", r ? "," : "");
			json_member(&t->m[s->replicas[r]]);
		}
		printf("]}");
	}
	printf("],\"others\":[");
	for (int r = 0; r < vm->norphans; r++) {
		printf("%s", r ? "," : "");
		json_member(&t->m[vm->orphans[r]]);
	}
	printf("],\"slot_map\":{\"cells\":%d,\"slots_per_cell\":%d,\"cells_owner\":\"%s\"}}\n",
	       MAP_CELLS, CLUSTER_SLOTS / MAP_CELLS, vm->map);
}

int cmd_status(int argc, char **argv)
{
	struct cli_common common;
	struct addr_list seeds = { NULL, 0 };
	struct topo t;
	struct shard_table vm;
	struct sc_err e = { 0 };
	int rc = 2, have_topo = 0, have_table = 0;
	const struct opt opts[] = {
		OPT_ARG(OPTION_ADDR_LIST, &seeds, "HOST:PORT", NULL),
		OPT_FLAG(0, "json", &common.json,
			 "the same data as one JSON object: nodes, reachable, shards_count, "
			 "slots_covered, agree, disagreement, conflicts, keys, used_memory, shards "
			 "[{letter, slots, ranges, master, replicas}], others, slot_map; each node: id, "
			 "address, hostname, role, flags, link, keys, used_memory, open_slots, server "
			 "{family, version, dump_format} or null, error, ..."),
		OPT_GROUP(common.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "status", usage_text, about_text, after_text, opts };

	memset(&t, 0, sizeof(t));
	cli_common_init(&common);
	if (opt_parse_cmdline(&cmd, argc, argv, &rc) < 0)
		goto out;
	if (cli_common_finish(&common, &e) < 0) {
		rc = cli_fail("status", &e);
		goto out;
	}
	if (survey_read(&t, seeds.v, seeds.n, &common.conn, 1, &e) < 0) {
		rc = cli_fail("status", &e);
		goto out;
	}
	have_topo = 1;
	if (table_build(&vm, &t, &e) < 0) {
		rc = cli_fail("status", &e);
		goto out;
	}
	have_table = 1;
	if (common.json)
		print_json(&t, &vm);
	else
		print_human(&t, &vm);
	rc = 0;
out:
	if (have_table)
		table_release(&vm);
	if (have_topo)
		topo_release(&t);
	addr_list_release(&seeds);
	cli_common_release(&common);
	return rc;
}
