/* warc: see warc.h. */
#include "scanner/evidence/warc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libdeflate.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "rules/base/error_message.h"
#include "rules/base/hex.h"

#define SOFTWARE_DEFAULT "lscan"

const char *warc_strerror(warc_error e)
{
    switch (e) {
    case WARC_OK: return "ok";
    case WARC_ERROR_ARGUMENT: return "a required field is missing";
    case WARC_ERROR_IO: return "input/output error";
    case WARC_ERROR_MEMORY: return "out of memory";
    case WARC_ERROR_FORMAT: return "not a WARC record";
    case WARC_ERROR_TOO_BIG: return "record too large";
    case WARC_ERROR_DIGEST: return "digest mismatch";
    }
    return "unknown error";
}

/* ---- digests ---------------------------------------------------------------- */

static const char BASE32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void base32_sha256(const unsigned char digest[32], char out[64])
{
    memcpy(out, "sha256:", 7);
    size_t o = 7;
    unsigned buffer = 0, bits = 0;
    for (size_t i = 0; i < 32; i++) {
        buffer = (buffer << 8) | digest[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = BASE32[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        out[o++] = BASE32[(buffer << (5 - bits)) & 31];
    while ((o - 7) % 8)
        out[o++] = '=';
    out[o] = '\0';
}

void warc_sha256_digest(const void *data, size_t length, char out[64])
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(data, length, digest, &n, EVP_sha256(), NULL);
    base32_sha256(digest, out);
}

int warc_digest_hex(const char *digest, char out[65])
{
    if (!digest || strncasecmp(digest, "sha256:", 7))
        return -1;
    const char *v = digest + 7;
    size_t n = strlen(v);
    while (n && v[n - 1] == '=')
        n--;
    if (n == 64) { /* already hex */
        for (size_t i = 0; i < 64; i++) {
            char c = v[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return -1;
            out[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
        }
        out[64] = '\0';
        return 0;
    }
    if (n != 52)
        return -1;
    unsigned char bytes[33];
    size_t b = 0;
    unsigned buffer = 0, bits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        int value = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
        if (value < 0)
            return -1;
        buffer = (buffer << 5) | (unsigned)value;
        bits += 5;
        if (bits >= 8) {
            if (b < sizeof bytes)
                bytes[b++] = (unsigned char)(buffer >> (bits - 8));
            bits -= 8;
        }
    }
    if (b != 32)
        return -1;
    hex_encode(bytes, 32, out);
    return 0;
}

/* Same digest, whatever the encoding (base32 with or without padding, hex). */
static bool digests_equal(const char *a, const char *b)
{
    char ha[65], hb[65];
    return warc_digest_hex(a, ha) == 0 && warc_digest_hex(b, hb) == 0 && !strcmp(ha, hb);
}

/* ---- the writer --------------------------------------------------------------- */

struct warc_writer {
    char *directory, *prefix, *software, *campaign, *scan_id, *operator_name, *robots;
    char hostname[128];
    unsigned worker;
    uint64_t max_file_bytes;
    int level;
    int fd;                      /* -1: no file open */
    char file[256];
    char warcinfo_id[48];
    uint64_t size;               /* bytes in the file (where the next member goes) */
    uint64_t after_warcinfo;
    bool dirty;                  /* written since the last fdatasync */
    unsigned serial;
    bytebuf head, member, block, whole; /* scratch */
    struct libdeflate_compressor *compressor; /* gzip members (libdeflate: a third of zlib's CPU at level 1) */
    struct libdeflate_compressor *stored;     /* level 0: members whose body is already compressed */
    warc_writer_stats stats;
    char error[512];
};

#define WRITER_ERROR(w, ...) error_message_set((w)->error, sizeof (w)->error, __VA_ARGS__)

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int make_directory(const char *path)
{
    char buffer[4096];
    if (snprintf(buffer, sizeof buffer, "%s", path) >= (int)sizeof buffer) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buffer + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buffer, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buffer, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Letters, digits, '.', '-' and '_' only: the name goes into file names. */
static void sanitize_name(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '_'))
            *s = '-';
}

int warc_writer_create(const warc_writer_options *o, warc_writer **out, char *error, size_t error_size)
{
    *out = NULL;
    if (!o || !o->directory || !o->directory[0]) {
        error_message_set(error, error_size, "warc: no directory given");
        return -1;
    }
    if (make_directory(o->directory) < 0) {
        error_message_set(error, error_size, "warc: cannot create %s: %s", o->directory, strerror(errno));
        return -1;
    }
    warc_writer *w = calloc(1, sizeof *w);
    if (!w) {
        error_message_set(error, error_size, "warc: out of memory");
        return -1;
    }
    w->fd = -1;
    w->directory = strdup(o->directory);
    w->prefix = strdup(o->prefix && o->prefix[0] ? o->prefix : "lscan");
    w->software = strdup(o->info.software ? o->info.software : SOFTWARE_DEFAULT);
    w->campaign = dup_or_null(o->info.campaign);
    w->scan_id = dup_or_null(o->info.scan_id);
    w->operator_name = dup_or_null(o->info.operator_name);
    w->robots = dup_or_null(o->info.robots);
    if (o->info.hostname)
        snprintf(w->hostname, sizeof w->hostname, "%s", o->info.hostname);
    else if (gethostname(w->hostname, sizeof w->hostname - 1) < 0)
        snprintf(w->hostname, sizeof w->hostname, "localhost");
    w->hostname[sizeof w->hostname - 1] = '\0';
    sanitize_name(w->prefix);
    w->worker = o->worker;
    w->max_file_bytes = o->max_file_bytes ? o->max_file_bytes : WARC_DEFAULT_FILE_BYTES;
    w->level = o->compression_level >= 1 && o->compression_level <= 9 ? o->compression_level : 1;
    bytebuf_init(&w->head, 0);
    bytebuf_init(&w->member, 0);
    bytebuf_init(&w->block, 0);
    bytebuf_init(&w->whole, 0);
    w->compressor = libdeflate_alloc_compressor(w->level);
    w->stored = libdeflate_alloc_compressor(0);
    if (!w->directory || !w->prefix || !w->software || !w->compressor || !w->stored) {
        warc_writer_destroy(w);
        error_message_set(error, error_size, "warc: out of memory");
        return -1;
    }
    *out = w;
    return 0;
}

static void close_file(warc_writer *w)
{
    if (w->fd < 0)
        return;
    warc_writer_sync(w);
    close(w->fd);
    w->fd = -1;
}

void warc_writer_destroy(warc_writer *w)
{
    if (!w)
        return;
    close_file(w);
    free(w->directory);
    free(w->prefix);
    free(w->software);
    free(w->campaign);
    free(w->scan_id);
    free(w->operator_name);
    free(w->robots);
    bytebuf_free(&w->head);
    bytebuf_free(&w->member);
    bytebuf_free(&w->block);
    bytebuf_free(&w->whole);
    if (w->compressor)
        libdeflate_free_compressor(w->compressor);
    if (w->stored)
        libdeflate_free_compressor(w->stored);
    free(w);
}

const char *warc_writer_error(const warc_writer *w)
{
    return w ? w->error : "no writer";
}

void warc_writer_get_stats(const warc_writer *w, warc_writer_stats *out)
{
    *out = w->stats;
}

warc_error warc_writer_sync(warc_writer *w)
{
    if (!w || w->fd < 0 || !w->dirty)
        return WARC_OK;
    if (fdatasync(w->fd) < 0) {
        w->stats.failures++;
        WRITER_ERROR(w, "warc: fdatasync %s/%s: %s", w->directory, w->file, strerror(errno));
        return WARC_ERROR_IO;
    }
    w->dirty = false;
    w->stats.syncs++;
    return WARC_OK;
}

static void new_record_id(char out[48])
{
    unsigned char u[16];
    size_t got = 0;
    while (got < sizeof u) {
        ssize_t n = getrandom(u + got, sizeof u - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* no entropy source: time and address still make it unique enough for one machine */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, b = (uint64_t)(uintptr_t)out;
            memcpy(u, &a, 8);
            memcpy(u + 8, &b, 8);
            break;
        }
        got += (size_t)n;
    }
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* variant 1 */
    snprintf(out, 48, "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x>", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void utc_now(char *out, size_t size, bool compact)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    if (compact) {
        char base[16];
        strftime(base, sizeof base, "%Y%m%d%H%M%S", &tm);
        snprintf(out, size, "%.14s%03d", base, (int)(ts.tv_nsec / 1000000) % 1000);
    } else {
        strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
}

/* A header value from the outside world: no CR, LF or other control bytes
 * (a hostile URL must not add header lines). */
static void append_field(bytebuf *b, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    bytebuf_append_string(b, name);
    bytebuf_append_string(b, ": ");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            bytebuf_printf(b, "%%%02X", *p);
        else
            bytebuf_append_char(b, (char)*p);
    }
    bytebuf_append_string(b, "\r\n");
}

/* Compresses head + block + block2 + "\r\n\r\n" as one gzip member into w->member
 * (stored, level 0, when `compressed`: block2 is a body already compressed). */
static warc_error compress_member(warc_writer *w, const bytebuf *head, const void *block, size_t block_length,
                                  const void *block2, size_t block2_length, bool compressed)
{
    struct libdeflate_compressor *c = compressed ? w->stored : w->compressor;
    bytebuf_reset(&w->whole);
    bytebuf_append(&w->whole, head->data, head->length);
    if (block_length)
        bytebuf_append(&w->whole, block, block_length);
    if (block2_length)
        bytebuf_append(&w->whole, block2, block2_length);
    bytebuf_append(&w->whole, "\r\n\r\n", 4);
    if (w->whole.overflow)
        return WARC_ERROR_MEMORY;
    size_t bound = libdeflate_gzip_compress_bound(c, w->whole.length);
    bytebuf_reset(&w->member);
    if (bytebuf_reserve(&w->member, bound) < 0)
        return WARC_ERROR_MEMORY;
    size_t n = libdeflate_gzip_compress(c, w->whole.data, w->whole.length, w->member.data, bound);
    if (!n)
        return WARC_ERROR_MEMORY;
    w->member.length = n;
    return WARC_OK;
}

/* Appends w->member at w->size; on failure the file is cut back. */
static warc_error write_member(warc_writer *w, uint64_t *offset)
{
    const char *p = w->member.data;
    size_t left = w->member.length;
    uint64_t at = w->size;
    while (left) {
        ssize_t n = pwrite(w->fd, p, left, (off_t)at);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            if (ftruncate(w->fd, (off_t)w->size) < 0) { /* the record is cut off again; nothing else to do */
            }
            w->stats.failures++;
            WRITER_ERROR(w, "warc: writing %s/%s: %s", w->directory, w->file, strerror(saved));
            return WARC_ERROR_IO;
        }
        p += n;
        left -= (size_t)n;
        at += (uint64_t)n;
    }
    *offset = w->size;
    w->size = at;
    w->dirty = true;
    w->stats.bytes += w->member.length;
    w->stats.records++;
    return WARC_OK;
}

static void start_header(bytebuf *b, const char *type, const char *record_id, const char *date)
{
    bytebuf_reset(b);
    bytebuf_append_string(b, "WARC/1.1\r\n");
    append_field(b, "WARC-Type", type);
    append_field(b, "WARC-Record-ID", record_id);
    append_field(b, "WARC-Date", date);
}

static void end_header(bytebuf *b, const char *content_type, size_t length)
{
    append_field(b, "Content-Type", content_type);
    bytebuf_printf(b, "Content-Length: %zu\r\n\r\n", length);
}

static warc_error open_file(warc_writer *w)
{
    for (int attempt = 0; attempt < 1000; attempt++) {
        char stamp[32];
        utc_now(stamp, sizeof stamp, true);
        char host[128];
        snprintf(host, sizeof host, "%s", w->hostname);
        sanitize_name(host);
        snprintf(w->file, sizeof w->file, "%s-%s-%05u-%s-%ld-w%u.warc.gz", w->prefix, stamp, w->serial++, host,
                 (long)getpid(), w->worker);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", w->directory, w->file);
        w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (w->fd >= 0)
            break;
        if (errno != EEXIST) {
            w->stats.failures++;
            WRITER_ERROR(w, "warc: cannot create %s: %s", path, strerror(errno));
            return WARC_ERROR_IO;
        }
    }
    if (w->fd < 0) {
        WRITER_ERROR(w, "warc: no free file name in %s", w->directory);
        return WARC_ERROR_IO;
    }
    /* the new name must survive a crash as well as the records in it */
    int dir = open(w->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        fsync(dir);
        close(dir);
    }
    w->size = 0;
    w->stats.files++;
    /* warcinfo */
    new_record_id(w->warcinfo_id);
    char date[32];
    utc_now(date, sizeof date, false);
    bytebuf_reset(&w->block);
    append_field(&w->block, "software", w->software);
    append_field(&w->block, "format", "WARC File Format 1.1");
    append_field(&w->block, "conformsTo", "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/");
    append_field(&w->block, "hostname", w->hostname);
    append_field(&w->block, "campaign", w->campaign);
    append_field(&w->block, "scan-id", w->scan_id);
    append_field(&w->block, "operator", w->operator_name);
    append_field(&w->block, "robots-ignored", w->robots); /* the reason on record when robots.txt was not obeyed */
    char digest[64];
    warc_sha256_digest(w->block.data, w->block.length, digest);
    start_header(&w->head, "warcinfo", w->warcinfo_id, date);
    append_field(&w->head, "WARC-Filename", w->file);
    append_field(&w->head, "WARC-Block-Digest", digest);
    end_header(&w->head, "application/warc-fields", w->block.length);
    if (w->head.overflow || w->block.overflow)
        return WARC_ERROR_MEMORY;
    warc_error e = compress_member(w, &w->head, w->block.data, w->block.length, NULL, 0, false);
    uint64_t offset;
    if (e == WARC_OK)
        e = write_member(w, &offset);
    if (e != WARC_OK) {
        close(w->fd);
        w->fd = -1;
        return e;
    }
    w->after_warcinfo = w->size;
    return WARC_OK;
}

/* A file to write `coming` more bytes into: opened, or rotated when full. */
static warc_error ensure_file(warc_writer *w, size_t coming)
{
    if (w->fd >= 0 && w->size > w->after_warcinfo && w->size + coming > w->max_file_bytes)
        close_file(w);
    if (w->fd >= 0)
        return WARC_OK;
    return open_file(w);
}

/* The response header block as stored: Transfer-Encoding renamed (the body
 * is stored without its chunks), and ending in a blank line. */
/* Whether a response's headers say its body is content-encoded (gzip, br,
 * deflate, zstd...: anything but identity). Deflating such a body again
 * saves nothing and cost a fifth of a JSON page's CPU at level 1, so its
 * record is stored in its gzip member (a few hundred bytes more of
 * headers; readers see no difference). */
static bool content_encoded(const char *headers, size_t length)
{
    for (size_t i = 0; i < length;) {
        const char *line = headers + i;
        const char *nl = memchr(line, '\n', length - i);
        size_t n = nl ? (size_t)(nl - line) + 1 : length - i;
        if (n > 17 && !strncasecmp(line, "Content-Encoding:", 17)) {
            size_t v = 17, end = n;
            while (v < end && (line[v] == ' ' || line[v] == '\t'))
                v++;
            while (end > v && strchr(" \t\r\n", line[end - 1]))
                end--;
            return end > v && !(end - v == 8 && !strncasecmp(line + v, "identity", 8));
        }
        i += n;
    }
    return false;
}

static void response_head(bytebuf *out, const char *headers, size_t length)
{
    bytebuf_reset(out);
    size_t i = 0;
    while (i < length) {
        const char *line = headers + i;
        const char *nl = memchr(line, '\n', length - i);
        size_t n = nl ? (size_t)(nl - line) + 1 : length - i;
        if (n >= 18 && !strncasecmp(line, "Transfer-Encoding:", 18)) {
            bytebuf_append_string(out, "X-Lscan-");
            bytebuf_append(out, line, n);
        } else {
            bytebuf_append(out, line, n);
        }
        i += n;
    }
    if (out->length == 0)
        bytebuf_append_string(out, "HTTP/1.1 000 Unknown\r\n");
    /* a header block cut by the fetcher's bound still ends where the body starts */
    if (out->length < 4 || memcmp(out->data + out->length - 4, "\r\n\r\n", 4)) {
        if (out->length >= 2 && !memcmp(out->data + out->length - 2, "\r\n", 2))
            bytebuf_append_string(out, "\r\n");
        else
            bytebuf_append_string(out, "\r\n\r\n");
    }
}

static void sha256_two(const void *a, size_t a_length, const void *b, size_t b_length, char out[64])
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) {
        out[0] = '\0';
        return;
    }
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, a, a_length);
    if (b_length)
        EVP_DigestUpdate(c, b, b_length);
    EVP_DigestFinal_ex(c, digest, &n);
    EVP_MD_CTX_free(c);
    base32_sha256(digest, out);
}

