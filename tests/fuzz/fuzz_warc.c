/* libFuzzer target: the WARC reader on hostile archives (a package from
 * outside is read by lscan evidence verify). The bytes are read as a gzip
 * member, and also gzip-wrapped first, so the record parser itself sees
 * every header and length the fuzzer makes up; each record read is checked
 * (digests), and its payload taken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "scanner/evidence/warc.h"

static void read_all(const uint8_t *data, size_t size)
{
    warc_record r;
    warc_record_init(&r);
    size_t at = 0;
    for (int n = 0; at < size && n < 64; n++) {
        size_t consumed = 0;
        char detail[256];
        if (warc_read_member(data + at, size - at, &r, &consumed, detail, sizeof detail) != WARC_OK || !consumed)
            break;
        warc_record_check(&r, detail, sizeof detail);
        const char *payload;
        size_t length;
        warc_record_payload(&r, &payload, &length);
        char hex[65];
        warc_digest_hex(r.payload_digest, hex);
        at += consumed;
    }
    warc_record_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_all(data, size);
    /* the same bytes as the content of one gzip member */
    uLong bound = compressBound((uLong)size) + 32;
    uint8_t *gz = malloc(bound);
    if (!gz)
        return 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
        z.next_in = (Bytef *)(uintptr_t)data;
        z.avail_in = (uInt)size;
        z.next_out = gz;
        z.avail_out = (uInt)bound;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END)
            read_all(gz, bound - z.avail_out);
        deflateEnd(&z);
    }
    free(gz);
    return 0;
}
