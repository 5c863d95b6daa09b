/*
 * adapter_resource.c - api-versions by namespace, resource GETs, fields of
 * answers, and waits until a cluster is idle (see adapter_resource.h).
 */
#include "providers/adapter_resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "providers/adapter_util.h"

const char *adapter_api_for(const char *id)
{
	if (strcasestr(id, "/providers/Microsoft.Kusto/"))
		return ADAPTER_API_KUSTO;
	if (strcasestr(id, "/providers/Microsoft.ManagedIdentity/"))
		return ADAPTER_API_MSI;
	if (strcasestr(id, "/providers/Microsoft.Insights/"))
		return ADAPTER_API_COMPONENTS;
	return ADAPTER_API_LA;
}

int adapter_resource_read(cJSON **out, arm_client *c, const char *id)
{
	return adapter_read(out, c, id, adapter_api_for(id), ARM_AUD_ARM, id);
}

const char *adapter_resource_field(const cJSON *doc, const char *field)
{
	static const char *const prefixes[] = { "", "identity.", "properties." };
	char path[128];
	const char *v;

	for (size_t i = 0; doc && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", prefixes[i], field);
		if ((v = adapter_str(doc, path)) != NULL && *v)
			return v;
	}
	return NULL;
}

int adapter_resource_op(arm_op **out, arm_op_kind kind, const char *method, const char *id,
			bool observed, int64_t timeout_s)
{
	arm_op *op = calloc(1, sizeof(*op));

	*out = NULL;
	if (!op || !(op->method = strdup(method)) || !(op->resource_id = strdup(id)) ||
	    !(op->resource_url = strdup(id)) || !(op->api_version = strdup(adapter_api_for(id)))) {
		arm_op_free(op);
		return cmk_error_oom();
	}
	op->kind = kind;
	op->mode = ARM_POLL_RESOURCE;
	op->final_via = ARM_FINAL_NONE;
	op->state = ARM_OP_POLL_WAIT;
	op->retry_after_ms = -1;
	op->poll_now = 1;
	op->observed = observed;
	op->started_ms = cmk_time_wall_ms();
	op->timeout_s = timeout_s > 0 ? timeout_s : arm_op_kind_timeout_s(kind);
	*out = op;
	return 0;
}

int adapter_resource_wait_begin(arm_op **out, const char *id)
{
	arm_op_kind kind = strcasestr(id, "Microsoft.Kusto") ? ARM_OP_KUSTO_UPDATE : ARM_OP_CLUSTER_UPDATE;

	return adapter_resource_op(out, kind, "PATCH", id, false, 0);
}

int adapter_resource_wait_idle(arm_client *c, const char *id)
{
	arm_op *op = NULL;
	int error;

	if ((error = adapter_resource_wait_begin(&op, id)) < 0)
		return error;
	error = arm_op_wait(c, op, NULL);
	/* a Failed earlier operation leaves the resource idle too */
	if (error < 0 && (op->state == ARM_OP_FAILED || op->state == ARM_OP_CANCELED)) {
		cmk_error_clear();
		error = 0;
	}
	arm_op_free(op);
	return error;
}
