/* fetch: see fetch.h. */
#include "workers/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <libdeflate.h>
#include <zlib.h>

#include "rules/base/bytebuf.h"
#include "rules/base/hex.h"
#include "rules/base/url.h"

#define SMALL_BODY ((size_t)256 << 10)
#define MAX_HOPS 50                    /* max_redirects is at most 50 (campaign limits) */
#define MAX_HEADER_BYTES ((size_t)256 << 10)

static const char *const fetch_error_names[FETCH_ERROR_COUNT] = {
    "timeout", "connect", "reset", "truncated", "http_5xx", "http_429", "http_4xx", "redirects",
    "too_big", "decode", "parse", "other", "offsite", "blocked_address", "retry_after"};

const char *fetch_error_name(fetch_error e)
{
    return (unsigned)e < FETCH_ERROR_COUNT ? fetch_error_names[e] : "unknown";
}

/* ---- the budget ------------------------------------------------------------- */

struct fetch_budget {
    atomic_long slots;   /* large-body slots free */
};

fetch_budget *fetch_budget_create(size_t total_bytes, size_t max_body_bytes, size_t transfers, unsigned fetchers)
{
    fetch_budget *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    size_t fixed = transfers * SMALL_BODY + (size_t)fetchers * max_body_bytes;
    long slots = total_bytes > fixed && max_body_bytes ? (long)((total_bytes - fixed) / max_body_bytes) : 0;
    atomic_init(&b->slots, slots > 0 ? slots : 1);
    return b;
}

void fetch_budget_destroy(fetch_budget *b)
{
    free(b);
}

static bool take_slot(fetch_budget *b)
{
    if (!b)
        return true;
    long free_slots = atomic_load(&b->slots);
    while (free_slots > 0)
        if (atomic_compare_exchange_weak(&b->slots, &free_slots, free_slots - 1))
            return true;
    return false;
}

static void give_slot(fetch_budget *b)
{
    if (b)
        atomic_fetch_add(&b->slots, 1);
}

/* ---- transfers ------------------------------------------------------------- */

typedef enum transfer_state { T_FREE = 0, T_ACTIVE, T_DONE, T_HANDED } transfer_state;

typedef struct transfer {
    struct fetcher *owner;
    CURL *easy;
    transfer_state state;
    void *user;
    uint32_t target;
    char *requested;              /* owned */
    char url[URL_MAX];            /* this hop */
    unsigned hop_count;
    fetch_hop hops[MAX_HOPS];     /* locations owned */
    bytebuf body;                 /* as received */
    bytebuf request_headers, response_headers;
    EVP_MD_CTX *sha;
    bool too_big, has_slot, paused, blocked, failed;
    fetch_error error;
    long status;
    char content_encoding[32];
    char content_type[128];       /* of the final response: its charset decides how the page is read */
    char retry_after[64];
    char fetched_at[32];
    char ip[64];
    char error_text[CURL_ERROR_SIZE];
    struct transfer *next_done;   /* the queue of finished transfers */
} transfer;

struct fetcher {
    fetch_options options;
    CURLM *multi;
    transfer *transfers;
    unsigned count, active;
    struct curl_slist *headers;
    transfer *done_head, *done_tail;
    bytebuf decoded;              /* the body of the result handed out */
    struct libdeflate_decompressor *inflater; /* the one-shot gzip path (gunzip) */
};

