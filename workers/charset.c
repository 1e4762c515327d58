/* charset: see charset.h. */
#include "workers/charset.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#define META_WINDOW 4096
#define DEFAULT_MAX ((size_t)8 << 20)

static const char *const error_texts[CHARSET_ERROR_COUNT] = {"ok", "out of memory"};

const char *charset_strerror(charset_error e)
{
    return (unsigned)e < CHARSET_ERROR_COUNT ? error_texts[e] : "unknown error";
}

const char *charset_source_name(charset_source s)
{
    static const char *const names[] = {"bom", "http", "meta", "guess"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}

struct charset_decoder {
    size_t max;
    char *buffer;           /* the converted text */
    size_t capacity;
};

charset_error charset_decoder_create(size_t max_output, charset_decoder **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return CHARSET_ERROR_MEMORY;
    (*out)->max = max_output ? max_output : DEFAULT_MAX;
    return CHARSET_OK;
}

void charset_decoder_destroy(charset_decoder *d)
{
    if (!d)
        return;
    free(d->buffer);
    free(d);
}

/* ---- UTF-8 ----------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len;
    uint32_t min, cp;
    if ((p[0] & 0xE0) == 0xC0) {
        len = 2, min = 0x80, cp = p[0] & 0x1F;
    } else if ((p[0] & 0xF0) == 0xE0) {
        len = 3, min = 0x800, cp = p[0] & 0x0F;
    } else if ((p[0] & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool charset_valid_utf8(const char *data, size_t length)
{
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < length;) {
        /* ASCII eight bytes at a time: most of a page or an API response */
        while (i + 8 <= length) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= length)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence(p + i, length - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

/* Whether the bytes hold at least one valid multi-byte sequence: a page
 * declared UTF-8 with a few bad bytes, not a legacy page mislabelled. */
static bool has_utf8_multibyte(const char *data, size_t length)
{
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < length; i++)
        if (p[i] >= 0xC2 && utf8_sequence(p + i, length - i) > 1)
            return true;
    return false;
}

/* ---- labels ------------------------------------------------------------------- */

static void trim_label(const char *from, size_t n, char *out, size_t size)
{
    while (n && (isspace((unsigned char)*from) || *from == '"' || *from == '\'')) {
        from++;
        n--;
    }
    while (n && (isspace((unsigned char)from[n - 1]) || from[n - 1] == '"' || from[n - 1] == '\''))
        n--;
    size_t k = 0;
    for (; k < n && k + 1 < size; k++)
        out[k] = (char)tolower((unsigned char)from[k]);
    out[k] = '\0';
}

/* "charset=" in a parameter list such as "text/html; charset=windows-1258". */
static bool charset_parameter(const char *s, size_t n, char *out, size_t size)
{
    for (size_t i = 0; i + 8 <= n; i++) {
        if (strncasecmp(s + i, "charset", 7))
            continue;
        if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '_'))
            continue;
        size_t j = i + 7;
        while (j < n && isspace((unsigned char)s[j]))
            j++;
        if (j >= n || s[j] != '=')
            continue;
        j++;
        while (j < n && isspace((unsigned char)s[j]))
            j++;
        size_t end = j;
        if (end < n && (s[end] == '"' || s[end] == '\'')) {
            char quote = s[end++];
            while (end < n && s[end] != quote)
                end++;
            if (end < n)
                end++;
        } else {
            while (end < n && s[end] != ';' && !isspace((unsigned char)s[end]))
                end++;
        }
        trim_label(s + j, end - j, out, size);
        return out[0] != '\0';
    }
    return false;
}

bool charset_from_content_type(const char *content_type, char *out, size_t size)
{
    if (!content_type)
        return false;
    const char *semicolon = strchr(content_type, ';');
    return semicolon && charset_parameter(semicolon, strlen(semicolon), out, size);
}

