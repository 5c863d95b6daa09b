/*
 * plan_input.h - what `plan`, `graph` (and later `apply` and `drift`) read
 * before planning: the manifests from their source, validated, and a live
 * state. One place so every command loads, validates and reports the same
 * way.
 *
 * The live state comes from Azure (reconciler/live_azure.h: every resource
 * the manifests name, read with list calls) or, for fixtures and reviews,
 * from a JSON file (--live-state FILE.json, the fixture form of
 * common/live.h).
 */
#ifndef CMK_PLAN_INPUT_H
#define CMK_PLAN_INPUT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "common/live.h"
#include "planner/manifest.h"
#include "planner/manifest_diag.h"
#include "reconciler/live_azure.h"
#include "reconciler/shard.h"
#include "sources/source.h"

typedef struct {
	source *src;
	manifest_set *set;      /* the documents to plan: all of them, or with
				 * `shard` active the selection (a view of
				 * `full`, see shard.h) */
	manifest_set *full;     /* with `shard` active: every document (owned) */
	const shard_filter *shard; /* set by the caller before open, or NULL */
	size_t owned_docs;      /* documents the run owns (all without shard) */
	manifest_diags diags;
	live_state live;
	cJSON *revision;        /* source revision record (owned) */
	char *revision_line;    /* "dir manifests/" or "git … commit …" (owned) */
	arm_client *client;     /* Azure client: set by the caller before open to
				 * share one (borrowed), else made from the
				 * environment when the live state is read from
				 * Azure (then owned, in conn) */
	live_azure_conn conn;
} plan_input;

/*
 * Open the source, load and validate the manifests, and read the live
 * state from `live_path`, or from Azure when `live_path` is NULL. Validation errors are printed to `err` (as
 * `cmkctl validate` prints them) and the call fails with CMK_EINVALID and
 * the message "N manifest errors". Other failures (source, unreadable or
 * malformed live state) fail with their message set. `in` must be zeroed;
 * release it with plan_input_close whatever the result.
 */
int plan_input_open(plan_input *in, const source_spec *spec, const char *live_path, FILE *err) CMK_WUR;
void plan_input_close(plan_input *in);

/* Read a live state JSON file (bounded size) into `out`. */
int plan_input_read_live(live_state *out, const char *path) CMK_WUR;

#endif
