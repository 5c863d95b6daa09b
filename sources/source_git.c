/*
 * source_git.c - the git source: fetch a repository into a cache reused
 * between runs, resolve the ref against what the remote advertises, check
 * the pinned commit, and write the tree at --git-path into a private
 * temporary directory for the manifest loader.
 *
 * The cache is a bare repository per URL (<cache>/<sha256(url)[:16]>), with
 * forced refspecs so force-pushed branches and moved tags are followed, and
 * pruning so deleted branches disappear. A cache that cannot be opened or
 * whose objects cannot be read is deleted and cloned again, once, with a
 * warning: a damaged cache must cost a re-clone, never a wrong answer.
 */
#include "sources/source_git_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "common/time.h"

#define SOURCE__MAX_FILE ((size_t)16 * 1024 * 1024)

/* Each fetch that brings something adds a pack and libgit2 cannot repack;
 * past this many, the cache is cloned afresh (manifest repositories are
 * small) so a reconcile loop does not grow it for ever. */
#define SOURCE__MAX_PACKS 32

/* What one open works with; strings owned here unless noted. */
typedef struct {
	const source_spec *spec;
	char *record_url;  /* credentials stripped: logs, messages, the cache key */
	char *connect_url; /* what libgit2 dials: no password, ssh user kept */
	char *path;        /* normalised --git-path, "" for the root */
	char *cache_dir;   /* <cache>/<key> */
	int timeout_s;
	source_git_auth auth;

	git_repository *repo;
	git_remote *remote;
	int cache_existed; /* it was there before this attempt: damage means corrupt */
	int corrupt;       /* the attempt failed because the cache is damaged */

	/* the remote's advertisement, copied during the fetch */
	struct source__head {
		char *name;
		git_oid oid;
	} *heads;
	size_t nheads;
	char *head_target; /* the branch HEAD points to, or NULL */

	/* while writing the checkout: links resolve in the whole commit */
	const git_tree *root_tree; /* borrowed */
	const char *commit_hex;    /* borrowed */
} source__git;

static const char *source__giterr(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/* Error classes that mean our own repository files are damaged. */
static int source__giterr_is_local_damage(void)
{
	const git_error *e = git_error_last();

	if (!e)
		return 0;
	switch (e->klass) {
	case GIT_ERROR_REFERENCE:
	case GIT_ERROR_ZLIB:
	case GIT_ERROR_REPOSITORY:
	case GIT_ERROR_CONFIG:
	case GIT_ERROR_ODB:
	case GIT_ERROR_OBJECT:
	case GIT_ERROR_TREE:
	case GIT_ERROR_INDEXER:
	case GIT_ERROR_SHA:
		return 1;
	default:
		return 0;
	}
}

/* Mark the failure as cache damage when the cache predates this attempt. */
static int source__damage(source__git *g, const char *what)
{
	const char *detail = source__giterr();

	if (g->cache_existed)
		g->corrupt = 1;
	return cmk_error_set(CMK_ERROR, "%s: git cache %s is damaged (%s: %s)",
			     g->record_url, g->cache_dir, what, detail);
}

/* ----- inputs */

static int source__is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "a//b/" -> "a/b"; ".", "..", ".git" components are refused. */
static int source__normalise_path(char **out, const char *in)
{
	char *copy, *res, *save = NULL;
	size_t len = 0;

	if ((copy = strdup(in ? in : "")) == NULL ||
	    (res = calloc(1, strlen(in ? in : "") + 1)) == NULL) {
		free(copy);
		return cmk_error_oom();
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0 || strcmp(c, ".git") == 0) {
			int error = cmk_error_set(CMK_EINVALID,
						  "--git-path '%s': '%s' is not allowed in a "
						  "repository path", in, c);
			free(copy);
			free(res);
			return error;
		}
		if (len)
			res[len++] = '/';
		memcpy(res + len, c, strlen(c));
		len += strlen(c);
	}
	free(copy);
	*out = res;
	return 0;
}

static int source__is_local_path(const char *url)
{
	return !strstr(url, "://") && url[strcspn(url, "/:")] != ':';
}

