/*
 * source_git_net.c - libgit2's process-wide set-up, and a socket stream that
 * honours a deadline.
 *
 * libgit2 1.5 has no server timeout option: a blackholed host hangs in
 * connect() for minutes and a silent server hangs in recv() for ever. We
 * register our own GIT_STREAM_STANDARD stream: non-blocking connect and
 * poll()-bounded reads and writes against the calling thread's deadline.
 * libgit2's https (TLS over this stream), http and git:// transports use it
 * for all I/O; its ssh transport uses it to connect, then hands the file
 * descriptor to libssh2, which does its own blocking I/O without a bound.
 * For that case a watchdog thread shuts down (shutdown(2), not close) every
 * connected socket whose deadline passed, so a blocked libssh2 call returns.
 */
#include "sources/source_git_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <git2/sys/stream.h>

#include "common/log.h"
#include "common/time.h"

/*
 * The layout must start like libgit2's private git_socket_stream
 * {parent, host, port, s}: its ssh transport reads the descriptor through
 * that struct. Keep the first four members in this order.
 */
struct source__watch;

typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int s;
	struct source__watch *watch; /* registered with the watchdog, or NULL */
} source__stream;

/* ----- the watchdog: one thread for the process, started on first use */

struct source__watch {
	int fd;
	int64_t deadline_ms;
	int fired;
	struct source__watch *next;
};

static pthread_mutex_t source__wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t source__wd_cond;
static struct source__watch *source__wd_list;
static int source__wd_started;

static void *source__wd_main(void *arg)
{
	pthread_mutex_lock(&source__wd_lock);
	for (;;) {
		int64_t now = cmk_time_mono_ms(), next = 0;

		for (struct source__watch *w = source__wd_list; w; w = w->next) {
			if (w->fired)
				continue;
			if (w->deadline_ms <= now) {
				/* the owner still holds the fd open: this cannot hit a reused fd */
				shutdown(w->fd, SHUT_RDWR);
				w->fired = 1;
			} else if (!next || w->deadline_ms < next) {
				next = w->deadline_ms;
			}
		}
		if (!next) {
			pthread_cond_wait(&source__wd_cond, &source__wd_lock);
		} else {
			struct timespec ts = { (time_t)(next / 1000), (long)(next % 1000) * 1000000 };
			pthread_cond_timedwait(&source__wd_cond, &source__wd_lock, &ts);
		}
	}
	return NULL;
}

/* Watch a connected socket until the calling thread's deadline. Failing to
 * start the watchdog only loses the bound for ssh; reads here poll anyway. */
static void source__wd_add(source__stream *st, int64_t deadline_ms)
{
	struct source__watch *w = calloc(1, sizeof(*w));
	pthread_t tid;

	if (!w)
		return;
	w->fd = st->s;
	w->deadline_ms = deadline_ms;
	pthread_mutex_lock(&source__wd_lock);
	if (!source__wd_started) {
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&source__wd_cond, &ca);
		pthread_condattr_destroy(&ca);
		if (pthread_create(&tid, NULL, source__wd_main, NULL) != 0) {
			pthread_mutex_unlock(&source__wd_lock);
			free(w);
			return;
		}
		pthread_detach(tid);
		source__wd_started = 1;
	}
	w->next = source__wd_list;
	source__wd_list = w;
	st->watch = w;
	pthread_cond_signal(&source__wd_cond);
	pthread_mutex_unlock(&source__wd_lock);
}

/* Stop watching before the fd is closed; 1 when the watchdog had fired. */
static int source__wd_remove(source__stream *st)
{
	int fired = 0;

	if (!st->watch)
		return 0;
	pthread_mutex_lock(&source__wd_lock);
	for (struct source__watch **pp = &source__wd_list; *pp; pp = &(*pp)->next) {
		if (*pp == st->watch) {
			*pp = st->watch->next;
			break;
		}
	}
	pthread_mutex_unlock(&source__wd_lock);
	fired = st->watch->fired;
	free(st->watch);
	st->watch = NULL;
	return fired;
}

static _Thread_local int64_t source__deadline_ms;
static _Thread_local int source__timed_out;

void source__net_deadline_set(int64_t deadline_ms)
{
	source__deadline_ms = deadline_ms;
	if (deadline_ms) /* clearing keeps the verdict for the caller to read */
		source__timed_out = 0;
}

int source__net_timed_out(void)
{
	return source__timed_out;
}

int source__net_expired(void)
{
	if (source__deadline_ms && cmk_time_mono_ms() >= source__deadline_ms)
		source__timed_out = 1;
	return source__timed_out;
}

/* Wait for `events` on the socket until the deadline: 1 ready, 0 timed out
 * (libgit2 error set), -1 failed. */
static int source__wait(source__stream *st, short events, const char *what)
{
	struct pollfd pfd = { .fd = st->s, .events = events, .revents = 0 };
	int ms, rc;

	for (;;) {
		ms = -1;
		if (source__deadline_ms) {
			int64_t left = source__deadline_ms - cmk_time_mono_ms();
			ms = left > 0 ? (int)(left > 60000 ? 60000 : left) : 0;
		}
		rc = poll(&pfd, 1, ms);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR) {
			git_error_set(GIT_ERROR_NET, "poll on %s:%s failed: %s", st->host,
				      st->port, strerror(errno));
			return -1;
		}
		if (rc == 0 && source__deadline_ms &&
		    cmk_time_mono_ms() >= source__deadline_ms) {
			source__timed_out = 1;
			git_error_set(GIT_ERROR_NET, "timed out %s %s:%s", what, st->host,
				      st->port);
			return 0;
		}
	}
}