warc_error warc_write_exchange(warc_writer *w, const warc_exchange *x, warc_location *out)
{
    memset(out, 0, sizeof *out);
    if (!w || !x || !x->target_uri || !x->date)
        return WARC_ERROR_ARGUMENT;
    if (ensure_file(w, x->body_length + x->response_headers_length + x->request_headers_length) != WARC_OK)
        return WARC_ERROR_IO;
    char response_id[48], request_id[48];
    new_record_id(response_id);
    new_record_id(request_id);

    /* the request */
    bytebuf_reset(&w->block);
    if (x->request_headers_length)
        bytebuf_append(&w->block, x->request_headers, x->request_headers_length);
    else
        bytebuf_append_string(&w->block, "GET / HTTP/1.1\r\n\r\n"); /* curl always reports it; a shape for the reader */
    char request_digest[64];
    warc_sha256_digest(w->block.data, w->block.length, request_digest);
    start_header(&w->head, "request", request_id, x->date);
    append_field(&w->head, "WARC-Target-URI", x->target_uri);
    append_field(&w->head, "WARC-IP-Address", x->ip);
    append_field(&w->head, "WARC-Concurrent-To", response_id);
    append_field(&w->head, "WARC-Warcinfo-ID", w->warcinfo_id);
    append_field(&w->head, "WARC-Block-Digest", request_digest);
    end_header(&w->head, "application/http;msgtype=request", w->block.length);
    if (w->head.overflow || w->block.overflow)
        return WARC_ERROR_MEMORY;
    warc_error e = compress_member(w, &w->head, w->block.data, w->block.length, NULL, 0, false);
    uint64_t request_offset = 0;
    if (e == WARC_OK)
        e = write_member(w, &request_offset);
    if (e != WARC_OK)
        return e;
    uint64_t request_length = w->size - request_offset;

    /* the response */
    response_head(&w->block, x->response_headers, x->response_headers_length);
    if (w->block.overflow)
        return WARC_ERROR_MEMORY;
    char payload_digest[64], block_digest[64];
    warc_sha256_digest(x->body, x->body_length, payload_digest);
    sha256_two(w->block.data, w->block.length, x->body, x->body_length, block_digest);
    start_header(&w->head, "response", response_id, x->date);
    append_field(&w->head, "WARC-Target-URI", x->target_uri);
    append_field(&w->head, "WARC-IP-Address", x->ip);
    append_field(&w->head, "WARC-Warcinfo-ID", w->warcinfo_id);
    append_field(&w->head, "WARC-Block-Digest", block_digest);
    append_field(&w->head, "WARC-Payload-Digest", payload_digest);
    end_header(&w->head, "application/http;msgtype=response", w->block.length + x->body_length);
    if (w->head.overflow)
        return WARC_ERROR_MEMORY;
    e = compress_member(w, &w->head, w->block.data, w->block.length, x->body, x->body_length,
                        content_encoded(x->response_headers, x->response_headers_length));
    uint64_t offset = 0;
    if (e == WARC_OK)
        e = write_member(w, &offset);
    if (e != WARC_OK) {
        /* the request alone would be an orphan: cut it off too */
        if (ftruncate(w->fd, (off_t)request_offset) == 0)
            w->size = request_offset;
        return e;
    }
    w->stats.exchanges++;
    snprintf(out->file, sizeof out->file, "%s", w->file);
    out->offset = offset;
    out->length = w->size - offset;
    out->request_offset = request_offset;
    out->request_length = request_length;
    snprintf(out->record_id, sizeof out->record_id, "%s", response_id);
    snprintf(out->payload_digest, sizeof out->payload_digest, "%s", payload_digest);
    return WARC_OK;
}

