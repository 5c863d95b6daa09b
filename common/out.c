/*
 * out.c - the output sink: control characters shown as escapes, workflow
 * commands neutralised, under stdout and stderr (see out.h).
 */
/* fopencookie: _GNU_SOURCE comes from the build */
#include "out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- escaping one piece of text ----------------------------------------- */

static int out__escape_byte(cmk_buf *out, unsigned char c)
{
	char esc[8];

	switch (c) {
	case '\n': return cmk_buf_puts(out, "\\n");
	case '\r': return cmk_buf_puts(out, "\\r");
	case '\t': return cmk_buf_puts(out, "\\t");
	default:
		snprintf(esc, sizeof(esc), "\\x%02x", c);
		return cmk_buf_puts(out, esc);
	}
}

static int out__escape_c1(cmk_buf *out, unsigned char second)
{
	char esc[8];

	snprintf(esc, sizeof(esc), "\\u00%02x", second);
	return cmk_buf_puts(out, esc);
}

static bool out__is_c0(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* U+0080..U+009F in UTF-8: C2 80..C2 9F */
static bool out__is_c1(const unsigned char *p)
{
	return p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
}

bool cmk_out_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		if (out__is_c0(*p) || out__is_c1(p))
			return true;
	return false;
}

int cmk_out_escape(cmk_buf *out, const char *s, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int error = 0;

	while (*p && error == 0) {
		size_t run = 0;

		/* copy the printable run in one piece */
		while (p[run] && !out__is_c0(p[run]) && !out__is_c1(p + run))
			run++;
		if (run) {
			error = cmk_buf_put(out, p, run);
			p += run;
			continue;
		}
		if (out__is_c1(p)) {
			error = out__escape_c1(out, p[1]);
			p += 2;
			continue;
		}
		if (((*p == '\n' || *p == '\r') && (flags & CMK_OUT_KEEP_NEWLINE)) ||
		    (*p == '\n' && (flags & CMK_OUT_KEEP_CONTINUATION) && (p[1] == ' ' || p[1] == '\t')))
			error = cmk_buf_put(out, p, 1);
		else
			error = out__escape_byte(out, *p);
		p++;
	}
	return error;
}

char *cmk_out_escape_dup(const char *s, unsigned flags)
{
	cmk_buf b = CMK_BUF_INIT;

	if (cmk_out_escape(&b, s, flags) < 0) {
		cmk_buf_free(&b);
		return NULL;
	}
	return b.ptr ? cmk_buf_detach(&b) : strdup("");
}

void cmk_out_fputs(const char *s, unsigned flags, FILE *stream)
{
	cmk_buf b = CMK_BUF_INIT;

	if (!cmk_out_has_control(s)) {
		fputs(s ? s : "", stream);
		return;
	}
	if (cmk_out_escape(&b, s, flags) == 0)
		fwrite(cmk_buf_cstr(&b), 1, b.len, stream);
	cmk_buf_free(&b);
}

/* ---- the line filter ---------------------------------------------------- */

void cmk_out_filter_init(cmk_out_filter *f, unsigned flags)
{
	memset(f, 0, sizeof(*f));
	f->flags = flags;
	f->line_start = true;
}

/* Match results: the length of a whole match, 0 for "a prefix, need more
 * bytes", -1 for "no match". */
#define OUT_MORE 0
#define OUT_NO (-1)

/* "##[" or "##vso[" (the agent matches "vso" in any case). */
static int out__match_hash(const unsigned char *h, size_t n)
{
	static const char *const forms[] = { "##[", "##vso[" };
	bool prefix = false;

	for (size_t i = 0; i < 2; i++) {
		size_t len = strlen(forms[i]), k = 0;

		while (k < len && k < n && (h[k] == (unsigned char)forms[i][k] ||
					   (k >= 2 && k < 5 && (h[k] | 0x20) == (unsigned char)forms[i][k])))
			k++;
		if (k == len)
			return (int)len;
		if (k == n)
			prefix = true;
	}
	return prefix ? OUT_MORE : OUT_NO;
}

