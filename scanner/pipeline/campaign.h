/* campaign: what one scan crawls, read from a YAML file (docs/campaigns.md).
 * Mistakes are reported as file:line:col, all at once. String values may
 * name environment variables as ${NAME} (so a campaign can point at a port
 * chosen at run time). A loaded campaign is plain data owned by the caller;
 * threads may read it. */
#ifndef LSCAN_CAMPAIGN_H
#define LSCAN_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/diagnostics.h"
#include "rules/base/yaml_walk.h"
#include "scanner/extract/target.h"

typedef struct campaign_limits {
    unsigned per_host_concurrency; /* transfers in flight per host (default 8) */
    double requests_per_second;    /* per host (default 100; 0 = unlimited) */
    size_t max_body_bytes;         /* per response, decoded (default 8 MiB) */
    unsigned connect_timeout_ms;   /* default 3000 */
    unsigned timeout_ms;           /* whole transfer, default 15000 */
    unsigned max_redirects;        /* default 5 */
    unsigned retries;              /* per page after the first attempt, default 4 */
    size_t frontier_max;           /* URLs waiting at most (default 1,000,000) */
    uint64_t max_pages;            /* whole scan; 0: no limit */
    bool gzip;                     /* ask for gzip (default true) */
    unsigned max_retry_after_s;    /* a longer Retry-After gives the page up (default 120) */
    size_t body_memory_bytes;      /* response bodies in flight, all transfers together (default 128 MiB) */
} campaign_limits;

/* Which fetched pages are archived as WARC records (docs/evidence.md). */
typedef enum evidence_mode {
    EVIDENCE_FLAGGED = 0,   /* every page that produced at least one flag (the default) */
    EVIDENCE_ALL,           /* every page fetched and parsed */
    EVIDENCE_NONE
} evidence_mode;

typedef struct campaign_evidence {
    evidence_mode mode;
    char *directory;               /* where the WARC files go; NULL: STATE_DIR/evidence */
    uint64_t max_file_bytes;       /* rotate after (default 1 GiB) */
    bool screenshot;               /* render each flagged listing with Chromium headless, kept as a resource record */
    unsigned max_screenshots;      /* per scan (default 200) */
    unsigned screenshot_timeout_s; /* per page (default 20) */
} campaign_evidence;

const char *evidence_mode_name(evidence_mode m);

typedef struct campaign {
    char *file;
    char *name;
    char *window_start, *window_end;   /* "2026-05-07", inclusive; may be NULL */
    string_list rules;                 /* rule pack files or directories, relative to the campaign file's folder */
    char *redis_url, *redis_prefix;
    char *redis_user;                  /* ACL user, or NULL ("default") */
    char *redis_password_env;          /* the password is in this environment variable, or */
    char *redis_password_file;         /* in this file (first line); never in the file itself */
    campaign_limits limits;
    campaign_evidence evidence;
    campaign_target *targets;
    size_t target_count;
} campaign;

/* The addresses a target's own host resolves to (its base_url), at most
 * max: a private or loopback address is fetched from only when it is one of
 * these (fetch.h, the policy). Returns how many. */
struct sockaddr_storage;
size_t campaign_target_addresses(const campaign_target *t, struct sockaddr_storage *out, size_t max);

/* Loads a campaign. NULL (and every mistake in diag) if there is any. */
campaign *campaign_load(const char *path, diagnostics *diag);
campaign *campaign_load_string(const char *name, const char *yaml, size_t length, diagnostics *diag);
void campaign_free(campaign *c);

#endif
