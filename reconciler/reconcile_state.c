/*
 * reconcile_state.c - scope lock, metrics, status file and the loopback
 * metrics endpoint of the reconcile loop (see reconcile_state.h).
 */
#include "reconciler/reconcile_state.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/time.h"

/* ---- lock */

struct reconcile_lock {
	int fd;
	char path[PATH_MAX];
};

static int reconcile__mkdirs(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return cmk_error_set(CMK_EINVALID, "state directory '%s': bad path", dir);
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return cmk_error_set(CMK_ERROR, "cannot create %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return cmk_error_set(CMK_ERROR, "cannot create %s: %s", tmp, strerror(errno));
	return 0;
}

int reconcile_lock_acquire(reconcile_lock **out, const char *dir, const char *scope)
{
	reconcile_lock *l;
	char pid[32], holder[32] = "";
	ssize_t got;
	int error;

	*out = NULL;
	if ((error = reconcile__mkdirs(dir)) < 0)
		return error;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return cmk_error_oom();
	snprintf(l->path, sizeof(l->path), "%s/reconcile-%s.lock", dir, scope);
	if ((l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		error = cmk_error_set(CMK_ERROR, "cannot open lock %s: %s", l->path, strerror(errno));
		free(l);
		return error;
	}
	if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if ((got = pread(l->fd, holder, sizeof(holder) - 1, 0)) > 0)
			holder[got] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		error = e == EWOULDBLOCK
				? cmk_error_set(CMK_ECONFLICT, "another reconcile (pid %s) holds the lock of scope "
						"'%s' (%s): two instances never reconcile the same scope",
						*holder ? holder : "?", scope, l->path)
				: cmk_error_set(CMK_ERROR, "cannot lock %s: %s", l->path, strerror(e));
		close(l->fd);
		free(l);
		return error;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, pid, strlen(pid), 0) < 0) {
		/* the pid is only for the loser's message: not fatal */
	}
	*out = l;
	return 0;
}

const char *reconcile_lock_path(const reconcile_lock *l)
{
	return l->path;
}

void reconcile_lock_release(reconcile_lock *l)
{
	if (!l)
		return;
	/* the file stays: removing it would race with a process that opened
	 * it and is about to lock the removed inode */
	if (ftruncate(l->fd, 0) < 0) {
		/* cosmetic */
	}
	close(l->fd);
	free(l);
}

/* ---- metrics and status */

static const char *const reconcile__step_results[RECONCILE_STEP_RESULTS] = {
	"succeeded", "failed", "skipped", "not_started", "running",
};

const char *reconcile_step_result_name(int i)
{
	return i >= 0 && i < RECONCILE_STEP_RESULTS ? reconcile__step_results[i] : "?";
}

/* A label value escaped per the text format: \\, \" and \n. */
static int reconcile__label(cmk_buf *out, const char *v)
{
	int error = 0;

	for (; *v && error == 0; v++) {
		if (*v == '\\' || *v == '"')
			error = cmk_buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			error = cmk_buf_puts(out, "\\n");
		else
			error = cmk_buf_put(out, v, 1);
	}
	return error;
}

