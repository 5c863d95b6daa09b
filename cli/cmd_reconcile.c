/*
 * cmd_reconcile.c - `cmkctl reconcile`: keep Azure converged to the
 * manifests in a loop (see reconcile.h), for a long-running service or a
 * scheduled job (--once).
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT, or the last of a finite number
 * of iterations succeeded (in drift mode: no drift); 2 drift (drift mode,
 * last iteration); 1 the last iteration failed or the loop could not start
 * (the scope's lock is held by another instance, journal, connection);
 * 64 usage.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/manifest_options.h"
#include "cli/plan_cmd.h"
#include "reconciler/executor.h"
#include "reconciler/opstate.h"
#include "reconciler/reconcile.h"
#include "reconciler/reconcile_state.h"
#include "reconciler/shard.h"
#include "sources/source.h"

static volatile sig_atomic_t cmd_reconcile__stop;

static void cmd_reconcile__on_signal(int sig)
{
	(void)sig;
	if (cmd_reconcile__stop) {
		/* a second signal: the user means it (the journal is on disk) */
		_exit(130);
	}
	cmd_reconcile__stop = 1;
}

static void cmd_reconcile__usage(FILE *out)
{
	fprintf(out,
		"usage: cmkctl reconcile -f PATH | --git-url URL [...] [options]\n"
		"\n"
		"Run source -> plan -> apply (or, with --mode drift, only report) every\n"
		"interval until stopped. Operations still running in Azure when it is\n"
		"stopped (SIGTERM) stay recorded: the next run waits for them.\n"
		"\n"
		"options:\n"
		"%s%s"
		"  --interval DURATION  time between iterations: 30s, 10m, 1h (default 10m)\n"
		"  --jitter FRACTION    +- this fraction of the interval, random (default 0.1)\n"
		"  --mode MODE          apply (default) or drift (never writes)\n"
		"  --once               one iteration, then exit\n"
		"  --iterations N       N iterations, then exit (default: until stopped)\n"
		"  --state-dir DIR      lock, journal of running operations (default\n"
		"                       $XDG_STATE_HOME/cmkctl or ~/.local/state/cmkctl)\n"
		"  --status-file FILE   JSON status after every change (0600, atomic)\n"
		"  --metrics-file FILE  Prometheus text metrics (0600, atomic)\n"
		"  --metrics-listen ADDR  serve /metrics on a loopback address, e.g.\n"
		"                       127.0.0.1:9464 (port 0: any free port)\n"
		"  -o, --output FORMAT  each iteration's report: text (default), json (one\n"
		"                       line per iteration) or none\n"
		"  --parallelism N      writes sent at once (default %d)\n"
		"  --allow-destroy, --allow-unlink, --no-grant   as for apply\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit codes: 0 stopped, or the last iteration succeeded; 1 failed or the\n"
		"scope is locked by another instance; 2 drift (--mode drift); 64 usage.\n",
		source_options_help(), shard_options_help(), EXECUTOR_DEFAULT_PARALLELISM);
}

/* argv into `o`, `spec` and `shard`. Returns -1 to go on, else the exit
 * code to return (help printed, or a usage error reported). */
