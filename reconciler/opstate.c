/*
 * opstate.c - the journal of in-flight operations (see opstate.h).
 */
#include "reconciler/opstate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arm_id.h"
#include "common/buf.h"

#define OPSTATE_VERSION 1
#define OPSTATE_MAX_FILE ((size_t)64 * 1024 * 1024)

struct opstate {
	char path[PATH_MAX];
	char *endpoint;
	int lock_fd;
	cJSON *ops; /* array of {"step","operation"} */
};

int opstate_default_dir(char *out, size_t size)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && *xdg == '/')
		n = snprintf(out, size, "%s/cmkctl", xdg);
	else if (home && *home)
		n = snprintf(out, size, "%s/.local/state/cmkctl", home);
	else
		return cmk_error_set(CMK_EINVALID, "no state directory: set XDG_STATE_HOME or HOME, or "
				     "give --state-dir DIR");
	if (n < 0 || (size_t)n >= size)
		return cmk_error_set(CMK_EINVALID, "state directory path too long");
	return 0;
}

/* mkdir -p with mode 0700 for what is created. */
static int opstate__mkdirs(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return cmk_error_set(CMK_EINVALID, "bad state directory '%s'", dir);
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return cmk_error_set(CMK_ERROR, "cannot create %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return cmk_error_set(CMK_ERROR, "cannot create %s: %s", buf, strerror(errno));
	return 0;
}

static int opstate__load(opstate *j)
{
	cmk_buf b = CMK_BUF_INIT;
	cJSON *doc = NULL, *ops;
	int error = 0;

	cmk_buf_init(&b, OPSTATE_MAX_FILE);
	if (access(j->path, F_OK) != 0)
		goto out;
	if ((error = cmk_buf_read_file(&b, j->path)) < 0)
		goto out;
	if ((doc = cJSON_ParseWithLength(cmk_buf_cstr(&b), b.len)) == NULL || !cJSON_IsObject(doc)) {
		error = cmk_error_set(CMK_EINVALID, "%s: the operations journal is not valid JSON "
				      "(move it away to start afresh)", j->path);
		goto out;
	}
	ops = cJSON_GetObjectItemCaseSensitive(doc, "operations");
	if (!cJSON_IsArray(ops)) {
		error = cmk_error_set(CMK_EINVALID, "%s: \"operations\" is not an array", j->path);
		goto out;
	}
	/* every entry must parse now, not at resume time */
	for (cJSON *e = ops->child; e; e = e->next) {
		const cJSON *step = cJSON_GetObjectItemCaseSensitive(e, "step");
		arm_op *op = NULL;

		if (!cJSON_IsString(step) ||
		    arm_op_from_json(&op, cJSON_GetObjectItemCaseSensitive(e, "operation")) < 0) {
			error = cmk_error_set(CMK_EINVALID, "%s: an operation entry is not valid: %s", j->path,
					      cmk_error_last());
			goto out;
		}
		arm_op_free(op);
	}
	cJSON_DetachItemViaPointer(doc, ops);
	cJSON_Delete(j->ops);
	j->ops = ops;
out:
	cJSON_Delete(doc);
	cmk_buf_free(&b);
	return error;
}

int opstate_open(opstate **out, const char *dir, const char *arm_endpoint)
{
	opstate *j = calloc(1, sizeof(*j));
	char lock[PATH_MAX + 8];
	int error;
	int n;

	*out = NULL;
	if (!j)
		return cmk_error_oom();
	j->lock_fd = -1;
	if ((j->endpoint = strdup(arm_endpoint ? arm_endpoint : "")) == NULL || (j->ops = cJSON_CreateArray()) == NULL) {
		error = cmk_error_oom();
		goto fail;
	}
	if ((error = opstate__mkdirs(dir)) < 0)
		goto fail;
	n = snprintf(j->path, sizeof(j->path), "%s/operations-%08lx.json", dir,
		     arm_id_hash(j->endpoint) & 0xffffffffUL);
	if (n < 0 || (size_t)n >= sizeof(j->path)) {
		error = cmk_error_set(CMK_EINVALID, "state directory path too long");
		goto fail;
	}
	snprintf(lock, sizeof(lock), "%s.lock", j->path);
	if ((j->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		error = cmk_error_set(CMK_ERROR, "cannot open %s: %s", lock, strerror(errno));
		goto fail;
	}
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		error = errno == EWOULDBLOCK
				? cmk_error_set(CMK_ECONFLICT, "another cmkctl apply against %s is running "
						"(it holds %s): wait for it to finish", j->endpoint, lock)
				: cmk_error_set(CMK_ERROR, "cannot lock %s: %s", lock, strerror(errno));
		goto fail;
	}
	if ((error = opstate__load(j)) < 0)
		goto fail;
	*out = j;
	return 0;
fail:
	opstate_free(j);
	return error;
}

void opstate_free(opstate *j)
{
	if (!j)
		return;
	if (j->lock_fd >= 0)
		close(j->lock_fd); /* releases the flock */
	cJSON_Delete(j->ops);
	free(j->endpoint);
	free(j);
}

const char *opstate_path(const opstate *j)
{
	return j->path;
}

size_t opstate_count(const opstate *j)
{
	return (size_t)cJSON_GetArraySize(j->ops);
}

int opstate_get(arm_op **out, const char **step_id, const opstate *j, size_t i)
{
	cJSON *e = cJSON_GetArrayItem(j->ops, (int)i);

	*out = NULL;
	if (!e)
		return cmk_error_set(CMK_ENOTFOUND, "no operation %zu in the journal", i);
	if (step_id)
		*step_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "step"));
	return arm_op_from_json(out, cJSON_GetObjectItemCaseSensitive(e, "operation"));
}

