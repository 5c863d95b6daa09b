/*
 * auth.c - Azure AD for armsim: principals, token endpoints (client secret,
 * federated assertion, IMDS, App Service MSI), OpenID metadata + JWKS,
 * RS256 JWT issue/validation, ARM and Key Vault 401s, and RBAC with the
 * built-in roles cmkctl meets (see auth.h).
 */
#include "auth.h"

#include <ctype.h>
#include <openssl/bn.h>
#include <pthread.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "router.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define MAX_PRINCIPALS 8192

static EVP_PKEY *g_sign_key;
static char g_kid[] = "armsim-signing-key-1";
static char g_tenant[64] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
static char g_host_identity[64];
static char g_identity_header[64];

void auth_set_identity_header(const char *value)
{
	snprintf(g_identity_header, sizeof g_identity_header, "%s", value ? value : "");
}
static sim_principal *g_principals[MAX_PRINCIPALS];
static int g_nprincipals;

/* ---- principals --------------------------------------------------------- */

const char *auth_default_tenant(void)
{
	return g_tenant;
}

/* The tenant is replaced by a state load (under the state lock) while 401s
 * are written outside it: both sides take this lock for the copy. */
static pthread_mutex_t g_tenant_lock = PTHREAD_MUTEX_INITIALIZER;

void auth_set_default_tenant(const char *tenant_id)
{
	pthread_mutex_lock(&g_tenant_lock);
	snprintf(g_tenant, sizeof g_tenant, "%s", tenant_id);
	pthread_mutex_unlock(&g_tenant_lock);
}

static void auth__tenant_copy(char *out, size_t len)
{
	pthread_mutex_lock(&g_tenant_lock);
	snprintf(out, len, "%s", g_tenant);
	pthread_mutex_unlock(&g_tenant_lock);
}

void auth_set_host_identity(const char *client_id)
{
	snprintf(g_host_identity, sizeof g_host_identity, "%s", client_id ? client_id : "");
}

static void auth__principal_free(sim_principal *p)
{
	if (!p)
		return;
	free(p->secret);
	cJSON_Delete(p->federated);
	free(p->msi_resource_id);
	free(p);
}

sim_principal *auth_principal_add(const sim_principal *p)
{
	sim_principal *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	*c = *p;
	c->secret = p->secret ? strdup(p->secret) : NULL;
	c->federated = p->federated ? cJSON_Duplicate(p->federated, 1) : NULL;
	c->msi_resource_id = p->msi_resource_id ? strdup(p->msi_resource_id) : NULL;
	for (int i = 0; i < g_nprincipals; i++) {
		if (sim_streq_ci(g_principals[i]->object_id, c->object_id)) {
			auth__principal_free(g_principals[i]);
			g_principals[i] = c;
			return c;
		}
	}
	if (g_nprincipals >= MAX_PRINCIPALS) {
		auth__principal_free(c);
		return NULL;
	}
	g_principals[g_nprincipals++] = c;
	return c;
}

sim_principal *auth_principal_by_client_id(const char *client_id)
{
	for (int i = 0; client_id && i < g_nprincipals; i++)
		if (sim_streq_ci(g_principals[i]->client_id, client_id))
			return g_principals[i];
	return NULL;
}

sim_principal *auth_principal_by_object_id(const char *object_id)
{
	for (int i = 0; object_id && i < g_nprincipals; i++)
		if (sim_streq_ci(g_principals[i]->object_id, object_id))
			return g_principals[i];
	return NULL;
}

static sim_principal *auth__principal_by_msi_res(const char *res_id)
{
	for (int i = 0; res_id && i < g_nprincipals; i++)
		if (g_principals[i]->msi_resource_id &&
		    sim_streq_ci(g_principals[i]->msi_resource_id, res_id))
			return g_principals[i];
	return NULL;
}

sim_principal *auth_principal_new_msi(const char *tenant_id, const char *resource_id)
{
	sim_principal p;
	memset(&p, 0, sizeof p);
	p.kind = SIM_PRINCIPAL_MSI;
	snprintf(p.tenant_id, sizeof p.tenant_id, "%s", tenant_id ? tenant_id : g_tenant);
	sim_guid(p.object_id);
	sim_guid(p.client_id);
	const char *slash = resource_id ? strrchr(resource_id, '/') : NULL;
	snprintf(p.display_name, sizeof p.display_name, "%s", slash ? slash + 1 : "managed-identity");
	p.msi_resource_id = (char *)resource_id;
	p.created_ms = simclock_now_ms();
	return auth_principal_add(&p);
}

void auth_principals_settle(void)
{
	for (int i = 0; i < g_nprincipals; i++)
		g_principals[i]->created_ms = 0;
}

bool auth_principal_replicated(const sim_principal *p)
{
	if (!p || !p->created_ms || g_settings.principal_replication_s <= 0)
		return true;
	return (double)(simclock_now_ms() - p->created_ms) >= g_settings.principal_replication_s * 1000.0;
}

void auth_principal_remove(const char *object_id)
{
	for (int i = 0; i < g_nprincipals; i++) {
		if (sim_streq_ci(g_principals[i]->object_id, object_id)) {
			auth__principal_free(g_principals[i]);
			g_principals[i] = g_principals[--g_nprincipals];
			return;
		}
	}
}

void auth_clear(void)
{
	for (int i = 0; i < g_nprincipals; i++)
		auth__principal_free(g_principals[i]);
	g_nprincipals = 0;
	g_host_identity[0] = '\0';
}

static const char *const kind_names[] = { "ServicePrincipal", "ManagedIdentity", "User" };