/* cmkctl's own terminal sequences: "\r ESC[<n>A" and "ESC[J" (the live
 * view) and its colours "ESC[<sgr>m". */
static int out__match_terminal(const unsigned char *h, size_t n)
{
	static const char *const sgr[] = { "0", "1", "2", "31", "32", "33", "1;31" };
	size_t i = 0, params;
	bool cr = h[0] == '\r';

	if (cr)
		i++;
	if (i >= n)
		return OUT_MORE;
	if (h[i++] != 0x1b)
		return OUT_NO;
	if (i >= n)
		return OUT_MORE;
	if (h[i++] != '[')
		return OUT_NO;
	params = i;
	while (i < n && i - params <= 8 && ((h[i] >= '0' && h[i] <= '9') || (!cr && h[i] == ';')))
		i++;
	if (i - params > 8)
		return OUT_NO;
	if (i >= n)
		return OUT_MORE;
	if (cr)
		return h[i] == 'A' && i > params ? (int)i + 1 : OUT_NO;
	if (h[i] == 'J')
		return i == params ? (int)i + 1 : OUT_NO;
	if (h[i] != 'm')
		return OUT_NO;
	for (size_t k = 0; k < sizeof(sgr) / sizeof(sgr[0]); k++)
		if (strlen(sgr[k]) == i - params && memcmp(sgr[k], h + params, i - params) == 0)
			return (int)i + 1;
	return OUT_NO;
}

/* What .NET's TrimStart() takes for blank (the GitHub runner trims a line
 * before it looks for "::"), beyond space and tab. */
