/*
 * server.c - libmicrohttpd glue: TLS listener with a thread pool, request
 * body accumulation, the common response headers (x-ms-request-id,
 * x-ms-correlation-request-id, client request id echo), fault-injected
 * delays and connection resets.
 */
#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "http.h"
#include "reqlog.h"
#include "router.h"
#include "util.h"

#define MAX_BODY ((size_t)8 * 1024 * 1024)

static struct MHD_Daemon *g_daemon;
static _Atomic int g_port; /* set once listening; read by workers */
static _Atomic uint64_t g_reqid_counter;

typedef struct conn_ctx {
	cmk_buf body;
	bool too_large;
} conn_ctx;

int server_port(void)
{
	return g_port;
}

const char *req_header(const sim_req *req, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
					   MHD_HEADER_KIND, name);
}

const char *req_query(const sim_req *req, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
					   MHD_GET_ARGUMENT_KIND, name);
}

const char *req_base_url(const sim_req *req)
{
	static _Thread_local char buf[128];
	snprintf(buf, sizeof buf, "https://localhost:%d", req->port);
	return buf;
}

static void server__guid(char out[37])
{
	/* request ids must not consume the seeded stream (keeps faults and
	 * resource ids deterministic under concurrency) */
	uint64_t z = atomic_fetch_add(&g_reqid_counter, 1) + (uint64_t)time(NULL) * 1000003u;
	uint64_t a = z * 0x9e3779b97f4a7c15ull, b;
	a ^= a >> 31;
	b = (a + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull;
	b ^= b >> 29;
	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
		 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffull));
}

typedef struct query_acc {
	cmk_buf *b;
	bool first;
} query_acc;

static enum MHD_Result server__collect_query(void *cls, enum MHD_ValueKind kind,
					     const char *key, const char *value)
{
	query_acc *q = cls;
	static const char hex[] = "0123456789ABCDEF";
	(void)kind;
	if (cmk_buf_puts(q->b, q->first ? "?" : "&") < 0)
		return MHD_NO;
	q->first = false;
	for (int part = 0; part < 2; part++) {
		const char *s = part ? value : key;
		if (part) {
			if (!value)
				break;
			if (cmk_buf_puts(q->b, "=") < 0)
				return MHD_NO;
		}
		for (; *s; s++) {
			unsigned char c = (unsigned char)*s;
			char enc[4];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("-._~$", c)) {
				enc[0] = (char)c;
				enc[1] = 0;
			} else {
				enc[0] = '%';
				enc[1] = hex[c >> 4];
				enc[2] = hex[c & 15];
				enc[3] = 0;
			}
			if (cmk_buf_puts(q->b, enc) < 0)
				return MHD_NO;
		}
	}
	return MHD_YES;
}

static bool server__is_loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return false;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
	}
	return false;
}

