/* spool: the sink's append-only file of flags not yet in Redis (spool.h). */
#include "scanner/output/spool.h"
#include "rules/base/error_message.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zlib.h>

#define FRAME 10u /* record header + the payload's u16 id length, written as one piece */

struct spool {
    int fd;
    char *path;
    uint64_t bytes;       /* size of the file = end of the last good record */
    uint64_t records;
    uint64_t cut;         /* torn tail cut by spool_open */
    unsigned char *buffer; /* one payload + NUL, for reading */
    size_t buffer_size;
    char error[512];
};

#define SPOOL_ERROR(sp, ...) error_message_set((sp)->error, sizeof (sp)->error, __VA_ARGS__)

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Reads exactly n bytes at offset; 0, or -1 with errno (0 at an early end of file). */
static int read_at(int fd, void *out, size_t n, uint64_t offset)
{
    unsigned char *p = out;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)offset);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        offset += (uint64_t)r;
    }
    return 0;
}

static int sync_data(int fd)
{
    int rc;
    while ((rc = fdatasync(fd)) < 0 && errno == EINTR)
        ;
    return rc;
}

/* ---- reading ---- */

enum walk_result { WALK_END, WALK_STOPPED, WALK_TORN, WALK_BAD, WALK_IO };

typedef struct walk_state {
    uint64_t good_end;  /* end of the last good record */
    uint64_t records;
    int stopped;        /* the callback's value, with WALK_STOPPED */
    char why[200];      /* with WALK_TORN, WALK_BAD, WALK_IO */
} walk_state;

/* True when [offset, size) holds only zero bytes (a tail the file system
 * extended but whose data never reached the disk). */
