/* millis.h - durations written in milliseconds with decimals ("1.5"),
 * held in microseconds: how a user gives --max-latency and how shardctl
 * prints it back.  Locale-free (no strtod: "1,5" is never a number). */
#ifndef SHARDCTL_MILLIS_H
#define SHARDCTL_MILLIS_H

/* Parse "[-]DIGITS[.DIGITS]" (at most three decimals, at most 2,000,000 ms)
 * into *us.  0, or -1 when s is not such a number (*us untouched). */
int millis_parse(const char *s, long long *us);

/* us as milliseconds, shortest exact form: 1500 -> "1.5", 2000 -> "2",
 * 250 -> "0.25" (sub-microsecond digits never exist).  Returns buf. */
const char *millis_format(long long us, char *buf, int len);

#endif