/* The URL without a password; the user name stays (ssh needs it). */
static char *source__url_drop_password(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *colon;
	char *copy;

	if (!auth)
		return strdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at || !(colon = memchr(auth, ':', (size_t)(at - auth))))
		return strdup(url);
	if ((copy = malloc(strlen(url) + 1)) == NULL)
		return NULL;
	memcpy(copy, url, (size_t)(colon - url));
	strcpy(copy + (colon - url), at);
	return copy;
}

static int source__mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return cmk_error_set(CMK_EINVALID, "bad directory path '%s'", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return cmk_error_set(CMK_ERROR, "cannot create %s: %s", buf,
					     strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return cmk_error_set(CMK_ERROR, "cannot create %s: %s", buf, strerror(errno));
	return 0;
}

static int source__cache_root(char **out, const source_spec *spec)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (spec->git_cache)
		n = asprintf(out, "%s", spec->git_cache);
	else if (xdg && *xdg == '/')
		n = asprintf(out, "%s/cmkctl/git", xdg);
	else if (home && *home)
		n = asprintf(out, "%s/.cache/cmkctl/git", home);
	else
		return cmk_error_set(CMK_EINVALID,
				     "no cache directory: set --git-cache, XDG_CACHE_HOME or HOME");
	if (n < 0) {
		*out = NULL;
		return cmk_error_oom();
	}
	return 0;
}

/* <root>/<first 16 hex of sha256(url)>: one bare repository per URL. */
static int source__cache_key(char out[17], const char *url)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(url, strlen(url), md, &len, EVP_sha256(), NULL) || len < 8)
		return cmk_error_set(CMK_ERROR, "sha256 failed");
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Serialise processes sharing a cache entry; bounded by the deadline. */
static int source__lock(int *out_fd, const char *cache_dir, int64_t deadline_ms)
{
	char *path = NULL;
	int fd, error = 0;

	*out_fd = -1;
	if (asprintf(&path, "%s.lock", cache_dir) < 0)
		return cmk_error_oom();
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		error = cmk_error_set(CMK_ERROR, "cannot open lock %s: %s", path,
				      strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			error = cmk_error_set(CMK_ERROR, "cannot lock %s: %s", path,
					      strerror(errno));
			goto out;
		}
		if (cmk_time_mono_ms() >= deadline_ms) {
			error = cmk_error_set(CMK_ETIMEOUT,
					      "git cache %s stayed locked by another cmkctl "
					      "until the timeout", cache_dir);
			goto out;
		}
		usleep(50 * 1000);
	}
	*out_fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return error;
}

/* ----- fetch */

static int source__progress_cb(const git_indexer_progress *stats, void *payload)
{
	/* the stream bounds every read; this also stops a slow trickle */
	if (source__net_timed_out() || source__net_expired()) {
		git_error_set_str(GIT_ERROR_NET, "transfer timed out");
		return -1;
	}
	return 0;
}

static size_t source__count_packs(const char *cache_dir)
{
	char *dir = NULL;
	struct dirent *e;
	size_t n = 0, len;
	DIR *d;

	if (asprintf(&dir, "%s/objects/pack", cache_dir) < 0)
		return 0;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if ((len = strlen(e->d_name)) > 5 && strcmp(e->d_name + len - 5, ".pack") == 0)
				n++;
		closedir(d);
	}
	free(dir);
	return n;
}