static int zero_tail(spool *sp, uint64_t offset, uint64_t size, bool *zero)
{
    unsigned char chunk[4096];
    *zero = true;
    while (offset < size) {
        size_t n = size - offset < sizeof chunk ? (size_t)(size - offset) : sizeof chunk;
        if (read_at(sp->fd, chunk, n, offset) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (chunk[i]) {
                *zero = false;
                return 0;
            }
        offset += n;
    }
    return 0;
}

/* Walks the records in [0, size). A bad record is "torn" when a crash in the
 * middle of an append can explain it: it runs past the end of the file, it
 * is the last record and its checksum fails, or it and all after it are
 * zeros. Anything else bad is "bad". */
static enum walk_result walk(spool *sp, uint64_t size, spool_callback callback, void *context, walk_state *w)
{
    memset(w, 0, sizeof *w);
    uint64_t offset = 0;
    while (offset < size) {
        uint64_t remaining = size - offset;
        unsigned char header[SPOOL_RECORD_HEADER];
        if (remaining < SPOOL_RECORD_HEADER) {
            snprintf(w->why, sizeof w->why, "partial record header (%llu bytes)", (unsigned long long)remaining);
            return WALK_TORN;
        }
        if (read_at(sp->fd, header, sizeof header, offset) < 0)
            goto io;
        uint32_t length = get_u32(header), crc = get_u32(header + 4);
        if (length == 0) {
            bool zero;
            if (zero_tail(sp, offset, size, &zero) < 0)
                goto io;
            snprintf(w->why, sizeof w->why, zero ? "zero-filled tail" : "record length 0");
            return zero ? WALK_TORN : WALK_BAD;
        }
        if (length < 3 || length > SPOOL_MAX_PAYLOAD) {
            snprintf(w->why, sizeof w->why, "record length %lu out of range", (unsigned long)length);
            return WALK_BAD;
        }
        if (SPOOL_RECORD_HEADER + (uint64_t)length > remaining) {
            snprintf(w->why, sizeof w->why, "partial record (%llu of %lu bytes)",
                     (unsigned long long)(remaining - SPOOL_RECORD_HEADER), (unsigned long)length);
            return WALK_TORN;
        }
        if (sp->buffer_size < (size_t)length + 1) {
            size_t want = sp->buffer_size ? sp->buffer_size : 4096;
            while (want < (size_t)length + 1)
                want *= 2;
            unsigned char *b = realloc(sp->buffer, want);
            if (!b) {
                snprintf(w->why, sizeof w->why, "out of memory");
                return WALK_IO;
            }
            sp->buffer = b;
            sp->buffer_size = want;
        }
        if (read_at(sp->fd, sp->buffer, length, offset + SPOOL_RECORD_HEADER) < 0)
            goto io;
        uint64_t end = offset + SPOOL_RECORD_HEADER + length;
        if ((uint32_t)crc32(0L, sp->buffer, length) != crc) {
            snprintf(w->why, sizeof w->why, "checksum mismatch");
            return end == size ? WALK_TORN : WALK_BAD;
        }
        size_t id_length = (size_t)sp->buffer[0] | (size_t)sp->buffer[1] << 8;
        if (id_length == 0 || id_length > SPOOL_MAX_ID || 2 + id_length >= length) {
            snprintf(w->why, sizeof w->why, "bad id length %zu", id_length);
            return WALK_BAD;
        }
        /* a flag id is hex: a NUL inside one would cut it short for the reader */
        if (memchr(sp->buffer + 2, 0, id_length)) {
            snprintf(w->why, sizeof w->why, "a NUL inside the id");
            return WALK_BAD;
        }
        if (callback) {
            char id[SPOOL_MAX_ID + 1];
            memcpy(id, sp->buffer + 2, id_length);
            id[id_length] = '\0';
            sp->buffer[length] = '\0';
            int rc = callback(context, id, id_length, (const char *)sp->buffer + 2 + id_length,
                              length - 2 - id_length);
            if (rc) {
                w->good_end = end;
                w->records++;
                w->stopped = rc;
                return WALK_STOPPED;
            }
        }
        offset = end;
        w->good_end = end;
        w->records++;
    }
    return WALK_END;
io:
    snprintf(w->why, sizeof w->why, "read failed: %s", errno ? strerror(errno) : "unexpected end of file");
    return WALK_IO;
}

/* ---- lifetime ---- */

static void sync_directory(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy)
        dir = "/";
    else if (slash) {
        *slash = '\0';
        dir = copy;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

int spool_open(const char *path, spool **out, char *error, size_t error_size)
{
    if (out)
        *out = NULL;
    if (!path || !*path || !out) {
        error_message_set(error, error_size, "spool: missing path");
        return -1;
    }
    spool *sp = calloc(1, sizeof *sp);
    if (!sp || !(sp->path = strdup(path))) {
        free(sp);
        error_message_set(error, error_size, "spool %s: out of memory", path);
        return -1;
    }
    bool created = false;
    sp->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (sp->fd < 0 && errno == ENOENT) {
        sp->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        created = sp->fd >= 0;
        if (sp->fd < 0 && errno == EEXIST) /* created by someone else just now */
            sp->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    }
    if (sp->fd < 0) {
        error_message_set(error, error_size, "spool %s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (flock(sp->fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            error_message_set(error, error_size, "spool %s: in use by another sink (locked)", path);
        else
            error_message_set(error, error_size, "spool %s: cannot lock: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(sp->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        error_message_set(error, error_size, "spool %s: not a regular file", path);
        goto fail;
    }
    if (created)
        sync_directory(path); /* the new name survives a crash too */
    walk_state w;
    switch (walk(sp, (uint64_t)st.st_size, NULL, NULL, &w)) {
    case WALK_END:
    case WALK_STOPPED:
        break;
    case WALK_TORN:
        if (ftruncate(sp->fd, (off_t)w.good_end) < 0 || sync_data(sp->fd) < 0) {
            error_message_set(error, error_size, "spool %s: cannot cut the torn tail at offset %llu: %s", path,
                        (unsigned long long)w.good_end, strerror(errno));
            goto fail;
        }
        sp->cut = (uint64_t)st.st_size - w.good_end;
        break;
    case WALK_BAD:
        error_message_set(error, error_size,
                    "spool %s: damaged or not a spool at offset %llu (%s); records after it would be lost, so it is "
                    "not cut: move the file aside",
                    path, (unsigned long long)w.good_end, w.why);
        goto fail;
    case WALK_IO:
        error_message_set(error, error_size, "spool %s: at offset %llu: %s", path, (unsigned long long)w.good_end, w.why);
        goto fail;
    }
    sp->bytes = w.good_end;
    sp->records = w.records;
    *out = sp;
    if (error && error_size)
        error[0] = '\0';
    return 0;
fail:
    spool_close(sp);
    return -1;
}

void spool_close(spool *sp)
{
    if (!sp)
        return;
    if (sp->fd >= 0)
        close(sp->fd); /* releases the flock */
    free(sp->buffer);
    free(sp->path);
    free(sp);
}

/* ---- writing ---- */

int spool_append_batch(spool *sp, const char *const *ids, const char *const *flags, const size_t *flag_lengths,
                       size_t n)
{
    if (!sp)
        return -1;
    if (n == 0)
        return 0;
    if (!ids || !flags || !flag_lengths) {
        SPOOL_ERROR(sp, "spool %s: missing argument", sp->path);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t id_length = ids[i] ? strlen(ids[i]) : 0;
        if (id_length == 0 || id_length > SPOOL_MAX_ID || !flags[i] || flag_lengths[i] == 0 ||
            flag_lengths[i] > SPOOL_MAX_FLAG) {
            SPOOL_ERROR(sp, "spool %s: record %zu: id or flag empty or too long", sp->path, i);
            return -1;
        }
    }
    if (n > SIZE_MAX / (3 * sizeof(struct iovec))) {
        SPOOL_ERROR(sp, "spool %s: batch too large", sp->path);
        return -1;
    }
    unsigned char *frames = malloc(n * FRAME);
    struct iovec *iov = malloc(n * 3 * sizeof *iov);
    if (!frames || !iov) {
        free(frames);
        free(iov);
        SPOOL_ERROR(sp, "spool %s: out of memory", sp->path);
        return -1;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t id_length = strlen(ids[i]);
        unsigned char *f = frames + i * FRAME;
        f[8] = (unsigned char)id_length;
        f[9] = (unsigned char)(id_length >> 8);
        uLong crc = crc32(0L, f + 8, 2);
        crc = crc32(crc, (const Bytef *)ids[i], (uInt)id_length);
        crc = crc32(crc, (const Bytef *)flags[i], (uInt)flag_lengths[i]);
        uint32_t length = (uint32_t)(2 + id_length + flag_lengths[i]);
        put_u32(f, length);
        put_u32(f + 4, (uint32_t)crc);
        iov[3 * i] = (struct iovec){f, FRAME};
        iov[3 * i + 1] = (struct iovec){(void *)ids[i], id_length};
        iov[3 * i + 2] = (struct iovec){(void *)flags[i], flag_lengths[i]};
        total += SPOOL_RECORD_HEADER + length;
    }
    size_t count = 3 * n, next = 0;
    int rc = 0;
    while (next < count) {
        int chunk = count - next < IOV_MAX ? (int)(count - next) : IOV_MAX;
        ssize_t w = writev(sp->fd, iov + next, chunk);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            SPOOL_ERROR(sp, "spool %s: write failed: %s", sp->path, w < 0 ? strerror(errno) : "wrote nothing");
            rc = -1;
            break;
        }
        size_t done = (size_t)w;
        while (done && next < count) {
            if (done >= iov[next].iov_len) {
                done -= iov[next].iov_len;
                next++;
            } else {
                iov[next].iov_base = (unsigned char *)iov[next].iov_base + done;
                iov[next].iov_len -= done;
                done = 0;
            }
        }
        while (next < count && iov[next].iov_len == 0)
            next++;
    }
    if (rc == 0 && sync_data(sp->fd) < 0) {
        SPOOL_ERROR(sp, "spool %s: fdatasync failed: %s", sp->path, strerror(errno));
        rc = -1;
    }
    free(frames);
    free(iov);
    if (rc < 0) {
        /* None of the batch counts as spooled: cut what reached the file. */
        if (ftruncate(sp->fd, (off_t)sp->bytes) == 0)
            (void)sync_data(sp->fd);
        return -1;
    }
    sp->bytes += total;
    sp->records += n;
    return 0;
}

int spool_for_each(spool *sp, spool_callback callback, void *context)
{
    if (!sp || !callback)
        return -1;
    walk_state w;
    switch (walk(sp, sp->bytes, callback, context, &w)) {
    case WALK_END:
        return 0;
    case WALK_STOPPED:
        return w.stopped;
    default:
        SPOOL_ERROR(sp, "spool %s: bad record at offset %llu: %s (%llu records before it were read)", sp->path,
                    (unsigned long long)w.good_end, w.why, (unsigned long long)w.records);
        return -1;
    }
}

int spool_truncate(spool *sp)
{
    if (!sp)
        return -1;
    if (ftruncate(sp->fd, 0) < 0 || sync_data(sp->fd) < 0) {
        SPOOL_ERROR(sp, "spool %s: cannot truncate: %s", sp->path, strerror(errno));
        return -1;
    }
    sp->bytes = 0;
    sp->records = 0;
    return 0;
}

uint64_t spool_bytes(const spool *sp)
{
    return sp ? sp->bytes : 0;
}

uint64_t spool_records(const spool *sp)
{
    return sp ? sp->records : 0;
}

uint64_t spool_cut_bytes(const spool *sp)
{
    return sp ? sp->cut : 0;
}

const char *spool_path(const spool *sp)
{
    return sp ? sp->path : "";
}

const char *spool_error(const spool *sp)
{
    return sp ? sp->error : "spool: no spool";
}
