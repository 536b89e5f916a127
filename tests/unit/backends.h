/* backends.h - the stores a store test runs on: SQLite (a file in a temporary directory) and
 * PostgreSQL (a database of its own, made in the server EXANTE_TEST_PG names: the URL of a
 * maintenance database; scripts/with-pg.sh starts a temporary server and sets it), with a
 * connection of the test's own for SQL behind the store's back (tampering). */
#ifndef EX_TEST_BACKENDS_H
#define EX_TEST_BACKENDS_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

typedef struct backend {
    int pg;             /* 0: SQLite, 1: PostgreSQL */
    const char *name;   /* "sqlite" or "postgresql" */
    char where[1024];   /* the file, or the database's URL */
    char db[64];        /* PostgreSQL: the database's name */
    const char *zero;   /* a blob of one zero byte in its SQL */
} backend;

/* The URL of database `name` on the server of EXANTE_TEST_PG into out; 0 if there is none. */
static int
be_pg_url(const char *name, char *out, size_t cap)
{
    const char *base = getenv("EXANTE_TEST_PG");
    if (!base || !*base)
        return 0;
    PQconninfoOption *o = PQconninfoParse(base, NULL);
    if (!o)
        return 0;
    const char *host = NULL, *port = NULL, *user = NULL;
    for (PQconninfoOption *p = o; p->keyword; p++) {
        if (!p->val)
            continue;
        if (strcmp(p->keyword, "host") == 0)
            host = p->val;
        else if (strcmp(p->keyword, "port") == 0)
            port = p->val;
        else if (strcmp(p->keyword, "user") == 0)
            user = p->val;
    }
    int n = snprintf(out, cap, "postgresql:///%s?", name);
    if (host)
        n += snprintf(out + n, cap - (size_t)n, "host=%s&", host);
    if (port)
        n += snprintf(out + n, cap - (size_t)n, "port=%s&", port);
    if (user)
        n += snprintf(out + n, cap - (size_t)n, "user=%s&", user);
    out[n - 1] = '\0';
    PQconninfoFree(o);
    return 1;
}

/* Run SQL on the maintenance database; 0 on success. */
static int
be_admin(const char *text)
{
    PGconn *c = PQconnectdb(getenv("EXANTE_TEST_PG"));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PGresult *r = PQexec(c, text);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", text, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* A new, empty store of the kind (pg) called name; 0 on success (PostgreSQL: -1 without a
 * server, with a message saying how to give one). */
static int
be_new(backend *b, int pg, const char *dir, const char *name)
{
    memset(b, 0, sizeof *b);
    b->pg = pg;
    b->name = pg ? "postgresql" : "sqlite";
    b->zero = pg ? "'\\x00'::bytea" : "x'00'";
    if (!pg) {
        snprintf(b->where, sizeof b->where, "%s/%s.db", dir, name);
        unlink(b->where);
        return 0;
    }
    snprintf(b->db, sizeof b->db, "exante_%s_%d", name, (int)getpid());
    if (!be_pg_url(b->db, b->where, sizeof b->where)) {
        fprintf(stderr, "EXANTE_TEST_PG is not set: run this test through scripts/with-pg.sh, "
                        "which starts a PostgreSQL server for it\n");
        return -1;
    }
    char text[200];
    snprintf(text, sizeof text, "DROP DATABASE IF EXISTS %s WITH (FORCE)", b->db);
    if (be_admin(text) != 0)
        return -1;
    snprintf(text, sizeof text, "CREATE DATABASE %s", b->db);
    return be_admin(text);
}

static void
be_drop(backend *b)
{
    if (!b->pg) {
        char side[1100];
        unlink(b->where);
        snprintf(side, sizeof side, "%s-wal", b->where);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", b->where);
        unlink(side);
        return;
    }
    char text[200];
    snprintf(text, sizeof text, "DROP DATABASE IF EXISTS %s WITH (FORCE)", b->db);
    be_admin(text);
}

static int
be_open(const backend *b, int create, int read_only, ex_store **s, ex_err *e)
{
    ex_store_opts o = {.create = create, .read_only = read_only};
    return b->pg ? ex_store_open_pg(b->where, &o, s, e) : ex_store_open_sqlite(b->where, &o, s, e);
}

/* Run SQL on the store's database through a connection of the test's own; EX_OK or EX_EDB. */
static int
be_sql(const backend *b, const char *text)
{
    if (!b->pg) {
        sqlite3 *c;
        int rc = sqlite3_open(b->where, &c) == SQLITE_OK &&
                         sqlite3_exec(c, text, NULL, NULL, NULL) == SQLITE_OK
                     ? EX_OK
                     : EX_EDB;
        sqlite3_close(c);
        return rc;
    }
    PGconn *c = PQconnectdb(b->where);
    size_t n = strlen(text) + 64;
    char *all = malloc(n);
    snprintf(all, n, "SET search_path = exante; %s", text);
    PGresult *r = PQexec(c, all);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? EX_OK
                                                                                            : EX_EDB;
    if (rc != EX_OK)
        fprintf(stderr, "%s: %s", text, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    free(all);
    return rc;
}

#endif
