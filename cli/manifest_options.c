/*
 * manifest_options.c - the command-line options that choose which
 * manifests a command reads: the source (-f, --git-*) and the scope
 * (--subscription, --shard), shared by every command that reads manifests
 * so they all spell and check them the same way.
 */
#include "cli/manifest_options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "common/arm_id.h"

/* Most shards a --shard K/N may split an estate into. */
#define SHARD_MAX_N 10000

typedef enum {
	OPT_FILE,
	OPT_GIT_URL,
	OPT_GIT_REF,
	OPT_GIT_PATH,
	OPT_GIT_CACHE,
	OPT_GIT_COMMIT,
	OPT_GIT_TIMEOUT,
} source__opt_id;

static const struct {
	const char *name;
	const char *alias;
	source__opt_id id;
} source__opts[] = {
	{ "--filename", "-f", OPT_FILE },
	{ "--git-url", NULL, OPT_GIT_URL },
	{ "--git-ref", NULL, OPT_GIT_REF },
	{ "--git-path", NULL, OPT_GIT_PATH },
	{ "--git-cache", NULL, OPT_GIT_CACHE },
	{ "--git-commit", NULL, OPT_GIT_COMMIT },
	{ "--git-timeout", NULL, OPT_GIT_TIMEOUT },
};

static int source__set(source_spec *spec, source__opt_id id, const char *name,
		       const char *value)
{
	const char **slot = NULL;
	char *end;
	long n;

	switch (id) {
	case OPT_FILE:
		if (*value == '\0')
			return cmk_error_set(CMK_EUSAGE, "-f: empty path");
		if (spec->nfiles == SOURCE_MAX_FILES)
			return cmk_error_set(CMK_EUSAGE, "more than %d -f options: give a "
					     "directory instead", SOURCE_MAX_FILES);
		spec->files[spec->nfiles++] = value;
		return 1;
	case OPT_GIT_URL: slot = &spec->git_url; break;
	case OPT_GIT_REF: slot = &spec->git_ref; break;
	case OPT_GIT_PATH: slot = &spec->git_path; break;
	case OPT_GIT_CACHE: slot = &spec->git_cache; break;
	case OPT_GIT_COMMIT: slot = &spec->git_commit; break;
	case OPT_GIT_TIMEOUT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || end == value || *end || n <= 0 || n > 86400)
			return cmk_error_set(CMK_EUSAGE,
					     "%s: expected a number of seconds (1..86400), got '%s'",
					     name, value);
		spec->git_timeout_s = (int)n;
		return 1;
	}
	if (*value == '\0' && id != OPT_GIT_PATH)
		return cmk_error_set(CMK_EUSAGE, "%s: empty value", name);
	if (*slot)
		return cmk_error_set(CMK_EUSAGE, "%s given twice", name);
	*slot = value;
	return 1;
}

int source_options_take(source_spec *spec, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	for (size_t k = 0; k < sizeof(source__opts) / sizeof(source__opts[0]); k++) {
		const char *name = source__opts[k].name;
		size_t n = strlen(name);

		if (strcmp(arg, name) == 0 ||
		    (source__opts[k].alias && strcmp(arg, source__opts[k].alias) == 0)) {
			if (*i + 1 >= argc)
				return cmk_error_set(CMK_EUSAGE, "option '%s' needs a value", arg);
			*i += 1;
			return source__set(spec, source__opts[k].id, name, argv[*i]);
		}
		if (strncmp(arg, name, n) == 0 && arg[n] == '=')
			return source__set(spec, source__opts[k].id, name, arg + n + 1);
	}
	return 0;
}

const char *source_options_help(void)
{
	return "  -f, --filename PATH  a manifest file, a directory (searched recursively for\n"
	       "                       *.yaml and *.yml), or - for standard input; repeatable\n"
	       "  --git-url URL        instead of -f, read a git repository (https://, ssh://,\n"
	       "                       git://, file:// or a local path)\n"
	       "  --git-ref REF        branch, tag or commit (default: the remote's HEAD)\n"
	       "  --git-path PATH      folder inside the repository (default: its root)\n"
	       "  --git-commit SHA     fail unless REF resolves to this commit\n"
	       "  --git-cache DIR      clone cache (default: $XDG_CACHE_HOME/cmkctl/git)\n"
	       "  --git-timeout SECS   bound on network work (default: 120)\n"
	       "                       git credentials come from CMKCTL_GIT_TOKEN[_FILE],\n"
	       "                       CMKCTL_GIT_SSH_KEY, CMKCTL_GIT_KNOWN_HOSTS (never argv)\n";
}

static int shard__parse_kn(shard_filter *f, const char *v)
{
	unsigned long k, n;
	char *end;

	if (f->n)
		return cmk_error_set(CMK_EUSAGE, "--shard given twice");
	k = strtoul(v, &end, 10);
	if (end == v || *end != '/' || !isdigit((unsigned char)end[1]))
		goto bad;
	n = strtoul(end + 1, &end, 10);
	if (*end || k < 1 || n < 1 || k > n || n > SHARD_MAX_N)
		goto bad;
	f->k = (unsigned)k;
	f->n = (unsigned)n;
	return 1;
bad:
	return cmk_error_set(CMK_EUSAGE, "--shard: expected K/N with 1 <= K <= N <= %d (e.g. 2/8), got '%s'",
			     SHARD_MAX_N, v);
}

int shard_options_take(shard_filter *f, int argc, char **argv, int *i)
{
	const char *v;
	bool missing = false;

	if ((v = cli_option_value(argc, argv, i, "--subscription", NULL, &missing)) != NULL) {
		if (!arm_is_guid(v))
			return cmk_error_set(CMK_EUSAGE, "--subscription: '%s' is not a subscription id (a GUID)", v);
		if (f->nsubs == SHARD_MAX_SUBSCRIPTIONS)
			return cmk_error_set(CMK_EUSAGE, "more than %d --subscription options: use --shard",
					     SHARD_MAX_SUBSCRIPTIONS);
		f->subscriptions[f->nsubs++] = v;
		return 1;
	}
	if (missing)
		return cmk_error_set(CMK_EUSAGE, "option '%s' needs a value", "--subscription");
	if ((v = cli_option_value(argc, argv, i, "--shard", NULL, &missing)) != NULL)
		return shard__parse_kn(f, v);
	if (missing)
		return cmk_error_set(CMK_EUSAGE, "option '%s' needs a value", "--shard");
	return 0;
}

const char *shard_options_help(void)
{
	return "  --subscription ID    only the documents of this subscription (repeatable)\n"
	       "  --shard K/N          only the subscriptions that hash to shard K of N\n"
	       "                       (README 'Scaling past one machine')\n";
}

int manifest_options_take(source_spec *spec, shard_filter *shard, int argc, char **argv, int *i)
{
	int taken;

	if ((taken = source_options_take(spec, argc, argv, i)) != 0)
		return taken;
	return shard_options_take(shard, argc, argv, i);
}

int manifest_options_check(const source_spec *spec)
{
	if (spec->nfiles == 0 && !spec->git_url)
		return cmk_error_set(CMK_EUSAGE, "no manifests given: use -f PATH");
	return source_spec_check(spec);
}
