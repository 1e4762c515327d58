/* charset: an HTML page's or a JSON response's bytes as UTF-8, whatever it
 * was written in (docs/campaigns.md, "Character sets"). Pages below; JSON
 * at charset_decode_json.
 *
 * Which charset: a byte-order mark first (UTF-8, UTF-16LE/BE: the WHATWG
 * rule, a BOM beats every declaration), then the HTTP Content-Type
 * `charset`, then a `<meta charset>` or `<meta http-equiv=Content-Type
 * content="...; charset=...">` within the first 4 KiB. A declaration whose
 * charset does not fit the bytes (declared UTF-8 but invalid, or bytes
 * undefined in the declared charset) is "wrong": the next declaration is
 * tried, then UTF-8 when the bytes hold valid multi-byte UTF-8 (a UTF-8 page
 * with a few bad bytes), then windows-1258 (the default of Vietnamese pages,
 * as WHATWG's locale default for vi). A label iconv does not know is
 * "unknown" and skipped. Labels follow WHATWG where it differs from iconv
 * (iso-8859-1, us-ascii and latin1 mean windows-1252; utf-16 means
 * UTF-16LE; a <meta> naming UTF-16 means UTF-8), and the Vietnamese legacy
 * labels map to glibc's converters (tcvn, tcvn3, x-viet-tcvn5712 ->
 * TCVN5712-1; viscii, x-viet-viscii -> VISCII).
 *
 * Conversion is glibc's iconv; what cannot be converted becomes U+FFFD
 * (counted in `replaced`), the output is bounded (`cut` when it reached the
 * bound) and, for a converted page, normalized to NFC (utf8proc), so a
 * windows-1258 "ê" + combining acute comes out as the one character "ế".
 *
 * A decoder belongs to one thread (not thread-safe); it owns its output
 * buffer. charset_decoder_destroy(NULL) is a no-op. */
#ifndef LSCAN_CHARSET_H
#define LSCAN_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

typedef enum charset_error {
    CHARSET_OK = 0,
    CHARSET_ERROR_MEMORY,      /* out of memory: the page was not converted */
    CHARSET_ERROR_COUNT
} charset_error;

const char *charset_strerror(charset_error e);

typedef enum charset_source {
    CHARSET_FROM_BOM = 0,
    CHARSET_FROM_HTTP,
    CHARSET_FROM_META,
    CHARSET_FROM_GUESS,        /* no declaration fit (or none was made): UTF-8 or windows-1258 */
} charset_source;

const char *charset_source_name(charset_source s);

typedef struct charset_result {
    const char *text;          /* UTF-8, NUL-terminated: the input itself when it was valid UTF-8 without a BOM
                                  (then it is as NUL-terminated as the input was), else the decoder's buffer (valid
                                  until the next charset_decode or destroy) */
    size_t length;
    char charset[32];          /* the charset decoded with, as iconv names it ("UTF-8", "WINDOWS-1258") */
    charset_source source;
    bool converted;            /* text is not the input */
    bool wrong;                /* a declared charset did not fit the bytes */
    bool unknown;              /* a declared charset is unknown to iconv */
    bool cut;                  /* the output reached max_output */
    size_t replaced;           /* byte sequences replaced by U+FFFD */
} charset_result;

typedef struct charset_decoder charset_decoder;

/* A decoder whose output is at most max_output bytes (0: 8 MiB). */
charset_error charset_decoder_create(size_t max_output, charset_decoder **out);
void charset_decoder_destroy(charset_decoder *d);

/* Decodes `data` (length bytes) to UTF-8 by the rules above; content_type
 * is the HTTP header's value (NULL or "" when absent). On CHARSET_OK *out
 * is filled; on an error *out points at the input unchanged. */
charset_error charset_decode(charset_decoder *d, const char *content_type, const char *data, size_t length,
                             charset_result *out);

/* Decodes a JSON response body to UTF-8 (RFC 8259 8.1: JSON is UTF-8; a
 * parser may read past a byte-order mark). Which charset, in this order:
 * the HTTP Content-Type `charset` when it fits the bytes (labels as above;
 * a declared UTF-16/32 takes its byte order from the mark, else from the
 * NULs of the first four bytes, and is wrong when neither is of its kind,
 * since such bytes decode "validly" in any byte order; any other charset
 * declared over bytes with those NULs, or a legacy charset declared over
 * valid multi-byte UTF-8, is wrong too);
 * else a byte-order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE;
 * a mark contradicting the declaration wins, and the declaration is
 * wrong); else UTF-16/32 told by the NULs of the first four bytes (a JSON
 * text starts with two ASCII characters, RFC 4627 3); else UTF-8, invalid
 * sequences replaced by U+FFFD. The mark is never part of the text; `wrong`
 * and `unknown` mean what they do for pages; no <meta> is looked for.
 * Output and errors as charset_decode. */
charset_error charset_decode_json(charset_decoder *d, const char *content_type, const char *data, size_t length,
                                  charset_result *out);

/* The `charset` parameter of a Content-Type value, lowercased and unquoted:
 * true with it in out (at most size-1 bytes). Pure. */
bool charset_from_content_type(const char *content_type, char *out, size_t size);
/* The charset a <meta> declares within the first 4 KiB of an HTML page
 * (WHATWG prescan, simplified: comments and the first meta that declares
 * one): true with it in out. Pure. */
bool charset_from_meta(const char *data, size_t length, char *out, size_t size);
/* The iconv name for a label ("utf8" -> "UTF-8", "latin1" -> "WINDOWS-1252",
 * "tcvn3" -> "TCVN5712-1"; other labels uppercased); false for a label
 * with characters no charset name has. Pure. */
bool charset_canonical(const char *label, char *out, size_t size);
/* Whether data is valid UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF). Pure. */
bool charset_valid_utf8(const char *data, size_t length);

#endif