static int source__open_cache(source__git *g)
{
	struct stat st;
	size_t packs;
	int error;

	g->cache_existed = stat(g->cache_dir, &st) == 0;
	if (g->cache_existed && (packs = source__count_packs(g->cache_dir)) > SOURCE__MAX_PACKS) {
		cmk_log_info("git: cache %s holds %zu packs; cloning it afresh", g->cache_dir, packs);
		if (source__rmtree(g->cache_dir) != 0 || access(g->cache_dir, F_OK) == 0)
			return cmk_error_set(CMK_ERROR, "cannot delete git cache %s", g->cache_dir);
		g->cache_existed = 0;
	}
	if (g->cache_existed) {
		if (git_repository_open_ext(&g->repo, g->cache_dir,
					    GIT_REPOSITORY_OPEN_NO_SEARCH |
						    GIT_REPOSITORY_OPEN_BARE,
					    NULL) < 0)
			return source__damage(g, "cannot open it");
		if (!git_repository_is_bare(g->repo))
			return source__damage(g, "not a bare repository");
		if (git_remote_lookup(&g->remote, g->repo, "origin") < 0)
			return source__damage(g, "no origin remote");
		if (strcmp(git_remote_url(g->remote), g->connect_url) != 0) {
			git_remote_free(g->remote);
			g->remote = NULL;
			if (git_remote_set_url(g->repo, "origin", g->connect_url) < 0 ||
			    git_remote_lookup(&g->remote, g->repo, "origin") < 0)
				return source__damage(g, "cannot update origin");
		}
		cmk_log_info("git: fetching %s into cache %s", g->record_url, g->cache_dir);
		return 0;
	}

	git_repository_init_options opts;

	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		     GIT_REPOSITORY_INIT_NO_REINIT;
	opts.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
	if (git_repository_init_ext(&g->repo, g->cache_dir, &opts) < 0)
		return cmk_error_set(CMK_ERROR, "cannot create git cache %s: %s",
				     g->cache_dir, source__giterr());
	(void)chmod(g->cache_dir, 0700);
	if (git_remote_create(&g->remote, g->repo, "origin", g->connect_url) < 0 ||
	    git_remote_add_fetch(g->repo, "origin", "+refs/tags/*:refs/tags/*") < 0)
		return cmk_error_set(CMK_EINVALID, "%s: cannot use this URL: %s",
				     g->record_url, source__giterr());
	git_remote_free(g->remote);
	g->remote = NULL;
	if ((error = git_remote_lookup(&g->remote, g->repo, "origin")) < 0)
		return cmk_error_set(CMK_ERROR, "git cache %s: %s", g->cache_dir,
				     source__giterr());
	cmk_log_info("git: cloning %s into new cache %s", g->record_url, g->cache_dir);
	return 0;
}

/* Before fetching into an old cache: every ref must point at a readable
 * commit whose tree is readable, or negotiation would build on damage. */
static int source__check_cache(source__git *g)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *obj = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int rc, error = 0;

	if (git_reference_iterator_new(&it, g->repo) < 0)
		return source__damage(g, "cannot list references");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0 ||
		     git_commit_lookup(&commit, g->repo, git_object_id(obj)) < 0 ||
		     git_commit_tree(&tree, commit) < 0)) {
			error = source__damage(g, git_reference_name(ref));
		}
		git_tree_free(tree);
		git_commit_free(commit);
		git_object_free(obj);
		git_reference_free(ref);
		tree = NULL;
		commit = NULL;
		obj = NULL;
		if (error < 0)
			break;
	}
	if (error == 0 && rc != GIT_ITEROVER)
		error = source__damage(g, "cannot read references");
	git_reference_iterator_free(it);
	return error;
}

static int source__remember_heads(source__git *g)
{
	const git_remote_head **heads;
	size_t n;

	if (git_remote_ls(&heads, &n, g->remote) < 0)
		return cmk_error_set(CMK_ERROR, "%s: cannot list remote refs: %s",
				     g->record_url, source__giterr());
	if ((g->heads = calloc(n ? n : 1, sizeof(*g->heads))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < n; i++) {
		if ((g->heads[i].name = strdup(heads[i]->name)) == NULL)
			return cmk_error_oom();
		git_oid_cpy(&g->heads[i].oid, &heads[i]->oid);
		g->nheads++;
		if (strcmp(heads[i]->name, "HEAD") == 0 && heads[i]->symref_target &&
		    (g->head_target = strdup(heads[i]->symref_target)) == NULL)
			return cmk_error_oom();
	}
	return 0;
}

static int source__fetch(source__git *g)
{
	git_fetch_options fo;
	int64_t deadline = cmk_time_mono_ms() + (int64_t)g->timeout_s * 1000;
	int rc, error;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);

	fo.callbacks.credentials = source__auth_credentials_cb;
	fo.callbacks.certificate_check = source__auth_certificate_cb;
	fo.callbacks.transfer_progress = source__progress_cb;
	fo.callbacks.payload = &g->auth;
	fo.prune = GIT_FETCH_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE; /* the tags refspec fetches them */

	g->auth.fail_code = 0;
	g->auth.cred_calls = 0;
	source__net_deadline_set(deadline);
	rc = git_remote_fetch(g->remote, NULL, &fo, "cmkctl: fetch");
	source__net_deadline_set(0);
	if (rc == 0)
		return source__remember_heads(g);

	if (g->auth.fail_code)
		return cmk_error_set(g->auth.fail_code, "%s: %s", g->record_url,
				     g->auth.fail_msg);
	/* after the deadline every failure is the timeout's doing (the watchdog
	 * cuts ssh connections, whose errors do not say so) */
	if (source__net_timed_out() || cmk_time_mono_ms() >= deadline)
		return cmk_error_set(CMK_ETIMEOUT,
				     "%s: no answer within the %d s timeout (%s); check the "
				     "URL and the network, or raise --git-timeout",
				     g->record_url, g->timeout_s, source__giterr());
	if (rc == GIT_EAUTH)
		return cmk_error_set(CMK_EAUTH, "%s: authentication failed: %s",
				     g->record_url, source__giterr());
	if (rc == GIT_ECERTIFICATE)
		return cmk_error_set(CMK_EAUTH, "%s: server not trusted: %s",
				     g->record_url, source__giterr());
	if (g->cache_existed && source__giterr_is_local_damage())
		return source__damage(g, "fetch failed");
	error = cmk_error_set(CMK_ERROR,
			      "%s: cannot fetch: %s (is the remote reachable, and a git "
			      "repository?)", g->record_url, source__giterr());
	return error;
}

