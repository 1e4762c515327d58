#include "scanner/pipeline/scan.h"
#include "scanner/pipeline/decide.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "scanner/extract/adapters.h"
#include "rules/base/bytebuf.h"
#include "rules/base/hash_set.h"
#include "scanner/record/listing.h"
#include "scanner/output/sink.h"
#include "rules/base/url.h"

_Static_assert(FLAG_MAX_BYTES <= SINK_MAX_FLAG_JSON, "every flag the writer makes must fit the sink");

/* Response bodies in flight share one budget (campaign limits.body_memory_bytes):
 * every transfer may hold SMALL_BODY bytes; one that grows past that needs a
 * large-body slot (room for max_body_bytes), and waits, paused, while none is
 * free. Slot holders never wait for anything, so they always finish and free
 * their slot: no deadlock. */
#define SMALL_BODY ((size_t)256 << 10)
#define MAX_HOPS 50           /* redirects kept per transfer (limits.max_redirects is at most 50) */
#define MAX_OWN_ADDRESSES 8   /* addresses of a target's own host */

static const char *const fetch_error_names[FETCH_ERROR_COUNT] = {
    "timeout", "connect", "reset", "truncated", "http_5xx", "http_429", "http_4xx", "redirects",
    "too_big", "decode", "parse", "other", "offsite", "blocked_address", "retry_after"};

const char *fetch_error_name(fetch_error e)
{
    return (unsigned)e < FETCH_ERROR_COUNT ? fetch_error_names[e] : "unknown";
}

typedef struct transfer {
    struct scan *scan;
    CURL *easy;
    bool active;
    crawl_request request;
    char url[URL_MAX];            /* the URL of this hop (request.url, or where a redirect led) */
    unsigned hops;                /* redirects followed */
    flag_redirect chain[MAX_HOPS];/* each hop's status and Location (owned strings) */
    bytebuf body;                 /* as received (maybe gzip) */
    EVP_MD_CTX *sha;
    bool too_big;
    bool has_slot;                /* holds a large-body slot */
    bool paused;                  /* waiting for a slot (CURL_WRITEFUNC_PAUSE) */
    bool blocked;                 /* the address policy refused the connection */
    char content_encoding[32];
    char retry_after[64];
    char fetched_at[32];
    char error[CURL_ERROR_SIZE];
} transfer;

/* The addresses a target's own host has (resolved at start): a private or
 * loopback address is connected to only when it is one of these. */
typedef struct own_addresses {
    struct sockaddr_storage address[MAX_OWN_ADDRESSES];
    size_t count;
} own_addresses;

typedef struct worker {
    struct scan *scan;
    pthread_t thread;
    decider *decider;             /* matches with the set of `generation` */
    unsigned generation;
    atomic_uint acked;            /* generation this worker has moved to (read by the reloading thread) */
    atomic_bool running;
    CURLM *multi;
    transfer *transfers;
    unsigned transfer_count;
    struct curl_slist *headers;
    redis_sink *sink;
    adapter_result result;
    bytebuf decoded;
    uint64_t random;              /* jitter */
    bool failed;
} worker;

struct scan {
    scan_config config;
    _Atomic(const ruleset *) rules; /* the latest rule set (reload swaps it) */
    atomic_uint generation;
    const campaign *campaign;
    frontier *frontier;
    own_addresses *own;           /* per target, read-only after start */
    atomic_long body_slots;       /* large-body slots free (may dip below 0 only transiently) */
    pthread_mutex_t seen_lock;    /* guards seen */
    hash_set seen;                /* listings already matched: XXH3(platform, listing_id) */
    scan_counters counters;
    worker *workers;
    unsigned worker_count;
    pthread_mutex_t done_lock;    /* guards finished, with done */
    pthread_cond_t done;
    unsigned finished;
    pthread_mutex_t pause_lock;   /* guards pausing, paused, running, with pause_changed */
    pthread_cond_t pause_changed;
    atomic_bool pause_requested;  /* read by workers without the lock, then confirmed under it */
    bool pausing;
    unsigned paused, running;
    atomic_bool stopped;          /* scan_stop, or Redis refusing for good (any thread) */
    pthread_mutex_t cause_lock;   /* guards cause, permanent */
    char cause[512];              /* the first reason a flag did not reach Redis */
    bool permanent;               /* Redis refused for good */
    uint64_t links_dropped_on_resume; /* URLs of targets no longer in the campaign */
    bool resumed;                 /* started from a checkpoint */
    uint64_t leftover_waiting;    /* flags still in spools of workers an earlier run had */
    unsigned targets_seeded;      /* on a resume: targets the checkpoint did not know, started from their seeds */
};

/* ---- transfers --------------------------------------------------------------- */

static bool take_body_slot(scan *s)
{
    long free_slots = atomic_load(&s->body_slots);
    while (free_slots > 0)
        if (atomic_compare_exchange_weak(&s->body_slots, &free_slots, free_slots - 1))
            return true;
    return false;
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t n = size * count;
    if (!t->has_slot && t->body.length + n > SMALL_BODY) {
        if (!take_body_slot(t->scan)) {
            t->paused = true;
            return CURL_WRITEFUNC_PAUSE; /* curl delivers the same data again after the unpause */
        }
        t->has_slot = true;
    }
    if (bytebuf_append(&t->body, data, n) < 0) {
        t->too_big = true;
        return 0; /* aborts the transfer */
    }
    EVP_DigestUpdate(t->sha, data, n);
    return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t size)
{
    size_t name_length = strlen(name);
    if (n <= name_length + 1 || strncasecmp(line, name, name_length) || line[name_length] != ':')
        return;
    const char *v = line + name_length + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v) < size - 1 ? (size_t)(end - v) : size - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t n = size * count;
    if (n > 5 && !strncmp(data, "HTTP/", 5)) { /* a new response (after a redirect): forget the last one's */
        t->content_encoding[0] = t->retry_after[0] = '\0';
    }
    header_value(data, n, "Content-Encoding", t->content_encoding, sizeof t->content_encoding);
    header_value(data, n, "Retry-After", t->retry_after, sizeof t->retry_after);
    return n;
}

static void utc_now(char *out, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Is this a private, loopback, link-local, shared or unspecified address
 * (where a hostile redirect would reach the machine's own services)? */
static bool private_address(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET) {
        uint32_t v = ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr);
        return (v >> 24) == 0 || (v >> 24) == 10 || (v >> 24) == 127 || (v >> 16) == 0xA9FE || (v >> 20) == 0xAC1 ||
               (v >> 16) == 0xC0A8 || (v >> 22) == (100u << 2 | 1) /* 100.64/10 */ || v == 0xFFFFFFFFu;
    }
    if (a->sa_family == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, v6->s6_addr + 12, 4);
            return private_address((const struct sockaddr *)&v4);
        }
        return IN6_IS_ADDR_LOOPBACK(v6) || IN6_IS_ADDR_UNSPECIFIED(v6) || IN6_IS_ADDR_LINKLOCAL(v6) ||
               (v6->s6_addr[0] & 0xFE) == 0xFC /* fc00::/7 */;
    }
    return true; /* not an IP address: never connect */
}

static bool same_address(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (a->sa_family != b->ss_family)
        return false;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                   sizeof(struct in6_addr));
}