/* Reads one attribute of a tag at *p (before end): its name and value. */
static bool next_attribute(const char **p, const char *end, const char **name, size_t *name_length,
                           const char **value, size_t *value_length)
{
    const char *s = *p;
    while (s < end && (isspace((unsigned char)*s) || *s == '/'))
        s++;
    if (s >= end || *s == '>')
        return false;
    *name = s;
    while (s < end && !isspace((unsigned char)*s) && *s != '=' && *s != '>' && *s != '/')
        s++;
    *name_length = (size_t)(s - *name);
    while (s < end && isspace((unsigned char)*s))
        s++;
    *value = s;
    *value_length = 0;
    if (s < end && *s == '=') {
        s++;
        while (s < end && isspace((unsigned char)*s))
            s++;
        if (s < end && (*s == '"' || *s == '\'')) {
            char quote = *s++;
            *value = s;
            while (s < end && *s != quote)
                s++;
            *value_length = (size_t)(s - *value);
            if (s < end)
                s++;
        } else {
            *value = s;
            while (s < end && !isspace((unsigned char)*s) && *s != '>')
                s++;
            *value_length = (size_t)(s - *value);
        }
    }
    if (*name_length == 0)
        s++; /* a stray character: step over it */
    *p = s;
    return true;
}

bool charset_from_meta(const char *data, size_t length, char *out, size_t size)
{
    const char *end = data + (length < META_WINDOW ? length : META_WINDOW);
    for (const char *p = data; p < end; p++) {
        if (*p != '<')
            continue;
        if (end - p >= 4 && !strncmp(p, "<!--", 4)) { /* a commented-out meta declares nothing */
            const char *close = p + 4;
            while (close + 3 <= end && strncmp(close, "-->", 3))
                close++;
            p = close + 2;
            continue;
        }
        if (end - p < 6 || strncasecmp(p, "<meta", 5) || !(isspace((unsigned char)p[5]) || p[5] == '/'))
            continue;
        const char *a = p + 5, *name, *value;
        size_t name_length, value_length;
        bool http_equiv = false;
        char content_charset[64] = "";
        while (next_attribute(&a, end, &name, &name_length, &value, &value_length)) {
            if (name_length == 7 && !strncasecmp(name, "charset", 7) && value_length) {
                trim_label(value, value_length, out, size);
                if (out[0])
                    return true;
            } else if (name_length == 10 && !strncasecmp(name, "http-equiv", 10)) {
                http_equiv = value_length == 12 && !strncasecmp(value, "content-type", 12);
            } else if (name_length == 7 && !strncasecmp(name, "content", 7)) {
                charset_parameter(value, value_length, content_charset, sizeof content_charset);
            }
        }
        if (http_equiv && content_charset[0]) {
            snprintf(out, size, "%s", content_charset);
            return true;
        }
        p = a > p ? a - 1 : p;
    }
    return false;
}

bool charset_canonical(const char *label, char *out, size_t size)
{
    static const struct {
        const char *label, *name;
    } aliases[] = {
        {"utf-8", "UTF-8"}, {"utf8", "UTF-8"}, {"unicode-1-1-utf-8", "UTF-8"}, {"x-unicode20utf8", "UTF-8"},
        /* WHATWG: these labels all mean windows-1252 (its C1 range is what such pages use) */
        {"iso-8859-1", "WINDOWS-1252"}, {"iso8859-1", "WINDOWS-1252"}, {"iso_8859-1", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"}, {"l1", "WINDOWS-1252"}, {"us-ascii", "WINDOWS-1252"}, {"ascii", "WINDOWS-1252"},
        {"cp1252", "WINDOWS-1252"}, {"windows-1252", "WINDOWS-1252"}, {"x-cp1252", "WINDOWS-1252"},
        {"cp1258", "WINDOWS-1258"}, {"windows-1258", "WINDOWS-1258"}, {"x-cp1258", "WINDOWS-1258"},
        {"utf-16", "UTF-16LE"}, {"utf-16le", "UTF-16LE"}, {"unicode", "UTF-16LE"}, {"ucs-2", "UTF-16LE"},
        {"utf-16be", "UTF-16BE"},
        /* Vietnamese legacy encodings, as glibc names them */
        {"tcvn", "TCVN5712-1"}, {"tcvn3", "TCVN5712-1"}, {"tcvn-3", "TCVN5712-1"}, {"tcvn5712", "TCVN5712-1"},
        {"tcvn-5712", "TCVN5712-1"}, {"tcvn5712-1", "TCVN5712-1"}, {"x-viet-tcvn5712", "TCVN5712-1"},
        {"x-viet-tcvn", "TCVN5712-1"}, {"viscii", "VISCII"}, {"x-viet-viscii", "VISCII"}, {"csviscii", "VISCII"},
    };
    char lower[64];
    size_t n = strlen(label);
    if (!n || n >= sizeof lower)
        return false;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)label[i]);
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (!strcmp(lower, aliases[i].label)) {
            snprintf(out, size, "%s", aliases[i].name);
            return true;
        }
    /* anything else goes to iconv as written, if it could be a charset name
     * (no "//TRANSLIT" suffixes or paths from a hostile page) */
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)lower[i]) && !strchr("-_.:", lower[i]))
            return false;
    if (n + 1 > size)
        return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)toupper((unsigned char)lower[i]);
    return true;
}