cJSON *auth_principals_dump(void)
{
	cJSON *arr = cJSON_CreateArray();
	for (int i = 0; i < g_nprincipals; i++) {
		const sim_principal *p = g_principals[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", kind_names[p->kind]);
		cJSON_AddStringToObject(o, "tenantId", p->tenant_id);
		cJSON_AddStringToObject(o, "clientId", p->client_id);
		cJSON_AddStringToObject(o, "objectId", p->object_id);
		cJSON_AddStringToObject(o, "displayName", p->display_name);
		if (p->secret)
			cJSON_AddStringToObject(o, "secret", p->secret);
		if (p->federated)
			cJSON_AddItemToObject(o, "federatedCredentials", cJSON_Duplicate(p->federated, 1));
		if (p->msi_resource_id)
			cJSON_AddStringToObject(o, "resourceId", p->msi_resource_id);
		if (p->disabled)
			cJSON_AddBoolToObject(o, "disabled", true);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int auth_principals_load(const cJSON *arr)
{
	const cJSON *o;
	int idx = 0;
	cJSON_ArrayForEach(o, arr) {
		sim_principal p;
		memset(&p, 0, sizeof p);
		const char *kind = sim_json_str(o, "kind");
		p.kind = SIM_PRINCIPAL_APP;
		if (kind && !strcasecmp(kind, "ManagedIdentity"))
			p.kind = SIM_PRINCIPAL_MSI;
		else if (kind && !strcasecmp(kind, "User"))
			p.kind = SIM_PRINCIPAL_USER;
		const char *t = sim_json_str(o, "tenantId"), *c = sim_json_str(o, "clientId"),
			   *oid = sim_json_str(o, "objectId");
		if (!c && !oid)
			return cmk_error_set(CMK_EINVALID, "principals[%d]: needs clientId or objectId", idx);
		snprintf(p.tenant_id, sizeof p.tenant_id, "%s", t ? t : g_tenant);
		if (c)
			snprintf(p.client_id, sizeof p.client_id, "%s", c);
		else
			sim_guid(p.client_id);
		if (oid)
			snprintf(p.object_id, sizeof p.object_id, "%s", oid);
		else
			sim_guid(p.object_id);
		const char *dn = sim_json_str(o, "displayName");
		snprintf(p.display_name, sizeof p.display_name, "%s", dn ? dn : p.client_id);
		p.secret = (char *)sim_json_str(o, "secret");
		cJSON *fed = sim_json_get(o, "federatedCredentials");
		p.federated = cJSON_IsArray(fed) ? fed : NULL;
		p.msi_resource_id = (char *)sim_json_str(o, "resourceId");
		p.disabled = cJSON_IsTrue(sim_json_get(o, "disabled"));
		sim_principal *added = auth_principal_add(&p);
		if (!added)
			return cmk_error_set(CMK_ENOMEM, "principals[%d]: cannot add", idx);
		/* "roles": [{"role": "Owner", "scope": "/subscriptions/..."}] sugar */
		const cJSON *r;
		cJSON_ArrayForEach(r, sim_json_get(o, "roles")) {
			const char *role = sim_json_str(r, "role"), *scope = sim_json_str(r, "scope");
			if (!role || !scope)
				return cmk_error_set(CMK_EINVALID, "principals[%d].roles: needs role and scope", idx);
			if (rbac_assign(scope, role, added->object_id,
					p.kind == SIM_PRINCIPAL_USER ? "User" : "ServicePrincipal") < 0)
				return cmk_error_set(CMK_EINVALID, "principals[%d].roles: unknown role '%s'", idx, role);
		}
		idx++;
	}
	return 0;
}

/* ---- JWT ------------------------------------------------------------------ */

int auth_init(void)
{
	g_sign_key = EVP_RSA_gen(2048);
	if (!g_sign_key)
		return cmk_error_set(CMK_ERROR, "cannot generate the token signing key");
	return 0;
}

static char *auth__sign(const char *header_payload)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t siglen = sizeof sig;
	char *out = NULL;
	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, g_sign_key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)header_payload,
			   strlen(header_payload)) == 1)
		out = sim_b64url(sig, siglen);
	EVP_MD_CTX_free(md);
	return out;
}

static char *auth__jwt(const cJSON *claims)
{
	cJSON *h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "typ", "JWT");
	cJSON_AddStringToObject(h, "alg", "RS256");
	cJSON_AddStringToObject(h, "kid", g_kid);
	char *hs = cJSON_PrintUnformatted(h), *ps = cJSON_PrintUnformatted(claims);
	cJSON_Delete(h);
	char *hb = sim_b64url((unsigned char *)hs, strlen(hs));
	char *pb = sim_b64url((unsigned char *)ps, strlen(ps));
	free(hs);
	free(ps);
	cmk_buf b = CMK_BUF_INIT;
	char *tok = NULL;
	if (cmk_buf_printf(&b, "%s.%s", hb, pb) == 0) {
		char *sig = auth__sign(cmk_buf_cstr(&b));
		if (sig && cmk_buf_printf(&b, ".%s", sig) == 0)
			tok = cmk_buf_detach(&b);
		free(sig);
	}
	cmk_buf_free(&b);
	free(hb);
	free(pb);
	return tok;
}

char *auth_token_issue(const sim_principal *p, const char *audience, long *expires_on_out)
{
	long now = (long)time(NULL);
	long exp = now + g_settings.token_lifetime_s;
	char iss[128], uti[37];
	snprintf(iss, sizeof iss, "https://sts.windows.net/%s/", p->tenant_id);
	sim_guid(uti);
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "aud", audience);
	cJSON_AddStringToObject(c, "iss", iss);
	cJSON_AddNumberToObject(c, "iat", (double)now);
	cJSON_AddNumberToObject(c, "nbf", (double)now);
	cJSON_AddNumberToObject(c, "exp", (double)exp);
	cJSON_AddStringToObject(c, "appid", p->client_id);
	cJSON_AddStringToObject(c, "appidacr", p->kind == SIM_PRINCIPAL_MSI ? "2" : "1");
	cJSON_AddStringToObject(c, "idp", iss);
	cJSON_AddStringToObject(c, "idtyp", p->kind == SIM_PRINCIPAL_USER ? "user" : "app");
	cJSON_AddStringToObject(c, "oid", p->object_id);
	cJSON_AddStringToObject(c, "sub", p->object_id);
	cJSON_AddStringToObject(c, "tid", p->tenant_id);
	cJSON_AddStringToObject(c, "uti", uti);
	cJSON_AddStringToObject(c, "ver", "1.0");
	if (p->msi_resource_id)
		cJSON_AddStringToObject(c, "xms_mirid", p->msi_resource_id);
	char *tok = auth__jwt(c);
	cJSON_Delete(c);
	if (expires_on_out)
		*expires_on_out = exp;
	return tok;
}

/* Split and verify a JWT; returns the claims (caller frees) or NULL.
 * verify=false only decodes (federated assertions come from other issuers). */
static cJSON *auth__decode(const char *tok, bool verify)
{
	const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2)
		return NULL;
	if (verify) {
		char *hp = strndup(tok, (size_t)(d2 - tok));
		size_t siglen = 0;
		unsigned char *sig = sim_b64url_decode(d2 + 1, &siglen);
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = hp && sig && md &&
			 EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, g_sign_key) == 1 &&
			 EVP_DigestVerify(md, sig, siglen, (const unsigned char *)hp, strlen(hp)) == 1;
		EVP_MD_CTX_free(md);
		free(hp);
		free(sig);
		if (!ok)
			return NULL;
	}
	char *pb = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
	size_t plen = 0;
	unsigned char *payload = pb ? sim_b64url_decode(pb, &plen) : NULL;
	free(pb);
	if (!payload)
		return NULL;
	cJSON *claims = cJSON_ParseWithLength((const char *)payload, plen);
	free(payload);
	if (claims && !cJSON_IsObject(claims)) {
		cJSON_Delete(claims);
		return NULL;
	}
	return claims;
}