/* curl asks before every connection: a private address is refused unless it
 * is one of the target's own host's addresses, so neither a redirect nor a
 * listed host can lead the crawler into the machine's own network. */
static curl_socket_t open_socket(void *user, curlsocktype purpose, struct curl_sockaddr *address)
{
    transfer *t = user;
    (void)purpose;
    if (private_address(&address->addr)) {
        const own_addresses *own = &t->scan->own[t->request.target];
        bool mine = false;
        for (size_t i = 0; i < own->count && !mine; i++)
            mine = same_address(&address->addr, &own->address[i]);
        if (!mine) {
            t->blocked = true;
            return CURL_SOCKET_BAD;
        }
    }
    return socket(address->family, address->socktype, address->protocol);
}

/* (Re)starts the transfer on t->url: the first attempt, or the next hop of a
 * redirect. The body, its hash and the response headers start afresh. */
static bool launch(worker *w, transfer *t)
{
    const campaign_limits *limits = &w->scan->campaign->limits;
    t->active = true;
    t->too_big = t->paused = t->blocked = false;
    t->content_encoding[0] = t->retry_after[0] = t->error[0] = '\0';
    bytebuf_reset(&t->body);
    t->body.max = limits->max_body_bytes;
    EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL);
    utc_now(t->fetched_at, sizeof t->fetched_at);
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* redirects are followed by hand (complete_transfer): each hop is checked
     * against the target's hosts and recorded for the evidence */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)limits->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)limits->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "lscan/0.1 (market surveillance)");
    /* gzip is asked for by hand and decoded by us after the body is hashed
     * as received, with our own bound on the decoded size */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)limits->max_body_bytes);
    if (curl_multi_add_handle(w->multi, e) != CURLM_OK) {
        t->active = false;
        return false;
    }
    return true;
}

static void forget_hops(transfer *t)
{
    for (unsigned i = 0; i < t->hops && i < MAX_HOPS; i++) {
        free((char *)t->chain[i].location);
        t->chain[i].location = NULL;
    }
    t->hops = 0;
}

static bool start_transfer(worker *w, transfer *t, crawl_request *r)
{
    t->request = *r;
    forget_hops(t);
    snprintf(t->url, sizeof t->url, "%s", r->url);
    return launch(w, t);
}

/* A transfer is over: its large-body slot goes back, and a body buffer that
 * grew past SMALL_BODY gives its memory back too. */
static void release_body(transfer *t)
{
    if (t->has_slot) {
        atomic_fetch_add(&t->scan->body_slots, 1);
        t->has_slot = false;
    }
    if (t->body.capacity > SMALL_BODY) {
        size_t max = t->body.max;
        bytebuf_free(&t->body);
        bytebuf_init(&t->body, max);
    }
}

/* Inflates gzip/deflate into w->decoded, at most max bytes. */
static int gunzip(worker *w, const char *data, size_t length, size_t max)
{
    bytebuf_reset(&w->decoded);
    w->decoded.max = max;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return -1;
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)length;
    char chunk[65536];
    int rc;
    do {
        z.next_out = (Bytef *)chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            return -1;
        }
        if (bytebuf_append(&w->decoded, chunk, sizeof chunk - z.avail_out) < 0) {
            inflateEnd(&z);
            return -2; /* a bomb, or just too big */
        }
    } while (rc != Z_STREAM_END && (z.avail_in > 0 || z.avail_out == 0));
    inflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

static unsigned backoff_ms(worker *w, unsigned attempt)
{
    unsigned base = 200u << (attempt < 6 ? attempt : 6);
    if (base > 8000)
        base = 8000;
    w->random ^= w->random << 13;
    w->random ^= w->random >> 7;
    w->random ^= w->random << 17;
    return base / 2 + (unsigned)(w->random % (base / 2 + 1)); /* jitter: 50-100% */
}

/* Retry-After in seconds (a number or an HTTP date); 0 when absent or past. */
static unsigned long retry_after_seconds(const char *value)
{
    if (!value || !*value)
        return 0;
    char *end;
    long seconds = strtol(value, &end, 10);
    if (end != value && *end == '\0')
        return seconds > 0 ? (unsigned long)seconds : 0;
    time_t when = curl_getdate(value, NULL);
    time_t now = time(NULL);
    return when > now ? (unsigned long)(when - now) : 1;
}

/* Failures that another attempt cannot mend: given up at once. */
static bool final_failure(fetch_error e)
{
    return e == FETCH_HTTP_4XX || e == FETCH_OFFSITE || e == FETCH_BLOCKED || e == FETCH_RETRY_AFTER;
}

static void fail_or_retry(worker *w, transfer *t, fetch_error e, unsigned delay_ms, unsigned hold_ms)
{
    scan *s = w->scan;
    release_body(t);
    atomic_fetch_add(&s->counters.errors[e], 1);
    crawl_request r = t->request;
    char url[1024];
    snprintf(url, sizeof url, "%s", r.url);
    if (!final_failure(e) && frontier_retry(s->frontier, &r, delay_ms ? delay_ms : backoff_ms(w, r.attempt), hold_ms)) {
        atomic_fetch_add(&s->counters.retries, 1);
        return;
    }
    if (final_failure(e))
        frontier_finish(s->frontier, &r, hold_ms);
    atomic_fetch_add(&s->counters.given_up, 1);
    atomic_fetch_add(&s->counters.given_up_by[e], 1);
    if (s->config.log) {
        char line[1400];
        snprintf(line, sizeof line, "gave up on %s after %u attempt%s: %s%s%s", url, r.attempt + 1u,
                 r.attempt ? "s" : "", fetch_error_name(e), t->error[0] ? ": " : "", t->error);
        s->config.log(s->config.log_ctx, line);
    }
}

/* Remembers the first reason flags did not reach Redis, and stops the scan
 * when Redis refuses for good (a wrong password is not an outage). */
static void note_sink_trouble(worker *w)
{
    scan *s = w->scan;
    bool permanent = sink_permanent_failure(w->sink);
    pthread_mutex_lock(&s->cause_lock);
    if (!s->cause[0] || (permanent && !s->permanent))
        snprintf(s->cause, sizeof s->cause, "%s", sink_error(w->sink));
    bool stop = permanent && !s->permanent;
    s->permanent |= permanent;
    pthread_mutex_unlock(&s->cause_lock);
    if (stop) {
        atomic_store(&s->stopped, true);
        frontier_stop(s->frontier);
        if (s->config.log) {
            char line[700];
            snprintf(line, sizeof line, "Redis refuses for good, stopping: %s", sink_error(w->sink));
            s->config.log(s->config.log_ctx, line);
        }
    }
}