/* ---- conversion ---------------------------------------------------------------- */

static bool is_utf8_name(const char *name)
{
    return !strcmp(name, "UTF-8");
}

/* Room for at least n bytes in the decoder's buffer (n <= max + 4). */
static bool reserve(charset_decoder *d, size_t n)
{
    if (d->capacity >= n)
        return true;
    char *grown = realloc(d->buffer, n);
    if (!grown)
        return false;
    d->buffer = grown;
    d->capacity = n;
    return true;
}

/* Copies UTF-8 with each invalid sequence replaced by U+FFFD. */
static charset_error repair_utf8(charset_decoder *d, const char *data, size_t length, charset_result *out)
{
    size_t bound = length * 3 + 1 < d->max + 1 ? length * 3 + 1 : d->max + 1;
    if (!reserve(d, bound))
        return CHARSET_ERROR_MEMORY;
    const unsigned char *p = (const unsigned char *)data;
    size_t o = 0;
    for (size_t i = 0; i < length;) {
        size_t n = p[i] < 0x80 ? 1 : utf8_sequence(p + i, length - i);
        const char *bytes = n ? data + i : "\xEF\xBF\xBD";
        size_t count = n ? n : 3;
        if (o + count > d->max) {
            out->cut = true;
            break;
        }
        memcpy(d->buffer + o, bytes, count);
        o += count;
        if (!n)
            out->replaced++;
        i += n ? n : 1;
    }
    d->buffer[o] = '\0';
    out->text = d->buffer;
    out->length = o;
    return CHARSET_OK;
}

/* Converts with iconv into the decoder's buffer: 1 done; 0 when `strict`
 * and a byte sequence is invalid in the charset (nothing usable); -1 when
 * iconv does not know the charset; -2 out of memory. Lossy: invalid
 * sequences become U+FFFD. */
static int convert(charset_decoder *d, const char *charset, const char *data, size_t length, bool strict,
                   charset_result *out)
{
    iconv_t cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return -1;
    /* a legacy byte is at most 3 UTF-8 bytes, a combined Vietnamese letter
     * at most 4 for 2 bytes; 2 UTF-16 bytes at most 3 */
    size_t bound = length * 3 + 16 < d->max + 4 ? length * 3 + 16 : d->max + 4;
    if (!reserve(d, bound)) {
        iconv_close(cd);
        return -2;
    }
    size_t unit = !strncmp(charset, "UTF-16", 6) ? 2 : !strncmp(charset, "UTF-32", 6) ? 4 : 1;
    char *in = (char *)data, *o = d->buffer;
    size_t in_left = length, o_left = bound - 4; /* 4 bytes of slack stay for the NUL (and a flush) */
    size_t replaced = 0;
    bool cut = false;
    while (in_left > 0) {
        if (iconv(cd, &in, &in_left, &o, &o_left) != (size_t)-1)
            break;
        if (errno == E2BIG) {
            cut = true;
            break;
        }
        if (strict) {
            iconv_close(cd);
            return 0;
        }
        /* EILSEQ (invalid here) or EINVAL (cut at the end): one replacement, step over it */
        size_t skip = in_left < unit ? in_left : unit;
        in += skip;
        in_left -= skip;
        replaced++;
        if (o_left < 3) {
            cut = true;
            break;
        }
        memcpy(o, "\xEF\xBF\xBD", 3);
        o += 3;
        o_left -= 3;
    }
    /* flush: CP1258 and TCVN hold a base letter back, waiting for a combining mark */
    if (!cut)
        iconv(cd, NULL, NULL, &o, &o_left);
    iconv_close(cd);
    *o = '\0';
    out->text = d->buffer;
    out->length = (size_t)(o - d->buffer);
    out->replaced += replaced;
    out->cut |= cut;
    return 1;
}