int reconcile_metrics_render(cmk_buf *out, const reconcile_stats *s)
{
	int error = 0;

#define M(...) do { if (error == 0) error = cmk_buf_printf(out, __VA_ARGS__); } while (0)
	M("# HELP cmkctl_reconcile_iterations_total Reconcile iterations by result.\n"
	  "# TYPE cmkctl_reconcile_iterations_total counter\n"
	  "cmkctl_reconcile_iterations_total{result=\"succeeded\"} %ld\n"
	  "cmkctl_reconcile_iterations_total{result=\"failed\"} %ld\n",
	  s->iterations_ok, s->iterations_failed);
	M("# HELP cmkctl_reconcile_duration_seconds Duration of the last reconcile iteration.\n"
	  "# TYPE cmkctl_reconcile_duration_seconds gauge\n"
	  "cmkctl_reconcile_duration_seconds %.3f\n", s->last_duration_s);
	M("# HELP cmkctl_steps_total Plan steps run by the loop, by result.\n"
	  "# TYPE cmkctl_steps_total counter\n");
	for (int i = 0; i < RECONCILE_STEP_RESULTS; i++)
		M("cmkctl_steps_total{result=\"%s\"} %lu\n", reconcile__step_results[i], s->steps[i]);
	M("# HELP cmkctl_drift_resources Resources that differed from the manifests at the last iteration.\n"
	  "# TYPE cmkctl_drift_resources gauge\n"
	  "cmkctl_drift_resources %ld\n", s->drift_resources < 0 ? 0 : s->drift_resources);
	M("# HELP cmkctl_planned_steps Steps the last iteration's plan held.\n"
	  "# TYPE cmkctl_planned_steps gauge\n"
	  "cmkctl_planned_steps %ld\n", s->planned_steps);
	M("# HELP cmkctl_arm_requests_total HTTP requests sent to Azure (retries included).\n"
	  "# TYPE cmkctl_arm_requests_total counter\n"
	  "cmkctl_arm_requests_total %lu\n", s->arm_requests);
	M("# HELP cmkctl_arm_throttled_total Requests Azure answered with 429.\n"
	  "# TYPE cmkctl_arm_throttled_total counter\n"
	  "cmkctl_arm_throttled_total %lu\n", s->arm_throttled);
	M("# HELP cmkctl_arm_retries_total Requests that were retries.\n"
	  "# TYPE cmkctl_arm_retries_total counter\n"
	  "cmkctl_arm_retries_total %lu\n", s->arm_retries);
	M("# HELP cmkctl_last_success_timestamp_seconds When an iteration last succeeded (0: never).\n"
	  "# TYPE cmkctl_last_success_timestamp_seconds gauge\n"
	  "cmkctl_last_success_timestamp_seconds %lld\n", (long long)s->last_success);
	M("# HELP cmkctl_last_run_timestamp_seconds When the last iteration ended (0: never).\n"
	  "# TYPE cmkctl_last_run_timestamp_seconds gauge\n"
	  "cmkctl_last_run_timestamp_seconds %lld\n", (long long)s->last_run);
	M("# HELP cmkctl_source_info The manifest source and scope of this loop.\n"
	  "# TYPE cmkctl_source_info gauge\n"
	  "cmkctl_source_info{commit=\"");
	if (error == 0)
		error = reconcile__label(out, s->commit);
	M("\",scope=\"");
	if (error == 0)
		error = reconcile__label(out, s->scope ? s->scope : "");
	M("\",mode=\"%s\"} 1\n", s->mode ? s->mode : "");
#undef M
	return error;
}

static cJSON *reconcile__time(time_t t)
{
	char buf[40];

	if (!t)
		return cJSON_CreateNull();
	if (cmk_time_format(buf, sizeof(buf), t) < 0)
		return cJSON_CreateNull();
	return cJSON_CreateString(buf);
}

int reconcile_status_json(cJSON **out, const reconcile_stats *s)
{
	cJSON *o = cJSON_CreateObject(), *last = NULL, *steps = NULL;

	*out = NULL;
	if (!o)
		return cmk_error_oom();
	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "scope", s->scope ? s->scope : "");
	cJSON_AddStringToObject(o, "mode", s->mode ? s->mode : "");
	cJSON_AddStringToObject(o, "state", s->state);
	cJSON_AddNumberToObject(o, "iteration", (double)s->iteration);
	cJSON_AddItemToObject(o, "nextRun", reconcile__time(s->next_run));
	cJSON_AddItemToObject(o, "lastSuccess", reconcile__time(s->last_success));
	cJSON_AddNumberToObject(o, "iterationsSucceeded", (double)s->iterations_ok);
	cJSON_AddNumberToObject(o, "iterationsFailed", (double)s->iterations_failed);
	if (s->metrics_listen[0])
		cJSON_AddStringToObject(o, "metricsListen", s->metrics_listen);
	if (s->last_run) {
		if ((last = cJSON_AddObjectToObject(o, "lastRun")) == NULL ||
		    (steps = cJSON_CreateObject()) == NULL)
			goto oom;
		cJSON_AddItemToObject(last, "time", reconcile__time(s->last_run));
		cJSON_AddStringToObject(last, "result", s->last_result);
		cJSON_AddNumberToObject(last, "durationSeconds", s->last_duration_s);
		if (s->last_error[0])
			cJSON_AddStringToObject(last, "error", s->last_error);
		else
			cJSON_AddNullToObject(last, "error");
		if (s->last_source)
			cJSON_AddItemToObject(last, "source", cJSON_Duplicate(s->last_source, true));
		cJSON_AddNumberToObject(last, "plannedSteps", (double)s->planned_steps);
		cJSON_AddNumberToObject(last, "driftResources", (double)(s->drift_resources < 0 ? 0 : s->drift_resources));
		cJSON_AddItemToObject(o, "stepsTotal", steps);
		for (int i = 0; i < RECONCILE_STEP_RESULTS; i++)
			cJSON_AddNumberToObject(steps, reconcile__step_results[i], (double)s->steps[i]);
	} else {
		cJSON_AddNullToObject(o, "lastRun");
	}
	*out = o;
	return 0;
oom:
	cJSON_Delete(o);
	return cmk_error_oom();
}

