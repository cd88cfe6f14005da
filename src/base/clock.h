/* clock.h - the one clock and the one sleep of shardctl.
 *
 * Every deadline is measured on a monotonic clock, so a wall-clock jump
 * (NTP, a VM resumed) never ends or stretches a wait. */
#ifndef SHARDCTL_CLOCK_H
#define SHARDCTL_CLOCK_H

/* Milliseconds on a monotonic clock. */
long long clock_now_ms(void);

/* Microseconds on the same clock (short durations: a round's stall). */
long long clock_now_us(void);

/* Sleep ms milliseconds (backoff inside a deadline loop, never alone). */
void clock_sleep_ms(int ms);

#endif