warc_error warc_write_resource(warc_writer *w, const char *target_uri, const char *date, const char *concurrent_to,
                               const char *content_type, const void *data, size_t length, warc_location *out)
{
    memset(out, 0, sizeof *out);
    if (!w || !target_uri || !date || !content_type || (!data && length))
        return WARC_ERROR_ARGUMENT;
    if (ensure_file(w, length) != WARC_OK)
        return WARC_ERROR_IO;
    char id[48], digest[64];
    new_record_id(id);
    warc_sha256_digest(data, length, digest);
    start_header(&w->head, "resource", id, date);
    append_field(&w->head, "WARC-Target-URI", target_uri);
    append_field(&w->head, "WARC-Concurrent-To", concurrent_to);
    append_field(&w->head, "WARC-Warcinfo-ID", w->warcinfo_id);
    append_field(&w->head, "WARC-Block-Digest", digest);
    append_field(&w->head, "WARC-Payload-Digest", digest);
    end_header(&w->head, content_type, length);
    if (w->head.overflow)
        return WARC_ERROR_MEMORY;
    warc_error e = compress_member(w, &w->head, data, length, NULL, 0, false);
    uint64_t offset = 0;
    if (e == WARC_OK)
        e = write_member(w, &offset);
    if (e != WARC_OK)
        return e;
    w->stats.resources++;
    snprintf(out->file, sizeof out->file, "%s", w->file);
    out->offset = offset;
    out->length = w->size - offset;
    snprintf(out->record_id, sizeof out->record_id, "%s", id);
    snprintf(out->payload_digest, sizeof out->payload_digest, "%s", digest);
    return WARC_OK;
}

