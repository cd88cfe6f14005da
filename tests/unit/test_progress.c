/* Progress lines: plain lines for logs (totals, rate, eta), a bar on a
 * terminal, and the final summary. */
#include <stdio.h>
#include <string.h>

#include "base/progress.h"
#include "unit.h"

static void read_all(FILE *f, char *buf, size_t len)
{
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
}

int main(void)
{
	struct progress p;
	char buf[2048];
	FILE *f = tmpfile();

	progress_init(&p, f, 0);
	p.every_ms = 0;
	p.last_ms -= 10;
	progress_update(&p, 10, 100, 500, 1000);
	read_all(f, buf, sizeof(buf));
	CHECK(strstr(buf, "progress: 10/100 slots, 500/1000 keys, ") == buf);
	CHECK(strstr(buf, "keys/s, eta ") != NULL);

	/* unknown key total: no "/total", eta from slots */
	f = freopen(NULL, "w+", f);
	progress_init(&p, f, 0);
	p.every_ms = 0;
	p.last_ms -= 10;
	progress_update(&p, 50, 100, 500, 0);
	read_all(f, buf, sizeof(buf));
	CHECK(strstr(buf, "progress: 50/100 slots, 500 keys, ") == buf);

	/* too soon: nothing printed */
	f = freopen(NULL, "w+", f);
	progress_init(&p, f, 0);
	progress_update(&p, 50, 100, 500, 0);
	read_all(f, buf, sizeof(buf));
	CHECK_STR(buf, "");

	/* terminal: a bar redrawn in place, cleared by the summary */
	f = freopen(NULL, "w+", f);
	progress_init(&p, f, 1);
	p.last_ms -= 1000;
	progress_update(&p, 25, 100, 10, 40);
	progress_end(&p, 100, 100, 40);
	read_all(f, buf, sizeof(buf));
	CHECK(strstr(buf, "\r[#######.......................]  25% 25/100 slots") == buf);
	CHECK(strstr(buf, "moved 100/100 slots, 40 keys in ") != NULL);
	CHECK(strstr(buf, "\r\033[Kmoved") != NULL);

	/* silent without a stream */
	progress_init(&p, NULL, 0);
	progress_update(&p, 1, 2, 3, 4);
	progress_end(&p, 1, 2, 3);
	fclose(f);
	return UNIT_DONE("progress");
}