static bool auth__aud_ok(const char *aud, const char *audience)
{
	if (!aud)
		return false;
	if (!strcmp(audience, ARM_AUDIENCE)) {
		static const char *const ok[] = { "https://management.azure.com/", "https://management.azure.com",
						  "https://management.core.windows.net/",
						  "https://management.core.windows.net" };
		for (size_t i = 0; i < 4; i++)
			if (!strcasecmp(aud, ok[i]))
				return true;
		return false;
	}
	/* data planes: the audience, with or without its trailing slash */
	size_t n = strlen(audience);
	return !strcasecmp(aud, audience) || (!strncasecmp(aud, audience, n) && !strcmp(aud + n, "/"));
}

static void auth__fmt_us_time(char *out, size_t len, long t)
{
	/* ARM's message uses the .NET invariant format: 11/23/2026 4:39:35 PM */
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	int h12 = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
	snprintf(out, len, "%d/%d/%d %d:%02d:%02d %s", tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_year + 1900, h12, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

static void auth__arm_401(const sim_req *req, sim_resp *resp, const char *code, const char *desc,
			  const char *msg)
{
	char tenant[64];
	auth__tenant_copy(tenant, sizeof tenant);
	resp_header(resp, "WWW-Authenticate",
		    "Bearer authorization_uri=\"%s/%s\", error=\"invalid_token\", error_description=\"%s\"",
		    req_base_url(req), tenant, desc);
	resp_arm_error(resp, 401, code, "%s", msg);
}

static void auth__kv_401(const sim_req *req, sim_resp *resp, const char *msg)
{
	char tenant[64];
	auth__tenant_copy(tenant, sizeof tenant);
	/* a Managed HSM challenges for its own resource */
	resp_header(resp, "WWW-Authenticate", "Bearer authorization=\"%s/%s\", resource=\"%s\"",
		    req_base_url(req), tenant, req->hsm_name ? HSM_AUDIENCE : KV_AUDIENCE);
	if (req->hsm_name && !strncmp(msg, "AKV10000:", 9)) {
		resp_json(resp, 401, NULL); /* the HSM answers a missing token with an empty body */
		return;
	}
	resp_arm_error(resp, 401, "Unauthorized", "%s", msg);
}

void auth_fault_401(const sim_req *req, sim_resp *resp)
{
	if (req->vault_name || req->hsm_name) {
		auth__kv_401(req, resp, "AKV10021: The access token has expired.");
		return;
	}
	char e[64], n[64], msg[256];
	long now = (long)time(NULL);
	auth__fmt_us_time(e, sizeof e, now - 1);
	auth__fmt_us_time(n, sizeof n, now);
	snprintf(msg, sizeof msg,
		 "The access token expiry UTC time '%s' is earlier than current UTC time '%s'.", e, n);
	auth__arm_401(req, resp, "ExpiredAuthenticationToken", "The access token has expired.", msg);
}

/* Verified tokens, so a client's repeated bearer costs a hash lookup, not an
 * RSA verification (throughput). Entries hold the claims the checks need. */
#define TOKEN_CACHE 512
typedef struct token_entry {
	char *token;
	long exp, nbf;
	sim_caller caller;
} token_entry;
static token_entry g_tcache[TOKEN_CACHE];
static pthread_mutex_t g_tcache_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned auth__thash(const char *t)
{
	unsigned h = 2166136261u;
	for (; *t; t++)
		h = (h ^ (unsigned char)*t) * 16777619u;
	return h % TOKEN_CACHE;
}

static bool auth__cached(const char *tok, sim_caller *out, long *exp, long *nbf)
{
	bool hit = false;
	unsigned h = auth__thash(tok);
	pthread_mutex_lock(&g_tcache_lock);
	if (g_tcache[h].token && !strcmp(g_tcache[h].token, tok)) {
		*out = g_tcache[h].caller;
		*exp = g_tcache[h].exp;
		*nbf = g_tcache[h].nbf;
		hit = true;
	}
	pthread_mutex_unlock(&g_tcache_lock);
	return hit;
}

static void auth__cache_put(const char *tok, const sim_caller *c, long exp, long nbf)
{
	unsigned h = auth__thash(tok);
	char *copy = strdup(tok);
	if (!copy)
		return;
	pthread_mutex_lock(&g_tcache_lock);
	free(g_tcache[h].token);
	g_tcache[h].token = copy;
	g_tcache[h].caller = *c;
	g_tcache[h].exp = exp;
	g_tcache[h].nbf = nbf;
	pthread_mutex_unlock(&g_tcache_lock);
}

static bool auth__check_claims(sim_req *req, sim_resp *resp, const char *audience, bool dataplane,
			       const sim_caller *c, long exp, long nbf);

bool auth_check_bearer(sim_req *req, sim_resp *resp, const char *audience, bool dataplane)
{
	const char *h = req_header(req, "Authorization");
	if (!h || !*h) {
		if (dataplane)
			auth__kv_401(req, resp, "AKV10000: Request is missing a Bearer or PoP token.");
		else
			auth__arm_401(req, resp, "AuthenticationFailed",
				      "The authentication failed because of missing 'Authorization' header.",
				      "Authentication failed. The 'Authorization' header is missing.");
		return false;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		if (dataplane)
			auth__kv_401(req, resp, "AKV10000: Request is missing a Bearer or PoP token.");
		else
			auth__arm_401(req, resp, "AuthenticationFailed",
				      "The authentication failed because of invalid 'Authorization' header format.",
				      "Authentication failed. The 'Authorization' header is provided in an invalid format.");
		return false;
	}
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	{
		sim_caller c;
		long exp, nbf;
		if (auth__cached(tok, &c, &exp, &nbf))
			return auth__check_claims(req, resp, audience, dataplane, &c, exp, nbf);
	}
	cJSON *claims = auth__decode(tok, true);
	if (!claims) {
		if (dataplane)
			auth__kv_401(req, resp, "AKV10002: The access token is invalid.");
		else
			auth__arm_401(req, resp, "InvalidAuthenticationToken", "The access token is invalid.",
				      "The access token is invalid.");
		return false;
	}
	sim_caller c;
	memset(&c, 0, sizeof c);
	const char *aud = sim_json_str(claims, "aud");
	cJSON *expc = sim_json_get(claims, "exp"), *nbfc = sim_json_get(claims, "nbf");
	long exp = cJSON_IsNumber(expc) ? (long)expc->valuedouble : 0;
	long nbf = cJSON_IsNumber(nbfc) ? (long)nbfc->valuedouble : 0;
	snprintf(c.tenant_id, sizeof c.tenant_id, "%s", sim_json_str(claims, "tid") ? sim_json_str(claims, "tid") : "");
	snprintf(c.object_id, sizeof c.object_id, "%s", sim_json_str(claims, "oid") ? sim_json_str(claims, "oid") : "");
	snprintf(c.app_id, sizeof c.app_id, "%s", sim_json_str(claims, "appid") ? sim_json_str(claims, "appid") : "");
	snprintf(c.audience, sizeof c.audience, "%s", aud ? aud : "");
	cJSON_Delete(claims);
	auth__cache_put(tok, &c, exp, nbf);
	return auth__check_claims(req, resp, audience, dataplane, &c, exp, nbf);
}

static bool auth__check_claims(sim_req *req, sim_resp *resp, const char *audience, bool dataplane,
			       const sim_caller *c, long exp, long nbf)
{
	char msg[1024];
	const char *aud = c->audience;
	long now = (long)time(NULL);
	if (exp && exp <= now) {
		char e[64], n[64];
		auth__fmt_us_time(e, sizeof e, exp);
		auth__fmt_us_time(n, sizeof n, now);
		if (dataplane) {
			auth__kv_401(req, resp, "AKV10021: The access token has expired.");
		} else {
			snprintf(msg, sizeof msg,
				 "The access token expiry UTC time '%s' is earlier than current UTC time '%s'.", e, n);
			auth__arm_401(req, resp, "ExpiredAuthenticationToken", "The access token has expired.", msg);
		}
		return false;
	}
	if (nbf && nbf > now + 300) {
		if (dataplane)
			auth__kv_401(req, resp, "AKV10002: The access token is not yet valid.");
		else
			auth__arm_401(req, resp, "InvalidAuthenticationToken",
				      "The access token is not yet valid.", "The access token is not yet valid.");
		return false;
	}
	if (!auth__aud_ok(aud, audience)) {
		if (dataplane) {
			snprintf(msg, sizeof msg, "AKV10022: Invalid audience. Expected %s, found: %s.",
				 audience, aud);
			auth__kv_401(req, resp, msg);
		} else {
			snprintf(msg, sizeof msg,
				 "The access token has been obtained for wrong audience or resource '%s'. It should "
				 "exactly match with one of the allowed audiences 'https://management.core.windows.net/',"
				 "'https://management.core.windows.net','https://management.azure.com/',"
				 "'https://management.azure.com'.",
				 aud);
			auth__arm_401(req, resp, "InvalidAuthenticationTokenAudience",
				      "The access token has been obtained from wrong audience or resource.", msg);
		}
		return false;
	}
	req->caller = *c;
	req->caller.authenticated = true;
	return true;
}

/* ---- token endpoints -------------------------------------------------------- */

static char *auth__form(const char *body, const char *name)
{
	size_t nl = strlen(name);
	const char *p = body;
	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > nl && p[nl] == '=' && !strncmp(p, name, nl))
			return sim_url_decode(p + nl + 1, len - nl - 1);
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

static void auth__aad_error(sim_req *req, sim_resp *resp, int status, const char *error,
			    int code, const char *fmt, ...) CMK_PRINTF(6, 7);

static void auth__aad_error(sim_req *req, sim_resp *resp, int status, const char *error,
			    int code, const char *fmt, ...)
{
	char msg[2048], desc[3072], trace[37], corr[37], ts[64], stamp[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	(void)req;
	sim_guid(trace);
	sim_guid(corr);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%SZ", &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%SZ", &tm);
	snprintf(desc, sizeof desc, "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
		 code, msg, trace, corr, stamp);
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "error", error);
	cJSON_AddStringToObject(b, "error_description", desc);
	cJSON *codes = cJSON_AddArrayToObject(b, "error_codes");
	cJSON_AddItemToArray(codes, cJSON_CreateNumber(code));
	cJSON_AddStringToObject(b, "timestamp", ts);
	cJSON_AddStringToObject(b, "trace_id", trace);
	cJSON_AddStringToObject(b, "correlation_id", corr);
	char uri[128];
	snprintf(uri, sizeof uri, "https://login.microsoftonline.com/error?code=%d", code);
	cJSON_AddStringToObject(b, "error_uri", uri);
	resp_json(resp, status, b);
}

/* Map scope/resource to a token audience; NULL when unknown. */
static const char *auth__audience(const char *scope_or_resource, char *buf, size_t len)
{
	char s[512];
	snprintf(s, sizeof s, "%s", scope_or_resource);
	/* v2 scopes may list several; the first resource decides */
	char *sp = strchr(s, ' ');
	if (sp)
		*sp = '\0';
	size_t n = strlen(s);
	if (n > 9 && !strcasecmp(s + n - 9, "/.default"))
		s[n - 9] = '\0';
	static const char *const known[] = {
		"https://management.azure.com/", "https://management.azure.com",
		"https://management.core.windows.net/", "https://management.core.windows.net",
		"https://vault.azure.net", "https://vault.azure.net/",
		"https://managedhsm.azure.net", "https://managedhsm.azure.net/",
		"https://graph.microsoft.com", "https://graph.microsoft.com/",
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (!strcasecmp(s, known[i])) {
			snprintf(buf, len, "%s", known[i]);
			return buf;
		}
	}
	/* "https://management.azure.com//.default" leaves a trailing slash: covered */
	return NULL;
}

static void auth__token(sim_req *req, sim_resp *resp)
{
	const char *tenant = req->cap[0];
	bool v2 = strstr(req->path, "/v2.0/") != NULL;
	char *grant = auth__form(req->body, "grant_type"), *cid = auth__form(req->body, "client_id"),
	     *scope = auth__form(req->body, v2 ? "scope" : "resource"),
	     *secret = auth__form(req->body, "client_secret"),
	     *atype = auth__form(req->body, "client_assertion_type"),
	     *assertion = auth__form(req->body, "client_assertion");
	cJSON *aclaims = NULL;
	char audbuf[128];
	const char *aud;
	sim_principal *p;

	bool tenant_known = sim_streq_ci(tenant, g_tenant) || !strcasecmp(tenant, "organizations");
	for (int i = 0; !tenant_known && i < g_nprincipals; i++)
		if (sim_streq_ci(g_principals[i]->tenant_id, tenant))
			tenant_known = true;
	if (!tenant_known) {
		auth__aad_error(req, resp, 400, "invalid_request", 90002,
				"Tenant '%s' not found. Check to make sure you have the correct tenant ID and "
				"are signing into the correct cloud. Check with your subscription administrator, "
				"this may happen if there are no active subscriptions for the tenant.", tenant);
		goto out;
	}
	if (!grant) {
		auth__aad_error(req, resp, 400, "invalid_request", 900144,
				"The request body must contain the following parameter: 'grant_type'.");
		goto out;
	}
	if (strcmp(grant, "client_credentials") != 0) {
		auth__aad_error(req, resp, 400, "unsupported_grant_type", 70003,
				"The app requested an unsupported grant type '%s'.", grant);
		goto out;
	}
	if (!cid) {
		auth__aad_error(req, resp, 400, "invalid_request", 900144,
				"The request body must contain the following parameter: 'client_id'.");
		goto out;
	}
	if (!scope) {
		auth__aad_error(req, resp, 400, "invalid_request", 900144,
				"The request body must contain the following parameter: '%s'.",
				v2 ? "scope" : "resource");
		goto out;
	}
	if (v2 && !strstr(scope, "/.default")) {
		auth__aad_error(req, resp, 400, "invalid_scope", 1002012,
				"The provided value for scope %s is not valid. Client credential flows must have "
				"a scope value with /.default suffixed to the resource identifier (application ID URI).",
				scope);
		goto out;
	}
	store_lock();
	p = auth_principal_by_client_id(cid);
	/* managed identities have no secret but take federated assertions
	 * (workload identity federation with a user-assigned identity) */
	if (!p || (p->kind == SIM_PRINCIPAL_MSI && !assertion && !atype) ||
	    (!sim_streq_ci(p->tenant_id, tenant) && strcasecmp(tenant, "organizations"))) {
		store_unlock();
		auth__aad_error(req, resp, 400, "unauthorized_client", 700016,
				"Application with identifier '%s' was not found in the directory '%s'. This can "
				"happen if the application has not been installed by the administrator of the "
				"tenant or consented to by any user in the tenant. You may have sent your "
				"authentication request to the wrong tenant.", cid, tenant);
		goto out;
	}
	if (p->disabled) {
		store_unlock();
		auth__aad_error(req, resp, 401, "unauthorized_client", 7000112,
				"Application '%s'(%s) is disabled.", cid, p->display_name);
		goto out;
	}
	if (assertion || atype) {
		if (!atype || strcmp(atype, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") != 0) {
			store_unlock();
			auth__aad_error(req, resp, 400, "invalid_request", 50027,
					"JWT token is invalid or malformed (client_assertion_type must be "
					"urn:ietf:params:oauth:client-assertion-type:jwt-bearer).");
			goto out;
		}
		aclaims = assertion ? auth__decode(assertion, false) : NULL;
		if (!aclaims) {
			store_unlock();
			auth__aad_error(req, resp, 400, "invalid_request", 50027,
					"JWT token is invalid or malformed.");
			goto out;
		}
		const char *iss = sim_json_str(aclaims, "iss"), *sub = sim_json_str(aclaims, "sub");
		cJSON *audc = sim_json_get(aclaims, "aud"), *expc = sim_json_get(aclaims, "exp");
		const char *a0 = cJSON_IsString(audc) ? audc->valuestring
			       : cJSON_IsArray(audc) ? sim_json_str(cJSON_GetArrayItem(audc, 0), "") : NULL;
		if (cJSON_IsArray(audc) && cJSON_IsString(cJSON_GetArrayItem(audc, 0)))
			a0 = cJSON_GetArrayItem(audc, 0)->valuestring;
		if (cJSON_IsNumber(expc) && (long)expc->valuedouble < (long)time(NULL)) {
			store_unlock();
			auth__aad_error(req, resp, 400, "invalid_client", 700024,
					"Client assertion is not within its valid time range. Current time: %ld, "
					"assertion valid to %ld.", (long)time(NULL), (long)expc->valuedouble);
			goto out;
		}
		bool matched = false;
		const cJSON *fc;
		cJSON_ArrayForEach(fc, p->federated) {
			const char *fi = sim_json_str(fc, "issuer"), *fs = sim_json_str(fc, "subject");
			const cJSON *fa = sim_json_get(fc, "audiences"), *x;
			bool aud_ok = false;
			if (!fa)
				aud_ok = a0 && !strcmp(a0, "api://AzureADTokenExchange");
			cJSON_ArrayForEach(x, fa)
				if (cJSON_IsString(x) && a0 && !strcmp(x->valuestring, a0))
					aud_ok = true;
			if (fi && fs && iss && sub && !strcmp(fi, iss) && !strcmp(fs, sub) && aud_ok)
				matched = true;
		}
		if (!matched) {
			store_unlock();
			auth__aad_error(req, resp, 400, "invalid_request", 70021,
					"No matching federated identity record found for presented assertion. "
					"Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'. "
					"https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
					iss ? iss : "", sub ? sub : "", a0 ? a0 : "");
			goto out;
		}
	} else if (!secret) {
		store_unlock();
		auth__aad_error(req, resp, 401, "invalid_client", 7000216,
				"'client_assertion', 'client_secret' or 'request' is required for the "
				"'client_credentials' grant type.");
		goto out;
	} else if (!p->secret || strcmp(p->secret, secret) != 0) {
		store_unlock();
		auth__aad_error(req, resp, 401, "invalid_client", 7000215,
				"Invalid client secret provided. Ensure the secret being sent in the request is "
				"the client secret value, not the client secret ID, for a secret added to app '%s'.",
				cid);
		goto out;
	}
	aud = auth__audience(scope, audbuf, sizeof audbuf);
	if (!aud) {
		store_unlock();
		auth__aad_error(req, resp, 400, "invalid_resource", 500011,
				"The resource principal named %s was not found in the tenant named %s. This can "
				"happen if the application has not been installed by the administrator of the "
				"tenant or consented to by any user in the tenant. You might have sent your "
				"authentication request to the wrong tenant.", scope, tenant);
		goto out;
	}
	long exp_on = 0;
	char *tok = auth_token_issue(p, aud, &exp_on);
	store_unlock();
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "token_type", "Bearer");
	cJSON_AddNumberToObject(b, "expires_in", g_settings.token_lifetime_s);
	cJSON_AddNumberToObject(b, "ext_expires_in", g_settings.token_lifetime_s);
	if (!v2) {
		char eo[32];
		snprintf(eo, sizeof eo, "%ld", exp_on);
		cJSON_AddStringToObject(b, "expires_on", eo);
		cJSON_AddStringToObject(b, "resource", aud);
	}
	cJSON_AddStringToObject(b, "access_token", tok ? tok : "");
	free(tok);
	resp_json(resp, 200, b);
out:
	cJSON_Delete(aclaims);
	free(grant);
	free(cid);
	free(scope);
	free(secret);
	free(atype);
	free(assertion);
}

/* The managed identity an IMDS/App Service request asks for. */
static sim_principal *auth__pick_msi(sim_req *req)
{
	const char *cid = req_query(req, "client_id"), *oid = req_query(req, "object_id");
	const char *rid = req_query(req, "msi_res_id");
	if (!rid)
		rid = req_query(req, "mi_res_id");
	if (cid)
		return auth_principal_by_client_id(cid);
	if (oid)
		return auth_principal_by_object_id(oid);
	if (rid)
		return auth__principal_by_msi_res(rid);
	if (g_host_identity[0])
		return auth_principal_by_client_id(g_host_identity);
	return NULL;
}

static void auth__msi_token(sim_req *req, sim_resp *resp, bool imds)
{
	const char *resource = req_query(req, "resource");
	char audbuf[128], num[32];
	if (imds) {
		const char *md = req_header(req, "Metadata");
		if (!md || strcasecmp(md, "true") != 0) {
			cJSON *b = cJSON_CreateObject();
			cJSON_AddStringToObject(b, "error", "invalid_request");
			cJSON_AddStringToObject(b, "error_description", "Required metadata header not specified");
			resp_json(resp, 400, b);
			return;
		}
		if (!req->api_version) {
			cJSON *b = cJSON_CreateObject();
			cJSON_AddStringToObject(b, "error", "invalid_request");
			cJSON_AddStringToObject(b, "error_description", "Required query variable 'api-version' is missing");
			resp_json(resp, 400, b);
			return;
		}
	} else {
		const char *ih = req_header(req, "X-IDENTITY-HEADER");
		const char *sec = req_header(req, "secret");
		if ((!ih && !sec) || !g_identity_header[0] || strcmp(ih ? ih : sec, g_identity_header) != 0) {
			cJSON *b = cJSON_CreateObject();
			cJSON_AddNumberToObject(b, "statusCode", 400);
			cJSON_AddStringToObject(b, "message", "The request is missing the identity header or it is invalid.");
			resp_json(resp, 400, b);
			return;
		}
	}
	const char *aud = resource ? auth__audience(resource, audbuf, sizeof audbuf) : NULL;
	if (!aud) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "error", "invalid_resource");
		cJSON_AddStringToObject(b, "error_description",
					resource ? "AADSTS500011: The resource principal was not found in the tenant."
						 : "Required query variable 'resource' is missing");
		resp_json(resp, 400, b);
		return;
	}
	sim_principal *p = auth__pick_msi(req);
	/* only managed identities come out of these endpoints: a client_id or
	 * object_id of an app registration (or a user) is as unknown to them as
	 * a made-up one */
	if (!p || p->kind != SIM_PRINCIPAL_MSI) {
		cJSON *b = cJSON_CreateObject();
		if (imds) {
			cJSON_AddStringToObject(b, "error", "invalid_request");
			cJSON_AddStringToObject(b, "error_description", "Identity not found");
		} else {
			/* App Service's answer (seen in Azure/azure-sdk-for-net#43691) */
			char corr[37];
			sim_guid(corr);
			cJSON_AddNumberToObject(b, "statusCode", 400);
			cJSON_AddStringToObject(b, "message", "Unable to load the proper Managed Identity.");
			cJSON_AddStringToObject(b, "correlationId", corr);
		}
		resp_json(resp, 400, b);
		return;
	}
	long exp_on = 0;
	char *tok = auth_token_issue(p, aud, &exp_on);
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "access_token", tok ? tok : "");
	free(tok);
	cJSON_AddStringToObject(b, "client_id", p->client_id);
	/* IMDS and App Service send numbers as strings */
	snprintf(num, sizeof num, "%d", g_settings.token_lifetime_s);
	cJSON_AddStringToObject(b, "expires_in", num);
	snprintf(num, sizeof num, "%ld", exp_on);
	cJSON_AddStringToObject(b, "expires_on", num);
	snprintf(num, sizeof num, "%d", g_settings.token_lifetime_s);
	cJSON_AddStringToObject(b, "ext_expires_in", num);
	snprintf(num, sizeof num, "%ld", exp_on - g_settings.token_lifetime_s);
	cJSON_AddStringToObject(b, "not_before", num);
	cJSON_AddStringToObject(b, "resource", resource);
	cJSON_AddStringToObject(b, "token_type", "Bearer");
	resp_json(resp, 200, b);
}

