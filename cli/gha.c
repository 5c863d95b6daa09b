/*
 * gha.c - GitHub Actions annotations and step summary (see gha.h).
 */
#include "cli/gha.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/out.h"

bool gha_active(void)
{
	const char *v = getenv("GITHUB_ACTIONS");

	return v && *v && strcmp(v, "false") != 0;
}

static int gha__escape(cmk_buf *out, const char *s, bool property)
{
	for (; *s; s++) {
		const char *rep = NULL;
		int error;

		switch (*s) {
		case '%': rep = "%25"; break;
		case '\r': rep = "%0D"; break;
		case '\n': rep = "%0A"; break;
		case ':': rep = property ? "%3A" : NULL; break;
		case ',': rep = property ? "%2C" : NULL; break;
		default: break;
		}
		if ((error = rep ? cmk_buf_puts(out, rep) : cmk_buf_put(out, s, 1)) < 0)
			return error;
	}
	return 0;
}

int gha_escape_data(cmk_buf *out, const char *s)
{
	return gha__escape(out, s, false);
}

int gha_escape_property(cmk_buf *out, const char *s)
{
	return gha__escape(out, s, true);
}

/* Paths as the repository knows them: annotations on absolute paths are
 * not attached to files. */
static const char *gha__relative(const char *file)
{
	const char *ws = getenv("GITHUB_WORKSPACE");
	size_t n;

	if (!ws || !*ws || file[0] != '/')
		return file;
	n = strlen(ws);
	while (n > 1 && ws[n - 1] == '/')
		n--;
	if (strncmp(file, ws, n) == 0 && file[n] == '/')
		return file + n + 1;
	return file;
}

/* A property value: control characters shown as text, then escaped. */
static int gha__property(cmk_buf *out, const char *s)
{
	char *shown;
	int error;

	if (!cmk_out_has_control(s))
		return gha_escape_property(out, s);
	if ((shown = cmk_out_escape_dup(s, 0)) == NULL)
		return cmk_error_oom();
	error = gha_escape_property(out, shown);
	free(shown);
	return error;
}

int gha_annotation(cmk_buf *out, const char *level, const char *file, unsigned line, unsigned col,
		   const char *title, const char *message)
{
	char *msg = strdup(message ? message : "");
	char num[32];
	const char *sep = " ";
	int error;

	if (!msg)
		return cmk_error_oom();
	cmk_log_redact(msg);
	/* control characters shown as text first (the message's own line
	 * breaks become %0A below), then GitHub's escapes */
	if (cmk_out_has_control(msg)) {
		char *shown = cmk_out_escape_dup(msg, CMK_OUT_KEEP_NEWLINE);

		free(msg);
		if ((msg = shown) == NULL)
			return cmk_error_oom();
	}
	if ((error = cmk_buf_printf(out, "::%s", level)) < 0)
		goto out;
	if (file && *file) {
		if ((error = cmk_buf_printf(out, "%sfile=", sep)) < 0 ||
		    (error = gha__property(out, gha__relative(file))) < 0)
			goto out;
		sep = ",";
		if (line) {
			snprintf(num, sizeof(num), ",line=%u", line);
			if ((error = cmk_buf_puts(out, num)) < 0)
				goto out;
			if (col) {
				snprintf(num, sizeof(num), ",col=%u", col);
				if ((error = cmk_buf_puts(out, num)) < 0)
					goto out;
			}
		}
	}
	if (title && *title) {
		if ((error = cmk_buf_printf(out, "%stitle=", sep)) < 0 || (error = gha__property(out, title)) < 0)
			goto out;
	}
	if ((error = cmk_buf_puts(out, "::")) < 0 || (error = gha_escape_data(out, msg)) < 0 ||
	    (error = cmk_buf_puts(out, "\n")) < 0)
		goto out;
out:
	free(msg);
	return error;
}

void gha_annotate_diags(FILE *stream, const manifest_diags *d)
{
	cmk_buf b = CMK_BUF_INIT;

	for (size_t i = 0; i < d->count; i++) {
		const manifest_diag *g = &d->items[i];
		cmk_buf msg = CMK_BUF_INIT;

		/* the line break before the hint is the annotation's; any in the
		 * message or the hint are the manifest's, shown as \n */
		if (cmk_out_escape(&msg, g->message, 0) < 0 ||
		    (g->hint && (cmk_buf_puts(&msg, "\nhint: ") < 0 || cmk_out_escape(&msg, g->hint, 0) < 0)) ||
		    gha_annotation(&b, "error", g->file, g->line, g->column, "cmkctl: invalid manifest",
				   cmk_buf_cstr(&msg)) < 0) {
			cmk_buf_free(&msg);
			break;
		}
		cmk_buf_free(&msg);
	}
	fflush(stdout);
	cmk_out_command(stream, cmk_buf_cstr(&b), b.len);
	fflush(stream);
	cmk_buf_free(&b);
}

void gha_annotate(FILE *stream, const char *level, const char *title, const char *message)
{
	cmk_buf b = CMK_BUF_INIT;

	if (gha_annotation(&b, level, NULL, 0, 0, title, message) == 0) {
		fflush(stdout);
		cmk_out_command(stream, cmk_buf_cstr(&b), b.len);
		fflush(stream);
	}
	cmk_buf_free(&b);
}

int gha_step_summary_append(const char *markdown)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	char *text = NULL;
	int fd = -1, error = 0;

	if (!path || !*path)
		return 0;
	if ((text = strdup(markdown)) == NULL)
		return cmk_error_oom();
	cmk_log_redact(text);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    cmk_out_write_all(fd, text, strlen(text)) < 0 || cmk_out_write_all(fd, "\n", 1) < 0)
		error = cmk_error_set(CMK_ERROR, "GITHUB_STEP_SUMMARY %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
	return error;
}