int reconcile_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd, error = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return cmk_error_set(CMK_EINVALID, "%s: path too long", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return cmk_error_set(CMK_ERROR, "cannot write %s: %s", tmp, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	/* fchmod: an existing temporary file keeps its mode through O_CREAT */
	if (error == 0 && (fchmod(fd, 0600) < 0 || fsync(fd) < 0))
		error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", tmp, strerror(errno));
	if (close(fd) < 0 && error == 0)
		error = cmk_error_set(CMK_ERROR, "cannot write %s: %s", tmp, strerror(errno));
	if (error == 0 && rename(tmp, path) < 0)
		error = cmk_error_set(CMK_ERROR, "cannot replace %s: %s", path, strerror(errno));
	if (error)
		unlink(tmp);
	return error;
}

/* ---- metrics endpoint */

struct reconcile_http {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *text;
	char address[80];
};

static enum MHD_Result reconcile__serve(void *cls, struct MHD_Connection *c, const char *url,
					const char *method, const char *version, const char *upload_data,
					size_t *upload_size, void **req_cls)
{
	reconcile_http *h = cls;
	struct MHD_Response *resp;
	const char *ctype = "text/plain; version=0.0.4; charset=utf-8";
	char *body;
	unsigned status = MHD_HTTP_OK;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		body = strdup("method not allowed\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") == 0) {
		pthread_mutex_lock(&h->lock);
		body = strdup(h->text ? h->text : "");
		pthread_mutex_unlock(&h->lock);
	} else if (strcmp(url, "/healthz") == 0) {
		body = strdup("ok\n");
	} else {
		body = strdup("not found: try /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
	}
	if (!body)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int reconcile_http_start(reconcile_http **out, const char *listen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	const union MHD_DaemonInfo *info;
	reconcile_http *h = NULL;
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	unsigned long port;
	bool v6 = false;
	size_t hl;

	*out = NULL;
	if (!colon || colon == listen)
		goto usage;
	hl = (size_t)(colon - listen);
	if (hl >= sizeof(host))
		goto usage;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		goto usage;
	memset(&ss, 0, sizeof(ss));
	if (strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0) {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in4->sin_port = htons((uint16_t)port);
	} else if (strcmp(host, "[::1]") == 0) {
		v6 = true;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET, host, &in4->sin_addr) == 1 && (ntohl(in4->sin_addr.s_addr) >> 24) == 127) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	} else {
		return cmk_error_set(CMK_EUSAGE, "--metrics-listen %s: only a loopback address (127.0.0.1, [::1], "
				     "localhost) is served; the metrics name resources and have no authentication. "
				     "Use --metrics-file for a collector elsewhere", listen);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return cmk_error_oom();
	pthread_mutex_init(&h->lock, NULL);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | (v6 ? MHD_USE_IPv6 : 0), (uint16_t)port, NULL,
				NULL, reconcile__serve, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)10, MHD_OPTION_END);
	if (!h->d) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		return cmk_error_set(CMK_ERROR, "--metrics-listen %s: cannot listen (address in use?)", listen);
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(h->address, sizeof(h->address), "%s:%u", v6 ? "[::1]" : (strcmp(host, "localhost") == 0 ? "127.0.0.1" : host),
		 info ? (unsigned)info->port : (unsigned)port);
	*out = h;
	return 0;
usage:
	return cmk_error_set(CMK_EUSAGE, "--metrics-listen: expected HOST:PORT (e.g. 127.0.0.1:9464), got '%s'",
			     listen);
}

const char *reconcile_http_address(const reconcile_http *h)
{
	return h->address;
}

int reconcile_http_publish(reconcile_http *h, const char *text)
{
	char *copy = strdup(text);

	if (!copy)
		return cmk_error_oom();
	pthread_mutex_lock(&h->lock);
	free(h->text);
	h->text = copy;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void reconcile_http_stop(reconcile_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	pthread_mutex_destroy(&h->lock);
	free(h->text);
	free(h);
}

/* ---- durations */

int reconcile_parse_duration(double *out_s, const char *text)
{
	const char *p = text;
	double total = 0;

	if (!*p)
		goto bad;
	while (*p) {
		char *end;
		double v = strtod(p, &end);

		if (end == p || v < 0)
			goto bad;
		p = end;
		if (strncmp(p, "ms", 2) == 0) {
			total += v / 1000.0;
			p += 2;
		} else if (*p == 'h') {
			total += v * 3600;
			p++;
		} else if (*p == 'm') {
			total += v * 60;
			p++;
		} else if (*p == 's' || *p == '\0') {
			total += v;
			if (*p)
				p++;
		} else {
			goto bad;
		}
	}
	if (total <= 0)
		goto bad;
	*out_s = total;
	return 0;
bad:
	return cmk_error_set(CMK_EUSAGE, "expected a duration such as 30s, 10m, 1h30m or 500ms, got '%s'", text);
}