static void handle_listing(worker *w, transfer *t, cJSON *record, const char *sha256, long status)
{
    scan *s = w->scan;
    char error[256];
    listing l;
    if (listing_from_json(record, &l, error, sizeof error) < 0) {
        atomic_fetch_add(&s->counters.bad_listings, 1);
        return;
    }
    uint64_t key = XXH3_64bits_withSeed(l.facts.listing_id, strlen(l.facts.listing_id),
                                        XXH3_64bits(l.facts.platform, strlen(l.facts.platform)));
    pthread_mutex_lock(&s->seen_lock);
    int fresh = hash_set_insert(&s->seen, key);
    pthread_mutex_unlock(&s->seen_lock);
    if (fresh <= 0) {
        atomic_fetch_add(&s->counters.duplicate_listings, 1);
        listing_free(&l);
        return;
    }
    atomic_fetch_add(&s->counters.listings, 1);
    flag_evidence evidence = {.url = t->url, .fetched_at = t->fetched_at, .http_status = status, .sha256 = sha256,
                              .requested_url = t->request.url, .redirects = t->chain,
                              .redirect_count = t->hops < MAX_HOPS ? t->hops : MAX_HOPS};
    decide_context context = {s->config.language, s->config.scan_id, &evidence};
    decision d;
    decide_error e = decide_listing(w->decider, &l, &context, &d);
    if (e != DECIDE_OK || d.flagged) {
        const ruleset *rules = decide_rules(w->decider);
        if (d.flagged) {
            atomic_fetch_add(&s->counters.flags, 1);
            if (d.cut)
                atomic_fetch_add(&s->counters.flags_cut, 1);
            for (size_t k = 0; k < d.result.rule_count; k++)
                atomic_fetch_add(&s->counters.flags_by_kind[ruleset_rule(rules, d.result.rules[k])->kind], 1);
            if (t->request.target < SCAN_MAX_TARGETS)
                atomic_fetch_add(&s->counters.flags_by_target[t->request.target], 1);
        }
        if (e != DECIDE_OK || sink_push(w->sink, d.flag_id, d.flag, d.flag_length) < 0) {
            atomic_fetch_add(&s->counters.sink_failures, 1);
            w->failed = true; /* a flag that is neither in Redis nor in the spool: the scan must not say 0 */
            pthread_mutex_lock(&s->cause_lock);
            if (!s->cause[0])
                snprintf(s->cause, sizeof s->cause, "flag %s: %s", d.flag_id,
                         e != DECIDE_OK ? decide_strerror(e) : sink_error(w->sink));
            pthread_mutex_unlock(&s->cause_lock);
        } else if (sink_spooling(w->sink) || sink_permanent_failure(w->sink)) {
            note_sink_trouble(w);
        }
    }
    listing_free(&l);
}

/* An HTML page that never reaches </html> was cut or garbled on the way. */
static bool html_complete(const char *body, size_t length)
{
    size_t from = length > 4096 ? length - 4096 : 0;
    for (size_t i = length >= 7 ? length - 7 : 0; i + 1 > from && i + 7 <= length; i--) {
        if (!strncasecmp(body + i, "</html", 6))
            return true;
        if (i == 0)
            break;
    }
    return false;
}

/* Follows a 3xx by hand: the next hop must stay on the target's hosts and
 * within max_redirects; each hop is kept for the evidence. True when the
 * transfer went on to the next hop (or was handed back as a failure). */
static void follow_redirect(worker *w, transfer *t, long status)
{
    scan *s = w->scan;
    const campaign_target *target = &s->campaign->targets[t->request.target];
    char *location = NULL;
    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &location);
    if (!location || !*location) {
        snprintf(t->error, sizeof t->error, "HTTP %ld without a usable Location", status);
        fail_or_retry(w, t, FETCH_OTHER, 0, 0);
        return;
    }
    if (t->hops >= s->campaign->limits.max_redirects || t->hops >= MAX_HOPS) {
        snprintf(t->error, sizeof t->error, "more than %u redirects", s->campaign->limits.max_redirects);
        fail_or_retry(w, t, FETCH_REDIRECTS, 0, 0);
        return;
    }
    char next[URL_MAX];
    if (!url_resolve(t->url, location, next, sizeof next) || !campaign_target_allows(target, next)) {
        snprintf(t->error, sizeof t->error, "redirect to %.160s is off the target's hosts", location);
        fail_or_retry(w, t, FETCH_OFFSITE, 0, 0);
        return;
    }
    t->chain[t->hops].status = status;
    t->chain[t->hops].location = strdup(next);
    if (!t->chain[t->hops].location) {
        snprintf(t->error, sizeof t->error, "out of memory");
        fail_or_retry(w, t, FETCH_OTHER, 0, 0);
        return;
    }
    t->hops++;
    snprintf(t->url, sizeof t->url, "%s", next);
    release_body(t);
    if (!launch(w, t)) {
        snprintf(t->error, sizeof t->error, "curl refused the transfer");
        fail_or_retry(w, t, FETCH_OTHER, 0, 0);
    }
}

static void complete_transfer(worker *w, transfer *t, CURLcode code)
{
    scan *s = w->scan;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(w->multi, t->easy);
    t->active = false;
    t->paused = false;
    if (code != CURLE_OK) {
        fetch_error e = FETCH_OTHER;
        switch (code) {
        case CURLE_OPERATION_TIMEDOUT: e = FETCH_TIMEOUT; break;
        case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST: e = t->blocked ? FETCH_BLOCKED : FETCH_CONNECT; break;
        case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING: e = FETCH_RESET; break;
        case CURLE_PARTIAL_FILE: e = FETCH_TRUNCATED; break;
        case CURLE_TOO_MANY_REDIRECTS: e = FETCH_REDIRECTS; break;
        case CURLE_FILESIZE_EXCEEDED: e = FETCH_TOO_BIG; break;
        case CURLE_WRITE_ERROR: e = t->too_big ? FETCH_TOO_BIG : FETCH_OTHER; break;
        default: e = t->blocked ? FETCH_BLOCKED : FETCH_OTHER; break;
        }
        if (e == FETCH_BLOCKED)
            snprintf(t->error, sizeof t->error, "%.160s resolves to a private address that is not the target's own",
                     t->url);
        fail_or_retry(w, t, e, 0, 0);
        return;
    }
    if (status >= 300 && status < 400 && status != 304) {
        follow_redirect(w, t, status);
        return;
    }
    if (status == 429 || status == 503) {
        unsigned long wait = retry_after_seconds(t->retry_after);
        unsigned long cap = s->campaign->limits.max_retry_after_s;
        if (wait > cap) {
            /* a host asking for longer than the campaign allows: give the page up, counted, instead of stalling */
            snprintf(t->error, sizeof t->error, "HTTP %ld asks to wait %lu s (Retry-After), more than the %lu s allowed "
                     "(limits.max_retry_after_s)", status, wait, cap);
            fail_or_retry(w, t, FETCH_RETRY_AFTER, 0, (unsigned)(cap * 1000));
            return;
        }
        unsigned hold = (unsigned)(wait * 1000);
        fail_or_retry(w, t, status == 429 ? FETCH_HTTP_429 : FETCH_HTTP_5XX, hold, hold);
        return;
    }
    if (status >= 500) {
        fail_or_retry(w, t, FETCH_HTTP_5XX, 0, 0);
        return;
    }
    if (status >= 400) {
        fail_or_retry(w, t, FETCH_HTTP_4XX, 0, 0);
        return;
    }
    unsigned char digest[32];
    unsigned int digest_length = 0;
    EVP_DigestFinal_ex(t->sha, digest, &digest_length);
    char sha256[65];
    for (unsigned i = 0; i < 32; i++)
        snprintf(sha256 + 2 * i, 3, "%02x", digest[i]);
    const char *body = t->body.data ? t->body.data : "";
    size_t length = t->body.length;
    if (!strcasecmp(t->content_encoding, "gzip") || !strcasecmp(t->content_encoding, "deflate")) {
        int rc = gunzip(w, body, length, s->campaign->limits.max_body_bytes);
        if (rc < 0) {
            fail_or_retry(w, t, rc == -2 ? FETCH_TOO_BIG : FETCH_DECODE, 0, 0);
            return;
        }
        body = w->decoded.data ? w->decoded.data : "";
        length = w->decoded.length;
    }
    const campaign_target *target = &s->campaign->targets[t->request.target];
    /* a cut HTML page still parses (HTML is forgiving) but misses what was
     * cut: retry it, and take what there is only on the last attempt */
    if ((t->request.kind == PAGE_HTML || target->adapter == ADAPTER_STOREFRONT) && !html_complete(body, length) &&
        t->request.attempt < s->campaign->limits.retries) {
        snprintf(t->error, sizeof t->error, "the HTML page ends before </html>");
        fail_or_retry(w, t, FETCH_PARSE, 0, 0);
        return;
    }
    adapter_result_reset(&w->result);
    char error[256];
    if (adapter_parse(target, (page_kind)t->request.kind, t->url, body, length, &w->result, error,
                      sizeof error) < 0) {
        snprintf(t->error, sizeof t->error, "%s", error);
        fail_or_retry(w, t, FETCH_PARSE, 0, 0);
        return;
    }
    atomic_fetch_add(&s->counters.pages, 1);
    atomic_fetch_add(&s->counters.bytes, t->body.length);
    if (w->result.json_repairs) {
        atomic_fetch_add(&s->counters.pages_json_repaired, 1);
        atomic_fetch_add(&s->counters.json_repairs, w->result.json_repairs);
    }
    /* next pages and followed links stay on the target's hosts */
    for (size_t i = 0; i < w->result.link_count; i++) {
        if (campaign_target_allows(target, w->result.links[i].url))
            frontier_push(s->frontier, w->result.links[i].url, t->request.target, (uint16_t)w->result.links[i].kind);
        else
            atomic_fetch_add(&s->counters.links_offsite, 1);
    }
    for (cJSON *record = w->result.listings->child; record;) {
        cJSON *next = record->next;
        cJSON_DetachItemViaPointer(w->result.listings, record);
        handle_listing(w, t, record, sha256, status);
        record = next;
    }
    release_body(t);
    if (w->decoded.capacity > SMALL_BODY) {
        bytebuf_free(&w->decoded);
        bytebuf_init(&w->decoded, 0);
    }
    frontier_finish(s->frontier, &t->request, 0);
}

