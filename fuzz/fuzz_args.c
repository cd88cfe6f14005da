/* fuzz_args.c - libFuzzer target: any bytes as a command-line value given to
 * the address and number parsers, and as a command line (words split at
 * newlines) given to the option table parser (see fuzz_args.h). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_args_one(data, size);
	return 0;
}
