/*
 * main.c - armsim's command line: parse options, make certificates, load
 * the fixture, listen, announce readiness (one JSON line), run until
 * SIGTERM/SIGINT.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "common/error.h"
#include "faults.h"
#include "fixture.h"
#include "lro.h"
#include "reqlog.h"
#include "router.h"
#include "server.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "throttle.h"
#include "tls.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("usage: armsim --listen HOST:PORT --state-dir DIR [options]\n"
	      "\n"
	      "A local HTTPS emulator of Azure Resource Manager, Azure AD and the Key Vault\n"
	      "data plane, for testing cmkctl (see tests/armsim/README.md).\n"
	      "\n"
	      "  --listen HOST:PORT      address to bind (IPv4; PORT 0 picks a free port);\n"
	      "                          default 127.0.0.1:0\n"
	      "  --state-dir DIR         where ca.pem, server.pem, server-key.pem are made on\n"
	      "                          first start and reused (required)\n"
	      "  --fixture FILE          initial state, JSON or YAML (.yaml/.yml); without it a\n"
	      "                          default tenant, subscription, resource group and\n"
	      "                          Owner service principal are created\n"
	      "  --ready-file F          write the ready JSON line to F (atomically) instead of\n"
	      "                          stdout\n"
	      "  --time-scale X          virtual seconds per real second (default 1)\n"
	      "  --token-lifetime S      access token lifetime in seconds (default 3599)\n"
	      "  --seed N                seed of ids, key material and fault injection (default 1)\n"
	      "  --threads N             libmicrohttpd thread pool size (default 4)\n"
	      "  --retry-after-real      Retry-After in virtual seconds (default: divided by the\n"
	      "                          time scale, what a client on the real clock waits)\n"
	      "realism (README \"Realism profile\"; all off by default):\n"
	      "  --profile real|none     every behaviour below on (real) or off\n"
	      "  --read-lag S            GET/list show a resource's previous state for S virtual s\n"
	      "  --unlink-synchronous    linked-service DELETE answers 200 Deleting, no async headers\n"
	      "  --linked-service-404 S  a new cluster link answers GET 404 for S virtual seconds\n"
	      "  --principal-replication S  a new principal is unknown to Key Vault and role\n"
	      "                          assignments for S virtual seconds\n"
	      "  --status-error-rate R   share (0..1) of status URL reads answered 5xx (seeded)\n"
	      "  --activity-log-delay S  Activity Log events show S virtual seconds after they\n"
	      "                          happen (submissionTimestamp; default 0)\n"
	      "  --help                  this text\n"
	      "\n"
	      "Ready line: {\"base_url\",\"port\",\"ca_file\",\"arm_endpoint\",\"authority_host\",\n"
	      "\"keyvault_dns_suffix\",\"arm_audience\",\"keyvault_audience\",\"tenant_id\",\"env\":{...}}\n"
	      "Admin API under /_sim/ (loopback only). Stop with SIGTERM.\n",
	      f);
}

static int parse_double(double *out, const char *s, const char *opt)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || v <= 0)
		return cmk_error_set(CMK_EUSAGE, "%s: '%s' is not a positive number", opt, s);
	*out = v;
	return 0;
}

static int parse_long(long *out, const char *s, const char *opt, long min)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min)
		return cmk_error_set(CMK_EUSAGE, "%s: '%s' is not an integer >= %ld", opt, s, min);
	*out = v;
	return 0;
}

/* A realism option with a number: adds its setting to `flags`; false when
 * `opt` is not one. */
static bool main__setting_flag(cJSON *flags, const char *opt, const char *v, int *error)
{
	static const char *const map[][2] = {
		{ "--read-lag", "readLagSeconds" },
		{ "--linked-service-404", "linkedServiceNotFoundSeconds" },
		{ "--principal-replication", "principalReplicationSeconds" },
		{ "--status-error-rate", "statusErrorRate" },
		{ "--activity-log-delay", "activityLogDelaySeconds" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(opt, map[i][0]) != 0)
			continue;
		char *end;
		double d = strtod(v, &end);
		if (*end || end == v || d < 0)
			*error = cmk_error_set(CMK_EUSAGE, "%s: '%s' is not a number >= 0", opt, v);
		else
			cJSON_AddNumberToObject(flags, map[i][1], d);
		return true;
	}
	return false;
}

