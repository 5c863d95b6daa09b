/*
 * cli_common.c - global options and stderr reporting of every command (see
 * cli_common.h).
 */
#include "cli/cli_common.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/gha.h"
#include "common/out.h"

static cli_common cli__current;

/* "--opt VALUE" / "--opt=VALUE": 1 and *val set, 0 not this option,
 * CMK_EUSAGE when the value is missing. *consumed: arguments used. */
static int cli__value(const char **val, int *consumed, int argc, char **argv, int i, const char *opt)
{
	size_t n = strlen(opt);

	if (strcmp(argv[i], opt) == 0) {
		if (i + 1 >= argc)
			return cmk_error_set(CMK_EUSAGE, "option '%s' needs a value", opt);
		*val = argv[i + 1];
		*consumed = 2;
		return 1;
	}
	if (strncmp(argv[i], opt, n) == 0 && argv[i][n] == '=') {
		*val = argv[i] + n + 1;
		*consumed = 1;
		return 1;
	}
	return 0;
}

int cli_common_parse(cli_common *out, int *argc, char **argv)
{
	const char *nc = getenv("NO_COLOR");
	int i = 1, n = *argc;

	memset(out, 0, sizeof(*out));
	out->no_color = nc && *nc;
	while (i < n) {
		const char *a = argv[i], *val = NULL;
		int consumed = 0, r;

		if (strcmp(a, "--") == 0)
			break;
		if ((r = cli__value(&val, &consumed, n, argv, i, "--log-format")) < 0)
			return r;
		if (r) {
			if (strcmp(val, "json") == 0)
				out->format = CMK_LOG_JSON;
			else if (strcmp(val, "text") == 0)
				out->format = CMK_LOG_TEXT;
			else
				return cmk_error_set(CMK_EUSAGE, "--log-format: expected text or json, got '%s'", val);
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			out->quiet = true;
			consumed = 1;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			out->verbose = true;
			consumed = 1;
		}
		if (!consumed) {
			i++;
			continue;
		}
		/* drop argv[i .. i+consumed-1], keeping the NULL terminator */
		memmove(argv + i, argv + i + consumed, (size_t)(n - i - consumed + 1) * sizeof(char *));
		n -= consumed;
	}
	*argc = n;
	if (out->quiet && out->verbose)
		return cmk_error_set(CMK_EUSAGE, "--quiet and --verbose are exclusive");
	return 0;
}

void cli_common_apply(const cli_common *opts)
{
	cmk_log_level level = CMK_LOG_INFO;

	cli__current = *opts;
	if (opts->quiet)
		level = CMK_LOG_ERROR;
	else if (opts->verbose)
		level = CMK_LOG_DEBUG;
	cmk_log_configure(level, opts->format, stderr);
}

const cli_common *cli_common_get(void)
{
	return &cli__current;
}

bool cli_color(FILE *stream)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if ((nc && *nc) || cli__current.no_color)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return cmk_out_isatty(stream);
}

bool cli_log_json(void)
{
	return cli__current.format == CMK_LOG_JSON;
}

static void cli__report(cmk_log_level level, const char *cmd, const char *fmt, va_list ap)
{
	char msg[8192];

	if (level > CMK_LOG_ERROR && cli__current.quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cli__current.format == CMK_LOG_JSON) {
		cmk_log_ctx(level, NULL, NULL, NULL, "%s: %s", cmd, msg);
		return;
	}
	cmk_log_redact(msg);
	fflush(stdout);
	fprintf(stderr, "cmkctl %s: %s", cmd, level == CMK_LOG_WARN ? "warning: " : "");
	/* names and server text in the message: control characters shown as
	 * text, the indented lines of a multi-line message kept */
	cmk_out_fputs(msg, CMK_OUT_KEEP_CONTINUATION, stderr);
	fputc('\n', stderr);
	fflush(stderr);
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli__report(CMK_LOG_ERROR, cmd, fmt, ap);
	va_end(ap);
}

void cli_note(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli__report(CMK_LOG_INFO, cmd, fmt, ap);
	va_end(ap);
}

void cli_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli__report(CMK_LOG_WARN, cmd, fmt, ap);
	va_end(ap);
}

FILE *cli_diag_stream(void)
{
	static FILE *sink;

	if (cli__current.format != CMK_LOG_JSON)
		return stderr;
	if (!sink)
		sink = fopen("/dev/null", "we");
	return sink ? sink : stderr;
}

void cli_report_diags(const char *cmd, const manifest_diags *d)
{
	if (cli__current.format == CMK_LOG_JSON) {
		for (size_t i = 0; i < d->count; i++) {
			const manifest_diag *g = &d->items[i];

			cmk_log_ctx(CMK_LOG_ERROR, NULL, NULL, NULL, "%s: %s:%u:%u: %s%s%s%s", cmd, g->file, g->line,
				    g->column, g->message, g->hint ? " (hint: " : "", g->hint ? g->hint : "",
				    g->hint ? ")" : "");
		}
	}
	if (gha_active())
		gha_annotate_diags(stderr, d);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cmkctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'cmkctl %s --help' for usage.\n", cmd);
	return CMK_EXIT_USAGE;
}

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_parallelism_value(unsigned *out, const char *v)
{
	char *end = NULL;
	long n = strtol(v, &end, 10);

	if (!end || *end || n < 1 || n > 256)
		return cmk_error_set(CMK_EUSAGE, "--parallelism: expected a number from 1 to 256");
	*out = (unsigned)n;
	return 0;
}

const ui_hooks *cli_ui(void)
{
	static ui_hooks hooks;

	hooks.quiet = cli__current.quiet;
	hooks.log_json = cli_log_json();
	hooks.diag_stream = cli_diag_stream;
	hooks.report_diags = cli_report_diags;
	hooks.note = cli_note;
	hooks.error = cli_error;
	return &hooks;
}

const char *cli_common_help(void)
{
	return "  --log-format FORMAT  stderr as text (default) or json (one object a line)\n"
	       "  -q, --quiet          errors only on stderr\n"
	       "  -v, --verbose        debug messages too\n"
	       "                       (NO_COLOR set: no colour; these options go anywhere)\n";
}

const char *cli_option_value(int argc, char **argv, int *i, const char *opt, const char *alias,
			     bool *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(opt);

	if (strcmp(a, opt) == 0 || (alias && strcmp(a, alias) == 0)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (strncmp(a, opt, n) == 0 && a[n] == '=')
		return a + n + 1;
	return NULL;
}