static int cmd_reconcile__parse(reconcile_opts *o, source_spec *spec, shard_filter *shard, int argc,
				char **argv)
{
	const char *mode = "apply";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool missing = false;
		int taken;

		if (cli_is_help(a)) {
			cmd_reconcile__usage(stdout);
			return CMK_EXIT_OK;
		}
		if ((taken = manifest_options_take(spec, shard, argc, argv, &i)) != 0) {
			if (taken < 0)
				return cli_usage_error("reconcile", "%s", cmk_error_last());
			continue;
		}
		if ((v = cli_option_value(argc, argv, &i, "--interval", NULL, &missing)) != NULL) {
			if (reconcile_parse_duration(&o->interval_s, v) < 0)
				return cli_usage_error("reconcile", "--interval: %s", cmk_error_last());
		} else if ((v = cli_option_value(argc, argv, &i, "--jitter", NULL, &missing)) != NULL) {
			char *end = NULL;

			o->jitter = strtod(v, &end);
			if (!end || *end || end == v || o->jitter < 0 || o->jitter > 0.5)
				return cli_usage_error("reconcile", "--jitter: expected a fraction from 0 to 0.5");
		} else if ((v = cli_option_value(argc, argv, &i, "--mode", NULL, &missing)) != NULL) {
			mode = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--iterations", NULL, &missing)) != NULL) {
			char *end = NULL;

			o->iterations = strtol(v, &end, 10);
			if (!end || *end || end == v || o->iterations < 1)
				return cli_usage_error("reconcile", "--iterations: expected a number >= 1");
		} else if ((v = cli_option_value(argc, argv, &i, "--state-dir", NULL, &missing)) != NULL) {
			o->state_dir = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--status-file", NULL, &missing)) != NULL) {
			o->status_path = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--metrics-file", NULL, &missing)) != NULL) {
			o->metrics_path = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--metrics-listen", NULL, &missing)) != NULL) {
			o->metrics_listen = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--output", "-o", &missing)) != NULL) {
			o->output = v;
		} else if ((v = cli_option_value(argc, argv, &i, "--parallelism", NULL, &missing)) != NULL) {
			if (cli_parallelism_value(&o->parallelism, v) < 0)
				return cli_usage_error("reconcile", "%s", cmk_error_last());
		} else if (missing) {
			return cli_usage_error("reconcile", "option '%s' needs a value", a);
		} else if (strcmp(a, "--once") == 0) {
			o->iterations = 1;
		} else if (!plan_cmd_flag(&o->popts, a)) {
			return cli_usage_error("reconcile", a[0] == '-' ? "unknown option '%s'"
								: "unexpected argument '%s' (use -f PATH)", a);
		}
	}
	if (strcmp(mode, "apply") == 0)
		o->drift_only = false;
	else if (strcmp(mode, "drift") == 0)
		o->drift_only = true;
	else
		return cli_usage_error("reconcile", "--mode: expected apply or drift");
	if (strcmp(o->output, "text") != 0 && strcmp(o->output, "json") != 0 && strcmp(o->output, "none") != 0)
		return cli_usage_error("reconcile", "--output: expected text, json or none");
	if (spec->nfiles == 0 && !spec->git_url)
		return cli_usage_error("reconcile", "no manifests given: use -f PATH or --git-url URL");
	if (source_spec_check(spec) < 0)
		return cli_usage_error("reconcile", "%s", cmk_error_last());
	for (size_t i = 0; i < spec->nfiles; i++)
		if (strcmp(spec->files[i], "-") == 0)
			return cli_usage_error("reconcile", "-f -: standard input can be read only once; give files");
	return -1;
}

int cmd_reconcile(int argc, char **argv)
{
	source_spec spec = SOURCE_SPEC_INIT;
	shard_filter shard = SHARD_FILTER_INIT;
	reconcile_opts o;
	struct sigaction sa, old_int, old_term;
	char dirbuf[4096];
	int rc, exit_code = CMK_EXIT_ERROR;

	memset(&o, 0, sizeof(o));
	o.popts = (plan_options)PLAN_OPTIONS_INIT;
	o.interval_s = 600;
	o.jitter = 0.1;
	o.output = "text";
	if ((rc = cmd_reconcile__parse(&o, &spec, &shard, argc, argv)) >= 0)
		return rc;
	if (!o.state_dir) {
		if (opstate_default_dir(dirbuf, sizeof(dirbuf)) < 0) {
			cli_error("reconcile", "%s", cmk_error_last());
			return CMK_EXIT_ERROR;
		}
		o.state_dir = dirbuf;
	}
	o.spec = &spec;
	o.shard = &shard;
	o.stop = &cmd_reconcile__stop;
	o.ui = cli_ui();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_reconcile__on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	cmd_reconcile__stop = 0;

	if ((rc = reconcile_run(&exit_code, &o)) < 0) {
		if (rc == CMK_EUSAGE) {
			rc = cli_usage_error("reconcile", "%s", cmk_error_last());
		} else {
			cli_error("reconcile", "%s", cmk_error_last());
			rc = CMK_EXIT_ERROR;
		}
	} else {
		rc = exit_code;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}