static void auth__imds(sim_req *req, sim_resp *resp)
{
	auth__msi_token(req, resp, true);
}

static void auth__appservice(sim_req *req, sim_resp *resp)
{
	auth__msi_token(req, resp, false);
}

static void auth__openid(sim_req *req, sim_resp *resp)
{
	char buf[512];
	const char *base = req_base_url(req), *t = req->cap[0];
	cJSON *b = cJSON_CreateObject();
	snprintf(buf, sizeof buf, "%s/%s/oauth2/v2.0/token", base, t);
	cJSON_AddStringToObject(b, "token_endpoint", buf);
	snprintf(buf, sizeof buf, "%s/%s/oauth2/v2.0/authorize", base, t);
	cJSON_AddStringToObject(b, "authorization_endpoint", buf);
	snprintf(buf, sizeof buf, "%s/%s/discovery/v2.0/keys", base, t);
	cJSON_AddStringToObject(b, "jwks_uri", buf);
	snprintf(buf, sizeof buf, "https://sts.windows.net/%s/", t);
	cJSON_AddStringToObject(b, "issuer", buf);
	cJSON *a = cJSON_AddArrayToObject(b, "token_endpoint_auth_methods_supported");
	cJSON_AddItemToArray(a, cJSON_CreateString("client_secret_post"));
	cJSON_AddItemToArray(a, cJSON_CreateString("private_key_jwt"));
	a = cJSON_AddArrayToObject(b, "id_token_signing_alg_values_supported");
	cJSON_AddItemToArray(a, cJSON_CreateString("RS256"));
	cJSON_AddStringToObject(b, "tenant_region_scope", "NA");
	resp_json(resp, 200, b);
}

