/*
 * bench_armsim.c - how many requests per second armsim serves: GETs of one
 * workspace over N keep-alive HTTPS connections (libcurl multi), with
 * throttling lifted so the figure is armsim's, not the token bucket's.
 *
 * usage: bench_armsim [seconds=3] [connections=8]
 * prints: armsim: <n> GETs in <t> s over <c> keep-alive connections = <r> requests/s
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/error.h"
#include "harness.h"

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static size_t discard(char *d, size_t s, size_t n, void *u)
{
	(void)d;
	(void)u;
	return s * n;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	int conns = argc > 2 ? atoi(argv[2]) : 8;
	armsim *sim = NULL;
	char *tok = NULL, auth[8192], url[512];
	int rc = 1;
	if (seconds <= 0 || conns < 1 || conns > 256) {
		fprintf(stderr, "usage: bench_armsim [seconds>0] [connections 1..256]\n");
		return 64;
	}
	armsim_opts o = { .fixture = ARMSIM_FIXTURES "/la.yaml" };
	if (armsim_start(&sim, &o) < 0) {
		fprintf(stderr, "bench_armsim: %s\n", cmk_error_last());
		return 1;
	}
	if (armsim_admin(sim, "PUT", "/_sim/throttling",
			 "{\"reads\":{\"capacity\":1e12,\"refillPerSecond\":1e12}}", NULL) != 200 ||
	    armsim_token(&tok, sim, sim->client_id, sim->client_secret, "https://management.azure.com/.default") < 0) {
		fprintf(stderr, "bench_armsim: setup failed: %s\n", cmk_error_last());
		goto out;
	}
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
	snprintf(url, sizeof url, "%s/subscriptions/00000000-0000-4000-8000-00000000aaaa/resourceGroups/rg-la"
		 "/providers/Microsoft.OperationalInsights/workspaces/ws1?api-version=2021-06-01", sim->base_url);
	struct curl_slist *hdrs = curl_slist_append(NULL, auth);
	CURLM *m = curl_multi_init();
	CURL **h = calloc((size_t)conns, sizeof *h);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conns);
	for (int i = 0; i < conns; i++) {
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_URL, url);
		curl_easy_setopt(h[i], CURLOPT_CAINFO, sim->ca_file);
		curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_multi_add_handle(m, h[i]);
	}
	long ok = 0, bad = 0;
	double t0 = now_s(), end = t0 + seconds;
	int running = 1;
	while (running || now_s() < end) {
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			long st = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
			if (msg->data.result == CURLE_OK && st == 200)
				ok++;
			else
				bad++;
			curl_multi_remove_handle(m, msg->easy_handle);
			if (now_s() < end) {
				curl_multi_add_handle(m, msg->easy_handle); /* same connection: keep-alive */
				running = 1;
			}
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
		else if (now_s() >= end)
			break;
	}
	double t = now_s() - t0;
	printf("armsim: %ld GETs in %.2f s over %d keep-alive connections = %.0f requests/s (%ld failed)\n",
	       ok, t, conns, ok / t, bad);
	rc = bad == 0 && ok > 0 ? 0 : 1;
	for (int i = 0; i < conns; i++)
		curl_easy_cleanup(h[i]);
	free(h);
	curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
out:
	free(tok);
	armsim_stop(sim);
	return rc;
}
