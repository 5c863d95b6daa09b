/*
 * harness.c - spawn armsim for a test, wait for its ready line, and talk
 * to it over real HTTPS with libcurl (see harness.h).
 */
#include "harness.h"

#include <curl/curl.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

#ifndef ARMSIM_BINARY
#error "ARMSIM_BINARY must name the built armsim executable"
#endif

typedef struct harness_priv {
	pthread_mutex_t lock;
	CURL *curl;
} harness_priv;

static void harness__sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void harness__rmdir(const char *dir)
{
	static const char *const files[] = { "ready", "armsim.log", "ca.pem", "server.pem", "server-key.pem" };
	char p[512];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void harness__copy(char *dst, size_t len, const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int armsim_start(armsim **out, const armsim_opts *opts)
{
	armsim_opts o = opts ? *opts : (armsim_opts){ 0 };
	armsim *inst = calloc(1, sizeof *inst);
	char ready[300], logp[300], num[4][64];
	int error = 0;
	if (!inst)
		return cmk_error_oom();
	snprintf(inst->dir, sizeof inst->dir, "/tmp/armsim-test-XXXXXX");
	if (!mkdtemp(inst->dir)) {
		free(inst);
		return cmk_error_set(CMK_ERROR, "cannot make a temporary directory: %s", strerror(errno));
	}
	snprintf(ready, sizeof ready, "%s/ready", inst->dir);
	snprintf(logp, sizeof logp, "%s/armsim.log", inst->dir);
	snprintf(num[0], sizeof num[0], "%g", o.time_scale > 0 ? o.time_scale : 1.0);
	snprintf(num[1], sizeof num[1], "%d", o.token_lifetime > 0 ? o.token_lifetime : 3599);
	snprintf(num[2], sizeof num[2], "%lu", o.seed ? o.seed : 1ul);

	const char *argv[64];
	int argc = 0;
	argv[argc++] = ARMSIM_BINARY;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--state-dir";
	argv[argc++] = inst->dir;
	argv[argc++] = "--ready-file";
	argv[argc++] = ready;
	argv[argc++] = "--time-scale";
	argv[argc++] = num[0];
	argv[argc++] = "--token-lifetime";
	argv[argc++] = num[1];
	argv[argc++] = "--seed";
	argv[argc++] = num[2];
	argv[argc++] = "--threads";
	argv[argc++] = "2";
	/* ARMSIM_SCALE_RETRY_AFTER=1 turns scaling on for any suite (to measure
	 * what a client that honours Retry-After as given would see) */
	const char *sra = getenv("ARMSIM_SCALE_RETRY_AFTER");
	if (!o.scale_retry_after && !(sra && !strcmp(sra, "1")))
		argv[argc++] = "--retry-after-real";
	if (o.fixture) {
		argv[argc++] = "--fixture";
		argv[argc++] = o.fixture;
	}
	for (int i = 0; o.extra_args && o.extra_args[i] && argc < 62; i++)
		argv[argc++] = o.extra_args[i];
	argv[argc] = NULL;

	pid_t pid = fork();
	if (pid < 0) {
		error = cmk_error_set(CMK_ERROR, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* a test that dies without armsim_stop must not leave armsim behind */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(ARMSIM_BINARY, (char *const *)argv);
		_exit(127);
	}
	inst->pid = pid;
	double timeout = o.ready_timeout_s > 0 ? o.ready_timeout_s : 20;
	for (long waited = 0; access(ready, R_OK) != 0; waited += 20) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			inst->pid = 0;
			cmk_buf log = CMK_BUF_INIT;
			if (cmk_buf_read_file(&log, logp) < 0)
				cmk_error_clear();
			error = cmk_error_set(CMK_ERROR, "armsim exited before it was ready: %s", cmk_buf_cstr(&log));
			cmk_buf_free(&log);
			goto fail;
		}
		if (waited > timeout * 1000) {
			error = cmk_error_set(CMK_ETIMEOUT, "armsim did not become ready within %g s (log: %s)",
					      timeout, logp);
			goto fail;
		}
		harness__sleep_ms(20);
	}
	cmk_buf b = CMK_BUF_INIT;
	if ((error = cmk_buf_read_file(&b, ready)) < 0) {
		cmk_buf_free(&b);
		goto fail;
	}
	inst->ready = cJSON_Parse(cmk_buf_cstr(&b));
	cmk_buf_free(&b);
	if (!inst->ready) {
		error = cmk_error_set(CMK_ERROR, "armsim's ready line is not JSON (%s)", ready);
		goto fail;
	}
	harness__copy(inst->base_url, sizeof inst->base_url, inst->ready, "base_url");
	harness__copy(inst->ca_file, sizeof inst->ca_file, inst->ready, "ca_file");
	harness__copy(inst->tenant_id, sizeof inst->tenant_id, inst->ready, "tenant_id");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(inst->ready, "env");
	harness__copy(inst->client_id, sizeof inst->client_id, env, "AZURE_CLIENT_ID");
	harness__copy(inst->client_secret, sizeof inst->client_secret, env, "AZURE_CLIENT_SECRET");
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(inst->ready, "port");
	inst->port = cJSON_IsNumber(port) ? port->valueint : 0;
	*out = inst;
	return 0;
fail:
	armsim_stop(inst);
	return error;
}

int armsim_stop(armsim *inst)
{
	int error = 0;
	if (!inst)
		return 0;
	if (inst->pid > 0) {
		int st = 0;
		pid_t got = 0;
		kill(inst->pid, SIGTERM);
		for (int i = 0; i < 1000 && (got = waitpid(inst->pid, &st, WNOHANG)) == 0; i++)
			harness__sleep_ms(10);
		if (got == 0) {
			kill(inst->pid, SIGKILL);
			waitpid(inst->pid, &st, 0);
			error = cmk_error_set(CMK_ERROR, "armsim did not stop within 10 s of SIGTERM");
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			char kept[400];
			snprintf(kept, sizeof kept, "/tmp/armsim-failed-%d.log", (int)inst->pid);
			char logp[300];
			snprintf(logp, sizeof logp, "%s/armsim.log", inst->dir);
			if (rename(logp, kept) != 0)
				snprintf(kept, sizeof kept, "%s", logp);
			error = cmk_error_set(CMK_ERROR, "armsim exited with %s %d (sanitizer report or crash); log: %s",
					      WIFEXITED(st) ? "status" : "signal",
					      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), kept);
			fprintf(stderr, "harness: %s\n", cmk_error_last());
		}
	}
	harness__rmdir(inst->dir);
	cJSON_Delete(inst->ready);
	free(inst->arm_token);
	harness_priv *hp = inst->priv_;
	if (hp) {
		curl_easy_cleanup(hp->curl);
		pthread_mutex_destroy(&hp->lock);
		free(hp);
	}
	free(inst);
	return error;
}