/* The state armsim starts with when no fixture is given. */
static cJSON *default_fixture(const char *secret)
{
	const char *tenant = "aaaaaaaa-0000-4000-8000-000000000001";
	const char *sub = "00000000-0000-4000-8000-000000000001";
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "tenantId", tenant);
	cJSON *subs = cJSON_AddArrayToObject(d, "subscriptions"), *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "subscriptionId", sub);
	cJSON_AddStringToObject(s, "displayName", "armsim default subscription");
	cJSON_AddItemToArray(subs, s);
	cJSON *rgs = cJSON_AddArrayToObject(d, "resourceGroups"), *rg = cJSON_CreateObject();
	cJSON_AddStringToObject(rg, "subscriptionId", sub);
	cJSON_AddStringToObject(rg, "name", "rg-armsim");
	cJSON_AddStringToObject(rg, "location", "eastus");
	cJSON_AddItemToArray(rgs, rg);
	cJSON *ps = cJSON_AddArrayToObject(d, "principals"), *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "clientId", "bbbbbbbb-0000-4000-8000-000000000001");
	cJSON_AddStringToObject(p, "objectId", "cccccccc-0000-4000-8000-000000000001");
	cJSON_AddStringToObject(p, "displayName", "armsim-default-sp");
	cJSON_AddStringToObject(p, "secret", secret);
	cJSON *roles = cJSON_AddArrayToObject(p, "roles"), *r = cJSON_CreateObject();
	char scope[128];
	snprintf(scope, sizeof scope, "/subscriptions/%s", sub);
	cJSON_AddStringToObject(r, "role", "Owner");
	cJSON_AddStringToObject(r, "scope", scope);
	cJSON_AddItemToArray(roles, r);
	cJSON_AddItemToArray(ps, p);
	return d;
}

static int write_ready(const char *ready_file, const char *line)
{
	if (!ready_file) {
		printf("%s\n", line);
		fflush(stdout);
		return 0;
	}
	char tmp[PATH_MAX + 32];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", ready_file, (int)getpid()) >= (int)sizeof tmp)
		return cmk_error_set(CMK_EINVALID, "--ready-file: path too long");
	FILE *f = fopen(tmp, "w");
	if (!f)
		return cmk_error_set(CMK_ERROR, "--ready-file: cannot write %s", tmp);
	fprintf(f, "%s\n", line);
	if (fclose(f) != 0 || rename(tmp, ready_file) != 0) {
		unlink(tmp);
		return cmk_error_set(CMK_ERROR, "--ready-file: cannot write %s", ready_file);
	}
	return 0;
}

