/*
 * source_git_link.c - following a symbolic link inside a git commit, without
 * ever touching this machine's files (see source_git_internal.h).
 *
 * A link in a manifest folder is resolved against the commit's own tree, as
 * a checkout would see it, and only there: a target outside the repository
 * (absolute, or above its root with "..") would be a file of the machine
 * running cmkctl, so it is refused, like a dangling target or a loop. The
 * caller then writes what the link leads to, or fails naming the link.
 */
#include "sources/source_git_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Links followed in a row before calling it a loop (Linux's own limit). */
#define SOURCE__MAX_LINK_HOPS 40

/* Join the directory of `link_path` and `target`, resolving "." and ".."
 * within the repository, into a new string in *out ("" is the root).
 * CMK_EINVALID when the result would leave the repository. */
static int source__link_join(char **out, const char *link_path, const char *target)
{
	const char *slash = strrchr(link_path, '/');
	size_t dirlen = slash ? (size_t)(slash - link_path) : 0;
	char *joined, *res, *save = NULL;
	size_t len = 0;
	int error = 0;

	*out = NULL;
	if (target[0] == '/')
		return CMK_EINVALID;
	if ((joined = malloc(dirlen + strlen(target) + 2)) == NULL ||
	    (res = calloc(1, dirlen + strlen(target) + 2)) == NULL) {
		free(joined);
		return cmk_error_oom();
	}
	snprintf(joined, dirlen + strlen(target) + 2, "%.*s%s%s", (int)dirlen, link_path,
		 dirlen ? "/" : "", target);
	for (char *part = strtok_r(joined, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			if (len == 0) {
				error = CMK_EINVALID; /* above the repository's root */
				break;
			}
			while (len > 0 && res[len - 1] != '/')
				len--;
			len = len > 0 ? len - 1 : 0;
			res[len] = '\0';
			continue;
		}
		len += (size_t)sprintf(res + len, "%s%s", len ? "/" : "", part);
	}
	free(joined);
	if (error < 0) {
		free(res);
		return error;
	}
	*out = res;
	return 0;
}

/* The text of the link `entry` (its blob) in a new string in *out. */
static int source__link_text(char **out, git_repository *repo, const git_tree_entry *entry)
{
	git_blob *blob = NULL;

	*out = NULL;
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0)
		return cmk_error_set(CMK_ERROR, "cannot read a symbolic link: %s",
				     git_error_last() ? git_error_last()->message : "libgit2 error");
	*out = strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return *out ? 0 : cmk_error_oom();
}

int source__git_link_resolve(git_tree_entry **out, char **path_out, git_repository *repo,
			     const git_tree *root, const char *link_path)
{
	git_tree_entry *entry = NULL;
	char *cur = NULL, *target = NULL, *next = NULL;
	int error = 0, rc;

	*out = NULL;
	*path_out = NULL;
	if ((cur = strdup(link_path)) == NULL)
		return cmk_error_oom();
	for (int hop = 0;; hop++) {
		if (*cur == '\0') {
			error = cmk_error_set(CMK_EINVALID, "%s is a symbolic link to the repository's root "
					      "(a loop)", link_path);
			goto out;
		}
		if ((rc = git_tree_entry_bypath(&entry, root, cur)) == GIT_ENOTFOUND) {
			error = cmk_error_set(CMK_EINVALID, "%s is a dangling symbolic link: its target "
					      "'%s' is not in the commit", link_path, target ? target : cur);
			goto out;
		}
		if (rc < 0) {
			error = cmk_error_set(CMK_ERROR, "%s: cannot follow the link: %s", link_path,
					      git_error_last() ? git_error_last()->message : "libgit2 error");
			goto out;
		}
		if (git_tree_entry_filemode(entry) != GIT_FILEMODE_LINK)
			break;
		if (hop == SOURCE__MAX_LINK_HOPS) {
			error = cmk_error_set(CMK_EINVALID, "%s is a symbolic link loop (more than %d links "
					      "in a row)", link_path, SOURCE__MAX_LINK_HOPS);
			goto out;
		}
		free(target);
		if ((error = source__link_text(&target, repo, entry)) < 0)
			goto out;
		git_tree_entry_free(entry);
		entry = NULL;
		if ((error = source__link_join(&next, cur, target)) == CMK_EINVALID) {
			error = cmk_error_set(CMK_EINVALID, "%s is a symbolic link to '%s', outside the "
					      "repository: cmkctl never follows a link out of a checkout",
					      link_path, target);
			goto out;
		}
		if (error < 0)
			goto out;
		free(cur);
		cur = next;
		next = NULL;
	}
	*out = entry;
	*path_out = cur;
	entry = NULL;
	cur = NULL;
out:
	git_tree_entry_free(entry);
	free(cur);
	free(target);
	free(next);
	return error;
}
