/*
 * simclock.h - the virtual clock every armsim duration runs on.
 *
 * now = start wall time + (real time elapsed since start) * time_scale
 *       + everything added by simclock_advance().
 * Time scale 1 is real time; tests use e.g. 10000 so an hour takes 0.36 s.
 * Token lifetimes and throttling refill use real time (they concern the
 * client's clock), everything Azure does asynchronously uses this one.
 */
#ifndef ARMSIM_SIMCLOCK_H
#define ARMSIM_SIMCLOCK_H

#include <stddef.h>
#include <stdint.h>

void simclock_init(double time_scale);
double simclock_scale(void);
/* Virtual now, milliseconds since the Unix epoch. */
int64_t simclock_now_ms(void);
/* Jump forward (seconds >= 0). */
void simclock_advance(double seconds);
/* Real monotonic milliseconds (throttling). */
int64_t simclock_real_ms(void);

/* Formatting of a virtual time: ISO 8601 "2026-11-23T16:40:00.123Z" and
 * RFC 1123 "Mon, 23 Nov 2026 16:40:00 GMT". */
void simclock_iso8601(char *out, size_t outlen, int64_t ms);
void simclock_rfc1123(char *out, size_t outlen, int64_t ms);
/* Parse either form (and ISO without fraction/zone offset); -1 on error. */
int64_t simclock_parse(const char *s);

#endif