static cJSON *ready_json(int port, const char *ca, const char *identity_header)
{
	char base[64], slash[72], buf[256];
	snprintf(base, sizeof base, "https://localhost:%d", port);
	snprintf(slash, sizeof slash, "%s/", base);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "base_url", base);
	cJSON_AddNumberToObject(o, "port", port);
	cJSON_AddStringToObject(o, "ca_file", ca);
	cJSON_AddStringToObject(o, "arm_endpoint", slash);
	cJSON_AddStringToObject(o, "authority_host", slash);
	cJSON_AddStringToObject(o, "keyvault_dns_suffix", ".vault.localhost");
	cJSON_AddStringToObject(o, "arm_audience", ARM_AUDIENCE);
	cJSON_AddStringToObject(o, "keyvault_audience", KV_AUDIENCE);
	cJSON_AddStringToObject(o, "managedhsm_dns_suffix", ".managedhsm.localhost");
	cJSON_AddStringToObject(o, "managedhsm_audience", HSM_AUDIENCE);
	cJSON_AddStringToObject(o, "tenant_id", auth_default_tenant());
	cJSON *env = cJSON_AddObjectToObject(o, "env");
	cJSON_AddStringToObject(env, "AZURE_AUTHORITY_HOST", slash);
	cJSON_AddStringToObject(env, "AZURE_TENANT_ID", auth_default_tenant());
	/* the ready principal: fixture "defaultClient", else the first app with a secret */
	cJSON *principals = auth_principals_dump(), *p, *pick = NULL;
	const char *want = fixture_default_client();
	cJSON_ArrayForEach(p, principals) {
		if (!sim_json_str(p, "secret"))
			continue;
		if (want && sim_streq_ci(sim_json_str(p, "clientId"), want))
			pick = p;
		if (!pick)
			pick = p;
	}
	cJSON_AddStringToObject(env, "AZURE_CLIENT_ID", pick ? sim_json_str(pick, "clientId") : "");
	cJSON_AddStringToObject(env, "AZURE_CLIENT_SECRET", pick ? sim_json_str(pick, "secret") : "");
	cJSON_Delete(principals);
	cJSON_AddStringToObject(env, "CMKCTL_CLOUD", "custom");
	cJSON_AddStringToObject(env, "CMKCTL_ARM_ENDPOINT", slash);
	cJSON_AddStringToObject(env, "CMKCTL_ARM_AUDIENCE", ARM_AUDIENCE);
	cJSON_AddStringToObject(env, "CMKCTL_KEYVAULT_DNS_SUFFIX", ".vault.localhost");
	cJSON_AddStringToObject(env, "SSL_CERT_FILE", ca);
	snprintf(buf, sizeof buf, "%s/msi/token", base);
	cJSON_AddStringToObject(env, "IDENTITY_ENDPOINT", buf);
	cJSON_AddStringToObject(env, "IDENTITY_HEADER", identity_header);
	return o;
}

/* The command line. */
typedef struct main_args {
	const char *listen, *state_dir, *fixture, *ready_file;
	double scale;
	long lifetime, seed, threads;
	cJSON *flags; /* settings given as options, in order */
} main_args;