static void auth__jwks(sim_req *req, sim_resp *resp)
{
	BIGNUM *n = NULL, *e = NULL;
	(void)req;
	EVP_PKEY_get_bn_param(g_sign_key, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(g_sign_key, OSSL_PKEY_PARAM_RSA_E, &e);
	unsigned char nb[512], eb[16];
	int nl = n ? BN_bn2bin(n, nb) : 0, el = e ? BN_bn2bin(e, eb) : 0;
	char *ns = sim_b64url(nb, (size_t)nl), *es = sim_b64url(eb, (size_t)el);
	cJSON *b = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(b, "keys"), *k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "kty", "RSA");
	cJSON_AddStringToObject(k, "use", "sig");
	cJSON_AddStringToObject(k, "kid", g_kid);
	cJSON_AddStringToObject(k, "alg", "RS256");
	cJSON_AddStringToObject(k, "n", ns ? ns : "");
	cJSON_AddStringToObject(k, "e", es ? es : "");
	cJSON_AddItemToArray(keys, k);
	free(ns);
	free(es);
	BN_free(n);
	BN_free(e);
	resp_json(resp, 200, b);
}

static void auth__instance_discovery(sim_req *req, sim_resp *resp)
{
	char buf[512], host[128];
	snprintf(host, sizeof host, "localhost:%d", req->port);
	cJSON *b = cJSON_CreateObject();
	snprintf(buf, sizeof buf, "%s/common/v2.0/.well-known/openid-configuration", req_base_url(req));
	cJSON_AddStringToObject(b, "tenant_discovery_endpoint", buf);
	cJSON_AddStringToObject(b, "api-version", "1.1");
	cJSON *md = cJSON_AddArrayToObject(b, "metadata"), *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "preferred_network", host);
	cJSON_AddStringToObject(m, "preferred_cache", host);
	cJSON *al = cJSON_AddArrayToObject(m, "aliases");
	cJSON_AddItemToArray(al, cJSON_CreateString(host));
	cJSON_AddItemToArray(md, m);
	resp_json(resp, 200, b);
}

