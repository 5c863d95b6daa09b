/*
 * progress.c - live view and CI lines of a running apply (see progress.h).
 */
#include "reconciler/progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/out.h"
#include "common/time.h"

/* Running steps shown in the live view / named in a waiting line. */
#define PROGRESS_SHOW 8

typedef struct {
	char *id;
	char *status;
	int64_t since_ms;
} progress_running;

struct progress {
	progress_opts o;
	progress_running *run;
	size_t n, cap;
	int64_t last_line_ms;
	size_t drawn; /* lines of the live view on screen */
};

int progress_new(progress **out, const progress_opts *opts)
{
	progress *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return cmk_error_oom();
	p->o = *opts;
	if (!p->o.out)
		p->o.out = stderr;
	if (p->o.interval_s <= 0)
		p->o.interval_s = 30;
	if (p->o.time_scale <= 0)
		p->o.time_scale = 1;
	p->last_line_ms = cmk_time_mono_ms();
	*out = p;
	return 0;
}

void progress_free(progress *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->run[i].id);
		free(p->run[i].status);
	}
	free(p->run);
	free(p);
}

static void progress__clear(progress *p)
{
	if (!p->o.tty || !p->drawn)
		return;
	/* up to the first line of the view, clear to the end of the screen */
	fprintf(p->o.out, "\r\033[%zuA\033[J", p->drawn);
	p->drawn = 0;
}

static void progress__elapsed(char *out, size_t size, const progress *p, int64_t since_ms)
{
	long long s = (long long)((double)(cmk_time_mono_ms() - since_ms) / 1000.0 * p->o.time_scale);

	if (s >= 3600)
		snprintf(out, size, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(out, size, "%lldm", s / 60);
	else
		snprintf(out, size, "%llds", s);
}

static void progress__draw(progress *p)
{
	char el[32];

	if (!p->o.tty || p->o.quiet || p->o.json)
		return;
	progress__clear(p);
	for (size_t i = 0; i < p->n && i < PROGRESS_SHOW; i++) {
		progress__elapsed(el, sizeof(el), p, p->run[i].since_ms);
		fprintf(p->o.out, "  ⏳ %-7s %s (%s)\n", el, p->run[i].id,
			p->run[i].status ? p->run[i].status : "running");
		p->drawn++;
	}
	if (p->n > PROGRESS_SHOW) {
		fprintf(p->o.out, "  … and %zu more running\n", p->n - PROGRESS_SHOW);
		p->drawn++;
	}
	fflush(p->o.out);
}

static void progress__line(progress *p, const char *step, const char *text)
{
	char *copy;

	if (p->o.quiet)
		return;
	if (p->o.json) {
		/* the logger redacts and writes one object per line */
		cmk_log_ctx(CMK_LOG_INFO, NULL, step, NULL, "%s", text);
		return;
	}
	progress__clear(p);
	/* the secret filter applies to progress as to every log line */
	if ((copy = strdup(text)) != NULL) {
		cmk_log_redact(copy);
		/* names and server text: control characters shown as text */
		cmk_out_fputs(copy, CMK_OUT_KEEP_CONTINUATION, p->o.out);
		fputc('\n', p->o.out);
		free(copy);
	}
	fflush(p->o.out);
}

void progress_note(progress *p, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	progress__line(p, NULL, buf);
	progress__draw(p);
}

void progress_event(progress *p, const char *step_id, const char *what)
{
	char buf[4096], el[32] = "";
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n && strcmp(p->run[i].id, step_id) != 0; i++)
		;
	if (strcmp(what, "started") == 0) {
		if (i == p->n) {
			if (p->n == p->cap) {
				size_t cap = p->cap ? p->cap * 2 : 16;
				progress_running *grown = realloc(p->run, cap * sizeof(*grown));

				if (!grown)
					return; /* progress is best effort */
				p->run = grown;
				p->cap = cap;
			}
			p->run[p->n] = (progress_running){ strdup(step_id), NULL, cmk_time_mono_ms() };
			if (!p->run[p->n].id)
				return;
			p->n++;
		}
	} else if (i < p->n) {
		progress__elapsed(el, sizeof(el), p, p->run[i].since_ms);
		free(p->run[i].id);
		free(p->run[i].status);
		memmove(&p->run[i], &p->run[i + 1], (p->n - i - 1) * sizeof(*p->run));
		p->n--;
	}
	if (*el)
		snprintf(buf, sizeof(buf), "%s %s (%s)", step_id, what, el);
	else
		snprintf(buf, sizeof(buf), "%s %s", step_id, what);
	progress__line(p, step_id, buf);
	progress__draw(p);
}

void progress_status(progress *p, const char *step_id, const char *status)
{
	if (!p || !status)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->run[i].id, step_id) != 0)
			continue;
		if (!p->run[i].status || strcmp(p->run[i].status, status) != 0) {
			/* a server's words, shown in the live view: escaped once here */
			char *copy = cmk_out_escape_dup(status, 0);

			if (copy) {
				free(p->run[i].status);
				p->run[i].status = copy;
			}
		}
		return;
	}
}

void progress_tick(progress *p)
{
	int64_t now;
	char buf[4096], el[32];
	size_t len = 0;

	if (!p || p->o.quiet || p->n == 0)
		return;
	now = cmk_time_mono_ms();
	if (p->o.tty && !p->o.json) {
		/* redraw at most 4 times a second */
		if (now - p->last_line_ms >= 250) {
			p->last_line_ms = now;
			progress__draw(p);
		}
		return;
	}
	if ((double)(now - p->last_line_ms) < p->o.interval_s * 1000.0)
		return;
	p->last_line_ms = now;
	len += (size_t)snprintf(buf, sizeof(buf), "still waiting on ");
	for (size_t i = 0; i < p->n && i < 3 && len < sizeof(buf); i++) {
		progress__elapsed(el, sizeof(el), p, p->run[i].since_ms);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s (%s, %s)", i ? ", " : "", p->run[i].id,
					p->run[i].status ? p->run[i].status : "running", el);
	}
	if (p->n > 3 && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, " and %zu more", p->n - 3);
	progress__line(p, NULL, buf);
}

void progress_finish(progress *p)
{
	if (p)
		progress__clear(p);
}