static int source__stream_connect(git_stream *stream)
{
	source__stream *st = (source__stream *)stream;
	struct addrinfo hints = { 0 }, *info = NULL, *p;
	int rc, soerr = 0, error = -1;
	socklen_t len = sizeof(soerr);

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	if ((rc = getaddrinfo(st->host, st->port, &hints, &info)) != 0) {
		git_error_set(GIT_ERROR_NET, "cannot resolve %s: %s", st->host,
			      gai_strerror(rc));
		return -1;
	}
	for (p = info; p; p = p->ai_next) {
		st->s = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       p->ai_protocol);
		if (st->s < 0)
			continue;
		if (connect(st->s, p->ai_addr, p->ai_addrlen) == 0) {
			error = 0;
			break;
		}
		if (errno == EINPROGRESS) {
			rc = source__wait(st, POLLOUT, "connecting to");
			if (rc == 0) { /* the deadline is shared: do not try more addresses */
				close(st->s);
				st->s = -1;
				goto out;
			}
			if (rc > 0 && getsockopt(st->s, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0) {
				if (soerr == 0) {
					error = 0;
					break;
				}
				errno = soerr;
			}
		}
		git_error_set(GIT_ERROR_NET, "cannot connect to %s port %s: %s", st->host,
			      st->port, strerror(errno));
		close(st->s);
		st->s = -1;
	}
	if (error < 0 && !p && !git_error_last())
		git_error_set(GIT_ERROR_NET, "cannot connect to %s port %s", st->host,
			      st->port);
	if (error == 0 && source__deadline_ms)
		source__wd_add(st, source__deadline_ms);
out:
	freeaddrinfo(info);
	return error;
}

static ssize_t source__stream_read(git_stream *stream, void *data, size_t len)
{
	source__stream *st = (source__stream *)stream;
	ssize_t n;
	int rc;

	for (;;) {
		if ((n = recv(st->s, data, len, 0)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			git_error_set(GIT_ERROR_NET, "cannot read from %s:%s: %s", st->host,
				      st->port, strerror(errno));
			return -1;
		}
		if ((rc = source__wait(st, POLLIN, "waiting for data from")) <= 0)
			return -1;
	}
}

static ssize_t source__stream_write(git_stream *stream, const char *data, size_t len,
				    int flags)
{
	source__stream *st = (source__stream *)stream;
	ssize_t n;
	int rc;

	for (;;) {
		if ((n = send(st->s, data, len, MSG_NOSIGNAL)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			git_error_set(GIT_ERROR_NET, "cannot write to %s:%s: %s", st->host,
				      st->port, strerror(errno));
			return -1;
		}
		if ((rc = source__wait(st, POLLOUT, "sending to")) <= 0)
			return -1;
	}
}

static int source__stream_close(git_stream *stream)
{
	source__stream *st = (source__stream *)stream;

	if (source__wd_remove(st))
		source__timed_out = 1;
	if (st->s >= 0)
		close(st->s);
	st->s = -1;
	return 0;
}

static void source__stream_free(git_stream *stream)
{
	source__stream *st = (source__stream *)stream;

	if (source__wd_remove(st))
		source__timed_out = 1;
	if (st->s >= 0)
		close(st->s);
	free(st->host);
	free(st->port);
	free(st);
}

static int source__stream_new(git_stream **out, const char *host, const char *port)
{
	source__stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->host = strdup(host)) == NULL ||
	    (st->port = strdup(port ? port : "")) == NULL) {
		if (st)
			free(st->host);
		free(st);
		git_error_set_oom();
		return -1;
	}
	st->s = -1;
	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = source__stream_connect;
	st->parent.read = source__stream_read;
	st->parent.write = source__stream_write;
	st->parent.close = source__stream_close;
	st->parent.free = source__stream_free;
	*out = &st->parent;
	return 0;
}

static int source__init_error;
static char source__init_msg[512];

#define SOURCE__INIT_FAIL(code, ...) \
	do { \
		snprintf(source__init_msg, sizeof(source__init_msg), __VA_ARGS__); \
		source__init_error = (code); \
	} while (0)

static void source__git_shutdown(void)
{
	git_libgit2_shutdown();
}

static void source__git_init_once(void)
{
	git_stream_registration reg = { GIT_STREAM_VERSION, source__stream_new, NULL };
	const char *ca = getenv("CMKCTL_GIT_CA_FILE");

	if (git_libgit2_init() < 0) {
		SOURCE__INIT_FAIL(CMK_ERROR, "cannot initialise libgit2: %s",
				  git_error_last() ? git_error_last()->message : "?");
		return;
	}
	atexit(source__git_shutdown);
	if (git_stream_register(GIT_STREAM_STANDARD, &reg) < 0) {
		SOURCE__INIT_FAIL(CMK_ERROR, "cannot register git stream: %s",
				  git_error_last() ? git_error_last()->message : "?");
		return;
	}
	if (ca && *ca &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca, NULL) < 0) {
		SOURCE__INIT_FAIL(CMK_EINVALID, "CMKCTL_GIT_CA_FILE %s: %s", ca,
				  git_error_last() ? git_error_last()->message : "?");
		return;
	}
}

int source__git_global_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, source__git_init_once);
	if (source__init_error)
		return cmk_error_set(source__init_error, "%s", source__init_msg);
	return 0;
}

#ifdef __SANITIZE_ADDRESS__
/*
 * libgit2 1.5's pcre2 regex wrapper leaks its match data (seen on every
 * fetch). The leak is in the library, bounded by the number of fetches, and
 * only pcre2 allocations are silenced: a leak of ours still fails the build.
 * This hook is read by LeakSanitizer in sanitizer builds only.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

/* ...and without a "Suppressions used" table on every run's stderr. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif
