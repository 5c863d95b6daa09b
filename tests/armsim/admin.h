/*
 * admin.h - the /_sim/ admin API (loopback only, no auth): state load/dump,
 * virtual clock, key rotation/disable, access-policy removal, faults,
 * throttling, settings, request log, counters, hazards, operations.
 * Every endpoint is documented in README.md.
 */
#ifndef ARMSIM_ADMIN_H
#define ARMSIM_ADMIN_H

void admin_register_routes(void);

#endif
