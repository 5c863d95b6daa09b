/*
 * opstate.h - the journal of long-running operations an apply started and
 * has not seen finish, so that an apply that was interrupted (SIGINT,
 * SIGTERM, a crash, kill -9) and run again waits for them instead of
 * writing twice or writing to a cluster that is still busy.
 *
 * One JSON file per cloud endpoint in the state directory
 * (`--state-dir`, default $XDG_STATE_HOME/cmkctl, else
 * ~/.local/state/cmkctl): {"version":1,"armEndpoint":…,"operations":
 * [{"step":…,"operation":<arm_op_to_json>}]}. The directory is created
 * 0700 and the file 0600 (it names resources, never a token or secret),
 * replaced atomically (temporary file + rename) on every save. The file is
 * locked (flock) while a journal is open, so two applies against the same
 * cloud from one state directory cannot interleave: the second is refused.
 *
 * Operations are keyed by their resource id (case-insensitive): adding an
 * operation for a resource replaces the previous one.
 */
#ifndef CMK_OPSTATE_H
#define CMK_OPSTATE_H

#include <stddef.h>

#include "common/error.h"
#include "providers/lro.h"

typedef struct opstate opstate;

/* The default state directory into `out` (PATH_MAX bytes);
 * CMK_EINVALID when neither XDG_STATE_HOME nor HOME is set. */
int opstate_default_dir(char *out, size_t size) CMK_WUR;

/*
 * Open (creating the directory) and lock the journal of `arm_endpoint` in
 * `dir`, loading what an earlier run left. CMK_ECONFLICT when another
 * process holds the lock; CMK_EINVALID for a journal that cannot be
 * parsed (the message names the file: move it away to start afresh);
 * CMK_ERROR for I/O. *out is the caller's (opstate_free unlocks).
 */
int opstate_open(opstate **out, const char *dir, const char *arm_endpoint) CMK_WUR;
void opstate_free(opstate *j);

/* The journal file's path. */
const char *opstate_path(const opstate *j);

/* Operations recorded. */
size_t opstate_count(const opstate *j);

/* The i-th entry: its step id and a new operation built from it (owned by
 * the caller: arm_op_free), ready to be waited on. */
int opstate_get(arm_op **out, const char **step_id, const opstate *j, size_t i) CMK_WUR;

/* Record `op` (its resumable part) for `step_id`; not saved until
 * opstate_save. */
int opstate_add(opstate *j, const char *step_id, const arm_op *op) CMK_WUR;

/* Forget the operation on `resource_id` (no-op when absent). */
void opstate_remove(opstate *j, const char *resource_id);

/* Write the journal (0600, atomically); with no operations the file is
 * removed. */
int opstate_save(opstate *j) CMK_WUR;

#endif
