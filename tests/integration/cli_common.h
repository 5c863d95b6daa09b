/*
 * cli_common.h - run the built cmkctl binary from integration tests, the
 * way a user or a pipeline does: a child process with armsim's environment
 * (cloud, credential, CA), stdout and stderr captured to files, exit code
 * or signal returned. Header-only (static functions) so each test program
 * that drives the CLI includes it; CMKCTL_BINARY and CMK_SOURCE_DIR come
 * from tests/integration/CMakeLists.txt.
 */
#ifndef CMK_CLI_COMMON_H
#define CMK_CLI_COMMON_H

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "tests/armsim/harness.h"
#include "tests/integration/it_common.h"

#define CLI_EXAMPLES CMK_SOURCE_DIR "/manifests/examples"
#define CLI_FIXTURE IT_FIXTURES "/examples.json"

typedef struct {
	armsim *sim;
	char dir[256];       /* scratch: state dir, outputs */
	char state[300];     /* --state-dir */
	int runs;
} cli_ctx;

/* Start armsim with the example estate at `scale` and export its env. */
static inline void cli_start(cli_ctx *x, double scale)
{
	armsim_opts o = { 0 };
	char buf[64];

	memset(x, 0, sizeof(*x));
	o.fixture = CLI_FIXTURE;
	o.time_scale = scale;
	x->sim = it_start(&o);
	snprintf(x->dir, sizeof(x->dir), "/tmp/cmkctl-cli-XXXXXX");
	if (!mkdtemp(x->dir))
		fail_msg("mkdtemp failed");
	snprintf(x->state, sizeof(x->state), "%s/state", x->dir);
	snprintf(buf, sizeof(buf), "%g", scale);
	setenv("CMKCTL_TIME_SCALE", buf, 1);
	setenv("CMKCTL_PROGRESS_INTERVAL", "0.05", 1);
	unsetenv("NO_COLOR");
}

static inline void cli_stop(cli_ctx *x)
{
	char cmd[400];

	assert_int_equal(armsim_stop(x->sim), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", x->dir);
}

/* Spawn cmkctl with argv (NULL-terminated, without the program name);
 * stdin from /dev/null; output in <dir>/run<N>.out/.err. */
static inline pid_t cli_spawn(cli_ctx *x, int *run_out, const char *const *argv)
{
	const char *args[64];
	size_t n = 0;
	char out[300], err[300];
	int run = ++x->runs;
	pid_t pid;

	args[n++] = CMKCTL_BINARY;
	for (size_t i = 0; argv[i] && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	snprintf(out, sizeof(out), "%s/run%d.out", x->dir, run);
	snprintf(err, sizeof(err), "%s/run%d.err", x->dir, run);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in < 0 || o < 0 || e < 0)
			_exit(127);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	if (pid < 0)
		fail_msg("fork failed");
	*run_out = run;
	return pid;
}

/* Exit code, or 128 + signal. */
static inline int cli_wait(pid_t pid)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0)
		;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* A run's stdout (".out") or stderr (".err"), owned by the caller. */
static inline char *cli_output(cli_ctx *x, int run, const char *which)
{
	char path[300];
	cmk_buf b = CMK_BUF_INIT;
	char *text;

	snprintf(path, sizeof(path), "%s/run%d%s", x->dir, run, which);
	cmk_buf_init(&b, 64u << 20);
	if (cmk_buf_read_file(&b, path) < 0)
		fail_msg("read %s: %s", path, cmk_error_last());
	text = strdup(cmk_buf_cstr(&b));
	cmk_buf_free(&b);
	return text;
}

/* Run cmkctl to the end; *run_out gets the run number for cli_output. */
static inline int cli_run(cli_ctx *x, int *run_out, const char *const *argv)
{
	int run, rc = cli_wait(cli_spawn(x, &run, argv));

	if (getenv("IT_DEBUG_CLI")) {
		char *err = cli_output(x, run, ".err");
		fprintf(stderr, "--- run %d (%s) exit %d\n%s", run, argv[0], rc, err);
		free(err);
	}
	if (run_out)
		*run_out = run;
	return rc;
}

/* The JSON stdout of a run (fails the test when it is not JSON). */
static inline cJSON *cli_json(cli_ctx *x, int run)
{
	char *text = cli_output(x, run, ".out");
	cJSON *doc = cJSON_Parse(text);

	if (!doc)
		fail_msg("run %d: stdout is not JSON: %.400s", run, text);
	free(text);
	return doc;
}

/* `cmkctl apply -f examples --auto-approve -o json --state-dir …` */
static inline int cli_apply_examples(cli_ctx *x, int *run)
{
	const char *argv[] = { "apply", "-f", CLI_EXAMPLES, "--auto-approve", "-o", "json", "--state-dir",
			       x->state, NULL };

	return cli_run(x, run, argv);
}

/* armsim's hazard audit: its total (and the list printed when not 0). */
static inline long cli_hazards(cli_ctx *x)
{
	cJSON *doc = NULL;
	long total;

	if (armsim_admin(x->sim, "GET", "/_sim/hazards", NULL, &doc) != 200)
		fail_msg("GET /_sim/hazards: %s", cmk_error_last());
	total = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "total"));
	if (total) {
		char *t = cJSON_PrintUnformatted(doc);
		fprintf(stderr, "hazards: %s\n", t);
		free(t);
	}
	cJSON_Delete(doc);
	return total;
}

/* Requests in the log since `since` that write (anything but GET/HEAD and
 * the token endpoints' POSTs). */
static inline size_t cli_writes_since(cli_ctx *x, long since)
{
	cJSON *doc = it_requests(x->sim, since);
	const cJSON *r;
	size_t n = 0;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "requests")) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(r, "method"));
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(r, "resourceType"));

		if (!m || strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
		    (strcmp(m, "POST") == 0 && t && strcmp(t, "AzureAD") == 0))
			continue;
		fprintf(stderr, "write: %s %s\n", m, cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")));
		n++;
	}
	cJSON_Delete(doc);
	return n;
}

/* Answers of 400 or 409 in the whole log (printed). */
static inline size_t cli_busy_errors(cli_ctx *x)
{
	cJSON *doc = it_requests(x->sim, 0);
	const cJSON *r;
	size_t n = 0;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "requests")) {
		int s = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "status"));

		if (s != 400 && s != 409)
			continue;
		fprintf(stderr, "%d: %s %s\n", s, cJSON_GetStringValue(cJSON_GetObjectItem(r, "method")),
			cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")));
		n++;
	}
	cJSON_Delete(doc);
	return n;
}

/* The journal file in the state dir ("" when there is none). */
static inline void cli_journal_path(cli_ctx *x, char *out, size_t size)
{
	DIR *d = opendir(x->state);
	struct dirent *e;

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "operations-", 11) == 0 && strstr(e->d_name, ".json") &&
		    !strstr(e->d_name, ".lock") && !strstr(e->d_name, ".tmp"))
			snprintf(out, size, "%s/%s", x->state, e->d_name);
	closedir(d);
}

#endif