/* NFC of the converted text, in place (within the bound). */
static charset_error compose(charset_decoder *d, charset_result *out)
{
    /* only text with combining diacritics (U+0300..U+036F, UTF-8 CC xx / CD
     * xx) can change: NFC of a whole page costs ten times its conversion */
    bool marks = false;
    for (size_t i = 0; i + 1 < out->length && !marks; i++)
        marks = ((unsigned char)out->text[i] == 0xCC || (unsigned char)out->text[i] == 0xCD) &&
                ((unsigned char)out->text[i + 1] & 0xC0) == 0x80;
    if (!marks)
        return CHARSET_OK;
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)out->text, (utf8proc_ssize_t)out->length, &nfc,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n < 0) {
        free(nfc);
        return n == UTF8PROC_ERROR_NOMEM ? CHARSET_ERROR_MEMORY : CHARSET_OK; /* other errors: keep it as it is */
    }
    /* NFC can lengthen a little (composition exclusions decompose): the
     * bound still holds, cut on a character boundary */
    size_t keep = (size_t)n;
    if (keep > d->max) {
        keep = d->max;
        while (keep > 0 && (nfc[keep] & 0xC0) == 0x80)
            keep--;
        out->cut = true;
    }
    if (!reserve(d, keep + 1)) {
        free(nfc);
        return CHARSET_ERROR_MEMORY;
    }
    memcpy(d->buffer, nfc, keep);
    d->buffer[keep] = '\0';
    free(nfc);
    out->text = d->buffer;
    out->length = keep;
    return CHARSET_OK;
}

/* Decodes with `name` (an iconv name) into out. strict: only if every byte
 * fits. Returns 1 done, 0 not fitting, -1 unknown charset, -2 memory. */
static int decode_as(charset_decoder *d, const char *name, const char *data, size_t length, bool strict,
                     charset_result *out)
{
    if (is_utf8_name(name)) {
        if (charset_valid_utf8(data, length)) {
            out->text = data;
            out->length = length;
            out->converted = false;
        } else if (strict) {
            return 0;
        } else if (repair_utf8(d, data, length, out) != CHARSET_OK) {
            return -2;
        } else {
            out->converted = true;
        }
        snprintf(out->charset, sizeof out->charset, "UTF-8");
        return 1;
    }
    int rc = convert(d, name, data, length, strict, out);
    if (rc != 1)
        return rc;
    out->converted = true;
    snprintf(out->charset, sizeof out->charset, "%s", name);
    return compose(d, out) == CHARSET_OK ? 1 : -2;
}

/* The charset a byte-order mark names, with the mark's length, or NULL. UTF-32's marks only when asked
 * (JSON), and before UTF-16's: FF FE 00 00 starts both. */