/* ---- reading ------------------------------------------------------------------- */

void warc_record_init(warc_record *r)
{
    memset(r, 0, sizeof *r);
    bytebuf_init(&r->header, 1 << 20);
    bytebuf_init(&r->block, WARC_MAX_RECORD_BYTES);
    bytebuf_init(&r->fields, 1 << 20);
}

void warc_record_free(warc_record *r)
{
    bytebuf_free(&r->header);
    bytebuf_free(&r->block);
    bytebuf_free(&r->fields);
}

enum { F_TYPE, F_ID, F_DATE, F_URI, F_IP, F_CONCURRENT, F_CTYPE, F_BLOCK, F_PAYLOAD, F_WARCINFO, F_FILENAME, F_LENGTH,
       F_COUNT };
static const char *const FIELD_NAMES[F_COUNT] = {
    "WARC-Type", "WARC-Record-ID", "WARC-Date", "WARC-Target-URI", "WARC-IP-Address", "WARC-Concurrent-To",
    "Content-Type", "WARC-Block-Digest", "WARC-Payload-Digest", "WARC-Warcinfo-ID", "WARC-Filename", "Content-Length"};

#define DETAIL(...) error_message_set(detail, detail_size, __VA_ARGS__)

static warc_error inflate_member(const void *data, size_t length, bytebuf *out, size_t *consumed, char *detail,
                                 size_t detail_size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return WARC_ERROR_MEMORY;
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)(length > UINT32_MAX ? UINT32_MAX : length);
    bytebuf_reset(out);
    int rc = Z_OK;
    size_t limit = WARC_MAX_RECORD_BYTES + (1u << 20);
    while (rc != Z_STREAM_END) {
        if (out->length >= limit) {
            inflateEnd(&z);
            DETAIL("the record inflates to more than %zu bytes", limit);
            return WARC_ERROR_TOO_BIG;
        }
        size_t room = 1 << 16;
        if (bytebuf_reserve(out, room) < 0) {
            inflateEnd(&z);
            return WARC_ERROR_MEMORY;
        }
        z.next_out = (Bytef *)out->data + out->length;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        out->length += room - z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            DETAIL("not a gzip member (zlib: %s)", z.msg ? z.msg : "data error");
            return WARC_ERROR_FORMAT;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            inflateEnd(&z);
            DETAIL("the gzip member is cut short");
            return WARC_ERROR_FORMAT;
        }
    }
    *consumed = z.total_in;
    inflateEnd(&z);
    return WARC_OK;
}

