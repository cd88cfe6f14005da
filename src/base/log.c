/* log.c - see log.h. */
#include "base/log.h"

#include <stdarg.h>

static void line(FILE *out, const char *tag, const char *fmt, va_list ap)
{
	if (tag)
		fprintf(out, "%s: ", tag);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	fflush(out);
}

void log_say(FILE *out, const char *fmt, ...)
{
	va_list ap;

	if (!out)
		return;
	va_start(ap, fmt);
	line(out, NULL, fmt, ap);
	va_end(ap);
}

void log_tagged(FILE *out, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (!out)
		return;
	va_start(ap, fmt);
	line(out, tag, fmt, ap);
	va_end(ap);
}
