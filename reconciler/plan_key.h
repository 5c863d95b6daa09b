/*
 * plan_key.h - the key that signs and checks saved plans, from the
 * environment only (never argv): CMKCTL_PLAN_KEY holds it, or
 * CMKCTL_PLAN_KEY_FILE names a file that does (a trailing newline is not
 * part of the key). Pipelines keep it as a secret: the plan job signs with
 * `plan --out`, the apply job checks with `apply PLAN.json`.
 */
#ifndef CMK_RECONCILER_PLAN_KEY_H
#define CMK_RECONCILER_PLAN_KEY_H

#include "common/buf.h"
#include "common/error.h"

/* Shortest key accepted (bytes): an HMAC key shorter than this is guessable. */
#define PLAN_KEY_MIN_BYTES 16

/*
 * Load the key into `out` (initialised by the caller, freed with
 * cmk_buf_free) and register it with the log's secret filter. 0 with
 * out->len == 0 when neither variable is set. CMK_EINVALID when both are
 * set, the key is shorter than PLAN_KEY_MIN_BYTES, or the file cannot be
 * read (the message names the variable, never the key).
 */
int plan_key_load(cmk_buf *out) CMK_WUR;

#endif