/* ----- resolve */

static const struct source__head *source__find_head(const source__git *g,
						    const char *name)
{
	for (size_t i = 0; i < g->nheads; i++)
		if (strcmp(g->heads[i].name, name) == 0)
			return &g->heads[i];
	return NULL;
}

static int source__peel_commit(git_commit **out, source__git *g, const git_oid *oid,
			       const char *what)
{
	git_object *obj = NULL, *peeled = NULL;
	int error = 0;

	if (git_object_lookup(&obj, g->repo, oid, GIT_OBJECT_ANY) < 0) {
		error = source__damage(g, what);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		error = cmk_error_set(CMK_EINVALID, "%s: %s does not point to a commit",
				      g->record_url, what);
		goto out;
	}
	if (git_commit_lookup(out, g->repo, git_object_id(peeled)) < 0)
		error = source__damage(g, what);
out:
	git_object_free(peeled);
	git_object_free(obj);
	return error;
}

/* Whether the commit can be reached from any advertised branch or tag:
 * a commit id that only survives in our cache (force-pushed away) must not
 * resolve, or a fresh clone would disagree with this one. */
static int source__reachable(int *out, source__git *g, const git_oid *id)
{
	git_oid *tips;
	size_t n = 0;
	int rc;

	if ((tips = calloc(g->nheads ? g->nheads : 1, sizeof(*tips))) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < g->nheads; i++) {
		git_object *obj = NULL, *peeled = NULL;

		if (git_object_lookup(&obj, g->repo, &g->heads[i].oid, GIT_OBJECT_ANY) == 0 &&
		    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0)
			git_oid_cpy(&tips[n++], git_object_id(peeled));
		git_object_free(peeled);
		git_object_free(obj);
	}
	rc = n ? git_graph_reachable_from_any(g->repo, id, tips, n) : 0;
	free(tips);
	if (rc < 0)
		return source__damage(g, "walking history");
	*out = rc;
	return 0;
}