/* Transfers paused for want of a large-body slot go on when one is free. */
static void resume_paused(worker *w)
{
    for (unsigned i = 0; i < w->transfer_count; i++) {
        transfer *t = &w->transfers[i];
        if (!t->active || !t->paused || !take_body_slot(w->scan))
            continue;
        t->has_slot = true;
        t->paused = false;
        curl_easy_pause(t->easy, CURLPAUSE_CONT);
    }
}

/* Moves the worker to the latest rule set when a reload published one. */
static void follow_rules(worker *w)
{
    scan *s = w->scan;
    unsigned g = atomic_load(&s->generation);
    if (g == w->generation)
        return;
    const ruleset *next = atomic_load(&s->rules);
    if (decide_use_rules(w->decider, next) < 0)
        return; /* out of memory: stay on the old set and try again next page */
    w->generation = g;
    atomic_store(&w->acked, g);
}

/* A checkpoint is being written: make this worker's flags durable, then
 * wait until the frontier has been saved. */
static void pause_if_asked(worker *w)
{
    scan *s = w->scan;
    if (!atomic_load(&s->pause_requested))
        return;
    if (sink_flush(w->sink) < 0)
        w->failed = true;
    pthread_mutex_lock(&s->pause_lock);
    s->paused++;
    pthread_cond_broadcast(&s->pause_changed);
    while (s->pausing)
        pthread_cond_wait(&s->pause_changed, &s->pause_lock);
    s->paused--;
    pthread_mutex_unlock(&s->pause_lock);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    scan *s = w->scan;
    for (;;) {
        pause_if_asked(w);
        follow_rules(w);
        unsigned active = 0;
        int wait_ms = 50;
        bool over = false;
        for (unsigned i = 0; i < w->transfer_count; i++)
            active += w->transfers[i].active;
        /* fill the free slots while the frontier allows */
        for (unsigned i = 0; i < w->transfer_count && !over; i++) {
            transfer *t = &w->transfers[i];
            if (t->active)
                continue;
            crawl_request r;
            int rc = frontier_pop(s->frontier, &r, &wait_ms);
            if (rc == 0)
                break;
            if (rc < 0) {
                over = true;
                break;
            }
            if (start_transfer(w, t, &r)) {
                active++;
            } else {
                snprintf(t->error, sizeof t->error, "curl refused the transfer");
                fail_or_retry(w, t, FETCH_OTHER, 0, 0);
            }
        }
        if (!active) {
            if (over)
                break;
            /* nothing allowed yet: wait for the politeness clock (or a finish elsewhere) */
            curl_multi_poll(w->multi, NULL, 0, wait_ms > 0 ? wait_ms : 1, NULL);
            continue;
        }
        resume_paused(w);
        int running = 0;
        curl_multi_perform(w->multi, &running);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(w->multi, &left))) {
            if (message->msg != CURLMSG_DONE)
                continue;
            transfer *t = NULL;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            CURLcode code = message->data.result;
            complete_transfer(w, t, code);
        }
        if (running)
            curl_multi_poll(w->multi, NULL, 0, active < w->transfer_count ? (wait_ms < 20 ? wait_ms : 20) : 100, NULL);
    }
    if (sink_flush(w->sink) < 0)
        w->failed = true;
    atomic_store(&w->running, false);
    pthread_mutex_lock(&s->pause_lock);
    s->running--;
    pthread_cond_broadcast(&s->pause_changed);
    pthread_mutex_unlock(&s->pause_lock);
    pthread_mutex_lock(&s->done_lock);
    s->finished++;
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->done_lock);
    return NULL;
}

/* ---- the scan ------------------------------------------------------------------ */

static void worker_free(worker *w)
{
    for (unsigned i = 0; w->transfers && i < w->transfer_count; i++) {
        transfer *t = &w->transfers[i];
        if (t->easy) {
            if (t->active)
                curl_multi_remove_handle(w->multi, t->easy);
            curl_easy_cleanup(t->easy);
        }
        if (t->active)
            free(t->request.url);
        if (t->has_slot)
            atomic_fetch_add(&w->scan->body_slots, 1);
        forget_hops(t);
        EVP_MD_CTX_free(t->sha);
        bytebuf_free(&t->body);
    }
    free(w->transfers);
    if (w->multi)
        curl_multi_cleanup(w->multi);
    curl_slist_free_all(w->headers);
    decide_destroy(w->decider);
    sink_destroy(w->sink);
    adapter_result_free(&w->result);
    bytebuf_free(&w->decoded);
}

