/* package: evidence packages for police and courts (docs/evidence.md).
 *
 * package_export writes a WACZ file (the zip layout web-archive replay tools
 * open) holding only the given cases' records:
 *
 *   archive/data.warc.gz     the request, response and screenshot records of
 *                            every sighting, copied byte for byte from the
 *                            scan's WARC files (their digests and record ids
 *                            unchanged), after the warcinfo of each file
 *   indexes/index.cdx        CDXJ index of the responses (replay)
 *   pages/pages.jsonl        one page per captured listing
 *   cases/CASE.json          the case: listing, flag, every sighting, the
 *                            decision history, and the chain excerpt (each
 *                            decision's canonical text and hash), with the
 *                            register's chain head at export time
 *   statement.html           the human-readable statement (Vietnamese by
 *                            default), also written beside the package
 *   keys/signing-key.pub     the public key that signed it
 *   datapackage.json         every file above with its SHA-256 and size
 *   datapackage-digest.json  the SHA-256 of datapackage.json, signed with
 *                            the department's Ed25519 key (signing.h)
 *
 * Every record is checked (digests, record id, payload digest against the
 * sighting) before it goes in: a package never carries evidence that does
 * not match what the register says was captured.
 *
 * package_verify checks a package the way a recipient would and names the
 * first thing that does not hold. The functions are thread-safe (no shared
 * state); the register handle is itself thread-safe. */
#ifndef LSCAN_PACKAGE_H
#define LSCAN_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/cases/register.h"

typedef enum package_error {
    PACKAGE_OK = 0,
    PACKAGE_ERROR_ARGUMENT,     /* no cases, no output path */
    PACKAGE_ERROR_REGISTER,     /* a case cannot be read (or does not exist) */
    PACKAGE_ERROR_EVIDENCE,     /* a WARC file is missing, or a record does not match its sighting */
    PACKAGE_ERROR_KEY,          /* the signing key cannot be read */
    PACKAGE_ERROR_IO,           /* the package cannot be written or read */
    PACKAGE_ERROR_MEMORY,
    PACKAGE_ERROR_MISMATCH      /* verify: something does not hold (the detail names it) */
} package_error;

const char *package_strerror(package_error e);

typedef struct package_options {
    case_register *reg;               /* borrowed */
    const char *const *case_ids;
    size_t case_count;
    const char *const *warc_dirs;     /* where the scans' WARC files are, searched in order */
    size_t warc_dir_count;
    const char *out_path;             /* FILE.wacz (written to FILE.wacz.tmp, then renamed) */
    const char *statement_path;       /* the statement beside it; NULL: FILE without .wacz + "-statement.html" */
    const char *secret_key_path;      /* NULL: an unsigned package (verify says so) */
    const char *software;             /* "lscan 0.2.0" */
    const char *exported_by;          /* who ran the export (in the statement and datapackage.json) */
    bool english;                     /* the statement in English instead of Vietnamese */
    int64_t now_ms;
} package_options;

typedef struct package_summary {
    size_t cases, sightings, records;  /* records copied (warcinfo, request, response, resource) */
    size_t sightings_without_capture;  /* sightings whose flag carries warc: null */
    uint64_t bytes;                    /* the package's size */
    char sha256[65];                   /* of the package file */
    char datapackage_sha256[65];
    char fingerprint[40];              /* of the signing key ("" when unsigned) */
    char statement_path[4096];
} package_summary;

package_error package_export(const package_options *o, package_summary *out, char *detail, size_t detail_size);

typedef struct package_check {
    bool ok;
    bool is_signed;
    char fingerprint[40];            /* of the key in the package */
    size_t files, records, decisions, cases;
    char problem[1024];              /* the first thing that does not hold ("" when ok) */
} package_check;

/* Checks every file against datapackage.json (size and SHA-256; no file
 * left out, none added), datapackage.json against its digest, the
 * signature (with expected_public_key, a key file or base64, also that it
 * is that key), every WARC record's block and payload digests, every
 * sighting's capture against its record, and every decision's hash over its
 * canonical text and the links between consecutive ones. Returns PACKAGE_OK
 * with check->ok, PACKAGE_ERROR_MISMATCH with check->problem, or another
 * error when the package cannot be read at all (detail). */
package_error package_verify(const char *path, const char *expected_public_key, package_check *check, char *detail,
                             size_t detail_size);

/* RFC 3161: writes a timestamp request (DER) for the SHA-256 of the file at
 * path, with a nonce and asking for the authority's certificate, that any
 * timestamp authority answers (e.g. `curl --data-binary @FILE.tsq -H
 * 'Content-Type: application/timestamp-query' URL > FILE.tsr`). */
package_error package_timestamp_request(const char *path, const char *tsq_path, char *detail, size_t detail_size);
/* Verifies an authority's answer (DER) for the file at path: the imprint,
 * the nonce of tsq_path (when given), and the signature up to a CA in
 * ca_file (PEM). *time_out (may be NULL, 32 bytes) gets the time it
 * attests, as the authority wrote it. */
package_error package_timestamp_verify(const char *path, const char *tsr_path, const char *tsq_path,
                                       const char *ca_file, char *time_out, char *detail, size_t detail_size);

#endif
