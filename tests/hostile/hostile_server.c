/*
 * hostile_server.c - the misbehaving HTTPS server of the hostile-response
 * tests (see hostile_server.h).
 */
#include "hostile_server.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "tls.h"

#define HS_LOG_MAX 4096
#define HS_TOKEN "{\"token_type\":\"Bearer\",\"expires_in\":3600," \
		 "\"access_token\":\"hostile-static-token-0123456789abcdef\"}"

struct hs_server {
	struct MHD_Daemon *daemon;
	char dir[64];
	char ca_path[512];
	char base_url[64];
	unsigned port;
	volatile int stopping;

	pthread_mutex_t mu;
	hs_handler handler;
	void *ud;
	hs_request *log; /* HS_LOG_MAX entries */
	unsigned nlog;   /* handler requests seen (may exceed HS_LOG_MAX) */
	unsigned ntoken;
	bool token_override;
	hs_answer token_answer;
	char *token_body;
};

/* A streamed body: the slowloris drip or the huge filler. */
typedef struct {
	hs_server *s;
	hs_mode mode;
	unsigned drip_ms;
	size_t len, sent;
} hs_stream;

static ssize_t hs__stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	hs_stream *st = cls;

	if (st->s->stopping)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->mode == HS_SLOWLORIS) {
		usleep(st->drip_ms * 1000u);
		if (st->s->stopping)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		buf[0] = ' ';
		return 1;
	}
	/* HS_HUGE: "[" then spaces, never valid JSON, never ending early;
	 * HS_CUT: the same, but the connection drops half-way */
	if (st->mode == HS_CUT && pos >= st->len / 2)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= st->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (st->mode == HS_CUT && max > st->len / 2 - pos)
		max = (size_t)(st->len / 2 - pos);
	if (max > st->len - pos)
		max = (size_t)(st->len - pos);
	memset(buf, ' ', max);
	if (pos == 0 && max > 0)
		buf[0] = '[';
	return (ssize_t)max;
}

static void hs__stream_free(void *cls)
{
	free(cls);
}

static enum MHD_Result hs__arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	char *path = cls;
	size_t n = strlen(path);

	(void)kind;
	snprintf(path + n, 512 - n, "%s%s%s%s", strchr(path, '?') ? "&" : "?", key,
		 value ? "=" : "", value ? value : "");
	return MHD_YES;
}

static enum MHD_Result hs__send(struct MHD_Connection *conn, hs_server *s, const hs_answer *a)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (a->mode == HS_SLOWLORIS || a->mode == HS_HUGE || a->mode == HS_CUT) {
		hs_stream *st = calloc(1, sizeof(*st));