static const char *byte_order_mark(const unsigned char *u, size_t length, bool utf32, size_t *mark_length)
{
    *mark_length = 0;
    if (length >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        return *mark_length = 3, "UTF-8";
    if (utf32 && length >= 4 && u[0] == 0xFF && u[1] == 0xFE && !u[2] && !u[3])
        return *mark_length = 4, "UTF-32LE";
    if (utf32 && length >= 4 && !u[0] && !u[1] && u[2] == 0xFE && u[3] == 0xFF)
        return *mark_length = 4, "UTF-32BE";
    if (length >= 2 && u[0] == 0xFF && u[1] == 0xFE)
        return *mark_length = 2, "UTF-16LE";
    if (length >= 2 && u[0] == 0xFE && u[1] == 0xFF)
        return *mark_length = 2, "UTF-16BE";
    return NULL;
}

charset_error charset_decode(charset_decoder *d, const char *content_type, const char *data, size_t length,
                             charset_result *out)
{
    memset(out, 0, sizeof *out);
    out->text = data;
    out->length = length;
    snprintf(out->charset, sizeof out->charset, "UTF-8");
    const unsigned char *u = (const unsigned char *)data;
    /* 1. a byte-order mark beats every declaration (WHATWG) */
    size_t bom_length = 0;
    const char *bom = byte_order_mark(u, length, false, &bom_length);
    if (bom) {
        out->source = CHARSET_FROM_BOM;
        int rc = decode_as(d, bom, data + bom_length, length - bom_length, false, out);
        if (rc == -2)
            return CHARSET_ERROR_MEMORY;
        if (!out->converted) { /* valid UTF-8 after its BOM: the input without the mark */
            out->text = data + bom_length;
            out->length = length - bom_length;
            out->converted = true;
        }
        out->wrong = out->replaced > 0;
        return CHARSET_OK;
    }
    /* 2. the declarations, HTTP first */
    char labels[2][64] = {"", ""};
    charset_source sources[2] = {CHARSET_FROM_HTTP, CHARSET_FROM_META};
    charset_from_content_type(content_type, labels[0], sizeof labels[0]);
    charset_from_meta(data, length, labels[1], sizeof labels[1]);
    char first_known[32] = "";
    for (int i = 0; i < 2; i++) {
        char name[32];
        if (!labels[i][0])
            continue;
        if (!charset_canonical(labels[i], name, sizeof name)) {
            out->unknown = true;
            continue;
        }
        /* a <meta> is ASCII: a page that can read it is not UTF-16 (WHATWG) */
        if (sources[i] == CHARSET_FROM_META && !strncmp(name, "UTF-16", 6))
            snprintf(name, sizeof name, "UTF-8");
        out->source = sources[i];
        int rc = decode_as(d, name, data, length, true, out);
        if (rc == 1)
            return CHARSET_OK;
        if (rc == -2)
            return CHARSET_ERROR_MEMORY;
        if (rc == -1) {
            out->unknown = true;
            continue;
        }
        out->wrong = true;
        if (!first_known[0])
            snprintf(first_known, sizeof first_known, "%s", name);
    }
    /* 3. no declaration fits: UTF-8 with a few bad bytes, else windows-1258 */
    out->source = CHARSET_FROM_GUESS;
    int rc;
    if (charset_valid_utf8(data, length) || has_utf8_multibyte(data, length))
        rc = decode_as(d, "UTF-8", data, length, false, out);
    else if ((rc = decode_as(d, "WINDOWS-1258", data, length, true, out)) == 0)
        rc = decode_as(d, first_known[0] ? first_known : "WINDOWS-1258", data, length, false, out);
    if (rc == -2)
        return CHARSET_ERROR_MEMORY;
    if (rc != 1) { /* cannot happen (UTF-8 and windows-1258 are always there): keep the bytes */
        out->text = data;
        out->length = length;
    }
    return CHARSET_OK;
}

/* ---- JSON ------------------------------------------------------------------------ */

/* The Unicode family of an iconv name: 8, 16 or 32 (UTF-8, UTF-16*, UTF-32*),
 * 0 for any other charset. */
static int utf_family(const char *name)
{
    if (!strcmp(name, "UTF-8"))
        return 8;
    if (!strncmp(name, "UTF-16", 6))
        return 16;
    if (!strncmp(name, "UTF-32", 6))
        return 32;
    return 0;
}

/* Whether glibc's iconv converts from `name` (else it is "unknown"). */
static bool iconv_knows(const char *name)
{
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return false;
    iconv_close(cd);
    return true;
}

/* Decodes as `name`, lossy, from `skip` bytes on; the text is never the
 * input with a mark in front. Returns what decode_as does. */
static int decode_lossy(charset_decoder *d, const char *name, const char *data, size_t length, size_t skip,
                        charset_result *out)
{
    int rc = decode_as(d, name, data + skip, length - skip, false, out);
    if (rc == 1 && skip)
        out->converted = true; /* a mark removed: not the input as it came */
    return rc;
}

charset_error charset_decode_json(charset_decoder *d, const char *content_type, const char *data, size_t length,
                                  charset_result *out)
{
    memset(out, 0, sizeof *out);
    out->text = data;
    out->length = length;
    snprintf(out->charset, sizeof out->charset, "UTF-8");
    const unsigned char *u = (const unsigned char *)data;
    /* a byte-order mark, UTF-32's too */
    size_t bom_length = 0;
    const char *bom = byte_order_mark(u, length, true, &bom_length);
    /* UTF-16 or UTF-32 without a mark, told by its NULs (RFC 4627 3: a
     * JSON text starts with two ASCII characters); else UTF-8 */
    const char *nuls = "UTF-8";
    if (length >= 4 && !u[0] && !u[1] && !u[2] && u[3])
        nuls = "UTF-32BE";
    else if (length >= 4 && u[0] && !u[1] && !u[2] && !u[3])
        nuls = "UTF-32LE";
    else if (length >= 2 && !u[0] && u[1])
        nuls = "UTF-16BE";
    else if (length >= 2 && u[0] && !u[1])
        nuls = "UTF-16LE";
    int rc;
    /* 1. the HTTP charset, when it fits the bytes */
    char label[64], name[32];
    if (charset_from_content_type(content_type, label, sizeof label)) {
        if (!charset_canonical(label, name, sizeof name)) {
            out->unknown = true;
        } else if (!bom && utf_family(name) > 8) {
            /* UTF-16/32 bytes decode "validly" in either byte order (as
             * CJK): the NULs say which, and whether it is UTF-16/32 at all */
            if (utf_family(nuls) == utf_family(name)) {
                out->source = CHARSET_FROM_HTTP;
                rc = decode_lossy(d, nuls, data, length, 0, out);
                if (rc == -2)
                    return CHARSET_ERROR_MEMORY;
                out->wrong = out->replaced > 0;
                return CHARSET_OK;
            }
            out->wrong = true;
        } else if (bom && utf_family(name) == utf_family(bom)) {
            /* "utf-16" and a mark: the mark says which end first */
            out->source = CHARSET_FROM_HTTP;
            rc = decode_lossy(d, bom, data, length, bom_length, out);
            if (rc == -2)
                return CHARSET_ERROR_MEMORY;
            out->wrong = out->replaced > 0;
            return CHARSET_OK;
        } else if (bom) {
            out->wrong = true; /* declared one charset, marked as another: the mark is the better witness */
        } else if (utf_family(nuls) > 8) {
            out->wrong = true; /* NULs where a JSON text in UTF-8 or a legacy charset has none */
        } else if (!utf_family(name) && has_utf8_multibyte(data, length) && charset_valid_utf8(data, length) &&
                   iconv_knows(name)) {
            /* a legacy charset declared over valid multi-byte UTF-8 (servers
             * that add "charset=ISO-8859-1" by default): JSON is UTF-8 (RFC
             * 8259 8.1), and legacy text is valid multi-byte UTF-8 by chance
             * almost never */
            out->wrong = true;
        } else {
            out->source = CHARSET_FROM_HTTP;
            rc = decode_as(d, name, data, length, true, out);
            if (rc == 1)
                return CHARSET_OK;
            if (rc == -2)
                return CHARSET_ERROR_MEMORY;
            if (rc == -1)
                out->unknown = true;
            else
                out->wrong = true;
        }
    }
    /* 2. a byte-order mark (RFC 8259 8.1 lets a parser read past one) */
    if (bom) {
        out->source = CHARSET_FROM_BOM;
        rc = decode_lossy(d, bom, data, length, bom_length, out);
        return rc == -2 ? CHARSET_ERROR_MEMORY : CHARSET_OK;
    }
    /* 3. UTF-16/32 by their NULs, else UTF-8 */
    out->source = CHARSET_FROM_GUESS;
    rc = decode_lossy(d, nuls, data, length, 0, out);
    if (rc == -2)
        return CHARSET_ERROR_MEMORY;
    if (rc != 1) { /* cannot happen (glibc has UTF-16/32): keep the bytes */
        out->text = data;
        out->length = length;
    }
    return CHARSET_OK;
}
