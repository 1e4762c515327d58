/* warc: the evidence archive (docs/evidence.md). Pages are written as WARC
 * 1.1 records (ISO 28500:2017), the format every web-archive tool reads, and
 * read back for export and verification.
 *
 * Writing. A writer owns one file at a time, named the way archive tools
 * expect (PREFIX-TIMESTAMP-SERIAL-HOST-PID-wWORKER.warc.gz) and rotated by
 * size. Each file opens with a `warcinfo` record (software, campaign, scan,
 * operator, machine); each captured exchange is a `request` and a `response`
 * record (the headers as sent and as received, the body exactly as it came
 * off the wire), joined by WARC-Concurrent-To, each record its own gzip
 * member, so a record can be cut out of the file by offset and length and
 * read alone. Digests are "sha256:" in base32, the WARC convention.
 * Records are written with write(2) and made durable with warc_writer_sync
 * (fdatasync); the caller syncs before any flag that points at a record
 * leaves the process. A failed write is cut off the file again, so a file
 * never holds half a record. One writer per thread; writers are not
 * thread-safe, different writers may be used from different threads.
 *
 * Reading. warc_read_member inflates one gzip member (bounded) and parses
 * its record; warc_record_check recomputes its block and payload digests.
 * warc_reader walks a whole .warc.gz file member by member. */
#ifndef LSCAN_WARC_H
#define LSCAN_WARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"

typedef enum warc_error {
    WARC_OK = 0,
    WARC_ERROR_ARGUMENT,   /* a required field is missing */
    WARC_ERROR_IO,         /* the file could not be opened, written, synced or read (errno in the detail) */
    WARC_ERROR_MEMORY,
    WARC_ERROR_FORMAT,     /* not a gzip member holding a WARC record */
    WARC_ERROR_TOO_BIG,    /* a record larger than WARC_MAX_RECORD_BYTES */
    WARC_ERROR_DIGEST      /* a block or payload digest does not match the bytes */
} warc_error;

const char *warc_strerror(warc_error e);

#define WARC_MAX_RECORD_BYTES ((size_t)256 << 20)   /* one record's block, read back at most */
#define WARC_DEFAULT_FILE_BYTES ((uint64_t)1 << 30) /* rotate after 1 GiB, as WARC 1.1 recommends */

/* Where a record is: enough to cut it out of its file and check it. */
typedef struct warc_location {
    char file[256];               /* the file's name (no directory) */
    uint64_t offset, length;      /* the response (or resource) record's gzip member */
    uint64_t request_offset, request_length; /* its request record's member (0, 0 for a resource) */
    char record_id[48];           /* "<urn:uuid:...>" of the response (or resource) record */
    char payload_digest[64];      /* "sha256:BASE32" of the body as received */
} warc_location;

/* The warcinfo fields of every file a writer opens (borrowed strings; NULL
 * leaves a field out). */
typedef struct warc_info {
    const char *software;        /* "lscan 0.9" */
    const char *campaign;
    const char *scan_id;
    const char *operator_name;
    const char *hostname;        /* NULL: gethostname() */
    const char *robots;          /* why robots.txt was ignored ("target 'x': reason"), NULL when obeyed */
} warc_info;

typedef struct warc_writer_options {
    const char *directory;       /* created if missing */
    const char *prefix;          /* NULL: "lscan" */
    unsigned worker;             /* in the file name, so threads never share a file */
    uint64_t max_file_bytes;     /* 0: WARC_DEFAULT_FILE_BYTES */
    int compression_level;       /* gzip level 1..9 (libdeflate); 0: 1 (level 6 cost a third of an archiving scan for
                                    files 0.4% smaller) */
    warc_info info;
} warc_writer_options;

/* One HTTP exchange as it happened (borrowed for the call). */
typedef struct warc_exchange {
    const char *target_uri;      /* the URL that answered */
    const char *date;            /* RFC 3339 UTC, when the request started */
    const char *ip;              /* the server's address, or NULL */
    const char *request_headers; /* the request line and headers as sent, through the blank line */
    size_t request_headers_length;
    const char *response_headers; /* the status line and headers as received, through the blank line */
    size_t response_headers_length;
    const void *body;            /* the body as received (still content-encoded; chunking removed) */
    size_t body_length;
} warc_exchange;