void opstate_remove(opstate *j, const char *resource_id)
{
	cJSON *e = j->ops->child;

	while (e) {
		cJSON *next = e->next;
		const char *id = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "operation"), "resourceId"));

		if (id && resource_id && strcasecmp(id, resource_id) == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(j->ops, e));
		e = next;
	}
}

int opstate_add(opstate *j, const char *step_id, const arm_op *op)
{
	cJSON *e = NULL, *opj = NULL;
	int error;

	if ((error = arm_op_to_json(&opj, op)) < 0)
		return error;
	opstate_remove(j, op->resource_id);
	if ((e = cJSON_CreateObject()) == NULL || !cJSON_AddStringToObject(e, "step", step_id ? step_id : "")) {
		cJSON_Delete(e);
		cJSON_Delete(opj);
		return cmk_error_oom();
	}
	cJSON_AddItemToObject(e, "operation", opj);
	cJSON_AddItemToArray(j->ops, e);
	return 0;
}

int opstate_save(opstate *j)
{
	char tmp[PATH_MAX + 16];
	cJSON *doc = NULL;
	char *text = NULL;
	FILE *f = NULL;
	int fd = -1, error = 0;

	if (opstate_count(j) == 0) {
		if (unlink(j->path) < 0 && errno != ENOENT)
			return cmk_error_set(CMK_ERROR, "cannot remove %s: %s", j->path, strerror(errno));
		return 0;
	}
	if ((doc = cJSON_CreateObject()) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	cJSON_AddNumberToObject(doc, "version", OPSTATE_VERSION);
	cJSON_AddStringToObject(doc, "armEndpoint", j->endpoint);
	cJSON_AddItemReferenceToObject(doc, "operations", j->ops);
	if ((text = cJSON_PrintUnformatted(doc)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", j->path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 || fchmod(fd, 0600) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, j->path) < 0)
		error = cmk_error_set(CMK_ERROR, "cannot replace %s: %s", j->path, strerror(errno));
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	free(text);
	cJSON_Delete(doc);
	return error;
}
