/*
 * adapter_key.c - Key Vault keys on the data plane (see adapter_key.h).
 */
#include "providers/adapter_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/adapter_util.h"

static int key__b64(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-' || ch == '+')
		return 62;
	if (ch == '_' || ch == '/')
		return 63;
	return -1;
}

long adapter_key_rsa_bits(const char *n)
{
	size_t len, bytes;
	int a, b;

	if (!n)
		return 0;
	len = strcspn(n, "=");
	for (size_t i = 0; i < len; i++)
		if (key__b64(n[i]) < 0)
			return 0;
	if (len < 2 || len % 4 == 1)
		return 0;
	bytes = len / 4 * 3 + (len % 4 == 2 ? 1 : len % 4 == 3 ? 2 : 0);
	/* a leading zero octet (sign padding) is not part of the modulus */
	a = key__b64(n[0]);
	b = key__b64(n[1]);
	if (a == 0 && (b >> 4) == 0)
		bytes--;
	return (long)bytes * 8;
}

int adapter_key_url(char **out, const char *vault_uri, const char *name)
{
	size_t n = strlen(vault_uri);

	while (n && vault_uri[n - 1] == '/')
		n--;
	if (asprintf(out, "%.*s/keys/%s", (int)n, vault_uri, name) < 0) {
		*out = NULL;
		return cmk_error_oom();
	}
	return 0;
}

int adapter_key_add(live_state *into, const char *vault_id, const char *vault_uri,
		    const char *name, const cJSON *doc)
{
	live_key *k;
	const char *kid, *slash;
	long long exp;
	int error;

	if ((k = ADAPTER_APPEND(into->keys, into->key_count)) == NULL)
		return CMK_ENOMEM;
	if ((error = adapter_dup(&k->vault_id, vault_id)) < 0 ||
	    (error = adapter_dup(&k->vault_uri, vault_uri)) < 0 ||
	    (error = adapter_dup(&k->name, name)) < 0)
		return error;
	if (!doc)
		return 0;
	k->exists = true;
	/* kid = {vault}/keys/{name}/{version} */
	kid = adapter_str(doc, "key.kid");
	if (kid && (slash = strrchr(kid, '/')) != NULL && slash[1] &&
	    (error = adapter_dup(&k->current_version, slash + 1)) < 0)
		return error;
	if ((error = adapter_dup_str(&k->kty, doc, "key.kty")) < 0)
		return error;
	k->key_size = adapter_key_rsa_bits(adapter_str(doc, "key.n"));
	k->enabled = adapter_bool(doc, "attributes.enabled", true);
	exp = adapter_num(doc, "attributes.exp", -1);
	if (exp >= 0 && (error = adapter_iso_from_epoch(&k->expires, exp)) < 0)
		return error;
	return 0;
}

int adapter_key_get(live_state *into, arm_client *c, const char *vault_id, const char *vault_uri,
		    const char *name)
{
	cJSON *doc = NULL;
	char *url = NULL;
	int error;

	if ((error = adapter_key_url(&url, vault_uri, name)) < 0)
		return error;
	error = adapter_read(&doc, c, url, ADAPTER_API_KEYS, ARM_AUD_KEYVAULT, url);
	if (error == CMK_ENOTFOUND) {
		cmk_error_clear();
		error = adapter_key_add(into, vault_id, vault_uri, name, NULL);
	} else if (error == 0) {
		error = adapter_key_add(into, vault_id, vault_uri, name, doc);
	}
	cJSON_Delete(doc);
	free(url);
	return error;
}