static int source__resolve(git_commit **out, char **out_ref_name, source__git *g,
			   const char *ref)
{
	static const char *const prefixes[] = { "", "refs/", "refs/tags/", "refs/heads/" };
	const struct source__head *h = NULL;
	char name[1024];
	int error;

	*out_ref_name = NULL;
	if (strcmp(ref, "HEAD") == 0) {
		if ((h = source__find_head(g, "HEAD")) == NULL)
			return cmk_error_set(CMK_ENOTFOUND,
					     "%s: the remote has no HEAD (empty repository?): "
					     "give --git-ref", g->record_url);
		if ((*out_ref_name = strdup(g->head_target ? g->head_target : "HEAD")) == NULL)
			return cmk_error_oom();
		return source__peel_commit(out, g, &h->oid, "HEAD");
	}

	/* git's order: exact, refs/<ref>, tags, then branches */
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && !h; i++) {
		snprintf(name, sizeof(name), "%s%s", prefixes[i], ref);
		if (strncmp(name, "refs/", 5) == 0)
			h = source__find_head(g, name);
	}
	if (h) {
		if ((*out_ref_name = strdup(h->name)) == NULL)
			return cmk_error_oom();
		return source__peel_commit(out, g, &h->oid, h->name);
	}

	if (source__is_hex(ref, 7, GIT_OID_HEXSZ)) {
		git_object *obj = NULL;
		git_oid prefix;
		int reachable = 0;

		if (git_oid_fromstrn(&prefix, ref, strlen(ref)) < 0)
			return cmk_error_set(CMK_EINVALID, "bad commit id '%s'", ref);
		error = git_object_lookup_prefix(&obj, g->repo, &prefix, strlen(ref),
						 GIT_OBJECT_COMMIT);
		if (error == GIT_EAMBIGUOUS)
			return cmk_error_set(CMK_EINVALID,
					     "%s: commit id '%s' is ambiguous: give more digits",
					     g->record_url, ref);
		if (error == 0) {
			if ((error = source__reachable(&reachable, g, git_object_id(obj))) < 0) {
				git_object_free(obj);
				return error;
			}
			if (reachable) {
				error = git_commit_lookup(out, g->repo, git_object_id(obj));
				git_object_free(obj);
				return error < 0 ? source__damage(g, ref) : 0;
			}
			git_object_free(obj);
			return cmk_error_set(CMK_ENOTFOUND,
					     "%s: commit %s is not on any branch or tag of the "
					     "remote (force-pushed away?)", g->record_url, ref);
		}
	}
	return cmk_error_set(CMK_ENOTFOUND,
			     "%s: unknown ref '%s': no branch, tag or commit of that name",
			     g->record_url, ref);
}

/* ----- materialise */

static int source__write_file(const char *path, const git_blob *blob)
{
	const void *data = git_blob_rawcontent(blob);
	size_t len = (size_t)git_blob_rawsize(blob), done = 0;
	int fd, error = 0;

	if (len > SOURCE__MAX_FILE)
		return cmk_error_set(CMK_EINVALID, "%s: larger than %zu bytes", path,
				     SOURCE__MAX_FILE);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return cmk_error_set(CMK_ERROR, "cannot create %s: %s", path, strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", path,
					      strerror(errno));
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && error == 0)
		error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", path, strerror(errno));
	return error;
}

/* Folders nested deeper than this in a checkout: a loop through links. */
#define SOURCE__MAX_DEPTH 32

static int source__write_tree(source__git *g, const git_tree *tree, const char *dir,
			      const char *rel, int depth);

/* A submodule's files are not in this repository: its manifests would be
 * left out of the plan without a word. */
static int source__submodule(source__git *g, const char *relpath)
{
	return cmk_error_set(CMK_EINVALID, "%s: %s is a git submodule in commit %s; cmkctl does not "
			     "fetch submodules, so the manifests in it would be left out: move them into "
			     "this repository or point --git-path away from it", g->record_url, relpath,
			     g->commit_hex);
}

/* Write what the link at `relpath` leads to inside the commit at `path`:
 * a file's contents, or a folder. Anything it cannot follow is an error
 * naming the link, never a skip (it may stand for a folder of manifests). */
static int source__write_link(source__git *g, const char *path, const char *relpath, int depth)
{
	git_tree_entry *to = NULL;
	git_object *obj = NULL;
	char *to_path = NULL;
	size_t n;
	int error;

	if ((error = source__git_link_resolve(&to, &to_path, g->repo, g->root_tree, relpath)) < 0) {
		char why[1024];

		if (error == CMK_ENOMEM)
			return error;
		snprintf(why, sizeof(why), "%s", cmk_error_last());
		return cmk_error_set(error, "%s: %s (commit %s)", g->record_url, why, g->commit_hex);
	}
	n = strlen(to_path);
	switch (git_tree_entry_filemode(to)) {
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		if (git_tree_entry_to_object(&obj, g->repo, to) < 0)
			error = source__damage(g, relpath);
		else
			error = source__write_file(path, (git_blob *)obj);
		break;
	case GIT_FILEMODE_TREE:
		if (strncmp(relpath, to_path, n) == 0 && relpath[n] == '/')
			error = cmk_error_set(CMK_EINVALID, "%s: %s is a symbolic link loop: it leads back "
					      "to its parent folder '%s' (commit %s)", g->record_url,
					      relpath, to_path, g->commit_hex);
		else if (mkdir(path, 0700) < 0)
			error = cmk_error_set(CMK_ERROR, "cannot create %s: %s", path, strerror(errno));
		else if (git_tree_entry_to_object(&obj, g->repo, to) < 0)
			error = source__damage(g, relpath);
		else
			error = source__write_tree(g, (git_tree *)obj, path, relpath, depth + 1);
		break;
	default:
		error = source__submodule(g, relpath);
		break;
	}
	git_object_free(obj);
	git_tree_entry_free(to);
	free(to_path);
	return error;
}

