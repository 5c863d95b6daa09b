/*
 * render_graph.c - the step graph as Mermaid (for markdown, GitHub renders
 * it) and as Graphviz DOT (see render.h). Nodes are s1..sN in step order,
 * labelled with the step kind and resource; blocked steps are styled.
 */
#include "planner/render.h"

#include <string.h>

/* Mermaid labels are in double quotes: entity-escape what would end them. */
static int graph__mermaid_label(cmk_buf *b, const char *s)
{
	int error = 0;

	for (; *s && error == 0; s++) {
		switch (*s) {
		case '"': error = cmk_buf_puts(b, "#quot;"); break;
		case '<': error = cmk_buf_puts(b, "#lt;"); break;
		case '>': error = cmk_buf_puts(b, "#gt;"); break;
		case '\n': error = cmk_buf_puts(b, " "); break;
		default: error = cmk_buf_put(b, s, 1); break;
		}
	}
	return error;
}

static int graph__dot_label(cmk_buf *b, const char *s)
{
	int error = 0;

	for (; *s && error == 0; s++) {
		if (*s == '"' || *s == '\\')
			error = cmk_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			error = cmk_buf_puts(b, "\\n");
		else
			error = cmk_buf_put(b, s, 1);
	}
	return error;
}

int render_plan_mermaid(cmk_buf *b, const plan *p)
{
	int error;

	if ((error = cmk_buf_puts(b, "flowchart TD\n")) < 0)
		return error;
	if (!p->step_count)
		return cmk_buf_puts(b, "  empty[\"no changes\"]\n");
	for (size_t i = 0; i < p->step_count; i++) {
		const plan_step *s = &p->steps[i];

		if ((error = cmk_buf_printf(b, "  s%zu[\"%zu. %s<br/>", i + 1, i + 1, plan_step_kind_name(s->kind))) < 0 ||
		    (error = graph__mermaid_label(b, p->resources[s->resource].address)) < 0 ||
		    (s->blocked_reason && (error = cmk_buf_puts(b, "<br/>BLOCKED")) < 0) ||
		    (error = cmk_buf_puts(b, "\"]\n")) < 0)
			return error;
	}
	for (size_t i = 0; i < p->step_count; i++)
		for (size_t j = 0; j < p->steps[i].dep_count; j++)
			if ((error = cmk_buf_printf(b, "  s%zu --> s%zu\n", p->steps[i].depends_on[j] + 1, i + 1)) < 0)
				return error;
	if (p->summary.blocked_steps) {
		if ((error = cmk_buf_puts(b, "  classDef blocked fill:#fdd,stroke:#c00,color:#600\n  class ")) < 0)
			return error;
		for (size_t i = 0, n = 0; i < p->step_count; i++)
			if (p->steps[i].blocked_reason &&
			    (error = cmk_buf_printf(b, "%ss%zu", n++ ? "," : "", i + 1)) < 0)
				return error;
		if ((error = cmk_buf_puts(b, " blocked\n")) < 0)
			return error;
	}
	return 0;
}

int render_plan_dot(cmk_buf *b, const plan *p)
{
	int error;

	if ((error = cmk_buf_puts(b, "digraph plan {\n  rankdir=TB;\n  node [shape=box, fontname=\"sans-serif\"];\n")) < 0)
		return error;
	for (size_t i = 0; i < p->step_count; i++) {
		const plan_step *s = &p->steps[i];

		if ((error = cmk_buf_printf(b, "  s%zu [label=\"%zu. %s\\n", i + 1, i + 1, plan_step_kind_name(s->kind))) < 0 ||
		    (error = graph__dot_label(b, p->resources[s->resource].address)) < 0 ||
		    (s->blocked_reason && (error = cmk_buf_puts(b, "\\nBLOCKED")) < 0) ||
		    (error = cmk_buf_printf(b, "\"%s];\n", s->blocked_reason ? ", color=red, fontcolor=red" : "")) < 0)
			return error;
	}
	for (size_t i = 0; i < p->step_count; i++)
		for (size_t j = 0; j < p->steps[i].dep_count; j++)
			if ((error = cmk_buf_printf(b, "  s%zu -> s%zu;\n", p->steps[i].depends_on[j] + 1, i + 1)) < 0)
				return error;
	return cmk_buf_puts(b, "}\n");
}
