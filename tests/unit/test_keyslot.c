/* Key slots against known vectors (CRC16 check value; slots as reported by
 * CLUSTER KEYSLOT on Redis 7.0; hash tag rules of the specification). */
#include "base/keyslot.h"
#include "unit.h"

static const struct {
	const char *key;
	int slot;
} vectors[] = {
	{ "foo", 12182 },
	{ "bar", 5061 },
	{ "key:0", 2592 },
	{ "", 0 },
	{ "{user1000}.following", 3443 },
	{ "{user1000}.followers", 3443 },
	{ "user1000", 3443 },
	{ "foo{}{bar}", 8363 },   /* empty first tag: whole key hashed */
	{ "foo{{bar}}zap", 4015 }, /* tag is "{bar" */
	{ "foo{bar}{zap}", 5061 }, /* first tag only: "bar" */
	{ "{", 4092 },
	{ "}{", 12793 },
};

int main(void)
{
	CHECK_INT(keyslot_crc16("123456789", 9), 0x31C3);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		int got = keyslot_of(vectors[i].key, strlen(vectors[i].key));
		if (got != vectors[i].slot)
			fprintf(stderr, "key '%s'\n", vectors[i].key);
		CHECK_INT(got, vectors[i].slot);
	}
	return UNIT_DONE("keyslot");
}