/* Write `tree` under `dir`; `rel` is its repository-relative name. */
static int source__write_tree(source__git *g, const git_tree *tree, const char *dir,
			      const char *rel, int depth)
{
	size_t n = git_tree_entrycount(tree);
	int error = 0;

	if (depth > SOURCE__MAX_DEPTH)
		return cmk_error_set(CMK_EINVALID, "%s: %s: folders nested more than %d levels deep in "
				     "commit %s (a symbolic link loop?)", g->record_url, rel,
				     SOURCE__MAX_DEPTH, g->commit_hex);
	for (size_t i = 0; i < n && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		git_object *obj = NULL;
		char *path = NULL, *relpath = NULL;

		if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0 || strcasecmp(name, ".git") == 0) {
			cmk_log_warn("git: skipping unsafe entry name '%s' in %s", name,
				     *rel ? rel : ".");
			continue;
		}
		if (asprintf(&path, "%s/%s", dir, name) < 0 ||
		    asprintf(&relpath, "%s%s%s", rel, *rel ? "/" : "", name) < 0) {
			free(path);
			return cmk_error_oom();
		}
		if (name[0] == '.' && mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_BLOB &&
		    mode != GIT_FILEMODE_BLOB_EXECUTABLE) {
			/* hidden: the manifest loader never reads it either */
			cmk_log_warn("git: skipping hidden %s %s",
				     mode == GIT_FILEMODE_LINK ? "symbolic link" : "submodule", relpath);
			free(path);
			free(relpath);
			continue;
		}
		switch (mode) {
		case GIT_FILEMODE_TREE:
			if (mkdir(path, 0700) < 0) {
				error = cmk_error_set(CMK_ERROR, "cannot create %s: %s", path,
						      strerror(errno));
			} else if (git_tree_entry_to_object(&obj, g->repo, e) < 0) {
				error = source__damage(g, relpath);
			} else {
				error = source__write_tree(g, (git_tree *)obj, path, relpath, depth + 1);
			}
			break;
		case GIT_FILEMODE_BLOB:
		case GIT_FILEMODE_BLOB_EXECUTABLE:
			if (git_tree_entry_to_object(&obj, g->repo, e) < 0)
				error = source__damage(g, relpath);
			else
				error = source__write_file(path, (git_blob *)obj);
			break;
		case GIT_FILEMODE_LINK:
			error = source__write_link(g, path, relpath, depth);
			break;
		default:
			error = source__submodule(g, relpath);
			break;
		}
		git_object_free(obj);
		free(path);
		free(relpath);
	}
	return error;
}

