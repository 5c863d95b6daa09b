/*
 * render_markdown.c - the plan as a pull-request comment: counts first, a
 * warning when it deletes or unlinks, blocked steps, then collapsed details
 * per resource; always under the comment size limit (see render.h).
 */
#include "planner/render.h"

#include <string.h>

/* Append `s` escaped for markdown table cells and HTML: no tag, no pipe,
 * no newline can break the layout. */
static int md__esc(cmk_buf *b, const char *s)
{
	int error = 0;

	for (; s && *s && error == 0; s++) {
		switch (*s) {
		case '<': error = cmk_buf_puts(b, "&lt;"); break;
		case '>': error = cmk_buf_puts(b, "&gt;"); break;
		case '&': error = cmk_buf_puts(b, "&amp;"); break;
		case '|': error = cmk_buf_puts(b, "\\|"); break;
		case '`': error = cmk_buf_puts(b, "'"); break;
		case '\n': case '\r': error = cmk_buf_puts(b, " "); break;
		default: error = cmk_buf_put(b, s, 1); break;
		}
	}
	return error;
}

static const char *md__sign(plan_action a)
{
	switch (a) {
	case PLAN_ACTION_CREATE: return "➕";
	case PLAN_ACTION_UPDATE: return "✏️";
	case PLAN_ACTION_DELETE: return "🗑️";
	case PLAN_ACTION_BLOCKED: return "⛔";
	default: return "";
	}
}

static int md__resource(cmk_buf *b, const plan_resource *r)
{
	int error;

	if ((error = cmk_buf_printf(b, "<details><summary>%s <code>", md__sign(r->action))) < 0 ||
	    (error = md__esc(b, r->address)) < 0 ||
	    (error = cmk_buf_printf(b, "</code> %s</summary>\n\n", plan_action_name(r->action))) < 0)
		return error;
	if (r->id && ((error = cmk_buf_puts(b, "<code>")) < 0 || (error = md__esc(b, r->id)) < 0 ||
		      (error = cmk_buf_puts(b, "</code>\n\n")) < 0))
		return error;
	if (r->change_count && (error = cmk_buf_puts(b, "| field | before | after |\n|---|---|---|\n")) < 0)
		return error;
	for (size_t j = 0; j < r->change_count; j++) {
		const plan_change *c = &r->changes[j];

		if ((error = cmk_buf_puts(b, "| ")) < 0 || (error = md__esc(b, c->field)) < 0 ||
		    (error = cmk_buf_puts(b, " | ")) < 0 || (error = md__esc(b, c->before ? c->before : "—")) < 0 ||
		    (error = cmk_buf_puts(b, " | ")) < 0 || (error = md__esc(b, c->after ? c->after : "—")) < 0 ||
		    (error = cmk_buf_puts(b, " |\n")) < 0)
			return error;
	}
	if (r->change_count && (error = cmk_buf_puts(b, "\n")) < 0)
		return error;
	for (size_t j = 0; j < r->reason_count; j++)
		if ((error = cmk_buf_puts(b, "- ")) < 0 || (error = md__esc(b, r->reasons[j])) < 0 ||
		    (error = cmk_buf_puts(b, "\n")) < 0)
			return error;
	return cmk_buf_puts(b, "\n</details>\n\n");
}

/* The warnings of the head: deletes and unlinks, blocked steps. */
static int md__warnings(cmk_buf *head, const plan *p)
{
	const plan_summary *s = &p->summary;
	size_t listed = 0;
	int error;

	if (s->deletes &&
	    (error = cmk_buf_printf(head, "> [!WARNING]\n> This plan **deletes %zu cluster%s**: a deleted cluster's "
					  "name stays reserved for 14 days.\n", s->deletes, s->deletes == 1 ? "" : "s")) < 0)
		return error;
	if (s->unlinks &&
	    (error = cmk_buf_printf(head, "%s> This plan **unlinks %zu workspace%s**: new data is then encrypted with a "
					  "Microsoft key, and a workspace may be linked or unlinked at most twice in 30 days.\n",
				    s->deletes ? ">\n" : "> [!WARNING]\n", s->unlinks, s->unlinks == 1 ? "" : "s")) < 0)
		return error;
	if ((s->deletes || s->unlinks) && (error = cmk_buf_puts(head, "\n")) < 0)
		return error;
	if (!s->blocked_steps)
		return 0;
	if ((error = cmk_buf_printf(head, "> [!CAUTION]\n> %zu step%s blocked; this plan cannot be applied:\n",
				    s->blocked_steps, s->blocked_steps == 1 ? " is" : "s are")) < 0)
		return error;
	for (size_t i = 0; i < p->step_count && listed < 20; i++) {
		const plan_step *st = &p->steps[i];

		if (!st->blocked_reason || strncmp(st->blocked_reason, "waits on blocked step", 21) == 0)
			continue;
		listed++;
		if ((error = cmk_buf_puts(head, "> - <code>")) < 0 || (error = md__esc(head, st->id)) < 0 ||
		    (error = cmk_buf_puts(head, "</code>: ")) < 0 || (error = md__esc(head, st->blocked_reason)) < 0 ||
		    (error = cmk_buf_puts(head, "\n")) < 0)
			return error;
	}
	return cmk_buf_puts(head, "\n");
}

