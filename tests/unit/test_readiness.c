/* test_readiness.c - readiness_judge on INFO texts of masters and replicas:
 * what a rolling restart may and may not take for "serves". */
#include "cluster/readiness.h"
#include "unit.h"

static const struct {
	const char *info;
	int want;
	const char *why; /* a word of the reason when not ready */
} cases[] = {
	/* a master answering, not loading: ready, in a cluster or not */
	{ "# Persistence\r\nloading:0\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n", 1, NULL },
	/* a master loading its append-only file */
	{ "# Persistence\r\nloading:1\r\n# Replication\r\nrole:master\r\n", 0, "loading" },
	/* a replica in sync */
	{ "loading:0\r\nrole:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\n", 1, NULL },
	/* a replica in its first full sync (link down while the RDB streams) */
	{ "loading:0\r\nrole:slave\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\n", 0,
	  "master_link_status" },
	/* link up but a sync still in progress */
	{ "loading:0\r\nrole:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:1\r\n", 0,
	  "master_sync_in_progress" },
	/* a replica loading the RDB it received */
	{ "loading:1\r\nrole:slave\r\nmaster_link_status:down\r\nmaster_sync_in_progress:0\r\n", 0, "loading" },
	/* a replica whose master is gone */
	{ "loading:0\r\nrole:slave\r\nmaster_link_status:down\r\nmaster_sync_in_progress:0\r\n", 0,
	  "master_link_status" },
	/* fields missing: not ready, never a guess */
	{ "role:slave\r\nloading:0\r\n", 0, "master_link_status" },
	{ "loading:0\r\n", 0, "role" },
	{ "role:master\r\n", 0, "loading" },
	{ "", 0, "role" },
	/* a field name that only starts like one is not it */
	{ "loading_eta_seconds:3\r\nloading:0\r\nrole:master\r\n", 1, NULL },
	{ "loading:0\r\nrole:sentinel\r\n", 0, "role" },
};

int main(void)
{
	char why[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		CHECK_INT(readiness_judge(cases[i].info, why, sizeof(why)), cases[i].want);
		if (cases[i].why && !strstr(why, cases[i].why))
			CHECK_STR(why, cases[i].why);
	}
	return UNIT_DONE("test_readiness");
}
