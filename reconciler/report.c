/*
 * report.c - the apply report and its renderers (see report.h).
 */
#include "reconciler/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/out.h"

static const char *const report__names[REPORT__COUNT] = {
	"not started", "running", "succeeded", "failed", "skipped",
};

const char *report_status_name(report_status s)
{
	return s < REPORT__COUNT ? report__names[s] : "?";
}

int report_new(report **out, const plan *p)
{
	report *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return cmk_error_oom();
	r->time_scale = 1.0;
	if (p && report_set_plan(r, p) < 0) {
		free(r);
		return cmk_error_oom();
	}
	*out = r;
	return 0;
}

static void report__steps_free(report *r)
{
	for (size_t i = 0; i < r->step_count; i++) {
		free(r->steps[i].error);
		free(r->steps[i].skipped_because);
		free(r->steps[i].note);
		cJSON_Delete(r->steps[i].readback);
	}
	free(r->steps);
	r->steps = NULL;
	r->step_count = 0;
}

int report_set_plan(report *r, const plan *p)
{
	report_step *steps = NULL;

	if (p->step_count && (steps = calloc(p->step_count, sizeof(*steps))) == NULL)
		return cmk_error_oom();
	report__steps_free(r);
	r->steps = steps;
	r->step_count = p->step_count;
	report_count(r);
	return 0;
}

void report_free(report *r)
{
	if (!r)
		return;
	report__steps_free(r);
	for (size_t i = 0; i < r->resumed_count; i++) {
		free(r->resumed[i].step_id);
		free(r->resumed[i].resource_id);
		free(r->resumed[i].kind);
		free(r->resumed[i].outcome);
	}
	free(r->resumed);
	free(r->correlation_id);
	free(r->error);
	free(r);
}

void report_count(report *r)
{
	r->succeeded = r->failed = r->skipped = r->pending = r->running = 0;
	for (size_t i = 0; i < r->step_count; i++) {
		switch (r->steps[i].status) {
		case REPORT_SUCCEEDED: r->succeeded++; break;
		case REPORT_FAILED: r->failed++; break;
		case REPORT_SKIPPED: r->skipped++; break;
		case REPORT_RUNNING: r->running++; break;
		default: r->pending++; break;
		}
	}
}

/* Step errors and notes quote names and Azure's messages: control
 * characters shown as text (common/out.h), continuation lines kept. */
static int report__dup(char **field, const char *text)
{
	char *copy = text ? cmk_out_escape_dup(text, CMK_OUT_KEEP_CONTINUATION) : NULL;

	if (text && !copy)
		return cmk_error_oom();
	free(*field);
	*field = copy;
	return 0;
}

int report_add_resumed(report *r, const char *step_id, const char *resource_id, const char *kind,
		       const char *outcome)
{
	report_resumed *grown = realloc(r->resumed, (r->resumed_count + 1) * sizeof(*grown));
	report_resumed *x;

	if (!grown)
		return cmk_error_oom();
	r->resumed = grown;
	x = &r->resumed[r->resumed_count++];
	memset(x, 0, sizeof(*x));
	if (report__dup(&x->step_id, step_id) < 0 || report__dup(&x->resource_id, resource_id) < 0 ||
	    report__dup(&x->kind, kind) < 0 || report__dup(&x->outcome, outcome) < 0)
		return cmk_error_oom();
	return 0;
}

int report_step_set_error(report_step *s, const char *text)
{
	return report__dup(&s->error, text);
}

int report_step_set_note(report_step *s, const char *text)
{
	return report__dup(&s->note, text);
}

bool report_ok(const report *r)
{
	return !r->error && !r->interrupted && r->failed == 0 && r->skipped == 0 && r->pending == 0 &&
	       r->running == 0;
}

static const char *report__result(const report *r)
{
	if (r->interrupted)
		return "interrupted";
	return report_ok(r) ? "succeeded" : "failed";
}

/* Seconds of virtual time (what Azure's clock saw) a step took. */
static double report__seconds(const report *r, const report_step *s)
{
	if (!s->started_ms)
		return 0;
	return (double)(s->ended_ms - s->started_ms) / 1000.0 * r->time_scale;
}

