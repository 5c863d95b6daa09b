/*
 * source_git_internal.h - what the git backend's files (source_git.c,
 * source_git_net.c, source_git_auth.c, source_git_link.c) share: transport
 * deadlines, libgit2 set-up, credentials and host-key checks, and following
 * a symbolic link inside a commit.
 */
#ifndef CMK_SOURCE_GIT_INTERNAL_H
#define CMK_SOURCE_GIT_INTERNAL_H

#include <stdint.h>

#include <git2.h>

#include "sources/source_internal.h"

/* ----- source_git_net.c: transport helpers */

/* The network deadline of the calling thread, in CLOCK_MONOTONIC
 * milliseconds; 0 means none. libgit2 does all network I/O on the thread
 * that called it, so the stream reads this to bound connect/read/write. */
void source__net_deadline_set(int64_t deadline_ms);
int source__net_timed_out(void); /* a stream hit the deadline since _set */
int source__net_expired(void);   /* the deadline passed (and now counts as hit) */

/* Once per process: git_libgit2_init, the deadline-aware socket stream,
 * CMKCTL_GIT_CA_FILE, and git_libgit2_shutdown at exit. */
int source__git_global_init(void) CMK_WUR;

/* ----- source_git_auth.c: credentials and host-key checks */

typedef struct {
	char *token;          /* https token, or NULL */
	char *ssh_key;        /* private key path, or NULL */
	char *ssh_passphrase; /* or NULL */
	char *known_hosts;    /* known_hosts path */
	char *host;           /* from the URL, for the host-key check */
	int port;             /* from the URL; 22 when absent */
	int cred_calls;       /* credential callback invocations, to stop loops */
	int fail_code;        /* CMK_E* set by a callback that refused */
	char fail_msg[512];   /* its message (already free of secrets) */
} source_git_auth;

/* Read the credentials from the environment (and the files it names),
 * registering secrets with the logger. */
int source__auth_load(source_git_auth *a, const char *url) CMK_WUR;
void source__auth_free(source_git_auth *a);

int source__auth_credentials_cb(git_credential **out, const char *url,
				const char *username_from_url,
				unsigned int allowed_types, void *payload);
int source__auth_certificate_cb(git_cert *cert, int valid, const char *host,
				void *payload);

/* Whether `key` (raw ssh host key blob) is listed for host:port in the
 * known_hosts file at `path`: 1 listed, 0 not listed, CMK_EAUTH when the
 * host is listed with other keys only or the key is @revoked, <0 when the
 * file cannot be read (message set). */
int source__known_hosts_check(const char *path, const char *host, int port,
			      const unsigned char *key, size_t key_len) CMK_WUR;

/* ----- source_git_link.c: symbolic links inside a commit */

/*
 * Follow the symbolic link at repository path `link_path` (a link entry of
 * the commit tree `root`) through any further links, inside the commit
 * only. On success *out is the entry it leads to (a blob, a tree or a
 * submodule; free with git_tree_entry_free) and *path_out its repository
 * path (free()). CMK_EINVALID, with a message naming `link_path`, for a
 * target outside the repository (absolute or above the root), a dangling
 * target, a loop; CMK_ERROR when libgit2 fails; CMK_ENOMEM.
 */
int source__git_link_resolve(git_tree_entry **out, char **path_out, git_repository *repo,
			     const git_tree *root, const char *link_path) CMK_WUR;

#endif