static void utc_now(char *out, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t n = size * count;
    if (!t->has_slot && t->body.length + n > SMALL_BODY) {
        if (!take_slot(t->owner->options.budget)) {
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
    if (n > 5 && !strncmp(data, "HTTP/", 5)) { /* a new response (an interim 100): keep only the last one's */
        t->content_encoding[0] = t->retry_after[0] = t->content_type[0] = '\0';
        bytebuf_reset(&t->response_headers);
    }
    bytebuf_append(&t->response_headers, data, n); /* bounded: a huge header block is cut, not fatal */
    header_value(data, n, "Content-Encoding", t->content_encoding, sizeof t->content_encoding);
    header_value(data, n, "Retry-After", t->retry_after, sizeof t->retry_after);
    header_value(data, n, "Content-Type", t->content_type, sizeof t->content_type);
    return n;
}

/* The request header block as curl sent it (for the archive). */
static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *user)
{
    (void)easy;
    transfer *t = user;
    if (type == CURLINFO_HEADER_OUT) {
        bytebuf_reset(&t->request_headers);
        bytebuf_append(&t->request_headers, data, size);
    }
    return 0;
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
    const fetch_policy *policy = &t->owner->options.policy;
    if (policy->own && private_address(&address->addr)) {
        size_t count = 0;
        const struct sockaddr_storage *own = policy->own(policy->ctx, t->target, &count);
        bool mine = false;
        for (size_t i = 0; i < count && !mine; i++)
            mine = same_address(&address->addr, &own[i]);
        if (!mine) {
            t->blocked = true;
            return CURL_SOCKET_BAD;
        }
    }
    return socket(address->family, address->socktype, address->protocol);
}

/* (Re)starts the transfer on t->url: the first request, or the next hop of
 * a redirect. The body, its hash and the headers start afresh. */
static bool launch(fetcher *f, transfer *t)
{
    const fetch_options *o = &f->options;
    t->too_big = t->paused = t->blocked = false;
    t->content_encoding[0] = t->retry_after[0] = t->content_type[0] = t->error_text[0] = t->ip[0] = '\0';
    bytebuf_reset(&t->body);
    bytebuf_reset(&t->request_headers);
    bytebuf_reset(&t->response_headers);
    EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL);
    utc_now(t->fetched_at, sizeof t->fetched_at);
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L); /* only so on_debug sees the request headers; nothing is printed */
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_text);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* redirects are followed by hand (finish): each hop checked and recorded */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "lscan/0.2 (market surveillance)");
    /* gzip is asked for by hand and decoded after the body is hashed as
     * received, with our own bound on the decoded size */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body_bytes);
    if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
        return false;
    t->state = T_ACTIVE;
    return true;
}

static void forget_hops(transfer *t)
{
    for (unsigned i = 0; i < t->hop_count && i < MAX_HOPS; i++) {
        free((char *)t->hops[i].location);
        t->hops[i].location = NULL;
    }
    t->hop_count = 0;
}

/* Back to free: the slot, and memory of a body that grew past SMALL_BODY. */
static void reset_transfer(fetcher *f, transfer *t)
{
    if (t->has_slot) {
        give_slot(f->options.budget);
        t->has_slot = false;
    }
    if (t->body.capacity > SMALL_BODY) {
        size_t max = t->body.max;
        bytebuf_free(&t->body);
        bytebuf_init(&t->body, max);
    }
    forget_hops(t);
    free(t->requested);
    t->requested = NULL;
    t->user = NULL;
    t->state = T_FREE;
}

static void queue_done(fetcher *f, transfer *t, bool failed, fetch_error error)
{
    t->failed = failed;
    t->error = error;
    t->state = T_DONE;
    t->next_done = NULL;
    if (f->done_tail)
        f->done_tail->next_done = t;
    else
        f->done_head = t;
    f->done_tail = t;
}

/* Follows a 3xx by hand: the next hop must be allowed by the policy and
 * within max_redirects; each hop is kept for the evidence. */
static void follow(fetcher *f, transfer *t, long status)
{
    char *location = NULL;
    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &location);
    if (!location || !*location) {
        snprintf(t->error_text, sizeof t->error_text, "HTTP %ld without a usable Location", status);
        queue_done(f, t, true, FETCH_OTHER);
        return;
    }
    if (t->hop_count >= f->options.max_redirects || t->hop_count >= MAX_HOPS) {
        snprintf(t->error_text, sizeof t->error_text, "more than %u redirects", f->options.max_redirects);
        queue_done(f, t, true, FETCH_REDIRECTS);
        return;
    }
    char next[URL_MAX];
    const fetch_policy *policy = &f->options.policy;
    if (!url_resolve(t->url, location, next, sizeof next) ||
        (policy->allow && !policy->allow(policy->ctx, t->target, next))) {
        snprintf(t->error_text, sizeof t->error_text, "redirect to %.160s is off the target's hosts", location);
        queue_done(f, t, true, FETCH_OFFSITE);
        return;
    }
    t->hops[t->hop_count].status = status;
    t->hops[t->hop_count].location = strdup(next);
    if (!t->hops[t->hop_count].location) {
        snprintf(t->error_text, sizeof t->error_text, "out of memory");
        queue_done(f, t, true, FETCH_OTHER);
        return;
    }
    t->hop_count++;
    snprintf(t->url, sizeof t->url, "%s", next);
    if (t->has_slot) { /* the next hop starts small again */
        give_slot(f->options.budget);
        t->has_slot = false;
    }
    if (!launch(f, t)) {
        snprintf(t->error_text, sizeof t->error_text, "curl refused the transfer");
        queue_done(f, t, true, FETCH_OTHER);
    }
}