		if (!st)
			return MHD_NO;
		st->s = s;
		st->mode = a->mode;
		st->drip_ms = a->drip_ms ? a->drip_ms : 200;
		st->len = a->huge_len;
		r = MHD_create_response_from_callback(a->mode != HS_SLOWLORIS ? a->huge_len
									     : MHD_SIZE_UNKNOWN,
						      16384, hs__stream_read, st, hs__stream_free);
	} else {
		size_t len = a->body ? (a->body_len ? a->body_len : strlen(a->body)) : 0;

		r = MHD_create_response_from_buffer(len, (void *)(a->body ? a->body : ""),
						    MHD_RESPMEM_MUST_COPY);
	}
	if (!r)
		return MHD_NO;
	for (int i = 0; i < HS_MAX_HEADERS && a->headers[i]; i++) {
		char name[128];
		const char *colon = strchr(a->headers[i], ':'), *v;

		if (!colon || (size_t)(colon - a->headers[i]) >= sizeof(name))
			continue;
		memcpy(name, a->headers[i], (size_t)(colon - a->headers[i]));
		name[colon - a->headers[i]] = '\0';
		for (v = colon + 1; *v == ' '; v++)
			;
		MHD_add_response_header(r, name, v);
	}
	if (a->body && a->mode == HS_BODY && !MHD_get_response_header(r, "Content-Type"))
		MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
	ret = MHD_queue_response(conn, a->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result hs__handle(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static int marker;
	hs_server *s = cls;
	hs_request req;
	hs_answer a;
	const char *h;
	hs_handler fn;
	void *ud;
	unsigned n;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* request bodies are read and dropped */
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	snprintf(req.method, sizeof(req.method), "%s", method);
	snprintf(req.path, sizeof(req.path), "%s", url);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, hs__arg, req.path);
	if ((h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host")) != NULL)
		snprintf(req.host, sizeof(req.host), "%s", h);
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	req.bearer = h && strncasecmp(h, "Bearer ", 7) == 0;

	memset(&a, 0, sizeof(a));
	pthread_mutex_lock(&s->mu);
	if (strstr(url, "/oauth2/v2.0/token") || strstr(url, "/oauth2/token")) {
		s->ntoken++;
		if (s->token_override) {
			a = s->token_answer;
			a.body = s->token_body;
		} else {
			a.status = 200;
			a.body = HS_TOKEN;
		}
		pthread_mutex_unlock(&s->mu);
		return hs__send(conn, s, &a);
	}
	n = s->nlog++;
	if (n < HS_LOG_MAX)
		s->log[n] = req;
	fn = s->handler;
	ud = s->ud;
	pthread_mutex_unlock(&s->mu);
	a.status = 404;
	a.body = "{\"error\":{\"code\":\"NotFound\",\"message\":\"no handler\"}}";
	if (fn)
		fn(&a, ud, &req, n);
	return hs__send(conn, s, &a);
}

hs_server *hs_start(void)
{
	hs_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	char *cert = NULL, *key = NULL;

	if (!s || (s->log = calloc(HS_LOG_MAX, sizeof(*s->log))) == NULL)
		goto fail;
	pthread_mutex_init(&s->mu, NULL);
	snprintf(s->dir, sizeof(s->dir), "/tmp/cmk-hostile-XXXXXX");
	if (!mkdtemp(s->dir)) {
		perror("mkdtemp");
		goto fail;
	}
	if (tls_ensure(&cert, &key, s->ca_path, sizeof(s->ca_path), s->dir) < 0) {
		fprintf(stderr, "hostile server: %s\n", cmk_error_last());
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	s->daemon = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
				     MHD_USE_THREAD_PER_CONNECTION,
				     0, NULL, NULL, hs__handle, s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_HTTPS_MEM_KEY, key,
				     MHD_OPTION_HTTPS_MEM_CERT, cert,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				     MHD_OPTION_END);
	free(cert);
	free(key);
	cert = key = NULL;
	if (!s->daemon) {
		fprintf(stderr, "hostile server: MHD_start_daemon failed\n");
		goto fail;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	snprintf(s->base_url, sizeof(s->base_url), "https://localhost:%u", s->port);
	return s;
fail:
	free(cert);
	free(key);
	hs_stop(s);
	return NULL;
}

void hs_stop(hs_server *s)
{
	char path[600];

	if (!s)
		return;
	s->stopping = 1;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->dir[0] && strchr(s->dir, 'X') == NULL) {
		static const char *const files[] = { "ca.pem", "ca-key.pem", "server.pem",
						     "server-key.pem" };
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", s->dir, files[i]);
			unlink(path);
		}
		rmdir(s->dir);
	}
	free(s->token_body);
	free(s->log);
	free(s);
}

void hs_set_handler(hs_server *s, hs_handler fn, void *ud)
{
	pthread_mutex_lock(&s->mu);
	s->handler = fn;
	s->ud = ud;
	s->nlog = 0;
	pthread_mutex_unlock(&s->mu);
}

void hs_set_token_answer(hs_server *s, const hs_answer *a)
{
	pthread_mutex_lock(&s->mu);
	free(s->token_body);
	s->token_body = NULL;
	s->token_override = a != NULL;
	if (a) {
		s->token_answer = *a;
		if (a->body)
			s->token_body = strndup(a->body, a->body_len ? a->body_len : strlen(a->body));
	}
	pthread_mutex_unlock(&s->mu);
}

unsigned hs_port(const hs_server *s) { return s->port; }
const char *hs_base_url(const hs_server *s) { return s->base_url; }
const char *hs_ca_file(const hs_server *s) { return s->ca_path; }

unsigned hs_request_count(hs_server *s)
{
	unsigned n;

	pthread_mutex_lock(&s->mu);
	n = s->nlog;
	pthread_mutex_unlock(&s->mu);
	return n;
}

unsigned hs_requests_matching(hs_server *s, const char *needle)
{
	unsigned n = 0;

	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->nlog && i < HS_LOG_MAX; i++)
		if (strstr(s->log[i].path, needle))
			n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

unsigned hs_token_requests(hs_server *s)
{
	unsigned n;

	pthread_mutex_lock(&s->mu);
	n = s->ntoken;
	pthread_mutex_unlock(&s->mu);
	return n;
}

bool hs_request_get(hs_server *s, unsigned i, hs_request *out)
{
	bool ok;

	pthread_mutex_lock(&s->mu);
	ok = i < s->nlog && i < HS_LOG_MAX;
	if (ok)
		*out = s->log[i];
	pthread_mutex_unlock(&s->mu);
	return ok;
}

arm_cloud *hs_cloud(hs_server *s)
{
	arm_cloud_settings set = { 0 };
	arm_cloud *cloud = NULL;

	setenv("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47", 1);
	setenv("AZURE_CLIENT_ID", "c3c3c3c3-0000-4000-8000-00000000c0de", 1);
	setenv("AZURE_CLIENT_SECRET", "hostile-test-secret", 1);
	set.name = "custom";
	set.arm_endpoint = hs_base_url(s);
	set.arm_audience = "https://management.azure.com/";
	set.authority_host = hs_base_url(s);
	set.keyvault_suffix = "vault.localhost"; /* the certificate covers *.vault.localhost */
	if (arm_cloud_resolve(&cloud, &set) < 0) {
		fprintf(stderr, "cloud: %s\n", cmk_error_last());
		return NULL;
	}
	return cloud;
}