static int worker_init(scan *s, worker *w, unsigned index, char *error, size_t error_size)
{
    w->scan = s;
    atomic_init(&w->acked, 0);
    atomic_init(&w->running, true);
    w->random = 0x9E3779B97F4A7C15ull * (index + 1);
    adapter_result_init(&w->result);
    bytebuf_init(&w->decoded, 0);
    w->transfer_count = s->config.transfers_per_thread;
    w->transfers = calloc(w->transfer_count, sizeof *w->transfers);
    w->multi = curl_multi_init();
    w->headers = curl_slist_append(NULL, s->campaign->limits.gzip ? "Accept-Encoding: gzip" : "Accept-Encoding: identity");
    if (!w->transfers || !w->multi || !w->headers || decide_create(s->config.rules, &w->decider) < 0) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    /* Per-host concurrency is the frontier's job, across all workers: curl's
     * own CURLMOPT_MAX_HOST_CONNECTIONS parks extra transfers in a queue
     * where, in this curl, they could wait forever without timing out. */
    for (unsigned i = 0; i < w->transfer_count; i++) {
        transfer *t = &w->transfers[i];
        t->scan = s;
        t->easy = curl_easy_init();
        t->sha = EVP_MD_CTX_new();
        bytebuf_init(&t->body, s->campaign->limits.max_body_bytes);
        if (!t->easy || !t->sha) {
            snprintf(error, error_size, "out of memory");
            return -1;
        }
    }
    char spool[4096];
    if (s->config.state_dir)
        snprintf(spool, sizeof spool, "%s/spool-%u.bin", s->config.state_dir, index);
    sink_options options = {.url = s->config.redis_url, .prefix = s->campaign->redis_prefix,
                            .spool_path = s->config.state_dir ? spool : NULL, .username = s->config.redis_username,
                            .password = s->config.redis_password};
    char why[512];
    if (sink_create(&options, &w->sink, why, sizeof why) < 0) {
        snprintf(error, error_size, "%s: %s", s->config.state_dir ? "cannot start the Redis sink" : "cannot connect to Redis",
                 why);
        return -1;
    }
    if (sink_spooling(w->sink) && s->config.log && index == 0) {
        char line[700];
        snprintf(line, sizeof line, "Redis is away (%s): flags go to the spool in %s and are replayed when it returns",
                 sink_error(w->sink), s->config.state_dir);
        s->config.log(s->config.log_ctx, line);
    }
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------
 * File: "LSCANCK2", u32 size of the counters, the counters (u64 each), then
 * one record 'T' per campaign target (u32 index, u64 fingerprint, u16 name
 * length, name), then records 'U' (u32 target, u16 kind, u16 attempt, u32
 * length, URL) and 'K' (u64 key of a URL seen), then 'E', then a CRC-32 of
 * everything before it. Little-endian x86-64 layout, like the spool; not
 * meant to move between machines. A resume maps targets by name: a target
 * whose definition changed is refused, one that is gone loses its URLs
 * (counted), a new one starts from its seeds. */

#define CHECKPOINT_MAGIC "LSCANCK2"
#define CHECKPOINT_MAX_BYTES ((size_t)1 << 30)

typedef struct checkpoint_writer {
    FILE *file;
    uLong crc;
    bool failed;
} checkpoint_writer;

static void put(checkpoint_writer *w, const void *data, size_t n)
{
    if (w->failed || fwrite(data, 1, n, w->file) != n) {
        w->failed = true;
        return;
    }
    w->crc = crc32(w->crc, data, (uInt)n);
}

static void put_url(void *ctx, const char *url, uint32_t target, uint16_t kind, uint16_t attempt)
{
    checkpoint_writer *w = ctx;
    uint32_t length = (uint32_t)strlen(url);
    put(w, "U", 1);
    put(w, &target, 4);
    put(w, &kind, 2);
    put(w, &attempt, 2);
    put(w, &length, 4);
    put(w, url, length);
}

static void put_key(void *ctx, uint64_t key)
{
    checkpoint_writer *w = ctx;
    put(w, "K", 1);
    put(w, &key, 8);
}

/* Writes the frontier and the counters; the workers are paused or gone. */
static int write_checkpoint(scan *s, char *error, size_t error_size)
{
    const char *path = s->config.checkpoint_path;
    char temporary[4200];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    checkpoint_writer w = {fopen(temporary, "wb"), crc32(0L, Z_NULL, 0), false};
    if (!w.file) {
        snprintf(error, error_size, "cannot write %s: %s", temporary, strerror(errno));
        return -1;
    }
    put(&w, CHECKPOINT_MAGIC, 8);
    uint32_t size = (uint32_t)sizeof s->counters;
    put(&w, &size, 4);
    uint64_t values[sizeof s->counters / sizeof(uint64_t)];
    const _Atomic uint64_t *counters = (const _Atomic uint64_t *)&s->counters;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        values[i] = atomic_load(&counters[i]);
    put(&w, values, sizeof values);
    for (size_t i = 0; i < s->campaign->target_count && i < SCAN_MAX_TARGETS; i++) {
        const campaign_target *t = &s->campaign->targets[i];
        uint32_t index = (uint32_t)i;
        uint64_t fingerprint = campaign_target_fingerprint(t);
        size_t n = strlen(t->name);
        uint16_t name_length = (uint16_t)(n > 65535 ? 65535 : n);
        put(&w, "T", 1);
        put(&w, &index, 4);
        put(&w, &fingerprint, 8);
        put(&w, &name_length, 2);
        put(&w, t->name, name_length);
    }
    frontier_snapshot(s->frontier, put_url, put_key, &w);
    put(&w, "E", 1);
    uint32_t crc = (uint32_t)w.crc;
    if (!w.failed && fwrite(&crc, 1, 4, w.file) != 4)
        w.failed = true;
    if (fflush(w.file) != 0 || fsync(fileno(w.file)) != 0)
        w.failed = true;
    if (fclose(w.file) != 0)
        w.failed = true;
    if (w.failed || rename(temporary, path) != 0) {
        snprintf(error, error_size, "cannot write %s: %s", path, strerror(errno));
        unlink(temporary);
        return -1;
    }
    return 0;
}

int scan_checkpoint(scan *s, char *error, size_t error_size)
{
    if (!s->config.checkpoint_path) {
        snprintf(error, error_size, "no state directory");
        return -1;
    }
    /* the barrier: every running worker flushes and waits */
    pthread_mutex_lock(&s->pause_lock);
    s->pausing = true;
    atomic_store(&s->pause_requested, true);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    bool all = true;
    while (s->paused < s->running)
        if (pthread_cond_timedwait(&s->pause_changed, &s->pause_lock, &deadline) != 0) {
            all = false;
            break;
        }
    pthread_mutex_unlock(&s->pause_lock);
    bool durable = all;
    for (unsigned i = 0; i < s->worker_count; i++)
        durable &= !s->workers[i].failed;
    int rc = -1;
    if (!all)
        snprintf(error, error_size, "the workers did not pause in 30 s");
    else if (!durable)
        snprintf(error, error_size, "some flags are not in Redis or a spool yet: no checkpoint this time");
    else
        rc = write_checkpoint(s, error, error_size);
    pthread_mutex_lock(&s->pause_lock);
    s->pausing = false;
    atomic_store(&s->pause_requested, false);
    pthread_cond_broadcast(&s->pause_changed);
    pthread_mutex_unlock(&s->pause_lock);
    return rc;
}

/* Reads the checkpoint into the (empty) frontier and the counters. Returns
 * 0; 1 when there is no checkpoint file (start from the seeds); -1 with a
 * message when it cannot be used. targets_restored[i] tells which of this
 * campaign's targets the checkpoint knew (the others are seeded afresh). */
static int load_checkpoint(scan *s, bool *targets_restored, char *error, size_t error_size)
{
    const char *path = s->config.checkpoint_path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(error, error_size, "cannot read the checkpoint %s: %s", path, strerror(errno));
        return -1;
    }
    bytebuf data;
    bytebuf_init(&data, CHECKPOINT_MAX_BYTES);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (bytebuf_append(&data, chunk, n) < 0)
            break;
    fclose(f);
    const unsigned char *p = (const unsigned char *)data.data;
    size_t length = data.length;
    uint32_t crc = 0, size = 0;
    if (data.overflow || length < 8 + 4 + 1 + 4 || memcmp(p, CHECKPOINT_MAGIC, 8)) {
        snprintf(error, error_size, "%s is not a checkpoint of this version of lscan", path);
        bytebuf_free(&data);
        return -1;
    }
    memcpy(&crc, p + length - 4, 4);
    memcpy(&size, p + 8, 4);
    if ((uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)(length - 4)) != crc || size != sizeof s->counters ||
        p[length - 5] != 'E') {
        snprintf(error, error_size, "%s is damaged or from another version of lscan", path);
        bytebuf_free(&data);
        return -1;
    }
    uint64_t saved[sizeof s->counters / 8];
    memcpy(saved, p + 12, sizeof saved);
    size_t at = 12 + size, end = length - 5;
    /* the targets: old index -> this campaign's index by name (-1: gone) */
    int32_t map[SCAN_MAX_TARGETS];
    for (size_t i = 0; i < SCAN_MAX_TARGETS; i++)
        map[i] = -1;
    int rc = 0;
    while (at < end && p[at] == 'T' && rc == 0) {
        uint32_t index;
        uint64_t fingerprint;
        uint16_t name_length;
        if (at + 15 > end) {
            rc = -1;
            break;
        }
        memcpy(&index, p + at + 1, 4);
        memcpy(&fingerprint, p + at + 5, 8);
        memcpy(&name_length, p + at + 13, 2);
        if (at + 15 + name_length > end || index >= SCAN_MAX_TARGETS) {
            rc = -1;
            break;
        }
        const char *name = (const char *)p + at + 15;
        for (size_t i = 0; i < s->campaign->target_count && i < SCAN_MAX_TARGETS; i++) {
            const campaign_target *t = &s->campaign->targets[i];
            if (strlen(t->name) != name_length || memcmp(t->name, name, name_length))
                continue;
            if (campaign_target_fingerprint(t) != fingerprint) {
                snprintf(error, error_size, "cannot resume: target '%s' changed since the checkpoint (its adapter, "
                         "platform, base_url, hosts or fields): its saved pages would be read with the wrong "
                         "settings; restore it, or start over without --resume (remove %s)", t->name, path);
                bytebuf_free(&data);
                return -2;
            }
            map[index] = (int32_t)i;
            targets_restored[i] = true;
        }
        at += 15 + name_length;
    }
    /* counters: the flags by target move with their targets */
    _Atomic uint64_t *counters = (_Atomic uint64_t *)&s->counters;
    const size_t by_target = offsetof(scan_counters, flags_by_target) / 8;
    for (size_t i = 0; i < size / 8; i++) {
        if (i >= by_target && i < by_target + SCAN_MAX_TARGETS) {
            int32_t to = map[i - by_target];
            if (to >= 0)
                atomic_store(&counters[by_target + (size_t)to], saved[i]);
            continue;
        }
        atomic_store(&counters[i], saved[i]);
    }
    while (at < end && rc == 0) {
        if (p[at] == 'K' && at + 9 <= end) {
            uint64_t key;
            memcpy(&key, p + at + 1, 8);
            rc = frontier_restore_key(s->frontier, key);
            at += 9;
        } else if (p[at] == 'U' && at + 13 <= end) {
            uint32_t target, url_length;
            uint16_t kind, attempt;
            memcpy(&target, p + at + 1, 4);
            memcpy(&kind, p + at + 5, 2);
            memcpy(&attempt, p + at + 7, 2);
            memcpy(&url_length, p + at + 9, 4);
            if (at + 13 + url_length > end || target >= SCAN_MAX_TARGETS) {
                rc = -1;
                break;
            }
            if (map[target] < 0) {
                s->links_dropped_on_resume++; /* its target is no longer in the campaign */
            } else {
                char *url = strndup((const char *)p + at + 13, url_length);
                rc = url ? frontier_restore_url(s->frontier, url, (uint32_t)map[target], kind, attempt) : -1;
                free(url);
            }
            at += 13 + url_length;
        } else {
            rc = -1;
        }
    }
    if (rc < 0)
        snprintf(error, error_size, "%s: a record is damaged or does not fit this campaign", path);
    bytebuf_free(&data);
    return rc;
}