static void finish(fetcher *f, transfer *t, CURLcode code)
{
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    char *ip = NULL;
    if (curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
        snprintf(t->ip, sizeof t->ip, "%s", ip);
    curl_multi_remove_handle(f->multi, t->easy);
    t->paused = false;
    t->status = status;
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
            snprintf(t->error_text, sizeof t->error_text,
                     "%.160s resolves to a private address that is not the target's own", t->url);
        queue_done(f, t, true, e);
        return;
    }
    if (status >= 300 && status < 400 && status != 304) {
        follow(f, t, status);
        return;
    }
    queue_done(f, t, false, FETCH_OTHER);
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

/* One gzip member that says (in its trailer) it inflates to at most max
 * bytes, inflated in one call by libdeflate (about twice zlib's speed): 0,
 * or -1 to leave the body to zlib (not gzip, several members, trailing
 * bytes, a trailer that lies, or bigger than max: zlib stops a bomb at the
 * bound exactly as before). */
static int gunzip_whole(fetcher *f, const unsigned char *data, size_t length, size_t max)
{
    if (!f->inflater || length < 18 || data[0] != 0x1f || data[1] != 0x8b)
        return -1;
    size_t size = (size_t)data[length - 4] | (size_t)data[length - 3] << 8 | (size_t)data[length - 2] << 16 |
                  (size_t)data[length - 1] << 24;
    if (size > max || bytebuf_reserve(&f->decoded, size) < 0)
        return -1;
    size_t in = 0, out = 0;
    if (libdeflate_gzip_decompress_ex(f->inflater, data, length, f->decoded.data, size, &in, &out) !=
            LIBDEFLATE_SUCCESS || in != length || out != size)
        return -1;
    f->decoded.length = out;
    f->decoded.data[out] = '\0';
    return 0;
}

/* Inflates gzip/deflate into f->decoded, at most max bytes: 0, -1 not
 * gzip, -2 too big (a bomb stops here). */
static int gunzip(fetcher *f, const char *data, size_t length, size_t max)
{
    bytebuf_reset(&f->decoded);
    f->decoded.max = max;
    if (gunzip_whole(f, (const unsigned char *)data, length, max) == 0)
        return 0;
    bytebuf_reset(&f->decoded);
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
        if (bytebuf_append(&f->decoded, chunk, sizeof chunk - z.avail_out) < 0) {
            inflateEnd(&z);
            return -2;
        }
    } while (rc != Z_STREAM_END && (z.avail_in > 0 || z.avail_out == 0));
    inflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

/* ---- the fetcher --------------------------------------------------------------- */

int fetcher_create(const fetch_options *options, fetcher **out)
{
    *out = NULL;
    fetcher *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->options = *options;
    if (!f->options.transfers)
        f->options.transfers = 32;
    f->count = f->options.transfers;
    bytebuf_init(&f->decoded, 0);
    f->inflater = libdeflate_alloc_decompressor(); /* NULL: every body goes through zlib */
    f->transfers = calloc(f->count, sizeof *f->transfers);
    f->multi = curl_multi_init();
    f->headers = curl_slist_append(NULL, f->options.gzip ? "Accept-Encoding: gzip" : "Accept-Encoding: identity");
    if (!f->transfers || !f->multi || !f->headers) {
        fetcher_destroy(f);
        return -1;
    }
    /* Per-host concurrency is the frontier's job, across all workers: curl's
     * own CURLMOPT_MAX_HOST_CONNECTIONS parks extra transfers in a queue
     * where, in this curl, they could wait forever without timing out. */
    for (unsigned i = 0; i < f->count; i++) {
        transfer *t = &f->transfers[i];
        t->owner = f;
        t->easy = curl_easy_init();
        t->sha = EVP_MD_CTX_new();
        bytebuf_init(&t->body, f->options.max_body_bytes);
        bytebuf_init(&t->request_headers, MAX_HEADER_BYTES);
        bytebuf_init(&t->response_headers, MAX_HEADER_BYTES);
        if (!t->easy || !t->sha) {
            fetcher_destroy(f);
            return -1;
        }
    }
    *out = f;
    return 0;
}

void fetcher_destroy(fetcher *f)
{
    if (!f)
        return;
    for (unsigned i = 0; f->transfers && i < f->count; i++) {
        transfer *t = &f->transfers[i];
        if (t->easy) {
            if (t->state == T_ACTIVE)
                curl_multi_remove_handle(f->multi, t->easy);
            curl_easy_cleanup(t->easy);
        }
        if (t->has_slot)
            give_slot(f->options.budget);
        forget_hops(t);
        free(t->requested);
        EVP_MD_CTX_free(t->sha);
        bytebuf_free(&t->body);
        bytebuf_free(&t->request_headers);
        bytebuf_free(&t->response_headers);
    }
    free(f->transfers);
    if (f->multi)
        curl_multi_cleanup(f->multi);
    curl_slist_free_all(f->headers);
    bytebuf_free(&f->decoded);
    libdeflate_free_decompressor(f->inflater);
    free(f);
}

unsigned fetcher_active(const fetcher *f)
{
    return f->active;
}

bool fetcher_has_room(const fetcher *f)
{
    return f->active < f->count;
}

int fetcher_start(fetcher *f, const char *url, uint32_t target, void *user)
{
    transfer *t = NULL;
    for (unsigned i = 0; i < f->count && !t; i++)
        if (f->transfers[i].state == T_FREE)
            t = &f->transfers[i];
    if (!t || strlen(url) >= sizeof t->url)
        return -1;
    t->requested = strdup(url);
    if (!t->requested)
        return -1;
    snprintf(t->url, sizeof t->url, "%s", url);
    t->user = user;
    t->target = target;
    if (!launch(f, t)) {
        free(t->requested);
        t->requested = NULL;
        t->state = T_FREE;
        return -1;
    }
    f->active++;
    return 0;
}

void fetcher_run(fetcher *f, int timeout_ms)
{
    /* transfers paused for want of a large-body slot go on when one is free */
    for (unsigned i = 0; i < f->count; i++) {
        transfer *t = &f->transfers[i];
        if (t->state != T_ACTIVE || !t->paused || !take_slot(f->options.budget))
            continue;
        t->has_slot = true;
        t->paused = false;
        curl_easy_pause(t->easy, CURLPAUSE_CONT);
    }
    int running = 0;
    curl_multi_perform(f->multi, &running);
    CURLMsg *message;
    int left;
    bool finished = false;
    while ((message = curl_multi_info_read(f->multi, &left))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        transfer *t = NULL;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        finish(f, t, message->data.result);
        finished = true;
    }
    if (running && !finished && timeout_ms > 0)
        curl_multi_poll(f->multi, NULL, 0, timeout_ms, NULL);
}

bool fetcher_next(fetcher *f, fetch_result *out)
{
    transfer *t = f->done_head;
    if (!t)
        return false;
    f->done_head = t->next_done;
    if (!f->done_head)
        f->done_tail = NULL;
    t->state = T_HANDED;
    memset(out, 0, sizeof *out);
    out->user = t->user;
    out->target = t->target;
    out->failed = t->failed;
    out->error = t->error;
    out->status = t->status;
    out->requested_url = t->requested;
    out->url = t->url;
    out->hops = t->hops;
    out->hop_count = t->hop_count < MAX_HOPS ? t->hop_count : MAX_HOPS;
    out->fetched_at = t->fetched_at;
    out->raw = t->body.data ? t->body.data : "";
    out->raw_length = t->body.length;
    out->request_headers = t->request_headers.data ? t->request_headers.data : "";
    out->request_headers_length = t->request_headers.length;
    out->response_headers = t->response_headers.data ? t->response_headers.data : "";
    out->response_headers_length = t->response_headers.length;
    snprintf(out->ip, sizeof out->ip, "%s", t->ip);
    out->content_type = t->content_type;
    snprintf(out->error_text, sizeof out->error_text, "%s", t->error_text);
    if (out->status == 429 || out->status == 503)
        out->retry_after_s = retry_after_seconds(t->retry_after);
    if (out->failed)
        return true;
    unsigned char digest[32];
    unsigned int digest_length = 0;
    EVP_DigestFinal_ex(t->sha, digest, &digest_length);
    hex_encode(digest, 32, out->sha256);
    out->body = out->raw;
    out->body_length = out->raw_length;
    if (!strcasecmp(t->content_encoding, "gzip") || !strcasecmp(t->content_encoding, "deflate")) {
        int rc = gunzip(f, out->raw, out->raw_length, f->options.max_body_bytes);
        if (rc < 0) {
            out->failed = true;
            out->error = rc == -2 ? FETCH_TOO_BIG : FETCH_DECODE;
            snprintf(out->error_text, sizeof out->error_text, "%s", rc == -2 ? "decoded body over the limit"
                                                                                : "the gzip body cannot be decoded");
            return true;
        }
        out->body = f->decoded.data ? f->decoded.data : "";
        out->body_length = f->decoded.length;
    }
    return true;
}

void fetcher_release(fetcher *f, const fetch_result *result)
{
    for (unsigned i = 0; i < f->count; i++) {
        transfer *t = &f->transfers[i];
        if (t->state != T_HANDED || t->requested != result->requested_url)
            continue;
        reset_transfer(f, t);
        f->active--;
        break;
    }
    if (f->decoded.capacity > SMALL_BODY) {
        bytebuf_free(&f->decoded);
        bytebuf_init(&f->decoded, 0);
    }
}