warc_error warc_read_member(const void *data, size_t length, warc_record *r, size_t *consumed, char *detail,
                            size_t detail_size)
{
    bytebuf raw;
    bytebuf_init(&raw, 0);
    size_t used = 0;
    warc_error e = inflate_member(data, length, &raw, &used, detail, detail_size);
    if (consumed)
        *consumed = used;
    if (e != WARC_OK) {
        bytebuf_free(&raw);
        return e;
    }
    const char *text = raw.data ? raw.data : "";
    const char *end = raw.length >= 4 ? memmem(text, raw.length, "\r\n\r\n", 4) : NULL;
    if (raw.length < 9 || strncmp(text, "WARC/1.", 7) || !end) {
        bytebuf_free(&raw);
        DETAIL("no WARC header");
        return WARC_ERROR_FORMAT;
    }
    size_t header_length = (size_t)(end - text) + 4;
    bytebuf_reset(&r->header);
    bytebuf_reset(&r->block);
    bytebuf_reset(&r->fields);
    bytebuf_append(&r->header, text, header_length);
    bytebuf_append_char(&r->header, '\0');
    r->header.length--;
    size_t offsets[F_COUNT + 1];
    bool present[F_COUNT + 1];
    memset(present, 0, sizeof present);
    /* version: the first line */
    const char *eol = memchr(text, '\r', header_length);
    offsets[F_COUNT] = r->fields.length;
    present[F_COUNT] = true;
    bytebuf_append(&r->fields, text, (size_t)(eol - text));
    bytebuf_append_char(&r->fields, '\0');
    for (const char *line = eol + 2; line < end;) {
        const char *line_end = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        if (!line_end)
            break;
        const char *colon = memchr(line, ':', (size_t)(line_end - line));
        if (colon) {
            for (int f = 0; f < F_COUNT; f++) {
                size_t n = strlen(FIELD_NAMES[f]);
                if ((size_t)(colon - line) == n && !strncasecmp(line, FIELD_NAMES[f], n) && !present[f]) {
                    const char *v = colon + 1;
                    while (v < line_end && (*v == ' ' || *v == '\t'))
                        v++;
                    offsets[f] = r->fields.length;
                    present[f] = true;
                    bytebuf_append(&r->fields, v, (size_t)(line_end - v));
                    bytebuf_append_char(&r->fields, '\0');
                }
            }
        }
        line = line_end + 2;
    }
    if (r->fields.overflow || r->header.overflow) {
        bytebuf_free(&raw);
        return WARC_ERROR_TOO_BIG;
    }
    const char *f[F_COUNT + 1];
    for (int i = 0; i <= F_COUNT; i++)
        f[i] = present[i] ? r->fields.data + offsets[i] : "";
    r->version = f[F_COUNT];
    r->type = f[F_TYPE];
    r->record_id = f[F_ID];
    r->date = f[F_DATE];
    r->target_uri = f[F_URI];
    r->ip = f[F_IP];
    r->concurrent_to = f[F_CONCURRENT];
    r->content_type = f[F_CTYPE];
    r->block_digest = f[F_BLOCK];
    r->payload_digest = f[F_PAYLOAD];
    r->warcinfo_id = f[F_WARCINFO];
    r->filename = f[F_FILENAME];
    char *stop = NULL;
    errno = 0;
    unsigned long long content_length = strtoull(f[F_LENGTH], &stop, 10);
    if (!present[F_LENGTH] || errno || stop == f[F_LENGTH] || *stop) {
        bytebuf_free(&raw);
        DETAIL("no valid Content-Length");
        return WARC_ERROR_FORMAT;
    }
    if (content_length > raw.length - header_length) {
        bytebuf_free(&raw);
        DETAIL("Content-Length %llu runs past the record (%zu bytes)", content_length, raw.length - header_length);
        return WARC_ERROR_FORMAT;
    }
    r->content_length = content_length;
    if (bytebuf_append(&r->block, text + header_length, (size_t)content_length) < 0) {
        bytebuf_free(&raw);
        return r->block.overflow ? WARC_ERROR_TOO_BIG : WARC_ERROR_MEMORY;
    }
    size_t tail = raw.length - header_length - (size_t)content_length;
    bool closed = tail == 4 && !memcmp(text + header_length + content_length, "\r\n\r\n", 4);
    bytebuf_free(&raw);
    if (!closed) {
        DETAIL("the record does not end with its blank lines after Content-Length");
        return WARC_ERROR_FORMAT;
    }
    return WARC_OK;
}