static int source__materialise(source *s, source__git *g, git_commit *commit,
			       const char *commit_hex)
{
	const char *tmp = getenv("TMPDIR");
	git_tree *root = NULL;
	git_tree_entry *entry = NULL;
	git_object *obj = NULL;
	char *parent = NULL, *local = NULL;
	int error = 0;

	if (git_commit_tree(&root, commit) < 0) {
		error = source__damage(g, commit_hex);
		goto out;
	}
	g->root_tree = root;
	g->commit_hex = commit_hex;
	if (*g->path) {
		int rc = git_tree_entry_bypath(&entry, root, g->path);
		if (rc == GIT_ENOTFOUND) {
			error = cmk_error_set(CMK_ENOTFOUND,
					      "%s: --git-path '%s' does not exist in commit %s "
					      "(ref %s)", g->record_url, g->path, commit_hex,
					      s->ref);
			goto out;
		}
		if (rc < 0 || git_tree_entry_to_object(&obj, g->repo, entry) < 0) {
			error = source__damage(g, g->path);
			goto out;
		}
		if (git_object_type(obj) != GIT_OBJECT_TREE &&
		    git_object_type(obj) != GIT_OBJECT_BLOB) {
			error = cmk_error_set(CMK_EINVALID,
					      "%s: --git-path '%s' in commit %s is neither a "
					      "folder nor a file", g->record_url, g->path,
					      commit_hex);
			goto out;
		}
	}

	if (asprintf(&s->root, "%s/cmkctl-git-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		s->root = NULL;
		error = cmk_error_oom();
		goto out;
	}
	if (mkdtemp(s->root) == NULL) { /* mode 0700 */
		error = cmk_error_set(CMK_ERROR, "cannot create a temporary directory %s: %s",
				      s->root, strerror(errno));
		free(s->root);
		s->root = NULL;
		goto out;
	}
	if (!*g->path) {
		if ((error = source__add_local(s, s->root)) == 0)
			error = source__write_tree(g, root, s->root, "", 0);
		goto out;
	}
	if (asprintf(&local, "%s/%s", s->root, g->path) < 0) {
		local = NULL;
		error = cmk_error_oom();
		goto out;
	}
	if ((error = source__add_local(s, local)) < 0)
		goto out;
	if ((parent = strdup(local)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	*strrchr(parent, '/') = '\0';
	if (strcmp(parent, s->root) != 0 && (error = source__mkdirs(parent, 0700)) < 0)
		goto out;
	if (git_object_type(obj) == GIT_OBJECT_BLOB) {
		if (git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK)
			error = cmk_error_set(CMK_EINVALID,
					      "%s: --git-path '%s' is a symbolic link",
					      g->record_url, g->path);
		else
			error = source__write_file(local, (git_blob *)obj);
	} else if (mkdir(local, 0700) < 0) {
		error = cmk_error_set(CMK_ERROR, "cannot create %s: %s", local,
				      strerror(errno));
	} else {
		error = source__write_tree(g, (git_tree *)obj, local, g->path, 0);
	}
out:
	free(local);
	free(parent);
	git_object_free(obj);
	git_tree_entry_free(entry);
	git_tree_free(root);
	g->root_tree = NULL;
	g->commit_hex = NULL;
	return error;
}

/* ----- one attempt, and the retry on a damaged cache */

static void source__git_release(source__git *g)
{
	git_remote_free(g->remote);
	git_repository_free(g->repo);
	g->remote = NULL;
	g->repo = NULL;
	for (size_t i = 0; i < g->nheads; i++)
		free(g->heads[i].name);
	free(g->heads);
	free(g->head_target);
	g->heads = NULL;
	g->nheads = 0;
	g->head_target = NULL;
}

/* Forget a failed attempt, before trying again. */
static void source__git_reset(source *s, source__git *g)
{
	source__git_release(g);
	if (s->root)
		(void)source__rmtree(s->root);
	free(s->root);
	source__clear_local(s);
	free(s->ref_name);
	free(s->commit);
	s->root = s->ref_name = s->commit = NULL;
}

static int source__attempt(source *s, source__git *g)
{
	const source_spec *spec = g->spec;
	git_commit *commit = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	g->corrupt = 0;
	if ((error = source__open_cache(g)) < 0 ||
	    (g->cache_existed && (error = source__check_cache(g)) < 0) ||
	    (error = source__fetch(g)) < 0 ||
	    (error = source__resolve(&commit, &s->ref_name, g, s->ref)) < 0)
		goto out;

	git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
	if ((s->commit = strdup(hex)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	if (spec->git_commit && strncasecmp(hex, spec->git_commit, strlen(spec->git_commit)) != 0) {
		error = cmk_error_set(CMK_ECONFLICT,
				      "%s: ref %s resolved to commit %s, but --git-commit "
				      "expects %s", g->record_url, s->ref, hex,
				      spec->git_commit);
		goto out;
	}
	if ((error = source__materialise(s, g, commit, hex)) < 0)
		goto out;
	cmk_log_info("git: %s ref %s -> commit %s%s%s", g->record_url, s->ref, hex,
		     *g->path ? " path " : "", g->path);
out:
	git_commit_free(commit);
	return error;
}

static int source__git_open(source *s, const source_spec *spec)
{
	source__git g = { 0 };
	char key[17], *cache_root = NULL;
	int lock_fd = -1, error;

	g.spec = spec;
	g.timeout_s = spec->git_timeout_s > 0 ? spec->git_timeout_s
					      : SOURCE_GIT_DEFAULT_TIMEOUT_S;
	if (spec->git_commit && !source__is_hex(spec->git_commit, 7, GIT_OID_HEXSZ))
		return cmk_error_set(CMK_EINVALID,
				     "--git-commit '%s': expected 7 to 40 hexadecimal digits",
				     spec->git_commit);
	if ((error = source__git_global_init()) < 0 ||
	    (error = source__normalise_path(&g.path, spec->git_path)) < 0)
		goto out;

	if (source__is_local_path(spec->git_url)) {
		/* a plain path: absolute, so the cache key does not depend on cwd */
		char real[PATH_MAX];
		if (!realpath(spec->git_url, real)) {
			error = cmk_error_set(CMK_ENOTFOUND, "--git-url %s: %s", spec->git_url,
					      strerror(errno));
			goto out;
		}
		g.record_url = strdup(real);
		g.connect_url = strdup(real);
	} else {
		g.record_url = source_url_strip(spec->git_url);
		g.connect_url = source__url_drop_password(spec->git_url);
		if (g.connect_url && strcmp(g.connect_url, spec->git_url) != 0)
			cmk_log_warn("git: ignoring the password in --git-url %s: use "
				     "CMKCTL_GIT_TOKEN or CMKCTL_GIT_TOKEN_FILE", g.record_url);
	}
	if (!g.record_url || !g.connect_url) {
		error = cmk_error_oom();
		goto out;
	}
	if (strncmp(g.connect_url, "file://", 7) == 0 || source__is_local_path(g.connect_url)) {
		/* libgit2 would say "could not find repository"; say what it means */
		const char *p = strncmp(g.connect_url, "file://", 7) == 0 ? g.connect_url + 7
									  : g.connect_url;
		git_repository *probe = NULL;
		if (git_repository_open_ext(&probe, p, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
			error = cmk_error_set(CMK_ENOTFOUND, "%s: not a git repository (%s)",
					      g.record_url, source__giterr());
			goto out;
		}
		git_repository_free(probe);
	}
	if ((error = source__auth_load(&g.auth, g.connect_url)) < 0)
		goto out;

	if ((s->url = strdup(g.record_url)) == NULL ||
	    (s->ref = strdup(spec->git_ref && *spec->git_ref ? spec->git_ref : "HEAD")) == NULL ||
	    (s->path = strdup(g.path)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}

	if ((error = source__cache_root(&cache_root, spec)) < 0 ||
	    (error = source__mkdirs(cache_root, 0700)) < 0 ||
	    (error = source__cache_key(key, g.record_url)) < 0)
		goto out;
	if (asprintf(&g.cache_dir, "%s/%s", cache_root, key) < 0) {
		g.cache_dir = NULL;
		error = cmk_error_oom();
		goto out;
	}
	if ((error = source__lock(&lock_fd, g.cache_dir,
				  cmk_time_mono_ms() + (int64_t)g.timeout_s * 1000)) < 0)
		goto out;

	error = source__attempt(s, &g);
	if (error < 0 && g.corrupt) {
		cmk_log_warn("%s; deleting it and cloning again", cmk_error_last());
		source__git_reset(s, &g);
		if (source__rmtree(g.cache_dir) != 0 || access(g.cache_dir, F_OK) == 0) {
			error = cmk_error_set(CMK_ERROR, "cannot delete damaged git cache %s",
					      g.cache_dir);
			goto out;
		}
		error = source__attempt(s, &g);
	}
out:
	if (lock_fd >= 0)
		close(lock_fd);
	source__git_release(&g);
	source__auth_free(&g.auth);
	free(g.record_url);
	free(g.connect_url);
	free(g.path);
	free(g.cache_dir);
	free(cache_root);
	return error;
}

static bool source__git_serves(const source_spec *spec)
{
	return spec->git_url != NULL;
}

const source_backend source_git_backend = {
	.name = "git",
	.kind = SOURCE_GIT,
	.serves = source__git_serves,
	.open = source__git_open,
};
