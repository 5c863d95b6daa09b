/*
 * adapter_key.h - keys on the Key Vault data plane (GET
 * {vaultUri}keys/{name}?api-version=7.6, with a Key Vault token): what the
 * current version of a key is, its type and size, whether it is enabled and
 * when it expires.
 *
 * cmkctl does not create, rotate or disable keys (it verifies them); it
 * reads one key per GET because only the key bundle says the version, the
 * type and the size. A missing key (404 KeyNotFound) is not an error: it is
 * read as a live_key with exists = false so the planner can say so.
 */
#ifndef CMK_PROVIDERS_ADAPTER_KEY_H
#define CMK_PROVIDERS_ADAPTER_KEY_H

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/live.h"
#include "providers/arm.h"

/* Append a key bundle (data-plane GET answer) to into->keys; `doc` NULL
 * appends a key that does not exist. */
int adapter_key_add(live_state *into, const char *vault_id, const char *vault_uri,
		    const char *name, const cJSON *doc) CMK_WUR;

/* The data-plane URL of a key ("{vault_uri}keys/{name}"); *out owned. */
int adapter_key_url(char **out, const char *vault_uri, const char *name) CMK_WUR;

/* GET the key's current version into into->keys (exists = false on 404). */
int adapter_key_get(live_state *into, arm_client *c, const char *vault_id,
		    const char *vault_uri, const char *name) CMK_WUR;

/* RSA modulus size in bits of a base64url "n" (0 when not decodable). */
long adapter_key_rsa_bits(const char *n);

#endif