static void auth__open(const char *method, const char *pattern, sim_handler fn)
{
	sim_route r;
	memset(&r, 0, sizeof r);
	r.method = method;
	r.pattern = pattern;
	r.kind = SIM_ROUTE_OPEN;
	r.resource_type = "AzureAD";
	r.sub_cap = r.rg_cap = -1;
	r.fn = fn;
	router_add(&r);
}

void auth_register_routes(void)
{
	auth__open("POST", "/{tenant}/oauth2/v2.0/token", auth__token);
	auth__open("POST", "/{tenant}/oauth2/token", auth__token);
	auth__open("GET", "/{tenant}/v2.0/.well-known/openid-configuration", auth__openid);
	auth__open("GET", "/{tenant}/.well-known/openid-configuration", auth__openid);
	auth__open("GET", "/{tenant}/discovery/v2.0/keys", auth__jwks);
	auth__open("GET", "/{tenant}/discovery/keys", auth__jwks);
	auth__open("GET", "/common/discovery/instance", auth__instance_discovery);
	auth__open("GET", "/metadata/identity/oauth2/token", auth__imds);
	auth__open("GET", "/msi/token", auth__appservice);
}

/* ---- RBAC ------------------------------------------------------------------------ */

typedef struct role_def {
	const char *guid;
	const char *name;
	const char *const *actions;
	const char *const *not_actions;
	const char *const *data_actions;
} role_def;