/* "1h 2m", "3m 4s", "5s" */
static void report__duration(char *out, size_t size, double seconds)
{
	long long s = (long long)(seconds + 0.5);

	if (s >= 3600)
		snprintf(out, size, "%lldh %lldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(out, size, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(out, size, "%llds", s);
}

static int report__summary(cmk_buf *out, const report *r)
{
	char took[32];

	report__duration(took, sizeof(took), (double)(r->ended_ms - r->started_ms) / 1000.0 * r->time_scale);
	return cmk_buf_printf(out, "Apply %s: %zu step%s: %zu succeeded, %zu failed, %zu skipped, "
			      "%zu not started%s (%s).\n",
			      report__result(r), r->step_count, r->step_count == 1 ? "" : "s", r->succeeded,
			      r->failed, r->skipped, r->pending,
			      r->running ? ", some still running in Azure" : "", took);
}

int report_render_text(cmk_buf *out, const report *r, const plan *p, const char *source_line)
{
	int error = 0;
	char took[32];

	if (source_line && *source_line && (error = cmk_buf_printf(out, "source: %s\n", source_line)) < 0)
		return error;
	if ((error = report__summary(out, r)) < 0)
		return error;
	if (r->error && ((error = cmk_buf_puts(out, "\nerror: ")) < 0 ||
			 (error = cmk_out_escape(out, r->error, CMK_OUT_KEEP_CONTINUATION)) < 0 ||
			 (error = cmk_buf_puts(out, "\n")) < 0))
		return error;
	if (r->resumed_count) {
		if ((error = cmk_buf_printf(out, "\nOperations of an earlier run, waited for first:\n")) < 0)
			return error;
		for (size_t i = 0; i < r->resumed_count; i++)
			if ((error = cmk_buf_printf(out, "  %s %s: %s\n", r->resumed[i].kind,
						    r->resumed[i].resource_id, r->resumed[i].outcome)) < 0)
				return error;
	}
	/* what needs attention first */
	for (int pass = 0; pass < 2; pass++) {
		bool header = false;

		for (size_t i = 0; i < r->step_count && i < p->step_count; i++) {
			const report_step *s = &r->steps[i];
			bool ok = s->status == REPORT_SUCCEEDED;

			if ((pass == 0) == ok)
				continue;
			if (!header) {
				error = cmk_buf_printf(out, pass == 0 ? "\nNot done:\n" : "\nDone:\n");
				if (error < 0)
					return error;
				header = true;
			}
			report__duration(took, sizeof(took), report__seconds(r, s));
			switch (s->status) {
			case REPORT_SUCCEEDED:
				error = cmk_buf_printf(out, "  ok       %s (%s)%s%s\n", p->steps[i].id, took,
						       s->note ? ": " : "", s->note ? s->note : "");
				break;
			case REPORT_FAILED:
				error = cmk_buf_printf(out, "  FAILED   %s (%s)\n           %s\n", p->steps[i].id, took,
						       s->error ? s->error : "failed");
				break;
			case REPORT_SKIPPED:
				error = cmk_buf_printf(out, "  skipped  %s: %s %s did not succeed\n", p->steps[i].id,
						       "it depends on", s->skipped_because ? s->skipped_because : "a step that");
				break;
			case REPORT_RUNNING:
				error = cmk_buf_printf(out, "  running  %s: still running in Azure (the next apply "
						       "waits for it)\n", p->steps[i].id);
				break;
			default:
				error = cmk_buf_printf(out, "  not started  %s\n", p->steps[i].id);
				break;
			}
			if (error < 0)
				return error;
		}
	}
	if (r->correlation_id)
		error = cmk_buf_printf(out, "\ncorrelation id: %s\n", r->correlation_id);
	return error;
}

int report_render_json(cmk_buf *out, const report *r, const plan *p, const cJSON *src)
{
	cJSON *doc = cJSON_CreateObject(), *sum, *steps, *resumed;
	char *text = NULL;
	int error = 0;

	if (!doc)
		return cmk_error_oom();
	cJSON_AddNumberToObject(doc, "format_version", REPORT_FORMAT_VERSION);
	cJSON_AddStringToObject(doc, "result", report__result(r));
	if (src)
		cJSON_AddItemToObject(doc, "source", cJSON_Duplicate(src, 1));
	else
		cJSON_AddNullToObject(doc, "source");
	if (r->correlation_id)
		cJSON_AddStringToObject(doc, "correlationId", r->correlation_id);
	if (r->error)
		cJSON_AddStringToObject(doc, "error", r->error);
	sum = cJSON_AddObjectToObject(doc, "summary");
	cJSON_AddNumberToObject(sum, "steps", (double)r->step_count);
	cJSON_AddNumberToObject(sum, "succeeded", (double)r->succeeded);
	cJSON_AddNumberToObject(sum, "failed", (double)r->failed);
	cJSON_AddNumberToObject(sum, "skipped", (double)r->skipped);
	cJSON_AddNumberToObject(sum, "notStarted", (double)r->pending);
	cJSON_AddNumberToObject(sum, "running", (double)r->running);
	cJSON_AddNumberToObject(sum, "seconds", (double)(r->ended_ms - r->started_ms) / 1000.0 * r->time_scale);
	resumed = cJSON_AddArrayToObject(doc, "resumed");
	for (size_t i = 0; i < r->resumed_count; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddItemToArray(resumed, x);
		cJSON_AddStringToObject(x, "step", r->resumed[i].step_id ? r->resumed[i].step_id : "");
		cJSON_AddStringToObject(x, "resourceId", r->resumed[i].resource_id ? r->resumed[i].resource_id : "");
		cJSON_AddStringToObject(x, "kind", r->resumed[i].kind ? r->resumed[i].kind : "");
		cJSON_AddStringToObject(x, "outcome", r->resumed[i].outcome ? r->resumed[i].outcome : "");
	}
	steps = cJSON_AddArrayToObject(doc, "steps");
	for (size_t i = 0; i < r->step_count && i < p->step_count; i++) {
		const report_step *s = &r->steps[i];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddItemToArray(steps, x);
		cJSON_AddStringToObject(x, "id", p->steps[i].id);
		cJSON_AddStringToObject(x, "kind", plan_step_kind_name(p->steps[i].kind));
		cJSON_AddStringToObject(x, "target", p->steps[i].target ? p->steps[i].target : "");
		cJSON_AddStringToObject(x, "status", s->status == REPORT_PENDING ? "not-started"
										   : report_status_name(s->status));
		if (s->error)
			cJSON_AddStringToObject(x, "error", s->error);
		if (s->skipped_because)
			cJSON_AddStringToObject(x, "skippedBecause", s->skipped_because);
		if (s->note)
			cJSON_AddStringToObject(x, "note", s->note);
		cJSON_AddNumberToObject(x, "seconds", report__seconds(r, s));
		cJSON_AddNumberToObject(x, "writes", s->writes);
		cJSON_AddNumberToObject(x, "polls", s->polls);
	}
	if ((text = cJSON_Print(doc)) == NULL)
		error = cmk_error_oom();
	else if ((error = cmk_buf_puts(out, text)) == 0)
		error = cmk_buf_puts(out, "\n");
	free(text);
	cJSON_Delete(doc);
	return error;
}

/* Markdown table cells: no '|' or newline may break the row. */
static int report__md_cell(cmk_buf *out, const char *text)
{
	int error = 0;

	for (const char *c = text ? text : ""; *c && error == 0; c++) {
		if (*c == '|')
			error = cmk_buf_puts(out, "\\|");
		else if (*c == '\n' || *c == '\r')
			error = cmk_buf_puts(out, " ");
		else
			error = cmk_buf_put(out, c, 1);
	}
	return error;
}

int report_render_markdown(cmk_buf *out, const report *r, const plan *p, const char *source_line)
{
	char took[32];
	int error;

	if ((error = cmk_buf_printf(out, "### cmkctl apply: %s\n\n", report__result(r))) < 0 ||
	    (error = cmk_buf_printf(out, "**%zu** succeeded, **%zu** failed, **%zu** skipped, **%zu** not started "
				    "(of %zu steps)\n\n", r->succeeded, r->failed, r->skipped, r->pending,
				    r->step_count)) < 0)
		return error;
	if (source_line && *source_line && (error = cmk_buf_printf(out, "Source: `%s`\n\n", source_line)) < 0)
		return error;
	if (r->error && ((error = cmk_buf_puts(out, "> **Error:** ")) < 0 ||
			 (error = cmk_out_escape(out, r->error, CMK_OUT_KEEP_CONTINUATION)) < 0 ||
			 (error = cmk_buf_puts(out, "\n\n")) < 0))
		return error;
	for (size_t i = 0; i < r->step_count && i < p->step_count; i++) {
		const report_step *s = &r->steps[i];

		if (s->status != REPORT_FAILED || out->len > REPORT_MARKDOWN_MAX / 2)
			continue;
		if ((error = cmk_buf_printf(out, "- :x: `%s`: ", p->steps[i].id)) < 0 ||
		    (error = report__md_cell(out, s->error)) < 0 || (error = cmk_buf_puts(out, "\n")) < 0)
			return error;
	}
	if ((error = cmk_buf_puts(out, "\n<details><summary>Steps</summary>\n\n| step | status | time |\n"
				  "|---|---|---|\n")) < 0)
		return error;
	for (size_t i = 0; i < r->step_count && i < p->step_count; i++) {
		const report_step *s = &r->steps[i];

		/* a comment or step summary has a size limit (GitHub: 65,536) */
		if (out->len > REPORT_MARKDOWN_MAX - 1024)
			return cmk_buf_printf(out, "\n%zu more steps not shown (the report is limited to %d "
					      "characters; --output json has every step)\n\n</details>\n",
					      r->step_count - i, REPORT_MARKDOWN_MAX);
		report__duration(took, sizeof(took), report__seconds(r, s));
		if ((error = cmk_buf_puts(out, "| `")) < 0 || (error = report__md_cell(out, p->steps[i].id)) < 0 ||
		    (error = cmk_buf_printf(out, "` | %s | %s |\n", report_status_name(s->status), took)) < 0)
			return error;
	}
	return cmk_buf_puts(out, "\n</details>\n");
}
