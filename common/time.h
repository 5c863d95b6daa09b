/*
 * time.h - the one timestamp parser and formatter of cmkctl, the wall and
 * monotonic clocks, and the CMKCTL_TIME_SCALE setting.
 *
 * Every date the tool reads (ARM's createdDate and lastSKUUpdate, a key's
 * expiry, a saved operation's startedAt, --now on the command line) goes
 * through cmk_time_parse_ms; every ISO 8601 timestamp it writes through
 * cmk_time_format / cmk_time_format_ms. HTTP header dates (Date, an
 * HTTP-date Retry-After) keep libcurl's parser, which knows the three
 * forms RFC 9110 requires (providers/retry.h).
 */
#ifndef CMK_TIME_H
#define CMK_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

/*
 * Parse a timestamp into epoch milliseconds. Accepted (the union of what the
 * planner's, the adapters' and the LRO loader's former parsers took):
 *  - ISO 8601 "2022-11-03T07:31:31", separator 'T', 't' or blanks, an
 *    optional fraction after '.' or ',' (milliseconds kept, more digits
 *    dropped), then nothing (UTC), 'Z'/'z', or an offset "+hh:mm"/"+hhmm";
 *  - RFC 1123 "Thu, 03 Nov 2022 07:31:31 GMT" (weekday optional; GMT, UTC,
 *    Z, +0000 or nothing after the time), and the older lenient reading of
 *    "<anything>, dd Mon yyyy hh:mm:ss ..." that took any trailer as GMT.
 * CMK_EINVALID ("'<text>' is not a timestamp (ISO 8601 or RFC 1123)") when
 * `text` is NULL or none of these.
 */
int cmk_time_parse_ms(int64_t *out, const char *text) CMK_WUR;

/* The same in epoch seconds (the fraction floored away). */
int cmk_time_parse(time_t *out, const char *text) CMK_WUR;

/* "2022-11-03T07:31:31Z" into out (at least 21 bytes, CMK_TIME_ISO_LEN);
 * CMK_EINVALID (out set to "") when `t` is beyond what gmtime can render. */
#define CMK_TIME_ISO_LEN 32
int cmk_time_format(char *out, size_t size, time_t t);

/* "2022-11-03T07:31:31.123Z" from epoch milliseconds (floored, so a time
 * before 1970 keeps a 0-999 fraction); same failure as cmk_time_format. */
int cmk_time_format_ms(char *out, size_t size, int64_t ms);

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t cmk_time_wall_ms(void);

/* Milliseconds on a monotonic clock: what delays and deadlines count in. */
int64_t cmk_time_mono_ms(void);

/*
 * CMKCTL_TIME_SCALE (virtual seconds per real second, for tests against
 * armsim's accelerated clock): *out = 1.0 when unset or empty, else the
 * whole value as a positive finite number; CMK_EINVALID ("CMKCTL_TIME_SCALE:
 * expected a positive number, got '...'") otherwise, *out left at 1.0.
 */
int cmk_time_scale_env(double *out) CMK_WUR;

#endif