#define L(...) (const char *const[]){ __VA_ARGS__, NULL }
static const role_def g_roles[] = {
	{ "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner", L("*"), NULL, NULL },
	{ "b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor", L("*"),
	  L("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
	    "Microsoft.Authorization/elevateAccess/Action"), NULL },
	{ "acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", L("*/read"), NULL, NULL },
	{ "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator",
	  L("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"), NULL, NULL },
	{ "f58310d9-a9f6-439a-9e8d-f62e7b41a168", "Role Based Access Control Administrator",
	  L("Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete",
	    "*/read", "Microsoft.Support/*"), NULL, NULL },
	{ "92aaf0da-9dab-42b6-94a3-d43ce8d16293", "Log Analytics Contributor",
	  L("*/read", "Microsoft.ClassicCompute/virtualMachines/extensions/*",
	    "Microsoft.Compute/virtualMachines/extensions/*", "Microsoft.Insights/alertRules/*",
	    "Microsoft.Insights/diagnosticSettings/*", "Microsoft.OperationalInsights/*",
	    "Microsoft.OperationsManagement/*", "Microsoft.Resources/deployments/*",
	    "Microsoft.Resources/subscriptions/resourcegroups/deployments/*",
	    "Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.Support/*"), NULL, NULL },
	{ "73c42c96-874c-492b-b04d-ab87d138a893", "Log Analytics Reader",
	  L("*/read", "Microsoft.OperationalInsights/workspaces/analytics/query/action",
	    "Microsoft.OperationalInsights/workspaces/search/action", "Microsoft.Support/*"),
	  L("Microsoft.OperationalInsights/workspaces/sharedKeys/read"), NULL },
	{ "f25e0fa2-a7c8-4377-a976-54943a77a395", "Key Vault Contributor",
	  L("Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	    "Microsoft.KeyVault/*", "Microsoft.Resources/deployments/*",
	    "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*"),
	  L("Microsoft.KeyVault/locations/deletedVaults/purge/action", "Microsoft.KeyVault/hsmPools/*",
	    "Microsoft.KeyVault/managedHsms/*"), NULL },
	{ "00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator",
	  L("Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	    "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
	    "Microsoft.Support/*", "Microsoft.KeyVault/checkNameAvailability/read",
	    "Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read",
	    "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"),
	  NULL, L("Microsoft.KeyVault/vaults/*") },
	{ "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "Key Vault Crypto Officer",
	  L("Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	    "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
	    "Microsoft.Support/*", "Microsoft.KeyVault/checkNameAvailability/read",
	    "Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read",
	    "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"),
	  NULL, L("Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*") },
	{ "e147488a-f6f5-4113-8e2d-b22465e65bf6", "Key Vault Crypto Service Encryption User",
	  L("Microsoft.EventGrid/eventSubscriptions/write", "Microsoft.EventGrid/eventSubscriptions/read",
	    "Microsoft.EventGrid/eventSubscriptions/delete"),
	  NULL, L("Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action",
		  "Microsoft.KeyVault/vaults/keys/unwrap/action") },
	{ "12338af0-0e69-4776-bea7-57ae8d297424", "Key Vault Crypto User", NULL, NULL,
	  L("Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/update/action",
	    "Microsoft.KeyVault/vaults/keys/backup/action", "Microsoft.KeyVault/vaults/keys/encrypt/action",
	    "Microsoft.KeyVault/vaults/keys/decrypt/action", "Microsoft.KeyVault/vaults/keys/wrap/action",
	    "Microsoft.KeyVault/vaults/keys/unwrap/action", "Microsoft.KeyVault/vaults/keys/sign/action",
	    "Microsoft.KeyVault/vaults/keys/verify/action") },
	{ "21090545-7ca7-4776-b22c-e363652d74d2", "Key Vault Reader",
	  L("Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	    "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
	    "Microsoft.Support/*", "Microsoft.KeyVault/checkNameAvailability/read",
	    "Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read",
	    "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"),
	  NULL, L("Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action") },
	{ "f1a07417-d97a-45cb-824c-7a7467783830", "Managed Identity Operator",
	  L("Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
	    "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
	    "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	    "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/deployments/*",
	    "Microsoft.Support/*"), NULL, NULL },
	{ "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59", "Managed Identity Contributor",
	  L("Microsoft.ManagedIdentity/userAssignedIdentities/read",
	    "Microsoft.ManagedIdentity/userAssignedIdentities/write",
	    "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
	    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/*",
	    "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	    "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/deployments/*",
	    "Microsoft.Support/*"), NULL, NULL },
	{ "749f88d5-cbae-40b8-bcfc-e573ddc772fa", "Monitoring Contributor",
	  L("*/read", "Microsoft.Insights/components/*", "Microsoft.OperationalInsights/workspaces/*",
	    "Microsoft.Insights/diagnosticSettings/*", "Microsoft.Support/*"), NULL, NULL },
};

static const role_def *rbac__find(const char *name_or_id)
{
	if (!name_or_id)
		return NULL;
	const char *slash = strrchr(name_or_id, '/');
	const char *tail = slash ? slash + 1 : name_or_id;
	for (size_t i = 0; i < sizeof g_roles / sizeof g_roles[0]; i++)
		if (!strcasecmp(g_roles[i].guid, tail) || !strcasecmp(g_roles[i].name, name_or_id))
			return &g_roles[i];
	return NULL;
}

const char *rbac_role_guid(const char *name_or_id)
{
	const role_def *r = rbac__find(name_or_id);
	return r ? r->guid : NULL;
}

const char *rbac_role_name(const char *guid)
{
	const role_def *r = rbac__find(guid);
	return r ? r->name : NULL;
}

void rbac_role_definition_id(char *out, size_t outlen, const char *subscription_id, const char *guid)
{
	if (subscription_id && *subscription_id)
		snprintf(out, outlen, "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s",
			 subscription_id, guid);
	else
		snprintf(out, outlen, "/providers/Microsoft.Authorization/roleDefinitions/%s", guid);
}

/* '*' matches any run of characters; case-insensitive. */
static bool rbac__glob(const char *pat, const char *s)
{
	for (; *pat; pat++, s++) {
		if (*pat == '*') {
			while (pat[1] == '*')
				pat++;
			if (!pat[1])
				return true;
			for (; *s; s++)
				if (rbac__glob(pat + 1, s))
					return true;
			return false;
		}
		if (!*s || tolower((unsigned char)*pat) != tolower((unsigned char)*s))
			return false;
	}
	return *s == '\0';
}

static bool rbac__list_match(const char *const *list, const char *action)
{
	for (int i = 0; list && list[i]; i++)
		if (rbac__glob(list[i], action))
			return true;
	return false;
}

static bool rbac__check(const char *object_id, const char *scope, const char *action, bool data)
{
	if (!object_id || !*object_id)
		return false;
	for (sim_res *r = store_first("Microsoft.Authorization/roleAssignments"); r; r = store_next(r)) {
		const cJSON *props = sim_json_get(r->doc, "properties");
		if (!sim_streq_ci(sim_json_str(props, "principalId"), object_id))
			continue;
		const char *as = sim_json_str(props, "scope");
		if (!as || !store_id_under(scope, as))
			continue;
		const role_def *rd = rbac__find(sim_json_str(props, "roleDefinitionId"));
		if (!rd)
			continue;
		if (data ? rbac__list_match(rd->data_actions, action)
			 : rbac__list_match(rd->actions, action) && !rbac__list_match(rd->not_actions, action))
			return true;
	}
	return false;
}

bool rbac_allowed(const char *object_id, const char *scope, const char *action)
{
	return rbac__check(object_id, scope, action, false);
}

bool rbac_data_allowed(const char *object_id, const char *scope, const char *data_action)
{
	return rbac__check(object_id, scope, data_action, true);
}

int rbac_assign(const char *scope, const char *role, const char *principal_id,
		const char *principal_type)
{
	const role_def *r = rbac__find(role);
	if (!r)
		return cmk_error_set(CMK_EINVALID, "unknown role '%s'", role);
	char name[37], id[2048], defid[512], sub[64] = "";
	sim_guid(name);
	snprintf(id, sizeof id, "%s/providers/Microsoft.Authorization/roleAssignments/%s",
		 strcmp(scope, "/") ? scope : "", name);
	if (sim_prefix_ci(scope, "/subscriptions/"))
		sscanf(scope + strlen("/subscriptions/"), "%63[^/]", sub);
	rbac_role_definition_id(defid, sizeof defid, sub, r->guid);
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "id", id);
	cJSON_AddStringToObject(doc, "name", name);
	cJSON_AddStringToObject(doc, "type", "Microsoft.Authorization/roleAssignments");
	cJSON *p = cJSON_AddObjectToObject(doc, "properties");
	cJSON_AddStringToObject(p, "roleDefinitionId", defid);
	cJSON_AddStringToObject(p, "principalId", principal_id);
	cJSON_AddStringToObject(p, "principalType", principal_type ? principal_type : "ServicePrincipal");
	cJSON_AddStringToObject(p, "scope", scope);
	return store_put(id, "Microsoft.Authorization/roleAssignments", doc) ? 0 : CMK_ENOMEM;
}

bool rbac_linked_check(const sim_req *req, sim_resp *resp, const char *linked_action,
		       const char *linked_scope)
{
	if (rbac_allowed(req->caller.object_id, linked_scope, linked_action))
		return true;
	char action[512], scope[2048];
	router_default_action(action, sizeof action, req->resource_type, req->method);
	snprintf(scope, sizeof scope, "%s", req->path);
	resp_arm_error(resp, 403, "LinkedAuthorizationFailed",
		       "The client '%s' with object id '%s' has permission to perform action '%s' on scope '%s'; "
		       "however, it does not have permission to perform action(s) '%s' on the linked scope(s) '%s' "
		       "(respectively) or the linked scope(s) are invalid.",
		       req->caller.object_id, req->caller.object_id, action, scope, linked_action, linked_scope);
	return false;
}

void rbac_forbidden(sim_resp *resp, const sim_caller *caller, const char *action, const char *scope)
{
	resp_arm_error(resp, 403, "AuthorizationFailed",
		       "The client '%s' with object id '%s' does not have authorization to perform action "
		       "'%s' over scope '%s' or the scope is invalid. If access was recently granted, "
		       "please refresh your credentials.",
		       caller->object_id, caller->object_id, action, scope);
}
