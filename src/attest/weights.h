/* weights.h - the subjects of a training run's statement: weight files, their names and SHA-256.
 *
 * A weights path given to ex_weights_add is one of:
 *   - a file: one subject, named by the file's base name ("out/model.safetensors" ->
 *     "model.safetensors");
 *   - a directory: every regular file below it, walked recursively, each named by its path
 *     relative to the directory with '/' between components ("ckpt" holding "a/b.bin" ->
 *     "a/b.bin"); dot files included. Symbolic links met in the walk are not followed (neither
 *     to files nor to directories) and, like sockets or FIFOs, are skipped and counted
 *     (ex_weights_skipped), so a walk never leaves the tree it was given;
 *   - a sharded safetensors checkpoint's index, a file named "*.safetensors.index.json": the
 *     index itself (by its base name) and every shard its "weight_map" names (each once, by its
 *     file name; the values must be plain file names in the index's directory). A shard that is
 *     missing or not a regular file is an error naming it.
 * A path named explicitly (an argument, or a shard named by an index) is followed if it is a
 * symbolic link, as `find -H` does. An index met inside a directory walk is checked too: every
 * shard it names must be among the files walked, beside it.
 *
 * Several paths may be added; names must not collide, except that the same file (device and
 * inode) reached twice, e.g. a shard given both alone and through its index, counts once.
 *
 * The model id of a subject set is SHA-256 over the subjects sorted by name as bytes, each
 * contributing
 *
 *     name || 0x00 || lowercase hex SHA-256 (64 ASCII digits) || 0x0A
 *
 * (names hold no NUL, so the encoding is unambiguous), written "sha256:<hex>" by callers. It
 * depends only on the names and contents of the files, not on the paths given or their order.
 *
 * An ex_weights is used by one thread at a time; ex_weights_hash runs threads of its own, all
 * joined before it returns. */
#ifndef EX_WEIGHTS_H
#define EX_WEIGHTS_H

#include "attest/statement.h"

/* Bytes read per read(2) while hashing, into one page-aligned buffer per thread. Large reads
 * keep the syscalls few and let the kernel's readahead (POSIX_FADV_SEQUENTIAL) run ahead on a
 * cold file; on cached files 128 KiB to 4 MiB measured the same once the buffer was aligned. */
#define EX_WEIGHTS_READ_BYTES (4u << 20)
/* Largest safetensors index read, and deepest directory walked. */
#define EX_WEIGHTS_INDEX_MAX (64u << 20)
#define EX_WEIGHTS_DEPTH_MAX 64
/* Most threads ex_weights_hash starts. */
#define EX_WEIGHTS_JOBS_MAX 256

typedef struct ex_weights ex_weights;

/* An empty set; EX_ENOMEM. */
int ex_weights_new(ex_weights **out);
void ex_weights_free(ex_weights *w);

/* Add the files of path by the rules above. EX_EIO for a path that cannot be read (errno text
 * in err), EX_ENOTFOUND for a shard an index names that is not there, EX_EFORMAT for an index
 * that is not one, EX_EEXIST for a name given twice, EX_EINVAL for a directory with no regular
 * files or nested deeper than EX_WEIGHTS_DEPTH_MAX, EX_ENOMEM; err names the path. On failure
 * the set is as it was before the call. */
int ex_weights_add(ex_weights *w, const char *path, ex_err *err);

/* SHA-256 of every file added, jobs threads (0 or 1: the calling thread only; at most
 * EX_WEIGHTS_JOBS_MAX) taking files from one queue, largest first. The digests do not depend
 * on jobs. EX_EIO naming the file that could not be read (the first in name order among those
 * that failed), EX_ENOMEM, EX_ECRYPTO. */
int ex_weights_hash(ex_weights *w, unsigned jobs, ex_err *err);

/* The subjects sorted by name, *n of them (the pointer is valid until the next add or free);
 * the digests are set once ex_weights_hash has succeeded. */
const ex_subject *ex_weights_subjects(const ex_weights *w, size_t *n);
/* The file behind subject i, as it was reached (the path given, joined with the name) and the
 * bytes hashed (known after ex_weights_hash; before, the size found when added). */
const char *ex_weights_path(const ex_weights *w, size_t i);
uint64_t ex_weights_size(const ex_weights *w, size_t i);
/* Total bytes of all files, and how many entries directory walks skipped (symbolic links and
 * other files that are not regular). */
uint64_t ex_weights_total(const ex_weights *w);
size_t ex_weights_skipped(const ex_weights *w);

/* The model id of subjects[0..n) (any order) as defined above. EX_EINVAL for no subjects or a
 * name given twice, EX_ENOMEM, EX_ECRYPTO. */
int ex_model_id(const ex_subject *subjects, size_t n, uint8_t out[EX_HASH_BYTES], ex_err *err);

/* One difference between weights at hand and a statement's subjects. */
enum {
    EX_WEIGHTS_MISSING = 1, /* in the statement, not among the weights */
    EX_WEIGHTS_EXTRA = 2,   /* among the weights, not in the statement */
    EX_WEIGHTS_DIFFERS = 3, /* in both, with another SHA-256 */
};
typedef struct ex_weights_diff {
    int kind;
    const char *name; /* borrowed from the subject arrays compared */
} ex_weights_diff;

/* Compare the subjects of weights at hand, have[0..nh), with a statement's, want[0..nw) (each
 * in any order, names unique). EX_OK when they are the same set with the same digests.
 * EX_EVERIFY otherwise: err says how many differ and names the first few; *diffs (if diffs is
 * not NULL; malloc'd, caller frees, names borrowed from have and want) lists every difference
 * in name order, *ndiffs of them. EX_ENOMEM. */
EX_MUST_CHECK int ex_weights_compare(const ex_subject *have, size_t nh, const ex_subject *want,
                                     size_t nw, ex_weights_diff **diffs, size_t *ndiffs,
                                     ex_err *err);

#endif
