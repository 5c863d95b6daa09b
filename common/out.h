/*
 * out.h - the output sink: what cmkctl prints on stdout and stderr, and how
 * text it did not write itself (manifest names, tag values, file names,
 * server messages) is shown there.
 *
 * Two guarantees, for every line of every report, plan, log, progress line
 * and annotation:
 *   - no raw control character reaches the terminal or the CI log: C0 bytes
 *     other than newline and tab, DEL, and C1 controls (U+0080..U+009F) are
 *     shown as text escapes (\r, \x1b, \x07, \u009b). On a terminal, the
 *     few sequences cmkctl itself writes pass: its colours (SGR 0, 1, 2, 31,
 *     32, 33, 1;31) and the live view's "\r ESC[nA" / "ESC[J".
 *   - no line starts a CI workflow command unless cmkctl wrote it as one
 *     (cmk_out_command, GitHub annotations): a line whose first non-blank
 *     characters are "::" gets its first colon shown as \x3a, and "##[" or
 *     "##vso[" (the older GitHub and the Azure Pipelines forms, matched
 *     anywhere in a line) gets its second '#' shown as \x23.
 * Printable text passes byte for byte: normal output does not change.
 *
 * cmk_out_install() puts the filter (cmk_out_filter) under the process's
 * stdout and stderr, so every stdio write passes through it. Newlines inside
 * one piece of user text cannot be told from line ends once printed: where
 * such text enters a line, cmk_out_escape() shows them as "\n".
 */
#ifndef CMK_OUT_H
#define CMK_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "error.h"

/* cmk_out_escape flags */
enum {
	/* keep a newline followed by a space or a tab: the indented continuation
	 * lines of cmkctl's own multi-line messages (any other newline in a
	 * message is user text and shown as \n) */
	CMK_OUT_KEEP_CONTINUATION = 1u << 0,
	/* keep every line end, '\n' and '\r' (text whose line ends the caller
	 * escapes later, such as an annotation's message: GitHub's %0A, %0D) */
	CMK_OUT_KEEP_NEWLINE = 1u << 1,
};

/* Whether `s` holds a control character (C0, DEL, or a C1 control in
 * UTF-8). NULL holds none. */
bool cmk_out_has_control(const char *s);

/*
 * Append `s` to `out` with each control character as a text escape: "\n",
 * "\r", "\t", other C0 bytes and DEL as "\xNN", C1 controls as "\u00NN"
 * (newlines kept as `flags` say). Everything else, backslashes included,
 * is copied as is. CMK_ENOMEM.
 */
int cmk_out_escape(cmk_buf *out, const char *s, unsigned flags) CMK_WUR;

/* `s` escaped, as a new string (free()); NULL when out of memory. */
char *cmk_out_escape_dup(const char *s, unsigned flags);

/* Write `s` escaped to `stream` (best effort, like fputs). */
void cmk_out_fputs(const char *s, unsigned flags, FILE *stream);

/* ---- the line filter ---------------------------------------------------- */

enum {
	CMK_OUT_TERMINAL = 1u << 0, /* a terminal: cmkctl's own colours and cursor moves pass */
};

/* A stream's filter state: bytes are fed as they come (lines may be split
 * anywhere); bytes that cannot be judged yet (a ':' at the start of a line,
 * a '#', an escape sequence, a UTF-8 sequence) are held until they can. */
typedef struct {
	unsigned flags;
	bool line_start; /* only blanks so far on this line */
	unsigned char held[24];
	size_t nheld;
} cmk_out_filter;

void cmk_out_filter_init(cmk_out_filter *f, unsigned flags);

/* Filter `len` bytes of `data`, appending what can be written to `out`.
 * CMK_ENOMEM. */
int cmk_out_filter_feed(cmk_out_filter *f, cmk_buf *out, const char *data, size_t len) CMK_WUR;

/* The end of the data: judge the held bytes as they are. CMK_ENOMEM. */
int cmk_out_filter_finish(cmk_out_filter *f, cmk_buf *out) CMK_WUR;

/* ---- the process's stdout and stderr ---------------------------------- */

/*
 * Replace stdout and stderr by streams that filter every write and pass it
 * to file descriptors 1 and 2 (buffered as the originals were: stdout by
 * line on a terminal, else fully; stderr not at all). Call once, first thing
 * in main(). CMK_ERROR when the streams cannot be made (the originals stay).
 */
int cmk_out_install(void) CMK_WUR;

/* write(2) all `len` bytes to `fd`, again after EINTR and short writes (no
 * filtering: for files, not the terminal). 0, or -1 with errno. */
int cmk_out_write_all(int fd, const char *p, size_t len);

/* Whether `stream` writes to a terminal (works for the installed streams,
 * whose fileno() is -1). */
bool cmk_out_isatty(FILE *stream);

/*
 * Write `len` bytes of complete lines that cmkctl means as workflow
 * commands (GitHub annotations, built with their data escaped) to
 * `stream`, past the "::" rule; control characters are still escaped.
 * Earlier output on the stream is flushed first.
 */
void cmk_out_command(FILE *stream, const char *text, size_t len);

#endif
