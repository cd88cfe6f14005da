/* millis.c - see millis.h */
#include "base/millis.h"

#include <stdio.h>

int millis_parse(const char *s, long long *us)
{
	long long ms = 0, frac = 0;
	int neg = 0, digits = 0, decimals = 0;

	if (!s)
		return -1;
	if (*s == '-')
		neg = 1, s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		ms = ms * 10 + (*s - '0');
		if (ms > 2000000)
			return -1;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
			if (decimals == 3)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (!decimals)
			return -1; /* "1." */
	}
	if (*s || !digits)
		return -1; /* ".5" too: written as 0.5 */
	for (int i = decimals; i < 3; i++)
		frac *= 10;
	*us = (neg ? -1 : 1) * (ms * 1000 + frac);
	return 0;
}

const char *millis_format(long long us, char *buf, int len)
{
	long long a = us < 0 ? -us : us, frac = a % 1000;
	int places = 3;

	while (places > 0 && frac % 10 == 0)
		frac /= 10, places--;
	if (places)
		snprintf(buf, (size_t)len, "%s%lld.%0*lld", us < 0 ? "-" : "", a / 1000, places, frac);
	else
		snprintf(buf, (size_t)len, "%s%lld", us < 0 ? "-" : "", a / 1000);
	return buf;
}