/* 0 to run, 1 after --help, -1 on a usage error (reported). */
static int main__parse(main_args *o, int argc, char **argv)
{
	int error = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--unlink-synchronous") || !strcmp(a, "--retry-after-real")) {
			cJSON_AddNumberToObject(o->flags, a[2] == 'u' ? "unlinkSynchronous" : "retryAfterRealSeconds", 1);
			continue;
		}
		if (!v) {
			fprintf(stderr, "armsim: %s: %s\n", a, strncmp(a, "--", 2) ? "unknown argument" : "needs a value");
			usage(stderr);
			return -1;
		}
		if (!strcmp(a, "--listen"))
			o->listen = v;
		else if (!strcmp(a, "--state-dir"))
			o->state_dir = v;
		else if (!strcmp(a, "--fixture"))
			o->fixture = v;
		else if (!strcmp(a, "--ready-file"))
			o->ready_file = v;
		else if (!strcmp(a, "--time-scale"))
			error = parse_double(&o->scale, v, a);
		else if (!strcmp(a, "--token-lifetime"))
			error = parse_long(&o->lifetime, v, a, 1);
		else if (!strcmp(a, "--seed"))
			error = parse_long(&o->seed, v, a, 0);
		else if (!strcmp(a, "--threads"))
			error = parse_long(&o->threads, v, a, 1);
		else if (!strcmp(a, "--profile"))
			cJSON_AddStringToObject(o->flags, "profile", v);
		else if (!main__setting_flag(o->flags, a, v, &error)) {
			fprintf(stderr, "armsim: unknown option %s\n", a);
			usage(stderr);
			return -1;
		}
		if (error < 0) {
			fprintf(stderr, "armsim: %s\n", cmk_error_last());
			return -1;
		}
		i++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* file-static: an early exit leaves nothing unreachable behind */
	static main_args args = { .listen = "127.0.0.1:0", .scale = 1, .lifetime = 3599, .seed = 1, .threads = 4 };
	args.flags = cJSON_CreateObject();
	int rc = main__parse(&args, argc, argv);
	if (rc)
		return rc > 0 ? 0 : 64;
	const char *listen = args.listen, *state_dir = args.state_dir, *fixture = args.fixture,
		   *ready_file = args.ready_file;
	double scale = args.scale;
	long lifetime = args.lifetime, seed = args.seed, threads = args.threads;
	cJSON *flags = args.flags;
	int error = 0, port = 0;
	char *cert = NULL, *key = NULL, ca[PATH_MAX + 16];
	char ready_abs[PATH_MAX];

	if (!state_dir) {
		fprintf(stderr, "armsim: --state-dir is required\n");
		usage(stderr);
		return 64;
	}
	char host[64];
	const char *colon = strrchr(listen, ':');
	long lport = 0;
	if (!colon || (size_t)(colon - listen) >= sizeof host ||
	    parse_long(&lport, colon + 1, "--listen port", 0) < 0 || lport > 65535) {
		fprintf(stderr, "armsim: --listen: expected HOST:PORT, got '%s'\n", listen);
		return 64;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
	if (ready_file) {
		/* resolve before anything chdirs; the file may not exist yet */
		if (ready_file[0] != '/') {
			char cwd[PATH_MAX];
			if (!getcwd(cwd, sizeof cwd)) {
				fprintf(stderr, "armsim: cannot resolve --ready-file\n");
				return 1;
			}
			snprintf(ready_abs, sizeof ready_abs, "%.2000s/%.2000s", cwd, ready_file);
			ready_file = ready_abs;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM/SIGINT are blocked before any thread exists (the server's
	 * threads inherit the mask) and taken synchronously by sigwait below */
	sigset_t stopset;
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);

	sim_rng_seed((uint64_t)seed);
	faults_seed((uint64_t)seed);
	lro_seed((uint64_t)seed);
	simclock_init(scale);
	settings_defaults(&g_settings);
	g_settings.token_lifetime_s = (int)lifetime;
	if ((error = settings_apply(&g_settings, flags)) < 0) {
		fprintf(stderr, "armsim: %s\n", cmk_error_last());
		return 64;
	}
	throttle_init();
	reqlog_init();
	if ((error = auth_init()) < 0 ||
	    (error = tls_ensure(&cert, &key, ca, sizeof ca, state_dir)) < 0)
		goto fail;
	char idh[33];
	sim_hex32(idh);
	auth_set_identity_header(idh);
	router_init();
	if ((error = server_start(&port, host, (int)lport, (unsigned)threads, cert, key)) < 0)
		goto fail;
	if (fixture) {
		if ((error = fixture_load_file(fixture)) < 0)
			goto fail_stop;
	} else {
		char secret[33];
		sim_hex32(secret);
		cJSON *d = default_fixture(secret);
		store_lock();
		error = fixture_load_json(d, 1);
		store_unlock();
		cJSON_Delete(d);
		if (error < 0)
			goto fail_stop;
	}
	/* options win over a fixture's settings */
	store_lock();
	(void)settings_apply(&g_settings, flags);
	store_unlock();
	cJSON_Delete(flags);
	args.flags = NULL;
	{
		store_lock(); /* requests may already run: principals are shared */
		cJSON *r = ready_json(port, ca, idh);
		store_unlock();
		char *line = cJSON_PrintUnformatted(r);
		cJSON_Delete(r);
		error = write_ready(ready_file, line);
		free(line);
		if (error < 0)
			goto fail_stop;
	}
	fprintf(stderr, "armsim: listening on https://localhost:%d (time scale %g)\n", port, scale);
	int sig = 0;
	sigwait(&stopset, &sig);
	server_stop();
	free(cert);
	free(key);
	return 0;
fail_stop:
	server_stop();
fail:
	fprintf(stderr, "armsim: %s\n", cmk_error_last());
	free(cert);
	free(key);
	return 1;
}