/* The addresses of a target's own host: the literal IP, or what its name
 * resolves to now. */
static void find_own_addresses(const campaign_target *t, own_addresses *out)
{
    url_parts p;
    out->count = 0;
    if (!t->base_url || !url_parse(t->base_url, &p))
        return;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list = NULL;
    if (getaddrinfo(p.host, NULL, &hints, &list) != 0)
        return;
    for (struct addrinfo *a = list; a && out->count < MAX_OWN_ADDRESSES; a = a->ai_next)
        if (a->ai_addrlen <= sizeof out->address[0])
            memcpy(&out->address[out->count++], a->ai_addr, a->ai_addrlen);
    freeaddrinfo(list);
}

static const char *const scan_error_texts[] = {
    "ok", "out of memory", "the checkpoint cannot be used", "the campaign changed since the checkpoint",
    "cannot create the state directory", "Redis refused or is unreachable", "cannot start a worker thread"};

const char *scan_strerror(scan_error e)
{
    return (unsigned)e < sizeof scan_error_texts / sizeof *scan_error_texts ? scan_error_texts[e] : "unknown error";
}

/* Frees a scan that never started its threads. */
static scan *abandon(scan *s, scan_error code, scan_error *out)
{
    *out = code;
    scan_finish(s, NULL, NULL);
    return NULL;
}

