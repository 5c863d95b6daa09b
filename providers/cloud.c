/*
 * cloud.c - named Azure cloud profiles, the custom profile from flags and
 * environment, and cloud discovery from ARM's metadata document (see cloud.h).
 */
#include "providers/cloud.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
	const char *name;
	const char *arm_endpoint;
	const char *arm_audience;
	const char *authority_host;
	const char *keyvault_suffix;
	const char *keyvault_audience;
} cloud__profile;

static const cloud__profile cloud__profiles[] = {
	{ "AzureCloud", "https://management.azure.com", "https://management.azure.com",
	  "https://login.microsoftonline.com", "vault.azure.net", "https://vault.azure.net" },
	{ "AzureUSGovernment", "https://management.usgovcloudapi.net",
	  "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
	  "vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net" },
	{ "AzureChinaCloud", "https://management.chinacloudapi.cn",
	  "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
	  "vault.azure.cn", "https://vault.azure.cn" },
};

/* Copy without trailing slashes (and without a leading dot for suffixes). */
static char *cloud__dup_trim(const char *s, int strip_dot)
{
	size_t len;
	char *copy;

	if (!s)
		return NULL;
	if (strip_dot)
		while (*s == '.')
			s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '/')
		len--;
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

static int cloud__is_http_url(const char *s)
{
	return s && (strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0) &&
	       strlen(s) > 8 && !strpbrk(s, " \t\r\n");
}

static int cloud__set(char **field, const char *value, int strip_dot)
{
	char *copy;

	if (!value)
		return 0;
	if ((copy = cloud__dup_trim(value, strip_dot)) == NULL)
		return cmk_error_oom();
	free(*field);
	*field = copy;
	return 0;
}

static int cloud__alloc(arm_cloud **out, const cloud__profile *p)
{
	arm_cloud *c = calloc(1, sizeof(*c));
	int error;

	if (!c)
		return cmk_error_oom();
	if ((error = cloud__set(&c->name, p->name, 0)) < 0 ||
	    (error = cloud__set(&c->arm_endpoint, p->arm_endpoint, 0)) < 0 ||
	    (error = cloud__set(&c->arm_audience, p->arm_audience, 0)) < 0 ||
	    (error = cloud__set(&c->authority_host, p->authority_host, 0)) < 0 ||
	    (error = cloud__set(&c->keyvault_suffix, p->keyvault_suffix, 1)) < 0 ||
	    (error = cloud__set(&c->keyvault_audience, p->keyvault_audience, 0)) < 0) {
		arm_cloud_free(c);
		return error;
	}
	*out = c;
	return 0;
}

int arm_cloud_named(arm_cloud **out, const char *name)
{
	for (size_t i = 0; i < sizeof(cloud__profiles) / sizeof(cloud__profiles[0]); i++)
		if (strcasecmp(name, cloud__profiles[i].name) == 0)
			return cloud__alloc(out, &cloud__profiles[i]);
	return cmk_error_set(CMK_ENOTFOUND, "unknown cloud '%s'", name);
}

static const char *cloud__pick(const char *flag, const char *env)
{
	const char *v;

	if (flag && *flag)
		return flag;
	v = getenv(env);
	return v && *v ? v : NULL;
}

int arm_cloud_resolve(arm_cloud **out, const arm_cloud_settings *settings)
{
	static const arm_cloud_settings none = { 0 };
	const arm_cloud_settings *s = settings ? settings : &none;
	const char *name = cloud__pick(s->name, "CMKCTL_CLOUD");
	const char *endpoint = cloud__pick(s->arm_endpoint, "CMKCTL_ARM_ENDPOINT");
	const char *audience = cloud__pick(s->arm_audience, "CMKCTL_ARM_AUDIENCE");
	const char *authority = cloud__pick(s->authority_host, "AZURE_AUTHORITY_HOST");
	const char *kv = cloud__pick(s->keyvault_suffix, "CMKCTL_KEYVAULT_DNS_SUFFIX");
	const char *kv_aud = cloud__pick(s->keyvault_audience, "CMKCTL_KEYVAULT_AUDIENCE");
	/* a custom cloud is the public cloud's token world at other hosts (an
	 * Azure Stack or emulator keeps the public audiences) unless told */
	cloud__profile custom = { "custom", NULL, NULL, "https://login.microsoftonline.com",
				  NULL, "https://vault.azure.net" };
	arm_cloud *c = NULL;
	int error;

	if (!name)
		name = "AzureCloud";
	if (strcasecmp(name, "custom") == 0) {
		if (!endpoint) {
			error = cmk_error_set(CMK_EINVALID,
				"cloud 'custom' needs an ARM endpoint: set CMKCTL_ARM_ENDPOINT "
				"(or --arm-endpoint), e.g. https://management.example.com");
			goto out;
		}
		if ((error = cloud__alloc(&c, &custom)) < 0)
			goto out;
	} else if ((error = arm_cloud_named(&c, name)) < 0) {
		error = cmk_error_set(CMK_EINVALID,
			"unknown cloud '%s' (CMKCTL_CLOUD or --cloud): use AzureCloud, "
			"AzureUSGovernment, AzureChinaCloud or custom", name);
		goto out;
	}

	if (endpoint && !cloud__is_http_url(endpoint)) {
		error = cmk_error_set(CMK_EINVALID,
			"ARM endpoint '%s' (CMKCTL_ARM_ENDPOINT or --arm-endpoint) is not an "
			"http(s) URL", endpoint);
		goto out;
	}
	if (authority && !cloud__is_http_url(authority)) {
		error = cmk_error_set(CMK_EINVALID,
			"authority host '%s' (AZURE_AUTHORITY_HOST) is not an http(s) URL",
			authority);
		goto out;
	}
	if ((error = cloud__set(&c->arm_endpoint, endpoint, 0)) < 0 ||
	    (error = cloud__set(&c->authority_host, authority, 0)) < 0 ||
	    (error = cloud__set(&c->keyvault_suffix, kv, 1)) < 0)
		goto out;
	/* the audience follows the endpoint unless given: a custom ARM endpoint
	 * with the public cloud's audience would get tokens it cannot use */
	if (audience)
		error = cloud__set(&c->arm_audience, audience, 0);
	else if (endpoint)
		error = cloud__set(&c->arm_audience, endpoint, 0);
	if (error < 0)
		goto out;
	if ((error = cloud__set(&c->keyvault_audience, kv_aud, 0)) < 0)
		goto out;
	*out = c;
	c = NULL;
out:
	arm_cloud_free(c);
	return error;
}

