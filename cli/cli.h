/* cli.h - shared plumbing of the exante command: global options, messages, exit codes. */
#ifndef EX_CLI_H
#define EX_CLI_H

#include "exante.h"

#include <jansson.h>
#include <stdio.h>

/* Exit codes (docs/exante.1, docs/EXIT-CODES.md). */
enum { EXIT_OKAY = 0, EXIT_NO = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

typedef struct cli {
    int json;          /* --json */
    int quiet;         /* -q */
    const char *dir;   /* ledger directory: $EXANTE_DIR or ./.exante */
    const char *db;    /* --db URL or $EXANTE_DB: the PostgreSQL store; NULL: as dir says */
    /* how the command was given, for the resume line of a failure report (failure.c) */
    const char *chdir; /* -C DIR */
    int db_given;      /* --db on the command line */
    int argc;          /* the command and its arguments */
    char **argv;
} cli;

typedef struct cli_command {
    const char *name;
    int (*run)(cli *c, int argc, char **argv);
    const char *summary; /* its forms for --help: "ARGS\tWHAT" lines */
} cli_command;

/* "exante: <formatted>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map a library status to an exit code: the one table in main.c (docs/EXIT-CODES.md). */
int cli_exit(int rc);
/* The same for a command that answers a question (why, policy show): EX_ENOTFOUND is the
 * answer "no", EXIT_NO, rather than a usage error. */
int cli_exit_answer(int rc);
/* Print a usage error with the command's usage line; returns EXIT_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read all of path ("-": standard input) into *out, NUL-terminated (caller frees). max: a size
 * limit in bytes (0: none). On failure prints the message and returns EXIT_IO (cannot open or
 * read), or EXIT_USAGE (over max). */
int cli_read_file(const char *path, size_t max, char **out, size_t *len);
/* data[0..len) into path: a temporary file beside it (mode 0666 less the umask), renamed
 * over it once complete (path NULL: standard output); a failure is printed, naming the
 * command `what`, and returns EXIT_IO (the temporary file removed). */
int cli_write_out(const char *path, const char *data, size_t len, const char *what);
/* Print v canonically on one line and release it. */
void cli_print_json(json_t *v);
/* Finish a listing command: on rc == EX_OK write out (len bytes) to stdout and free it, else
 * print the ledger's error; close the ledger; the exit code for rc. */
int cli_emit(ex_ledger *l, int rc, char *out, size_t len);
/* Parse a non-negative decimal; 0 on success. */
int cli_parse_u64(const char *s, uint64_t *out);
/* Open the ledger at c->dir, printing any error; returns EXIT_OKAY or an exit code. */
int cli_open(cli *c, int read_only, ex_ledger **out);
/* cli_open, as a worker (a shared ledger without its signing key) when worker is 1. */
int cli_open_as(cli *c, int read_only, int worker, ex_ledger **out);
/* A worker's run (cmd_worker.c): stage shard s of the list in shared ledger l (closed). */
int cli_stage(cli *c, ex_ledger *l, const ex_ingest_opts *o, const char *list,
              const ex_shard *s, const ex_worker_opts *wo);
/* exante log sequence (cmd_worker.c); argv after the subcommand's options. */
int cli_sequence(cli *c, int follow, int discard_stale);
/* A verifier key from a string or a file holding one; NULL: the ledger's own. */
int cli_load_vkey(cli *c, const char *arg, ex_vkey *out);
/* A verifier key (cli_load_vkey's) and the chain of the log's keys it and the rotation
 * entries in file rotations (JSONL, `exante key rotations`) make, malloc'd into *out;
 * rotations NULL: the rotation records of the ledger at c->dir when there is one and they
 * reach the key, else the key alone. The ledger is opened once, if at all. Prints the error. */
int cli_load_keys(cli *c, const char *arg, const char *rotations, ex_vkey *vk, ex_key_chain **out);/* base64 of a hash, as a JSON string */
json_t *cli_b64(const uint8_t h[EX_HASH_BYTES]);
/* 1 if argv[i] is -h or --help */
int cli_wants_help(int argc, char **argv);

/* The start of a command family (log, license, source, optout): its subcommand argv[1] into
 * *sub, with argc and argv moved past the family's name and getopt reset for the
 * subcommand's options. Returns CLI_GO then; otherwise the exit code, after printing the
 * usage (-h/--help: to stdout) or "FAMILY: expected WANT" (to stderr). */
#define CLI_GO (-1)
int cli_subcommand(int *argc, char ***argv, const char *usage, const char *family,
                   const char *want, const char **sub);

/* The input options ingest and filter share: --format and the JSONL field names. Put
 * CLI_INPUT_OPTIONS in the getopt table and hand every option to cli_input_option: 1 if it
 * was one of these (*in updated), -1 for a bad --format value, 0 for another option. */
typedef struct cli_inputs {
    int format; /* EX_FORMAT_* */
    const char *text, *url, *id, *license, *fetched;
} cli_inputs;
#define CLI_INPUT_OPTIONS                                                                    \
    {"format", required_argument, NULL, 'f'}, {"text-field", required_argument, NULL, 'T'}, \
        {"url-field", required_argument, NULL, 'U'}, {"id-field", required_argument, NULL, 'I'}, \
        {"license-field", required_argument, NULL, 'L'},                                    \
        {"fetched-field", required_argument, NULL, 'F'}
int cli_input_option(int ch, const char *arg, cli_inputs *in);

/* The ingest / reevaluate summary (text or --json) on stdout. */
void cli_summary(cli *c, ex_ledger *l, const ex_ingest_stats *st, double secs, int rc);
/* A failed run's part of that summary (failure.c): what was committed, what was not, and the
 * command that resumes it; JSON keys into j, or text on stdout. rc: the run's result. */
void cli_failure_json(const cli *c, const ex_ingest_stats *st, int rc, json_t *j);
void cli_failure_text(const cli *c, const ex_ingest_stats *st, int rc);

int cmd_init(cli *c, int argc, char **argv);
int cmd_policy(cli *c, int argc, char **argv);
int cmd_signals(cli *c, int argc, char **argv);
int cmd_optout(cli *c, int argc, char **argv);
int cmd_reevaluate(cli *c, int argc, char **argv);
int cmd_evidence(cli *c, int argc, char **argv);
int cmd_key(cli *c, int argc, char **argv);
int cmd_log(cli *c, int argc, char **argv);
int cmd_verify_proof(cli *c, int argc, char **argv);
int cmd_demo(cli *c, int argc, char **argv);
/* exante demo after its snapshot (cmd_demo_train.c): a toy model attested and verified, a
 * member's proof, impact, the EU summary and the report written into outdir (kept). */
int cli_demo_train(ex_ledger *l, const ex_vkey *vk, const char *root, const char *outdir,
                   uint64_t optout, FILE *out);
int cmd_source(cli *c, int argc, char **argv);
int cmd_snapshot(cli *c, int argc, char **argv);
int cmd_prove(cli *c, int argc, char **argv);
int cmd_filter(cli *c, int argc, char **argv);
int cmd_attest(cli *c, int argc, char **argv);
int cmd_verify(cli *c, int argc, char **argv);
int cmd_models(cli *c, int argc, char **argv);
int cmd_lineage(cli *c, int argc, char **argv);
int cmd_model(cli *c, int argc, char **argv);
int cmd_impact(cli *c, int argc, char **argv);
int cmd_report(cli *c, int argc, char **argv);
int cmd_ingest(cli *c, int argc, char **argv);
int cmd_why(cli *c, int argc, char **argv);
int cmd_dups(cli *c, int argc, char **argv);
int cmd_decisions(cli *c, int argc, char **argv);
int cmd_quarantine(cli *c, int argc, char **argv);
int cmd_sample(cli *c, int argc, char **argv);
int cmd_witness(cli *c, int argc, char **argv);
/* exante witness add|list|remove|collect|request (cmd_witness_log.c). */
int cli_witness_log(cli *c, const char *usage, const char *sub, char **args, int nargs,
                    const char *old, const char *size);
/* --witness VKEY... --witness-quorum N: EXIT_OKAY if note[0..len) (a checkpoint note that
 * verified already) carries valid cosignatures by at least quorum of the witnesses wkeys[0..nw)
 * (strings or files); nw 0 checks nothing. Prints why not, naming `what`. */
int cli_witness_check(const char *what, const char *note, size_t len, const char *const *wkeys,
                      size_t nw, unsigned quorum);
int cmd_license(cli *c, int argc, char **argv);
int cmd_robots(cli *c, int argc, char **argv);
int cmd_iscc(cli *c, int argc, char **argv);
int cmd_serve(cli *c, int argc, char **argv); /* server/serve.c */
int cmd_export(cli *c, int argc, char **argv);
/* exante export's formats (cmd_export_*.c), argv from the format's name on */
int cli_export_bom(cli *c, const char *format, int argc, char **argv);
int cli_export_eu(cli *c, int argc, char **argv);
int cli_export_copyright(cli *c, int argc, char **argv);
/* What the document exports share (cmd_export.c): --format md|html|json into *format
 * (EX_DOC_*; none given: JSON with --json, else Markdown), -1 for another word; the provider
 * file at path (NULL: none) into *pv, or its error printed (naming `what`, the file and its
 * line) and the exit code. */
int cli_export_format(cli *c, const char *fmt, int *format);
int cli_export_provider(const char *path, const char *what, ex_eu_provider **pv);
int cmd_token(cli *c, int argc, char **argv);
int cmd_verify_receipt(cli *c, int argc, char **argv);
/* optout requests and optout review (cmd_intake.c), after cmd_optout's subcommand */
int cli_optout_requests(cli *c, int argc, char **argv, const char *usage);
int cli_optout_review(cli *c, int argc, char **argv, const char *usage);

#endif