scan *scan_start(const scan_config *config, scan_error *code, char *error, size_t error_size)
{
    scan_error ignored;
    if (!code)
        code = &ignored;
    *code = SCAN_OK;
    scan *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(error, error_size, "out of memory");
        *code = SCAN_ERROR_MEMORY;
        return NULL;
    }
    s->config = *config;
    s->campaign = config->campaign;
    if (!s->config.threads)
        s->config.threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (!s->config.transfers_per_thread)
        s->config.transfers_per_thread = 32;
    if (!s->config.redis_url)
        s->config.redis_url = s->campaign->redis_url ? s->campaign->redis_url : "redis://127.0.0.1:6379";
    atomic_init(&s->rules, config->rules);
    atomic_init(&s->generation, 0);
    atomic_init(&s->stopped, false);
    pthread_mutex_init(&s->seen_lock, NULL);
    pthread_mutex_init(&s->done_lock, NULL);
    pthread_mutex_init(&s->pause_lock, NULL);
    pthread_mutex_init(&s->cause_lock, NULL);
    pthread_cond_init(&s->pause_changed, NULL);
    atomic_init(&s->pause_requested, false);
    pthread_cond_init(&s->done, NULL);
    const campaign_limits *limits = &s->campaign->limits;
    /* the body budget: SMALL_BODY per transfer, a decode buffer per worker,
     * the rest in large-body slots of max_body_bytes */
    size_t transfers = (size_t)s->config.threads * s->config.transfers_per_thread;
    size_t fixed = transfers * SMALL_BODY + (size_t)s->config.threads * limits->max_body_bytes;
    long slots = limits->body_memory_bytes > fixed ? (long)((limits->body_memory_bytes - fixed) / limits->max_body_bytes) : 0;
    atomic_init(&s->body_slots, slots > 0 ? slots : 1);
    frontier_options fo = {limits->per_host_concurrency, limits->requests_per_second, limits->frontier_max,
                           limits->retries + 1, limits->max_pages};
    s->own = calloc(s->campaign->target_count ? s->campaign->target_count : 1, sizeof *s->own);
    if (!s->own || frontier_create(&fo, &s->frontier) < 0 || hash_set_init(&s->seen, 1 << 16) < 0) {
        snprintf(error, error_size, "out of memory");
        return abandon(s, SCAN_ERROR_MEMORY, code);
    }
    for (size_t i = 0; i < s->campaign->target_count; i++)
        find_own_addresses(&s->campaign->targets[i], &s->own[i]);
    bool restored[SCAN_MAX_TARGETS] = {false};
    if (config->resume) {
        int rc = config->checkpoint_path ? load_checkpoint(s, restored, error, error_size) : -1;
        if (!config->checkpoint_path)
            snprintf(error, error_size, "--resume needs a state directory");
        if (rc < 0)
            return abandon(s, rc == -2 ? SCAN_ERROR_CAMPAIGN_CHANGED : SCAN_ERROR_CHECKPOINT, code);
        s->resumed = rc == 0;
    }
    /* seeds: each target's start pages (but those a checkpoint restored);
     * `keywords: auto` searches every rule's name */
    const char **names = calloc(ruleset_rule_count(config->rules) + 1, sizeof *names);
    size_t name_count = 0;
    for (size_t i = 0; names && i < ruleset_rule_count(config->rules); i++)
        names[name_count++] = ruleset_rule(config->rules, i)->name;
    for (size_t i = 0; i < s->campaign->target_count && i < SCAN_MAX_TARGETS; i++) {
        if (restored[i])
            continue;
        s->targets_seeded += s->resumed;
        adapter_result seeds;
        adapter_result_init(&seeds);
        adapter_seed(&s->campaign->targets[i], names, name_count, &seeds);
        for (size_t k = 0; k < seeds.link_count; k++)
            frontier_push(s->frontier, seeds.links[k].url, (uint32_t)i, (uint16_t)seeds.links[k].kind);
        adapter_result_free(&seeds);
    }
    free(names);
    if (s->config.state_dir) {
        if (mkdir(s->config.state_dir, 0700) < 0 && errno != EEXIST) {
            snprintf(error, error_size, "cannot create the state directory %s: %s", s->config.state_dir, strerror(errno));
            return abandon(s, SCAN_ERROR_STATE_DIR, code);
        }
        /* spools of workers a previous run had and this one has not: replay them now */
        for (unsigned i = s->config.threads; i < 256; i++) {
            char spool[4096];
            snprintf(spool, sizeof spool, "%s/spool-%u.bin", s->config.state_dir, i);
            struct stat st;
            if (stat(spool, &st) < 0)
                continue;
            sink_options o = {.url = s->config.redis_url, .prefix = s->campaign->redis_prefix, .spool_path = spool,
                              .username = s->config.redis_username, .password = s->config.redis_password};
            redis_sink *leftover;
            char sink_error[512];
            if (sink_create(&o, &leftover, sink_error, sizeof sink_error) == 0) {
                sink_stats st2;
                sink_get_stats(leftover, &st2);
                atomic_fetch_add(&s->counters.flags_replayed, st2.replayed);
                bool still = sink_spool_bytes(leftover) > 0;
                s->leftover_waiting += sink_spool_records(leftover);
                sink_destroy(leftover);
                if (!still)
                    unlink(spool);
            }
        }
    }
    s->worker_count = s->config.threads;
    s->workers = calloc(s->worker_count, sizeof *s->workers);
    if (!s->workers) {
        snprintf(error, error_size, "out of memory");
        return abandon(s, SCAN_ERROR_MEMORY, code);
    }
    for (unsigned i = 0; i < s->worker_count; i++) {
        if (worker_init(s, &s->workers[i], i, error, error_size) < 0) {
            s->worker_count = i + 1;
            frontier_stop(s->frontier);
            return abandon(s, s->workers[i].sink || strstr(error, "out of memory") ? SCAN_ERROR_MEMORY : SCAN_ERROR_REDIS,
                           code);
        }
    }
    s->running = s->worker_count;
    for (unsigned i = 0; i < s->worker_count; i++) {
        if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) {
            snprintf(error, error_size, "cannot start a worker thread");
            frontier_stop(s->frontier);
            s->worker_count = i; /* only the started ones are joined */
            return abandon(s, SCAN_ERROR_THREADS, code);
        }
    }
    return s;
}

bool scan_resumed(const scan *s, uint64_t *urls_dropped, unsigned *targets_seeded)
{
    if (urls_dropped)
        *urls_dropped = s->links_dropped_on_resume;
    if (targets_seeded)
        *targets_seeded = s->targets_seeded;
    return s->resumed;
}

bool scan_wait(scan *s, unsigned timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->done_lock);
    while (s->finished < s->worker_count)
        if (pthread_cond_timedwait(&s->done, &s->done_lock, &deadline) != 0)
            break;
    bool all = s->finished >= s->worker_count;
    pthread_mutex_unlock(&s->done_lock);
    return all;
}

void scan_stop(scan *s)
{
    s->stopped = true;
    frontier_stop(s->frontier);
}

bool scan_complete(scan *s)
{
    frontier_stats st;
    frontier_get_stats(s->frontier, &st);
    return !s->stopped && st.queued == 0 && st.delayed == 0 && st.in_flight == 0;
}

const scan_counters *scan_get_counters(const scan *s)
{
    return &s->counters;
}

void scan_frontier_stats(scan *s, frontier_stats *out)
{
    frontier_get_stats(s->frontier, out);
}