typedef struct warc_writer_stats {
    uint64_t records, exchanges, resources;
    uint64_t bytes;              /* compressed bytes written (all files) */
    uint64_t files;              /* files opened */
    uint64_t syncs;              /* fdatasync calls that had something to sync */
    uint64_t failures;           /* writes or syncs that failed */
} warc_writer_stats;

typedef struct warc_writer warc_writer;

/* A writer; no file is opened until the first record. 0, or -1 with a
 * message (the directory cannot be created). */
int warc_writer_create(const warc_writer_options *o, warc_writer **out, char *error, size_t error_size);
/* Syncs and closes the file. NULL is a no-op. */
void warc_writer_destroy(warc_writer *w);

/* Writes the request and the response record of one exchange (after the
 * file's warcinfo when the file is new, rotating first when the file is
 * full) and fills *out with where the response record is. The response
 * headers are kept as received, except that a Transfer-Encoding header is
 * renamed X-Lscan-Transfer-Encoding: curl removed the chunking, and a
 * reader must not look for chunks in the stored body. Not yet durable: see
 * warc_writer_sync. */
warc_error warc_write_exchange(warc_writer *w, const warc_exchange *x, warc_location *out);
/* Writes a `resource` record (a screenshot) tied to a response by
 * WARC-Concurrent-To (concurrent_to may be NULL), under target_uri (e.g.
 * "urn:screenshot:" + the page's URL). */
warc_error warc_write_resource(warc_writer *w, const char *target_uri, const char *date, const char *concurrent_to,
                               const char *content_type, const void *data, size_t length, warc_location *out);
/* fdatasync of the current file when something was written since the last
 * sync. WARC_OK or WARC_ERROR_IO. */
warc_error warc_writer_sync(warc_writer *w);
/* Why the last call failed. */
const char *warc_writer_error(const warc_writer *w);
void warc_writer_get_stats(const warc_writer *w, warc_writer_stats *out);

/* ---- reading ------------------------------------------------------------------ */

typedef struct warc_record {
    bytebuf header;              /* the WARC header block, NUL-terminated, through the blank line */
    bytebuf block;               /* the content block */
    /* fields (pointers into `fields`, NUL-terminated; "" when absent) */
    const char *version, *type, *record_id, *date, *target_uri, *ip, *concurrent_to, *content_type,
        *block_digest, *payload_digest, *warcinfo_id, *filename;
    uint64_t content_length;
    bytebuf fields;              /* storage for the field values */
} warc_record;

void warc_record_init(warc_record *r);
void warc_record_free(warc_record *r);

/* Inflates the gzip member at the start of `data` (at most `length` bytes)
 * and parses its WARC record into r. *consumed gets the member's compressed
 * length. detail (may be NULL) says what is wrong. */
warc_error warc_read_member(const void *data, size_t length, warc_record *r, size_t *consumed, char *detail,
                            size_t detail_size);
/* Recomputes the record's WARC-Block-Digest over its block and, for an
 * application/http response or a resource, its WARC-Payload-Digest over the
 * payload (the block after the HTTP headers, or the whole block of a
 * resource). WARC_OK, WARC_ERROR_DIGEST (detail names which), or
 * WARC_ERROR_FORMAT when a digest is missing or not sha256. */
warc_error warc_record_check(const warc_record *r, char *detail, size_t detail_size);
/* The payload of a record: the block after the HTTP header block for
 * application/http, else the whole block. */
void warc_record_payload(const warc_record *r, const char **payload, size_t *length);

/* Reads length bytes at offset of a file into out (replacing its content). */
warc_error warc_read_range(const char *path, uint64_t offset, uint64_t length, bytebuf *out, char *detail,
                           size_t detail_size);

/* "sha256:" + base32 of the SHA-256 of data (out holds at least 64 bytes). */
void warc_sha256_digest(const void *data, size_t length, char out[64]);
/* The hex SHA-256 of a "sha256:BASE32" digest (out 65 bytes): 0, or -1 when
 * it is not one. */
int warc_digest_hex(const char *digest, char out[65]);

#endif
