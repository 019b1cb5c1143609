/*
 * store-int.h - the store module's internals shared between its files
 * (store.c and store-report.c). No other module includes it: the store is
 * the only module that speaks SQL.
 */
#ifndef RO_STORE_INT_H
#define RO_STORE_INT_H

#include <sqlite3.h>

struct ro_store;

/* The store's open connection. */
sqlite3 *ro_store__db(struct ro_store *st);

#endif