int scan_finish(scan *s, scan_counters *final, scan_delivery *delivery)
{
    if (!s)
        return 0;
    int rc = 0;
    uint64_t waiting = s->leftover_waiting, lost = 0;
    char last_error[512] = "", lost_error[512] = "";
    for (unsigned i = 0; s->workers && i < s->worker_count; i++) {
        worker *w = &s->workers[i];
        if (w->thread)
            pthread_join(w->thread, NULL);
        if (w->sink) {
            if (sink_pending(w->sink))
                (void)sink_flush(w->sink); /* last try; with a spool what Redis does not take goes there */
            sink_stats st;
            sink_get_stats(w->sink, &st);
            atomic_fetch_add(&s->counters.flags_new, st.added);
            atomic_fetch_add(&s->counters.flags_known, st.duplicates);
            atomic_fetch_add(&s->counters.flags_spooled, st.spooled);
            atomic_fetch_add(&s->counters.flags_replayed, st.replayed);
            lost += sink_pending(w->sink);
            waiting += sink_spool_records(w->sink);
            /* the sink's last error says why flags are still in memory (a spool that cannot be written) */
            if (sink_pending(w->sink) && sink_error(w->sink)[0])
                snprintf(lost_error, sizeof lost_error, "%s", sink_error(w->sink));
            if (sink_spool_records(w->sink) && sink_error(w->sink)[0])
                snprintf(last_error, sizeof last_error, "%s", sink_error(w->sink));
            if (sink_permanent_failure(w->sink))
                s->permanent = true;
        }
        if (w->failed)
            rc = -1;
        worker_free(w);
    }
    lost += atomic_load(&s->counters.sink_failures);
    if (lost || waiting)
        rc = -1;
    if (delivery) {
        memset(delivery, 0, sizeof *delivery);
        delivery->waiting = waiting;
        delivery->lost = lost;
        delivery->permanent = s->permanent;
        snprintf(delivery->cause, sizeof delivery->cause, "%s",
                 lost_error[0] ? lost_error : s->cause[0] ? s->cause : last_error);
    }
    free(s->workers);
    if (final)
        memcpy(final, &s->counters, sizeof *final);
    frontier_destroy(s->frontier);
    hash_set_free(&s->seen);
    free(s->own);
    pthread_mutex_destroy(&s->seen_lock);
    pthread_mutex_destroy(&s->done_lock);
    pthread_mutex_destroy(&s->pause_lock);
    pthread_mutex_destroy(&s->cause_lock);
    pthread_cond_destroy(&s->pause_changed);
    pthread_cond_destroy(&s->done);
    free(s);
    return rc;
}

const ruleset *scan_swap_rules(scan *s, const ruleset *next)
{
    const ruleset *previous = atomic_exchange(&s->rules, next);
    atomic_fetch_add(&s->generation, 1);
    return previous;
}

bool scan_rules_moved(scan *s)
{
    unsigned g = atomic_load(&s->generation);
    for (unsigned i = 0; i < s->worker_count; i++) {
        worker *w = &s->workers[i];
        if (atomic_load(&w->running) && atomic_load(&w->acked) != g)
            return false;
    }
    return true;
}

unsigned scan_rules_generation(const scan *s)
{
    return atomic_load(&((scan *)s)->generation);
}

static void metric(bytebuf *out, const char *name, const char *type, const char *help)
{
    bytebuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void scan_write_metrics(scan *s, bytebuf *out)
{
    const scan_counters *c = &s->counters;
    metric(out, "lscan_pages_total", "counter", "Pages fetched and read.");
    bytebuf_printf(out, "lscan_pages_total %llu\n", (unsigned long long)atomic_load(&c->pages));
    metric(out, "lscan_listings_total", "counter", "Distinct listings matched.");
    bytebuf_printf(out, "lscan_listings_total %llu\n", (unsigned long long)atomic_load(&c->listings));
    metric(out, "lscan_flags_total", "counter", "Suspected violations found, by rule kind.");
    for (int k = 0; k < RULE_KIND_COUNT; k++)
        bytebuf_printf(out, "lscan_flags_total{kind=\"%s\"} %llu\n", rule_kind_name((rule_kind)k),
                       (unsigned long long)atomic_load(&c->flags_by_kind[k]));
    metric(out, "lscan_errors_total", "counter", "Failed fetch attempts, by class.");
    for (int e = 0; e < FETCH_ERROR_COUNT; e++)
        bytebuf_printf(out, "lscan_errors_total{class=\"%s\"} %llu\n", fetch_error_name((fetch_error)e),
                       (unsigned long long)atomic_load(&c->errors[e]));
    metric(out, "lscan_pages_given_up_total", "counter", "Pages abandoned after their retries, by last failure.");
    for (int e = 0; e < FETCH_ERROR_COUNT; e++)
        bytebuf_printf(out, "lscan_pages_given_up_total{class=\"%s\"} %llu\n", fetch_error_name((fetch_error)e),
                       (unsigned long long)atomic_load(&c->given_up_by[e]));
    metric(out, "lscan_flags_cut_total", "counter", "Flags whose listing text was cut to fit the 1 MiB bound.");
    bytebuf_printf(out, "lscan_flags_cut_total %llu\n", (unsigned long long)atomic_load(&c->flags_cut));
    metric(out, "lscan_flags_not_accepted_total", "counter", "Flags the sink did not accept (neither Redis nor spool).");
    bytebuf_printf(out, "lscan_flags_not_accepted_total %llu\n", (unsigned long long)atomic_load(&c->sink_failures));
    metric(out, "lscan_listings_refused_total", "counter", "Listings without a required field, or with one of the wrong type.");
    bytebuf_printf(out, "lscan_listings_refused_total %llu\n", (unsigned long long)atomic_load(&c->bad_listings));
    metric(out, "lscan_pages_json_repaired_total", "counter", "Pages with lone surrogate or NUL escapes repaired.");
    bytebuf_printf(out, "lscan_pages_json_repaired_total %llu\n", (unsigned long long)atomic_load(&c->pages_json_repaired));
    metric(out, "lscan_links_offsite_total", "counter", "Next-page and followed links refused: off the target's hosts.");
    bytebuf_printf(out, "lscan_links_offsite_total %llu\n", (unsigned long long)atomic_load(&c->links_offsite));
    metric(out, "lscan_retries_total", "counter", "Fetch attempts retried.");
    bytebuf_printf(out, "lscan_retries_total %llu\n", (unsigned long long)atomic_load(&c->retries));
    frontier_stats fs;
    frontier_get_stats(s->frontier, &fs);
    metric(out, "lscan_frontier_urls", "gauge", "URLs waiting or in flight.");
    bytebuf_printf(out, "lscan_frontier_urls{state=\"queued\"} %llu\nlscan_frontier_urls{state=\"delayed\"} %llu\n"
                        "lscan_frontier_urls{state=\"in_flight\"} %llu\n",
                   (unsigned long long)fs.queued, (unsigned long long)fs.delayed, (unsigned long long)fs.in_flight);
    metric(out, "lscan_frontier_refused_total", "counter", "URLs refused because the frontier was full.");
    bytebuf_printf(out, "lscan_frontier_refused_total %llu\n", (unsigned long long)fs.refused);
    metric(out, "lscan_spool_bytes", "gauge", "Flags waiting in the local spool for Redis to return.");
    bytebuf_printf(out, "lscan_spool_bytes %llu\n", (unsigned long long)scan_spool_bytes(s, NULL));
    metric(out, "lscan_ruleset_generation", "gauge", "Rule set version: 0 at start, +1 per reload.");
    bytebuf_printf(out, "lscan_ruleset_generation %u\n", atomic_load(&s->generation));
}

uint64_t scan_spool_bytes(scan *s, bool *spooling)
{
    uint64_t bytes = 0;
    bool any = false;
    for (unsigned i = 0; i < s->worker_count; i++) {
        redis_sink *sink = s->workers[i].sink;
        if (!sink)
            continue;
        bytes += sink_spool_bytes(sink);
        any |= sink_spooling(sink);
    }
    if (spooling)
        *spooling = any;
    return bytes;
}
