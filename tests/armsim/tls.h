/*
 * tls.h - armsim's certificates: a local CA and a server certificate for
 * localhost, 127.0.0.1, ::1 and *.vault.localhost, made with OpenSSL into
 * the state directory on first start and reused afterwards.
 */
#ifndef ARMSIM_TLS_H
#define ARMSIM_TLS_H

#include <stddef.h>

#include "common/error.h"

/* Ensure DIR/ca.pem, DIR/server.pem, DIR/server-key.pem exist; return the
 * server cert and key PEM (caller frees) and the absolute CA path. */
int tls_ensure(char **cert_pem, char **key_pem, char *ca_path, size_t ca_path_len,
	       const char *state_dir) CMK_WUR;

#endif
