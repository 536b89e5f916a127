/* sqlite_bulk.c - bulk writes: WAL checkpoints on a thread of their own.
 *
 * A checkpoint copies the WAL's pages into the database: during an ingest of small items it
 * took two thirds of the writing thread's time (measured: the 225 commits that ran one took
 * 50.9 s of an 83.6 s run of 20M items), and the pipeline waited for it. While bulk writes run,
 * the writer's commits only signal a checkpointer thread, which runs PASSIVE checkpoints (they
 * never block the writer or readers) on its own connection. A checkpoint that ends with frames
 * the writer added meanwhile leaves the WAL to grow; past WAL_HARD_PAGES the writer waits for
 * the checkpointer and runs one itself, after which its next transaction starts the WAL over. */
#include "store/sqlite_int.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct sq_bulk {
    sqlite3 *db; /* the checkpointer's connection */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int want, busy, quit;
} sq_bulk;

static void *
bulk_main(void *arg)
{
    sq_bulk *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->want && !b->quit)
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->quit)
            break;
        b->want = 0;
        b->busy = 1;
        pthread_mutex_unlock(&b->mu);
        sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&b->mu);
        b->busy = 0;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* after each commit of the writer (SQLite's WAL hook), with the WAL's size in pages */
static int
bulk_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
    sq_bulk *b = ctx;
    if (pages < WAL_CKPT_PAGES)
        return SQLITE_OK;
    pthread_mutex_lock(&b->mu);
    if (pages < WAL_HARD_PAGES) {
        b->want = 1;
        pthread_cond_signal(&b->cv);
        pthread_mutex_unlock(&b->mu);
        return SQLITE_OK;
    }
    while (b->busy)
        pthread_cond_wait(&b->cv, &b->mu);
    b->want = 0;
    pthread_mutex_unlock(&b->mu);
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

void
sq_bulk_end(sq_store *st)
{
    sq_bulk *b = st->bulk;
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->quit = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->th, NULL);
    sqlite3_close(b->db);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
    st->bulk = NULL;
    sqlite3_wal_autocheckpoint(st->db, WAL_CKPT_PAGES); /* SQLite's own hook again */
}

void
sq_bulk_mode(ex_store *s, int on)
{
    sq_store *st = SQ(s);
    if (!on) {
        sq_bulk_end(st);
        return;
    }
    if (st->bulk || !st->path)
        return;
    sq_bulk *b = calloc(1, sizeof *b);
    if (!b)
        return;
    if (sqlite3_open_v2(st->path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(b->db,
                     st->durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                     NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(b->db);
        free(b);
        return; /* checkpoints stay on the writer */
    }
    sqlite3_busy_timeout(b->db, 10000);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if (pthread_create(&b->th, NULL, bulk_main, b) != 0) {
        sqlite3_close(b->db);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
        free(b);
        return;
    }
    st->bulk = b;
    sqlite3_wal_hook(st->db, bulk_hook, b);
}
