/* harness: real servers for tests, started on free loopback ports in their
 * own temporary directories, and stopped again (also when a test fails:
 * call harness_stop from the test's .fini; when a test crashes the child
 * dies with it through PR_SET_PDEATHSIG, and tests/run-all removes what is
 * left and fails the run).
 *
 * Readiness is observed, never slept for: each server's own "ready" line is
 * read from a pipe, then confirmed by a probe (PING, an HTTP request). */
#ifndef LSCAN_HARNESS_H
#define LSCAN_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <hiredis.h>

#include "rules/base/diagnostics.h"
#include "rules/ruleset.h"

typedef struct harness_process {
    pid_t pid;
    int port;
    int output_fd;        /* read end of the child's stdout */
    char dir[512];        /* the process's temporary directory (removed on stop) */
} harness_process;

/* Repository root, build directory and ../shared, from the environment set by
 * `make check` (LSCAN_ROOT, LSCAN_BUILD, LSCAN_SHARED) or sensible defaults. */
const char *harness_root(void);
const char *harness_build(void);
const char *harness_shared(void);

/* A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it),
 * or -1. Another process may take it before the caller binds it. */
int harness_free_port(void);

/* Starts redis-server on a free port; 0 or -1 (message on stderr). */
int harness_redis_start(harness_process *p);
/* Starts redis-server again on a given port with a given data directory
 * (loading its dump.rdb): a restart after harness_stop(&old) — take a copy
 * of old.dir first, harness_stop removes it. harness_stop on the new one
 * removes `dir`. 0 or -1. */
int harness_redis_start_on(harness_process *p, int port, const char *dir);
/* Connects to the harness Redis (caller frees with redisFree); NULL on error. */
redisContext *harness_redis_connect(const harness_process *p);

/* Starts build/fixture-market with --port 0, --seed, --listings, --truth
 * DIR/truth.jsonl and the extra arguments (NULL-terminated, may be NULL). */
int harness_market_start(harness_process *p, unsigned long long seed, unsigned long long listings,
                         const char *const *extra_args);
/* Path of the market's truth file, inside its directory. */
void harness_market_truth_path(const harness_process *p, char *out, size_t size);

/* Starts any command in its own temporary directory, its stdout and stderr
 * to one pipe that harness_read_line reads. */
int harness_start_command(harness_process *p, const char *const *argv);
/* Reads the process's output until a line contains `marker` (copied to
 * line), or timeout_ms passes, or the process closes its output: 0 or -1. */
int harness_read_line(harness_process *p, const char *marker, char *line, size_t size, int timeout_ms);
/* Waits for the process to exit (SIGKILL after timeout_ms): its exit status. */
int harness_wait_exit(harness_process *p, int timeout_ms);

/* SIGTERM, wait (SIGKILL after 10 s), remove the directory. Idempotent. */
void harness_stop(harness_process *p);

/* A GET with libcurl on 127.0.0.1:port. Returns 0 when a response arrived
 * (status filled), else the CURLcode. The body is malloc'd (caller frees),
 * NUL-terminated. With `gzip`, asks for gzip and lets curl decode it; the
 * response's Content-Encoding is copied to `encoding` when non-NULL. */
typedef struct harness_response {
    long status;
    char *body;
    size_t length;
    char encoding[32];
    char retry_after[32];
    char location[512];
} harness_response;
int harness_http_get(int port, const char *path, bool gzip, long timeout_ms, harness_response *out);
void harness_response_free(harness_response *r);

/* Runs a command (argv, NULL-terminated) to completion with stdin from
 * `input` (may be NULL), capturing stdout and stderr (malloc'd, caller
 * frees; may be NULL to discard). Returns the exit status, or -1. */
int harness_run(const char *const *argv, const char *input, size_t input_length, char **out, char **err);

/* Reads a whole file (malloc'd, NUL-terminated); NULL on error. */
char *harness_read_file(const char *path, size_t *length);

/* Compiles the pack whose text is the concatenation of `parts`
 * (NULL-terminated), loaded under the file name `name`, with `options`
 * (NULL: defaults). Returns the ruleset (the caller's; ruleset_destroy) or
 * NULL with the reasons appended to diag. Thread-safe. */
ruleset *harness_compile_pack(const char *name, const char *const *parts, const ruleset_options *options,
                              diagnostics *diag);

#endif
