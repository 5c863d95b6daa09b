/*
 * server.h - the HTTPS listener (libmicrohttpd, internal TLS, thread pool):
 * turns requests into sim_req, hands them to the router, sends sim_resp
 * back with the headers every ARM response carries.
 */
#ifndef ARMSIM_SERVER_H
#define ARMSIM_SERVER_H

#include "common/error.h"

/* Listen on host:port (port 0 = any free one) with the PEM cert/key.
 * Returns 0 and the bound port in *port_out, or CMK_E* with a message. */
int server_start(int *port_out, const char *host, int port, unsigned threads,
		 const char *cert_pem, const char *key_pem) CMK_WUR;
void server_stop(void);
int server_port(void);

#endif
