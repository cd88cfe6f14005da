/* Replays the fuzz targets' inputs without libFuzzer: every file under
 * fuzz/regress/NAME (crashes once found, and hand-made edge cases) and the
 * seed corpus fuzz/corpus/NAME.  Under the ASan/UBSan build a regression is
 * a sanitizer report; a broken contract aborts.  Run from the repository
 * root (tests/run.sh does). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "../../fuzz/fuzz_args.h"
#include "../../fuzz/fuzz_view.h"

static int replay(const char *dir, int view)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d) {
		fprintf(stderr, "cannot open '%s' (run from the repository root)\n", dir);
		return -1;
	}
	while ((de = readdir(d))) {
		char path[512];
		FILE *f;
		uint8_t *buf;
		long len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		buf = malloc((size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
			if (view)
				fuzz_view_one(buf, (size_t)len);
			else
				fuzz_args_one(buf, (size_t)len);
			n++;
			unit_pass++;
		}
		free(buf);
		fclose(f);
	}
	closedir(d);
	return n;
}

int main(void)
{
	CHECK(replay("fuzz/regress/fuzz_view", 1) >= 7);
	CHECK(replay("fuzz/corpus/fuzz_view", 1) >= 10);
	CHECK(replay("fuzz/regress/fuzz_args", 0) >= 8);
	CHECK(replay("fuzz/corpus/fuzz_args", 0) >= 10);
	return UNIT_DONE("fuzz");
}
