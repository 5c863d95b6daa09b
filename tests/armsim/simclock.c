/*
 * simclock.c - the virtual clock (see simclock.h).
 */
#include "simclock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static double g_scale = 1.0;
static int64_t g_start_wall_ms;
static int64_t g_start_real_ms;
static double g_advanced_ms;

int64_t simclock_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void simclock_init(double time_scale)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&clock_lock);
	g_scale = time_scale > 0 ? time_scale : 1.0;
	g_start_wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	g_start_real_ms = simclock_real_ms();
	g_advanced_ms = 0;
	pthread_mutex_unlock(&clock_lock);
}

double simclock_scale(void)
{
	return g_scale;
}

int64_t simclock_now_ms(void)
{
	pthread_mutex_lock(&clock_lock);
	double elapsed = (double)(simclock_real_ms() - g_start_real_ms) * g_scale;
	int64_t now = g_start_wall_ms + (int64_t)(elapsed + g_advanced_ms);
	pthread_mutex_unlock(&clock_lock);
	return now;
}

void simclock_advance(double seconds)
{
	if (seconds <= 0)
		return;
	pthread_mutex_lock(&clock_lock);
	g_advanced_ms += seconds * 1000.0;
	pthread_mutex_unlock(&clock_lock);
}

void simclock_iso8601(char *out, size_t outlen, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[32];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outlen, "%s.%03dZ", base, (int)(ms % 1000));
}

void simclock_rfc1123(char *out, size_t outlen, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	/* C locale names, as HTTP wants, regardless of the process locale */
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday],
		 tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

int64_t simclock_parse(const char *s)
{
	struct tm tm;
	int frac_ms = 0;
	if (!s)
		return -1;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end) {
		if (*end == '.') {
			int digits = 0, v = 0;
			for (end++; *end >= '0' && *end <= '9'; end++, digits++)
				if (digits < 3)
					v = v * 10 + (*end - '0');
			while (digits > 0 && digits < 3) {
				v *= 10;
				digits++;
			}
			frac_ms = v;
		}
		int64_t t = (int64_t)timegm(&tm) * 1000 + frac_ms;
		if ((*end == '+' || *end == '-') && strlen(end) >= 6) {
			int hh = (end[1] - '0') * 10 + (end[2] - '0');
			int mm = (end[4] - '0') * 10 + (end[5] - '0');
			int64_t off = ((int64_t)hh * 60 + mm) * 60000;
			t += *end == '+' ? -off : off;
		}
		return t;
	}
	memset(&tm, 0, sizeof tm);
	if (strptime(s, "%a, %d %b %Y %H:%M:%S", &tm))
		return (int64_t)timegm(&tm) * 1000;
	return -1;
}
