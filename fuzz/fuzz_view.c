/* fuzz_view.c - libFuzzer target: any bytes as a CLUSTER NODES reply.
 * view_parse must return 0 or -1 (with a message), never crash; a parsed
 * view is also merged (topo_build), read back and planned by heal and fix
 * the way the commands do, so their view of untrusted data is exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_view_one(data, size);
	return 0;
}