static enum MHD_Result server__handle(void *cls, struct MHD_Connection *c,
				      const char *url, const char *method,
				      const char *version, const char *upload,
				      size_t *upload_size, void **con_cls)
{
	conn_ctx *ctx = *con_cls;
	(void)cls;
	(void)version;
	if (!ctx) {
		ctx = calloc(1, sizeof *ctx);
		if (!ctx)
			return MHD_NO;
		cmk_buf_init(&ctx->body, MAX_BODY);
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!ctx->too_large && cmk_buf_put(&ctx->body, upload, *upload_size) < 0)
			ctx->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}

	/* the whole request is here */
	sim_req req;
	sim_resp resp;
	char host[256] = "", raw_url[8192];
	cmk_buf qb = CMK_BUF_INIT;
	query_acc qa = { &qb, true };
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (h) {
		sim_lower(host, sizeof host, h);
		char *colon = strrchr(host, ':');
		if (colon && !strchr(colon, ']'))
			*colon = '\0';
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, server__collect_query, &qa);
	snprintf(raw_url, sizeof raw_url, "%s%s", url, cmk_buf_cstr(&qb));
	cmk_buf_free(&qb);

	req.method = method;
	req.path = url;
	req.raw_url = raw_url;
	req.host = host;
	req.port = g_port;
	req.api_version = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "api-version");
	req.body = cmk_buf_cstr(&ctx->body);
	req.body_len = ctx->body.len;
	req.conn = c;
	req.loopback = server__is_loopback(c);
	if (req.body_len) {
		req.json = cJSON_ParseWithLength(req.body, req.body_len);
		req.json_invalid = req.json == NULL;
	}

	char reqid[37], corr[64];
	server__guid(reqid);
	const char *cr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-ms-correlation-request-id");
	if (cr && *cr)
		snprintf(corr, sizeof corr, "%s", cr);
	else
		snprintf(corr, sizeof corr, "%s", reqid);

	req.correlation_id = corr;
	if (ctx->too_large)
		resp_arm_error(&resp, 413, "RequestEntityTooLarge",
			       "The request content size exceeds the maximum allowed size of 8 MB.");
	else
		router_dispatch(&req, &resp);
	if (!resp.status)
		resp_arm_error(&resp, 500, "InternalServerError", "armsim: handler set no response");

	resp_header(&resp, "x-ms-request-id", "%s", reqid);
	resp_header(&resp, "x-ms-correlation-request-id", "%s", corr);
	const char *cid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-ms-client-request-id");
	if (cid && *cid)
		resp_header(&resp, "x-ms-client-request-id", "%s", cid);
	if (!resp_header_get(&resp, "Cache-Control"))
		resp_header(&resp, "Cache-Control", "no-cache");
	/* as ARM's front door answers */
	resp_header(&resp, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
	resp_header(&resp, "X-Content-Type-Options", "nosniff");
	{
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
		resp_header(&resp, "x-ms-routing-request-id", "LOCALHOST:%s:%s", stamp, reqid);
	}

	reqlog_record(&req, &resp);

	enum MHD_Result ret = MHD_NO;
	if (resp.slow_ms)
		usleep(resp.slow_ms * 1000u);
	if (!resp.drop_connection) {
		char *text = NULL;
		size_t len = 0;
		const char *ctype = NULL;
		if (resp.json) {
			text = cJSON_PrintUnformatted(resp.json);
			len = text ? strlen(text) : 0;
			ctype = "application/json; charset=utf-8";
		} else if (resp.raw) {
			text = resp.raw;
			resp.raw = NULL;
			len = resp.raw_len;
			ctype = resp.content_type;
		}
		struct MHD_Response *r = MHD_create_response_from_buffer(
			len, text ? text : (char *)"", text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (r) {
			if (ctype)
				MHD_add_response_header(r, "Content-Type", ctype);
			for (int i = 0; i < resp.nhdr; i++)
				MHD_add_response_header(r, resp.hdr[i].name, resp.hdr[i].value);
			ret = MHD_queue_response(c, (unsigned)resp.status, r);
			MHD_destroy_response(r);
		} else {
			free(text);
		}
	}
	if (req.json)
		cJSON_Delete(req.json);
	resp_reset(&resp);
	return ret;
}

static void server__completed(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	conn_ctx *ctx = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (ctx) {
		cmk_buf_free(&ctx->body);
		free(ctx);
		*con_cls = NULL;
	}
}

static void server__log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("armsim: mhd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int server_start(int *port_out, const char *host, int port, unsigned threads,
		 const char *cert_pem, const char *key_pem)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return cmk_error_set(CMK_EINVALID, "--listen: '%s' is not an IPv4 address", host);
	if (threads < 1)
		threads = 1;
	g_daemon = MHD_start_daemon(
		MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG,
		(uint16_t)port, NULL, NULL, server__handle, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, server__log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_HTTPS_MEM_KEY, key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
		MHD_OPTION_NOTIFY_COMPLETED, server__completed, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
		MHD_OPTION_END);
	if (!g_daemon)
		return cmk_error_set(CMK_ERROR, "cannot listen on %s:%d (port in use, or TLS setup failed)",
				     host, port);
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
	g_port = di ? di->port : port;
	*port_out = g_port;
	return 0;
}

void server_stop(void)
{
	if (g_daemon)
		MHD_stop_daemon(g_daemon);
	g_daemon = NULL;
}