static bool out__unicode_blank(unsigned cp)
{
	return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* A UTF-8 sequence at h[0] (a lead byte >= 0x80): its length, OUT_MORE, or
 * OUT_NO (not a valid sequence: the byte is copied as it is). */
static int out__utf8(unsigned *cp, const unsigned char *h, size_t n)
{
	size_t len = h[0] >= 0xf0 && h[0] <= 0xf7 ? 4 : h[0] >= 0xe0 ? 3 : h[0] >= 0xc0 ? 2 : 1;

	if (len == 1 || h[0] > 0xf7)
		return OUT_NO;
	*cp = h[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if (i >= n)
			return OUT_MORE;
		if ((h[i] & 0xc0) != 0x80)
			return OUT_NO;
		*cp = (*cp << 6) | (h[i] & 0x3f);
	}
	return (int)len;
}

/*
 * Judge the held bytes from their start: append what they become to `out`
 * and return how many were used, or 0 when more bytes are needed (never when
 * `final`). Negative on out of memory.
 */
static int out__judge(cmk_out_filter *f, cmk_buf *out, bool final)
{
	const unsigned char *h = f->held;
	size_t n = f->nheld;
	unsigned cp = 0;
	int m, error;

	if (h[0] == '\n' || h[0] == ' ' || h[0] == '\t') {
		if (h[0] == '\n')
			f->line_start = true;
		return cmk_buf_put(out, h, 1) < 0 ? CMK_ENOMEM : 1;
	}
	if (h[0] == ':' && f->line_start) {
		if (n < 2 && !final)
			return 0;
		f->line_start = false;
		error = n >= 2 && h[1] == ':' ? cmk_buf_puts(out, "\\x3a") : cmk_buf_put(out, h, 1);
		return error < 0 ? error : 1;
	}
	if (h[0] == '#') {
		if ((m = out__match_hash(h, n)) == OUT_MORE && !final)
			return 0;
		f->line_start = false;
		if (m > 0)
			error = cmk_buf_puts(out, "#\\x23") < 0 ? CMK_ENOMEM : cmk_buf_put(out, h + 2, (size_t)m - 2);
		else
			error = cmk_buf_put(out, h, 1);
		return error < 0 ? error : m > 0 ? m : 1;
	}
	if ((h[0] == 0x1b || h[0] == '\r') && (f->flags & CMK_OUT_TERMINAL)) {
		m = out__match_terminal(h, n);
		if (m == OUT_MORE && !final && n < sizeof(f->held))
			return 0;
		if (m > 0)
			return cmk_buf_put(out, h, (size_t)m) < 0 ? CMK_ENOMEM : m;
	}
	if (out__is_c0(h[0])) {
		f->line_start = false;
		return out__escape_byte(out, h[0]) < 0 ? CMK_ENOMEM : 1;
	}
	if (h[0] < 0x80 || (m = out__utf8(&cp, h, n)) == OUT_NO || (m == OUT_MORE && final)) {
		f->line_start = false;
		return cmk_buf_put(out, h, 1) < 0 ? CMK_ENOMEM : 1;
	}
	if (m == OUT_MORE)
		return 0;
	if (cp >= 0x80 && cp <= 0x9f) {
		f->line_start = false;
		return out__escape_c1(out, (unsigned char)cp) < 0 ? CMK_ENOMEM : m;
	}
	f->line_start = f->line_start && out__unicode_blank(cp);
	return cmk_buf_put(out, h, (size_t)m) < 0 ? CMK_ENOMEM : m;
}

static int out__drain(cmk_out_filter *f, cmk_buf *out, bool final)
{
	while (f->nheld) {
		int used = out__judge(f, out, final);

		if (used < 0)
			return used;
		if (used == 0)
			return 0;
		f->nheld -= (size_t)used;
		memmove(f->held, f->held + used, f->nheld);
	}
	return 0;
}

/*
 * How many bytes from `p` need no judging: printable ASCII, tabs and line
 * ends, but not a '#' (maybe "##[") nor a ':' first on a line (maybe "::").
 * Keeps f->line_start up to date over them.
 */
static size_t out__plain_run(cmk_out_filter *f, const unsigned char *p, size_t len)
{
	size_t i = 0;

	for (;;) {
		if (f->line_start) {
			while (i < len && (p[i] == ' ' || p[i] == '\t'))
				i++;
			if (i < len && p[i] == '\n') {
				i++;
				continue;
			}
			if (i >= len || p[i] == ':' || p[i] == '#' || p[i] < 0x20 || p[i] >= 0x7f)
				return i;
			f->line_start = false;
		}
		while (i < len && ((p[i] >= 0x20 && p[i] < 0x7f && p[i] != '#') || p[i] == '\t'))
			i++;
		if (i < len && p[i] == '\n') {
			i++;
			f->line_start = true;
			continue;
		}
		return i;
	}
}

int cmk_out_filter_feed(cmk_out_filter *f, cmk_buf *out, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0;
	int error;

	while (i < len) {
		size_t run = f->nheld == 0 ? out__plain_run(f, p + i, len - i) : 0;

		if (run) {
			if ((error = cmk_buf_put(out, p + i, run)) < 0)
				return error;
			i += run;
			continue;
		}
		f->held[f->nheld++] = p[i++];
		if ((error = out__drain(f, out, f->nheld == sizeof(f->held))) < 0)
			return error;
	}
	return 0;
}

int cmk_out_filter_finish(cmk_out_filter *f, cmk_buf *out)
{
	return out__drain(f, out, true);
}

/* ---- stdout and stderr -------------------------------------------------- */

/* Input filtered per round: the output of one round is at most 4 times as
 * long (a byte shown as \xNN), so a large report never needs a copy of its
 * whole size. */
#define OUT_CHUNK ((size_t)16 * 1024)

typedef struct {
	int fd;
	FILE *stream; /* the installed stream, NULL before cmk_out_install */
	cmk_out_filter filter;
	cmk_buf pending; /* filtered bytes of the current round, reused */
} out__sink;

static out__sink out__sinks[2] = { { STDOUT_FILENO, NULL, { 0 }, CMK_BUF_INIT },
				   { STDERR_FILENO, NULL, { 0 }, CMK_BUF_INIT } };

int cmk_out_write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fopencookie's write: called with the stream locked, so the filter state
 * needs no lock of its own. */
static ssize_t out__cookie_write(void *cookie, const char *data, size_t size)
{
	out__sink *s = cookie;

	for (size_t off = 0, n; off < size; off += n) {
		n = size - off < OUT_CHUNK ? size - off : OUT_CHUNK;
		cmk_buf_clear(&s->pending);
		if (cmk_out_filter_feed(&s->filter, &s->pending, data + off, n) < 0) {
			errno = ENOMEM;
			return -1;
		}
		if (cmk_out_write_all(s->fd, cmk_buf_cstr(&s->pending), s->pending.len) < 0)
			return -1;
	}
	return (ssize_t)size;
}

static out__sink *out__sink_of(FILE *stream)
{
	for (size_t i = 0; i < 2; i++)
		if (out__sinks[i].stream && out__sinks[i].stream == stream)
			return &out__sinks[i];
	return NULL;
}

/* Held bytes are written at exit (a last ':' or '#' without a newline). */
static void out__at_exit(void)
{
	for (size_t i = 0; i < 2; i++) {
		out__sink *s = &out__sinks[i];
		cmk_buf b = CMK_BUF_INIT;

		if (!s->stream)
			continue;
		fflush(s->stream);
		flockfile(s->stream);
		if (cmk_out_filter_finish(&s->filter, &b) == 0)
			(void)cmk_out_write_all(s->fd, cmk_buf_cstr(&b), b.len);
		funlockfile(s->stream);
		cmk_buf_free(&b);
	}
}

int cmk_out_install(void)
{
	cookie_io_functions_t io = { .read = NULL, .write = out__cookie_write, .seek = NULL, .close = NULL };
	FILE *streams[2];

	if (out__sinks[0].stream)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		out__sink *s = &out__sinks[i];

		cmk_out_filter_init(&s->filter, isatty(s->fd) ? CMK_OUT_TERMINAL : 0);
		if ((streams[i] = fopencookie(s, "w", io)) == NULL) {
			if (i)
				fclose(streams[0]);
			return cmk_error_set(CMK_ERROR, "cannot filter the output: %s", strerror(errno));
		}
	}
	/* as the originals: stdout by line on a terminal, else in blocks;
	 * stderr unbuffered */
	setvbuf(streams[0], NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	setvbuf(streams[1], NULL, _IONBF, 0);
	fflush(stdout);
	fflush(stderr);
	out__sinks[0].stream = stdout = streams[0];
	out__sinks[1].stream = stderr = streams[1];
	atexit(out__at_exit);
	return 0;
}

bool cmk_out_isatty(FILE *stream)
{
	out__sink *s = out__sink_of(stream);
	int fd = s ? s->fd : fileno(stream);

	return fd >= 0 && isatty(fd);
}

void cmk_out_command(FILE *stream, const char *text, size_t len)
{
	out__sink *s = out__sink_of(stream);
	cmk_buf b = CMK_BUF_INIT;
	bool ok;

	if (!s) {
		fwrite(text, 1, len, stream);
		return;
	}
	fflush(stream);
	flockfile(stream);
	/* what the filter still holds belongs before the command */
	ok = cmk_out_filter_finish(&s->filter, &b) == 0;
	for (const char *p = text, *end = text + len; ok && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		/* each line is cmkctl's own command: its "::" stays; everything
		 * else (control bytes, "##[" in its data) is filtered as usual */
		s->filter.line_start = false;
		ok = cmk_out_filter_feed(&s->filter, &b, p, n) == 0;
		p += n;
	}
	if (ok && cmk_out_filter_finish(&s->filter, &b) == 0)
		(void)cmk_out_write_all(s->fd, cmk_buf_cstr(&b), b.len);
	funlockfile(stream);
	cmk_buf_free(&b);
}