static const cJSON *cloud__pick_metadata(const char *arm_endpoint, const cJSON *doc)
{
	const cJSON *item;

	if (!cJSON_IsArray(doc))
		return doc;
	cJSON_ArrayForEach(item, doc) {
		const cJSON *rm = cJSON_GetObjectItemCaseSensitive(item, "resourceManager");
		char *a, *b;
		int same;

		if (!cJSON_IsString(rm))
			continue;
		a = cloud__dup_trim(rm->valuestring, 0);
		b = cloud__dup_trim(arm_endpoint, 0);
		same = a && b && strcasecmp(a, b) == 0;
		free(a);
		free(b);
		if (same)
			return item;
	}
	return cJSON_GetArrayItem(doc, 0);
}

int arm_cloud_from_metadata(arm_cloud **out, const char *arm_endpoint, const cJSON *doc)
{
	const cJSON *m = cloud__pick_metadata(arm_endpoint, doc);
	const cJSON *auth, *login, *aud, *suffixes, *kv, *name, *rm;
	cloud__profile p = { 0 };
	char kv_audience[512];
	arm_cloud *c = NULL;
	int error;

	if (!cJSON_IsObject(m))
		return cmk_error_set(CMK_EINVALID,
			"cloud metadata from %s is not a JSON object", arm_endpoint);
	auth = cJSON_GetObjectItemCaseSensitive(m, "authentication");
	login = cJSON_GetObjectItemCaseSensitive(auth, "loginEndpoint");
	aud = cJSON_GetObjectItemCaseSensitive(auth, "audiences");
	suffixes = cJSON_GetObjectItemCaseSensitive(m, "suffixes");
	kv = cJSON_GetObjectItemCaseSensitive(suffixes, "keyVaultDns");
	if (!kv)
		kv = cJSON_GetObjectItemCaseSensitive(m, "keyVaultDns");
	name = cJSON_GetObjectItemCaseSensitive(m, "name");
	rm = cJSON_GetObjectItemCaseSensitive(m, "resourceManager");

	if (!cJSON_IsString(login) || !cloud__is_http_url(login->valuestring))
		return cmk_error_set(CMK_EINVALID, "cloud metadata from %s has no "
				     "authentication.loginEndpoint URL", arm_endpoint);
	p.name = cJSON_IsString(name) ? name->valuestring : "custom";
	p.arm_endpoint = cJSON_IsString(rm) && cloud__is_http_url(rm->valuestring)
				 ? rm->valuestring : arm_endpoint;
	p.authority_host = login->valuestring;
	/* audiences lists the ARM audiences; the first is the canonical one */
	p.arm_audience = cJSON_IsString(cJSON_GetArrayItem(aud, 0))
				 ? cJSON_GetArrayItem(aud, 0)->valuestring : p.arm_endpoint;
	if (cJSON_IsString(kv) && *kv->valuestring) {
		p.keyvault_suffix = kv->valuestring;
		while (*p.keyvault_suffix == '.')
			p.keyvault_suffix++;
		snprintf(kv_audience, sizeof(kv_audience), "https://%s", p.keyvault_suffix);
		p.keyvault_audience = kv_audience;
	}
	if ((error = cloud__alloc(&c, &p)) < 0)
		return error;
	*out = c;
	return 0;
}

char *arm_cloud_scope(const char *audience)
{
	char *trimmed = cloud__dup_trim(audience, 0), *scope;
	size_t len;

	if (!trimmed)
		return NULL;
	len = strlen(trimmed) + sizeof("/.default");
	if ((scope = malloc(len)) != NULL)
		snprintf(scope, len, "%s/.default", trimmed);
	free(trimmed);
	return scope;
}

void arm_cloud_free(arm_cloud *cloud)
{
	if (!cloud)
		return;
	free(cloud->name);
	free(cloud->arm_endpoint);
	free(cloud->arm_audience);
	free(cloud->authority_host);
	free(cloud->keyvault_suffix);
	free(cloud->keyvault_audience);
	free(cloud);
}