void warc_record_payload(const warc_record *r, const char **payload, size_t *length)
{
    const char *block = r->block.data ? r->block.data : "";
    *payload = block;
    *length = r->block.length;
    if (!strncasecmp(r->content_type, "application/http", 16)) {
        const char *end = r->block.length >= 4 ? memmem(block, r->block.length, "\r\n\r\n", 4) : NULL;
        if (end) {
            *payload = end + 4;
            *length = r->block.length - (size_t)(end + 4 - block);
        } else {
            *length = 0;
            *payload = block + r->block.length;
        }
    }
}

warc_error warc_record_check(const warc_record *r, char *detail, size_t detail_size)
{
    if (!r->block_digest[0]) {
        DETAIL("record %s has no WARC-Block-Digest", r->record_id);
        return WARC_ERROR_FORMAT;
    }
    char hex[65];
    if (warc_digest_hex(r->block_digest, hex) < 0) {
        DETAIL("record %s: WARC-Block-Digest %s is not sha256", r->record_id, r->block_digest);
        return WARC_ERROR_FORMAT;
    }
    char digest[64];
    warc_sha256_digest(r->block.data ? r->block.data : "", r->block.length, digest);
    if (!digests_equal(digest, r->block_digest)) {
        DETAIL("record %s: the block digest is %s, the header says %s", r->record_id, digest, r->block_digest);
        return WARC_ERROR_DIGEST;
    }
    if (r->payload_digest[0]) {
        if (warc_digest_hex(r->payload_digest, hex) < 0) {
            DETAIL("record %s: WARC-Payload-Digest %s is not sha256", r->record_id, r->payload_digest);
            return WARC_ERROR_FORMAT;
        }
        const char *payload;
        size_t length;
        warc_record_payload(r, &payload, &length);
        warc_sha256_digest(payload, length, digest);
        if (!digests_equal(digest, r->payload_digest)) {
            DETAIL("record %s: the payload digest is %s, the header says %s", r->record_id, digest,
                   r->payload_digest);
            return WARC_ERROR_DIGEST;
        }
    }
    return WARC_OK;
}

warc_error warc_read_range(const char *path, uint64_t offset, uint64_t length, bytebuf *out, char *detail,
                           size_t detail_size)
{
    if (length > WARC_MAX_RECORD_BYTES) {
        DETAIL("%s: a record of %llu bytes", path, (unsigned long long)length);
        return WARC_ERROR_TOO_BIG;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        DETAIL("%s: %s", path, strerror(errno));
        return WARC_ERROR_IO;
    }
    bytebuf_reset(out);
    if (bytebuf_reserve(out, (size_t)length + 1) < 0) {
        close(fd);
        return WARC_ERROR_MEMORY;
    }
    size_t got = 0;
    while (got < length) {
        ssize_t n = pread(fd, out->data + got, (size_t)length - got, (off_t)(offset + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = errno;
            close(fd);
            if (n == 0)
                DETAIL("%s: ends before offset %llu + %llu", path, (unsigned long long)offset,
                       (unsigned long long)length);
            else
                DETAIL("%s: %s", path, strerror(saved));
            return WARC_ERROR_IO;
        }
        got += (size_t)n;
    }
    close(fd);
    out->length = got;
    return WARC_OK;
}
