/*
 * source.h - where manifests come from: a local file or directory, or a
 * folder of a git repository at a resolved commit (fetched with libgit2 into
 * a cache that is reused between runs).
 *
 * Opening a source yields a local path the manifest loader reads (a file or
 * a directory) and a revision record saying exactly what was read: kind,
 * URL (credentials stripped), the ref asked for, the commit it resolved to
 * and the folder inside the repository. Every later report carries that
 * record (source_revision_to_json / source_revision_line).
 *
 * A git source is materialised into a fresh private temporary directory
 * (mode 0700) laid out like the repository, so the loader sees
 * <root>/<git-path>/...; source_display_path and source_relativize turn
 * those local paths back into repository-relative ones
 * ("clusters/prod.yaml") for messages. source_free deletes the directory.
 *
 * Credentials come only from the environment or files, never argv:
 *   CMKCTL_GIT_TOKEN / CMKCTL_GIT_TOKEN_FILE   https token (basic auth as
 *                                            x-access-token:<token>)
 *   CMKCTL_GIT_SSH_KEY                        ssh private key file
 *   CMKCTL_GIT_SSH_PASSPHRASE_FILE            its passphrase, if any
 *   CMKCTL_GIT_KNOWN_HOSTS                    known_hosts file (default
 *                                            ~/.ssh/known_hosts); an ssh
 *                                            host not in it is refused
 *   CMKCTL_GIT_CA_FILE                        extra CA bundle for https
 * Secret values are registered with cmk_log_add_secret before any use.
 *
 * Thread-safety: libgit2 is initialised once per process (and shut down at
 * exit). Sources may be opened concurrently from different threads; one
 * source object must not be used by two threads at once. Two processes
 * sharing a cache directory serialise on a lock file per repository.
 */
#ifndef CMK_SOURCE_H
#define CMK_SOURCE_H

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"

/* Default bound on all network work of one git source open: connecting,
 * every read and write (https, http, git://), and for ssh the whole
 * connection, which a watchdog thread shuts down at the deadline. */
#define SOURCE_GIT_DEFAULT_TIMEOUT_S 120

typedef enum {
	SOURCE_DIR = 0, /* a local file or directory */
	SOURCE_GIT,     /* a folder of a git repository at one commit */
} source_kind;

/* Most -f options one command line may give. */
#define SOURCE_MAX_FILES 64

/* What the user asked for; all strings are borrowed (typically argv). */
typedef struct {
	const char *files[SOURCE_MAX_FILES]; /* -f PATH...: local files, directories, "-" */
	size_t nfiles;
	const char *git_url;    /* https://, ssh://, git://, file:// URL or a local path */
	const char *git_ref;    /* branch, tag, full ref name or commit id; NULL: remote HEAD */
	const char *git_path;   /* folder (or file) inside the repository; NULL: root */
	const char *git_cache;  /* cache directory; NULL: $XDG_CACHE_HOME/cmkctl/git
				 * or ~/.cache/cmkctl/git */
	const char *git_commit; /* expected commit id (7..40 hex); NULL: not pinned */
	int git_timeout_s;      /* bound on network work; 0: SOURCE_GIT_DEFAULT_TIMEOUT_S */
} source_spec;

#define SOURCE_SPEC_INIT { .nfiles = 0 }

/* Exactly what was read. Strings are owned by the source. */
typedef struct {
	source_kind kind;
	const char *url;      /* git: the URL without userinfo; dir: NULL */
	const char *ref;      /* git: the ref as asked ("HEAD" when defaulted); dir: NULL */
	const char *ref_name; /* git: the full ref it matched ("refs/heads/main"),
			       * NULL when the ref was a commit id */
	const char *commit;   /* git: 40-hex commit id; dir: NULL */
	const char *path;     /* git: repo-relative folder ("" = root); dir: the paths
			       * given, joined by ", " */
} source_revision;

typedef struct source source;

/* Open the source described by `spec`. For -f paths there is nothing to do
 * (the loader reports unreadable paths with its other diagnostics). For git:
 * fetch (or clone into) the cache, resolve the ref, check the pin, and
 * materialise the folder. On success *out is owned by the caller
 * (source_free). Failures, each with a message naming the URL and, once
 * known, the commit:
 *   CMK_EUSAGE     inconsistent spec (neither or both of files and git_url)
 *   CMK_EINVALID   malformed --git-commit or --git-path, a symlink as path;
 *                  in the folder, a symbolic link that cannot be followed
 *                  inside the commit (dangling, out of the repository, a
 *                  loop) or a submodule: never skipped, since the manifests
 *                  behind it would be left out (hidden entries excepted)
 *   CMK_ENOTFOUND  unknown ref, commit no longer on any branch or tag,
 *                  missing path in the commit, a local URL that is not a
 *                  git repository, an empty remote
 *   CMK_EAUTH      credentials rejected or missing, unknown ssh host key,
 *                  untrusted TLS certificate
 *   CMK_ETIMEOUT   the network work exceeded the timeout
 *   CMK_ECONFLICT  the ref resolved to another commit than --git-commit
 *   CMK_ERROR      unreachable remote, I/O errors
 * A cache found corrupt is deleted and re-cloned once, with a warning. */
int source_open(source **out, const source_spec *spec) CMK_WUR;

/* The local paths to load manifests from (files, directories, or "-" for
 * standard input): the -f paths in order, or the one git checkout path.
 * Valid until source_free. */
size_t source_path_count(const source *s);
const char *source_path_at(const source *s, size_t i);

/* The first (for git: the only) local path. */
const char *source_local_path(const source *s);

const source_revision *source_revision_of(const source *s);

/* For a local path under the checkout, the repository-relative path
 * ("clusters/prod.yaml"); any other path is returned unchanged. */
const char *source_display_path(const source *s, const char *local_path);

/* Rewrite, in place, every occurrence of the checkout's root directory
 * followed by '/' in `text` so messages name repository-relative paths.
 * A no-op for directory sources. */
void source_relativize(const source *s, char *text);

/* Delete the temporary checkout (if any) and free. NULL is allowed. */
void source_free(source *s);

/* The record as a new JSON object (caller deletes it):
 * {"kind":"git","url":…,"ref":…,"refName":…,"commit":…,"path":…}
 * or {"kind":"dir","path":…}. */
int source_revision_to_json(cJSON **out, const source_revision *rev) CMK_WUR;

/* The record as one line appended to `out` (no newline), e.g.
 * "git https://example.com/org/repo.git ref main (refs/heads/main) commit 3f2a… path clusters"
 * or "dir manifests/, extra.yaml". */
int source_revision_line(cmk_buf *out, const source_revision *rev) CMK_WUR;

/* Copy `url` without its userinfo ("https://user:tok@host/x" ->
 * "https://host/x", "git@host:x" -> "host:x") into a new string. Any password
 * found is registered as a log secret. Returns NULL on allocation failure. */
char *source_url_strip(const char *url);

/* Check the combination of a spec (exactly one of files and git_url; the
 * other git_* fields only with git_url). CMK_EUSAGE with a message naming
 * the command-line options (-f, --git-*) on error. source_open checks it
 * too; commands call it to report a usage error before any work. */
int source_spec_check(const source_spec *spec) CMK_WUR;

#endif
