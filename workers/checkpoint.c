/* checkpoint: see checkpoint.h. */
#include "workers/checkpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "rules/base/bytebuf.h"
#include "rules/base/error_message.h"

#define CHECKPOINT_MAGIC "LSCANCK2"
#define CHECKPOINT_MAX_BYTES ((size_t)1 << 30)

struct checkpoint_writer {
    FILE *file;
    uLong crc;
    bool failed;
    int error_number;
    char path[4096], temporary[4200];
};

static void put(checkpoint_writer *w, const void *data, size_t n)
{
    if (w->failed)
        return;
    if (fwrite(data, 1, n, w->file) != n) {
        w->failed = true;
        w->error_number = errno;
        return;
    }
    w->crc = crc32(w->crc, data, (uInt)n);
}

checkpoint_writer *checkpoint_begin(const char *path, const uint64_t *counters, size_t counter_count, char *error,
                                    size_t error_size)
{
    checkpoint_writer *w = calloc(1, sizeof *w);
    if (!w) {
        error_message_set(error, error_size, "out of memory");
        return NULL;
    }
    snprintf(w->path, sizeof w->path, "%s", path);
    snprintf(w->temporary, sizeof w->temporary, "%s.tmp", path);
    w->crc = crc32(0L, Z_NULL, 0);
    if (!(w->file = fopen(w->temporary, "wb"))) {
        error_message_set(error, error_size, "cannot write %s: %s", w->temporary, strerror(errno));
        free(w);
        return NULL;
    }
    put(w, CHECKPOINT_MAGIC, 8);
    uint32_t size = (uint32_t)(counter_count * 8);
    put(w, &size, 4);
    put(w, counters, counter_count * 8);
    return w;
}

void checkpoint_put_target(checkpoint_writer *w, uint32_t index, uint64_t fingerprint, const char *name)
{
    size_t n = strlen(name);
    uint16_t name_length = (uint16_t)(n > 65535 ? 65535 : n);
    put(w, "T", 1);
    put(w, &index, 4);
    put(w, &fingerprint, 8);
    put(w, &name_length, 2);
    put(w, name, name_length);
}

void checkpoint_put_url(checkpoint_writer *w, const char *url, uint32_t target, uint16_t kind, uint16_t attempt)
{
    uint32_t length = (uint32_t)strlen(url);
    put(w, "U", 1);
    put(w, &target, 4);
    put(w, &kind, 2);
    put(w, &attempt, 2);
    put(w, &length, 4);
    put(w, url, length);
}

void checkpoint_put_key(checkpoint_writer *w, uint64_t key)
{
    put(w, "K", 1);
    put(w, &key, 8);
}

int checkpoint_commit(checkpoint_writer *w, char *error, size_t error_size)
{
    put(w, "E", 1);
    uint32_t crc = (uint32_t)w->crc;
    put(w, &crc, 4);
    if (!w->failed && (fflush(w->file) != 0 || fsync(fileno(w->file)) != 0)) {
        w->failed = true;
        w->error_number = errno;
    }
    if (fclose(w->file) != 0 && !w->failed) {
        w->failed = true;
        w->error_number = errno;
    }
    if (!w->failed && rename(w->temporary, w->path) != 0) {
        w->failed = true;
        w->error_number = errno;
    }
    int rc = 0;
    if (w->failed) {
        error_message_set(error, error_size, "cannot write %s: %s", w->path, strerror(w->error_number));
        unlink(w->temporary);
        rc = -1;
    }
    free(w);
    return rc;
}

int checkpoint_read(const char *path, size_t counter_count, const checkpoint_visitor *v, void *ctx, char *error,
                    size_t error_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        error_message_set(error, error_size, "cannot read the checkpoint %s: %s", path, strerror(errno));
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
    int rc = -1;
    if (data.overflow || length < 8 + 4 + 1 + 4 || memcmp(p, CHECKPOINT_MAGIC, 8)) {
        error_message_set(error, error_size, "%s is not a checkpoint of this version of lscan", path);
        goto done;
    }
    memcpy(&crc, p + length - 4, 4);
    memcpy(&size, p + 8, 4);
    if ((uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)(length - 4)) != crc || size != counter_count * 8 ||
        12 + (size_t)size > length - 5 || p[length - 5] != 'E') {
        error_message_set(error, error_size, "%s is damaged or from another version of lscan", path);
        goto done;
    }
    if (error && error_size)
        error[0] = '\0';
    uint64_t *values = malloc(size ? size : 1);
    if (!values) {
        error_message_set(error, error_size, "out of memory");
        goto done;
    }
    memcpy(values, p + 12, size);
    int stop = v->counters ? v->counters(ctx, values, counter_count) : 0;
    free(values);
    size_t at = 12 + size, end = length - 5;
    while (at < end && stop == 0) {
        if (p[at] == 'T' && at + 15 <= end) {
            uint32_t index;
            uint64_t fingerprint;
            uint16_t name_length;
            memcpy(&index, p + at + 1, 4);
            memcpy(&fingerprint, p + at + 5, 8);
            memcpy(&name_length, p + at + 13, 2);
            if (at + 15 + name_length > end)
                break;
            stop = v->target ? v->target(ctx, index, fingerprint, (const char *)p + at + 15, name_length) : 0;
            at += 15 + name_length;
        } else if (p[at] == 'K' && at + 9 <= end) {
            uint64_t key;
            memcpy(&key, p + at + 1, 8);
            stop = v->key ? v->key(ctx, key) : 0;
            at += 9;
        } else if (p[at] == 'U' && at + 13 <= end) {
            uint32_t target, url_length;
            uint16_t kind, attempt;
            memcpy(&target, p + at + 1, 4);
            memcpy(&kind, p + at + 5, 2);
            memcpy(&attempt, p + at + 7, 2);
            memcpy(&url_length, p + at + 9, 4);
            if (at + 13 + url_length > end)
                break;
            stop = v->url ? v->url(ctx, (const char *)p + at + 13, url_length, target, kind, attempt) : 0;
            at += 13 + url_length;
        } else {
            break;
        }
    }
    if (stop == 0 && at == end)
        rc = 0;
    else if (!error || !error_size || !error[0])
        error_message_set(error, error_size, "%s: a record is damaged or does not fit this campaign", path);
done:
    bytebuf_free(&data);
    return rc;
}