void armsim_setenv(const armsim *inst)
{
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(inst->ready, "env"), *v;
	cJSON_ArrayForEach(v, env)
		if (cJSON_IsString(v))
			setenv(v->string, v->valuestring, 1);
}

static size_t harness__write(char *data, size_t size, size_t n, void *userdata)
{
	cmk_buf *b = userdata;
	return cmk_buf_put(b, data, size * n) < 0 ? 0 : size * n;
}

static size_t harness__header(char *data, size_t size, size_t n, void *userdata)
{
	cmk_buf *b = userdata;
	/* a new status line starts a new header block (redirects, 100-continue) */
	if (size * n >= 5 && !strncmp(data, "HTTP/", 5))
		cmk_buf_clear(b);
	return cmk_buf_put(b, data, size * n) < 0 ? 0 : size * n;
}

int armsim_http(armsim_http_resp *out, armsim *inst, const char *method, const char *url,
		const char *bearer, const char *body, const char *const *extra_headers)
{
	char full[8192], auth[8192];
	cmk_buf rb = CMK_BUF_INIT, hb = CMK_BUF_INIT;
	struct curl_slist *hdrs = NULL;
	int error = 0;
	memset(out, 0, sizeof *out);
	if (url[0] == '/')
		snprintf(full, sizeof full, "%s%s", inst->base_url, url);
	else
		snprintf(full, sizeof full, "%s", url);
	harness_priv *hp = inst->priv_;
	if (!hp) {
		hp = calloc(1, sizeof *hp);
		if (!hp)
			return cmk_error_oom();
		pthread_mutex_init(&hp->lock, NULL);
		inst->priv_ = hp;
	}
	pthread_mutex_lock(&hp->lock);
	if (!hp->curl)
		hp->curl = curl_easy_init();
	CURL *c = hp->curl;
	if (!c) {
		pthread_mutex_unlock(&hp->lock);
		return cmk_error_oom();
	}
	/* the same handle keeps its connection cache: keep-alive across calls */
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_CAINFO, inst->ca_file);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness__write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &rb);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, harness__header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (bearer) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, auth);
	}
	bool has_ctype = false;
	for (int i = 0; extra_headers && extra_headers[i]; i++) {
		hdrs = curl_slist_append(hdrs, extra_headers[i]);
		if (!strncasecmp(extra_headers[i], "Content-Type:", 13))
			has_ctype = true;
	}
	if (body) {
		if (!has_ctype)
			hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		error = cmk_error_set(CMK_ERROR, "%s %s: %s", method, full, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->body = cmk_buf_detach(&rb);
	if (!out->body)
		out->body = strdup("");
	out->headers = cmk_buf_detach(&hb);
	if (!out->headers)
		out->headers = strdup("");
	out->json = out->body[0] ? cJSON_Parse(out->body) : NULL;
out:
	curl_slist_free_all(hdrs);
	if (error < 0) {
		/* a reset connection: start the next call from a fresh handle */
		curl_easy_cleanup(c);
		hp->curl = NULL;
	}
	pthread_mutex_unlock(&hp->lock);
	cmk_buf_free(&rb);
	cmk_buf_free(&hb);
	return error;
}

bool armsim_http_header(const armsim_http_resp *r, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(out, outlen, "%.*s", (int)(len - (size_t)(v - p)), v);
			return true;
		}
		p = eol ? eol + 2 : NULL;
	}
	return false;
}

