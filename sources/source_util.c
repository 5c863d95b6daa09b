/*
 * source_util.c - what the source backends share: the local paths a source
 * hands to the manifest loader, removing a checkout, and stripping
 * credentials from a URL before it is recorded or logged.
 */
#include "sources/source_internal.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int source__add_local(source *s, const char *path)
{
	char **grown, *copy;

	if ((copy = strdup(path)) == NULL)
		return cmk_error_oom();
	if ((grown = realloc(s->local, (s->nlocal + 1) * sizeof(*grown))) == NULL) {
		free(copy);
		return cmk_error_oom();
	}
	s->local = grown;
	s->local[s->nlocal++] = copy;
	return 0;
}

void source__clear_local(source *s)
{
	for (size_t i = 0; i < s->nlocal; i++)
		free(s->local[i]);
	free(s->local);
	s->local = NULL;
	s->nlocal = 0;
}

static int source__rmtree_one(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	/* keep going on errors: delete as much of the checkout as we can */
	if (remove(path) < 0 && errno != ENOENT)
		cmk_log_warn("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int source__rmtree(const char *path)
{
	return nftw(path, source__rmtree_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * "scheme://[userinfo@]host..." or scp-like "[user@]host:path". A local path
 * has neither a scheme nor a colon before its first slash.
 */
char *source_url_strip(const char *url)
{
	const char *auth, *at, *end, *colon;
	char *copy;
	size_t n;

	if ((auth = strstr(url, "://")) != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
	} else {
		auth = url;
		end = url + strcspn(url, "/:");
		if (*end != ':')
			return strdup(url); /* a local path */
	}
	at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return strdup(url);

	/* a password in the URL must never reach a log, even if ignored */
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon && at - colon > 1) {
		char *pw = strndup(colon + 1, (size_t)(at - colon - 1));
		if (!pw)
			return NULL;
		cmk_log_add_secret(pw);
		free(pw);
	}

	n = strlen(url) - (size_t)(at + 1 - auth);
	if ((copy = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(copy, url, (size_t)(auth - url));
	strcpy(copy + (auth - url), at + 1);
	return copy;
}