/* The findings of the head (at most 50 listed). */
static int md__findings(cmk_buf *head, const plan *p)
{
	int error;

	if (!p->finding_count)
		return 0;
	if ((error = cmk_buf_printf(head, "**Findings (%zu):**\n\n", p->finding_count)) < 0)
		return error;
	for (size_t i = 0; i < p->finding_count && i < 50; i++) {
		const plan_finding *f = &p->findings[i];

		if ((error = cmk_buf_printf(head, "- **%s** <code>", plan_finding_kind_name(f->kind))) < 0 ||
		    (error = md__esc(head, f->address)) < 0 || (error = cmk_buf_puts(head, "</code>: ")) < 0 ||
		    (error = md__esc(head, f->message)) < 0 || (error = cmk_buf_puts(head, "\n")) < 0)
			return error;
	}
	if (p->finding_count > 50 && (error = cmk_buf_printf(head, "- … and %zu more\n", p->finding_count - 50)) < 0)
		return error;
	return cmk_buf_puts(head, "\n");
}

/* The steps, collapsed, within a quarter of `max`. */
static int md__steps(cmk_buf *tail, const plan *p, size_t max)
{
	int error;

	if (!p->summary.steps)
		return 0;
	if ((error = cmk_buf_printf(tail, "<details><summary>Steps (%zu)</summary>\n\n", p->summary.steps)) < 0)
		return error;
	for (size_t i = 0; i < p->step_count && tail->len < max / 4; i++) {
		const plan_step *st = &p->steps[i];

		if ((error = cmk_buf_printf(tail, "%zu. <code>", i + 1)) < 0 || (error = md__esc(tail, st->id)) < 0 ||
		    (error = cmk_buf_puts(tail, "</code> ")) < 0 || (error = md__esc(tail, st->description)) < 0 ||
		    (st->blocked_reason && ((error = cmk_buf_puts(tail, " — **blocked**: ")) < 0 ||
					    (error = md__esc(tail, st->blocked_reason)) < 0)) ||
		    (error = cmk_buf_puts(tail, "\n")) < 0)
			return error;
		if (tail->len >= max / 4 && i + 1 < p->step_count &&
		    (error = cmk_buf_printf(tail, "\n… %zu more steps not shown\n", p->step_count - i - 1)) < 0)
			return error;
	}
	return cmk_buf_puts(tail, "\n</details>\n");
}

int render_plan_markdown(cmk_buf *out, const plan *p, const render_options *opts, size_t max)
{
	const plan_summary *s = &p->summary;
	cmk_buf head = CMK_BUF_INIT, body = CMK_BUF_INIT, tail = CMK_BUF_INIT, one = CMK_BUF_INIT;
	size_t shown = 0, changed = 0, budget;
	/* room kept for the truncation note */
	const size_t note_room = 200;
	int error;

	if (max == 0)
		max = RENDER_MARKDOWN_MAX;
	if ((error = cmk_buf_printf(&head, "### cmkctl %s\n\n", opts && opts->mode == RENDER_DRIFT ? "drift" : "plan")) < 0 ||
	    (error = cmk_buf_printf(&head, "**%zu to create, %zu to update, %zu to delete, %zu unchanged, %zu blocked** "
					   "(%zu step%s)\n\n", s->create, s->update, s->delete_, s->noop, s->blocked,
				    s->steps, s->steps == 1 ? "" : "s")) < 0)
		goto out;
	if (opts && opts->source_line &&
	    ((error = cmk_buf_puts(&head, "Source: <code>")) < 0 || (error = md__esc(&head, opts->source_line)) < 0 ||
	     (error = cmk_buf_puts(&head, "</code>\n\n")) < 0))
		goto out;
	if ((error = md__warnings(&head, p)) < 0 || (error = md__findings(&head, p)) < 0)
		goto out;
	if (!s->steps && (error = cmk_buf_puts(&head, "No changes: Azure matches the manifests.\n")) < 0)
		goto out;
	/* the steps, collapsed, go last; resources fill the room left */
	if ((error = md__steps(&tail, p, max)) < 0)
		goto out;
	if (head.len + tail.len + note_room > max) {
		/* even the head is too big: cut it (never the case in practice) */
		head.len = max > tail.len + note_room ? max - tail.len - note_room : 0;
		head.ptr[head.len] = '\0';
	}
	budget = max - head.len - tail.len - note_room;
	for (size_t i = 0; i < p->resource_count; i++) {
		const plan_resource *r = &p->resources[i];

		if (r->action == PLAN_ACTION_NOOP)
			continue;
		changed++;
		cmk_buf_clear(&one);
		if ((error = md__resource(&one, r)) < 0)
			goto out;
		if (body.len + one.len > budget)
			continue;
		if ((error = cmk_buf_put(&body, one.ptr, one.len)) < 0)
			goto out;
		shown++;
	}
	if ((error = cmk_buf_put(out, head.ptr ? head.ptr : "", head.len)) < 0 ||
	    (error = cmk_buf_put(out, body.ptr ? body.ptr : "", body.len)) < 0)
		goto out;
	if (shown < changed &&
	    (error = cmk_buf_printf(out, "_%zu of %zu changed resources are not shown: the comment would exceed "
					 "%zu characters. See the JSON plan for all of them._\n\n",
				    changed - shown, changed, max)) < 0)
		goto out;
	error = cmk_buf_put(out, tail.ptr ? tail.ptr : "", tail.len);
out:
	cmk_buf_free(&head);
	cmk_buf_free(&body);
	cmk_buf_free(&tail);
	cmk_buf_free(&one);
	return error;
}
