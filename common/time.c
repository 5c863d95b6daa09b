/*
 * time.c - timestamps and clocks (see time.h).
 */
#include "common/time.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The milliseconds of a fraction's digits at `*p` (after its separator);
 * `*p` moves past every digit. */
static int time__fraction_ms(const char **p)
{
	int ms = 0, digits = 0;

	for (; isdigit((unsigned char)**p); (*p)++, digits++)
		if (digits < 3)
			ms = ms * 10 + (**p - '0');
	for (; digits < 3; digits++)
		ms *= 10;
	return ms;
}

/* ISO 8601 date and time: "yyyy-mm-dd", 'T' or blanks, "hh:mm:ss". */
static const char *time__iso_fields(struct tm *tm, const char *text)
{
	const char *rest;

	memset(tm, 0, sizeof(*tm));
	if ((rest = strptime(text, "%Y-%m-%dT%H:%M:%S", tm)) == NULL) {
		memset(tm, 0, sizeof(*tm));
		rest = strptime(text, "%Y-%m-%d %H:%M:%S", tm);
	}
	return rest;
}

/* Whether `text` is exactly "yyyy-mm-ddthh:mm:ss[.f...][Z|z|+hh:mm|-hh:mm]"
 * (a lower-case 't', fixed digits, seconds up to 60): the planner's former
 * strict grammar, the only one that took a lower-case 't'. */
static bool time__iso_strict_lower_t(const char *text)
{
	static const char shape[] = "dddd-dd-ddtdd:dd:dd";
	const char *p = text + sizeof(shape) - 1;

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != shape[i])
			return false;
	if ((text[17] - '0') * 10 + (text[18] - '0') > 60)
		return false;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		 isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		 isdigit((unsigned char)p[5]))
		p += 6;
	return *p == '\0';
}

/* ISO 8601 with its fraction and zone; 0 or -1. */
static int time__parse_iso(int64_t *out, const char *text)
{
	struct tm tm;
	const char *rest = time__iso_fields(&tm, text);
	long off = 0;
	int ms = 0;

	if (!rest)
		return -1;
	if (*rest == '.' || *rest == ',') {
		rest++;
		ms = time__fraction_ms(&rest);
	}
	if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else if (*rest == '+' || *rest == '-') {
		int hh = 0, mm = 0, sign = *rest == '-' ? -1 : 1;

		/* lenient as the adapters always were: what follows hh:mm is not read */
		if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2 &&
		    sscanf(rest + 1, "%2d%2d", &hh, &mm) != 2)
			return -1;
		off = sign * (hh * 3600L + mm * 60L);
		rest += strlen(rest);
	}
	if (*rest)
		return -1;
	*out = ((int64_t)timegm(&tm) - off) * 1000 + ms;
	return 0;
}

/* RFC 1123, weekday optional, GMT (or an equivalent) or nothing after. */
static int time__parse_rfc1123(int64_t *out, const char *text)
{
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(text, "%a, %d %b %Y %H:%M:%S", &tm);
	if (!rest) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(text, "%d %b %Y %H:%M:%S", &tm);
	}
	if (!rest)
		return -1;
	while (*rest == ' ')
		rest++;
	if (*rest && strcasecmp(rest, "GMT") != 0 && strcasecmp(rest, "UTC") != 0 &&
	    strcmp(rest, "Z") != 0 && strcmp(rest, "+0000") != 0)
		return -1;
	*out = (int64_t)timegm(&tm) * 1000;
	return 0;
}

/* The planner's older RFC 1123 reading: whatever precedes the first comma
 * (but not a year: that text was only ever read as ISO 8601), fields read by
 * sscanf (the trailer after the seconds is not checked). */
static int time__parse_rfc1123_lenient(int64_t *out, const char *text)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const char *comma = strchr(text, ',');
	char mon[4] = "";
	int y, d, h, mi, s, i;
	struct tm tm;

	if (strspn(text, "0123456789") >= 4 || !comma ||
	    sscanf(comma + 1, " %2d %3s %4d %2d:%2d:%2d GMT", &d, mon, &y, &h, &mi, &s) != 6)
		return -1;
	for (i = 0; i < 12 && strcmp(months[i], mon) != 0; i++)
		;
	if (i == 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = i;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = (int64_t)timegm(&tm) * 1000;
	return 0;
}

int cmk_time_parse_ms(int64_t *out, const char *text)
{
	/* the grammars are disjoint: ISO starts with a year and '-', RFC 1123
	 * has a month name in its second or third field */
	if (text && (time__parse_iso(out, text) == 0 || time__parse_rfc1123(out, text) == 0 ||
		     time__parse_rfc1123_lenient(out, text) == 0))
		return 0;
	if (text && time__iso_strict_lower_t(text)) {
		char *upper = strdup(text);
		int rc;

		if (!upper)
			return cmk_error_oom();
		/* a strict 't' form is the 'T' form's value */
		upper[10] = 'T';
		rc = time__parse_iso(out, upper);
		free(upper);
		if (rc == 0)
			return 0;
	}
	return cmk_error_set(CMK_EINVALID, "'%s' is not a timestamp (ISO 8601 or RFC 1123)",
			     text ? text : "");
}

int cmk_time_parse(time_t *out, const char *text)
{
	int64_t ms = 0;
	int error;

	if ((error = cmk_time_parse_ms(&ms, text)) < 0)
		return error;
	/* floored: the seconds of a time before 1970 do not round up */
	*out = (time_t)((ms - (((ms % 1000) + 1000) % 1000)) / 1000);
	return 0;
}

int cmk_time_format(char *out, size_t size, time_t t)
{
	struct tm tm;

	if (size)
		out[0] = '\0';
	if (!gmtime_r(&t, &tm))
		return cmk_error_set(CMK_EINVALID, "time %lld out of range", (long long)t);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

int cmk_time_format_ms(char *out, size_t size, int64_t ms)
{
	int64_t frac = ((ms % 1000) + 1000) % 1000;
	time_t secs = (time_t)((ms - frac) / 1000);
	struct tm tm;

	if (size)
		out[0] = '\0';
	if (!gmtime_r(&secs, &tm))
		return cmk_error_set(CMK_EINVALID, "time %lld ms out of range", (long long)ms);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	return 0;
}

int64_t cmk_time_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cmk_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmk_time_scale_env(double *out)
{
	const char *scale = getenv("CMKCTL_TIME_SCALE");
	char *end = NULL;
	double v;

	*out = 1.0;
	if (!scale || !*scale)
		return 0;
	errno = 0;
	v = strtod(scale, &end);
	if (errno || !end || *end || !(v > 0) || !isfinite(v))
		return cmk_error_set(CMK_EINVALID, "CMKCTL_TIME_SCALE: expected a positive number, got '%s'",
				     scale);
	*out = v;
	return 0;
}