void armsim_http_free(armsim_http_resp *r)
{
	free(r->body);
	free(r->headers);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof *r);
}

int armsim_admin(armsim *inst, const char *method, const char *path, const char *json_body,
		 cJSON **response_json)
{
	armsim_http_resp r;
	int error = armsim_http(&r, inst, method, path, NULL, json_body, NULL);
	if (response_json)
		*response_json = NULL;
	if (error < 0)
		return error;
	int status = (int)r.status;
	if (response_json) {
		*response_json = r.json;
		r.json = NULL;
	}
	armsim_http_free(&r);
	return status;
}

static void harness__urlenc(cmk_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[4] = { (char)c, 0, 0, 0 };
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))) {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
		}
		if (cmk_buf_puts(b, e) < 0)
			return;
	}
}

int armsim_token(char **out, armsim *inst, const char *client_id, const char *client_secret,
		 const char *scope)
{
	cmk_buf form = CMK_BUF_INIT;
	char url[512];
	armsim_http_resp r;
	int error;
	*out = NULL;
	if (cmk_buf_puts(&form, "grant_type=client_credentials&client_id=") < 0)
		return cmk_error_oom();
	harness__urlenc(&form, client_id);
	if (cmk_buf_puts(&form, "&client_secret=") < 0)
		return cmk_error_oom();
	harness__urlenc(&form, client_secret);
	if (cmk_buf_puts(&form, "&scope=") < 0)
		return cmk_error_oom();
	harness__urlenc(&form, scope);
	snprintf(url, sizeof url, "/%s/oauth2/v2.0/token", inst->tenant_id);
	static const char *const h[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	error = armsim_http(&r, inst, "POST", url, NULL, cmk_buf_cstr(&form), h);
	cmk_buf_free(&form);
	if (error < 0)
		return error;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r.json, "access_token");
	if (r.status != 200 || !cJSON_IsString(t))
		error = cmk_error_set(CMK_EAUTH, "token request for %s failed: HTTP %ld %s", client_id, r.status, r.body);
	else
		*out = strdup(t->valuestring);
	armsim_http_free(&r);
	return error;
}

int armsim_arm(armsim_http_resp *out, armsim *inst, const char *method, const char *path_and_query,
	       const char *body)
{
	int error;
	if (!inst->arm_token &&
	    (error = armsim_token(&inst->arm_token, inst, inst->client_id, inst->client_secret,
				  "https://management.azure.com/.default")) < 0)
		return error;
	return armsim_http(out, inst, method, path_and_query, inst->arm_token, body, NULL);
}

int armsim_advance(armsim *inst, double seconds)
{
	char body[64];
	snprintf(body, sizeof body, "{\"seconds\":%.3f}", seconds);
	int st = armsim_admin(inst, "POST", "/_sim/clock/advance", body, NULL);
	if (st < 0)
		return st;
	return st == 200 ? 0 : cmk_error_set(CMK_ERROR, "clock advance answered HTTP %d", st);
}
