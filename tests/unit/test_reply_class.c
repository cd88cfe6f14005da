/* conn.c's classifier of server replies (reply_class), fed literal error
 * texts as Redis 7.0 and Valkey 8/9 word them: codes by their first word,
 * the few "ERR ..." replies by their wording, and MIGRATE's relayed target
 * errors by the target's error.  No sockets. */
#include <string.h>

#include "cluster/conn.h"
#include "unit.h"

static enum reply_class class_of(int type, const char *text)
{
	redisReply r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.str = (char *)text;
	r.len = strlen(text);
	return reply_class(&r);
}

static const struct {
	const char *text;
	enum reply_class want;
} errors[] = {
	{ "MOVED 3999 127.0.0.1:6381", RC_MOVED },
	{ "ASK 3999 127.0.0.1:6381", RC_ASK },
	{ "BUSYKEY Target key name already exists.", RC_BUSYKEY },
	{ "TRYAGAIN Multiple keys request during rehashing of slot", RC_TRYAGAIN },
	{ "CLUSTERDOWN The cluster is down", RC_CLUSTERDOWN },
	{ "LOADING Redis is loading the dataset in memory", RC_LOADING },
	{ "NOAUTH Authentication required.", RC_NOAUTH },
	{ "WRONGPASS invalid username-password pair", RC_NOAUTH },
	{ "IOERR error or timeout reading to target instance", RC_IOERR },
	{ "NOREPLICAS Not enough good replicas to write.", RC_NOREPLICAS },
	{ "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
	  RC_UNBLOCKED },
	{ "ERR I'm already the owner of hash slot 42", RC_ALREADY_OWNER },
	{ "ERR I don't know about node aaaa", RC_UNKNOWN_NODE },
	{ "ERR Unknown node aaaa", RC_UNKNOWN_NODE },
	{ "ERR Please use SETSLOT only with masters.", RC_ONLY_MASTERS },
	{ "ERR Please use SETSLOT only with primaries.", RC_ONLY_MASTERS },
	{ "ERR Can't assign hashslot 42 to a different node while I still hold keys for this hash slot.",
	  RC_HOLDS_KEYS },
	{ "ERR This instance has cluster support disabled", RC_NO_CLUSTER },
	{ "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE", RC_MASTER_DOWN },
	{ "ERR Primary is down or failed, please use CLUSTER FAILOVER FORCE", RC_MASTER_DOWN },
	{ "ERR another ASM task is already in progress", RC_ASM_BUSY },
	{ "ERR Slot 0 is currently in an active atomic slot migration. CLUSTER SETSLOT cannot be used at this time. "
	  "To perform a legacy slot migration instead, first cancel the ongoing task with CLUSTER MIGRATION CANCEL",
	  RC_ASM_BUSY },
	{ "ERR Target instance replied with error: BUSYKEY Target key name already exists.", RC_BUSYKEY },
	{ "ERR Target instance replied with error: TRYAGAIN busy", RC_TRYAGAIN },
	{ "ERR Target instance replied with error: ASK 15495 127.0.0.1:1", RC_ASK },
	{ "ERR Target instance replied with error: ERR wrong", RC_OTHER },
	{ "ERR I'm not the owner of hash slot 42", RC_OTHER },
	{ "WRONGTYPE Operation against a key holding the wrong kind of value", RC_OTHER },
	{ "ERRX already the owner of hash slot", RC_OTHER }, /* wording counts after ERR only */
	{ "", RC_OTHER },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		enum reply_class got = class_of(REDIS_REPLY_ERROR, errors[i].text);
		CHECK_STR(reply_class_name(got), reply_class_name(errors[i].want));
		if (got != errors[i].want)
			fprintf(stderr, "  for '%s'\n", errors[i].text);
	}
	CHECK_INT(class_of(REDIS_REPLY_STATUS, "OK"), RC_OK);
	CHECK_INT(class_of(REDIS_REPLY_STATUS, "already the owner of hash slot"), RC_OK);
	CHECK_INT(reply_class(NULL), RC_OK);
	CHECK_INT(reply_class_retryable(RC_NOREPLICAS), 1);
	CHECK_INT(reply_class_retryable(RC_TRYAGAIN), 1);
	CHECK_INT(reply_class_retryable(RC_ASM_BUSY), 1);
	CHECK_INT(reply_class_retryable(RC_UNBLOCKED), 0);
	CHECK_INT(reply_class_retryable(RC_ALREADY_OWNER), 0);
	CHECK_INT(reply_class_retryable(RC_IOERR), 0);
	return UNIT_DONE("reply_class");
}
