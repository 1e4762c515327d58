/* package: see package.h. */
#include "scanner/export/package.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <zip.h>

#include "rules/base/error_message.h"
#include "rules/base/hex.h"
#include "scanner/evidence/warc.h"
#include "scanner/export/signing.h"
#include "rules/pack.h"

#define DETAIL(...) error_message_set(detail, detail_size, __VA_ARGS__)
#define MAX_MEMBER_FILE_BYTES ((uint64_t)1 << 31)   /* one file inside a package, read back at most */
#define WACZ_VERSION "1.1.1"

const char *package_strerror(package_error e)
{
    switch (e) {
    case PACKAGE_OK: return "ok";
    case PACKAGE_ERROR_ARGUMENT: return "missing argument";
    case PACKAGE_ERROR_REGISTER: return "cannot read the case register";
    case PACKAGE_ERROR_EVIDENCE: return "the evidence does not match the register";
    case PACKAGE_ERROR_KEY: return "cannot read the signing key";
    case PACKAGE_ERROR_IO: return "input/output error";
    case PACKAGE_ERROR_MEMORY: return "out of memory";
    case PACKAGE_ERROR_MISMATCH: return "the package does not verify";
    }
    return "unknown error";
}

static void sha256_hex(const void *data, size_t length, char out[65])
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(data, length, digest, &n, EVP_sha256(), NULL);
    hex_encode(digest, 32, out);
}

static int sha256_file(const char *path, char out[65], uint64_t *size)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    unsigned char buffer[1 << 16];
    size_t n;
    uint64_t total = 0;
    while ((n = fread(buffer, 1, sizeof buffer, f)) > 0) {
        EVP_DigestUpdate(c, buffer, n);
        total += n;
    }
    bool failed = ferror(f);
    fclose(f);
    unsigned char digest[32];
    unsigned int dn = 0;
    EVP_DigestFinal_ex(c, digest, &dn);
    EVP_MD_CTX_free(c);
    hex_encode(digest, 32, out);
    if (size)
        *size = total;
    return failed ? -1 : 0;
}

static const char *json_string(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double json_number(const cJSON *o, const char *key, double otherwise)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : otherwise;
}

/* A WARC file name as lscan writes them: no directory, nothing a path could hide in. */
static bool safe_file_name(const char *name)
{
    if (!name || !name[0] || name[0] == '.' || strlen(name) > 255)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

/* ---- time ------------------------------------------------------------------- */

static void utc_text(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "2026-05-08T01:02:03Z" -> "08/05/2026 08:02:03" (UTC+7), or a copy when not such a time. */
static void vietnam_time(const char *utc, char *out, size_t size)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = utc ? strptime(utc, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end) {
        snprintf(out, size, "%s", utc ? utc : "");
        return;
    }
    time_t t = timegm(&tm) + 7 * 3600;
    gmtime_r(&t, &tm);
    strftime(out, size, "%d/%m/%Y %H:%M:%S", &tm);
}

/* "2026-05-08T01:02:03Z" -> "20260508010203" */
static void timestamp14(const char *utc, char out[15])
{
    size_t o = 0;
    for (const char *p = utc ? utc : ""; *p && o < 14; p++)
        if (*p >= '0' && *p <= '9')
            out[o++] = *p;
    while (o < 14)
        out[o++] = '0';
    out[14] = '\0';
}

/* A SURT-ordered key for the CDXJ index: host labels reversed (not for
 * addresses), then ")" and the path, lower case. */
static void surt_key(const char *url, bytebuf *out)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *host_end = p + strcspn(p, "/?#");
    const char *port = memchr(p, ':', (size_t)(host_end - p));
    const char *name_end = port ? port : host_end;
    size_t host_length = (size_t)(name_end - p);
    bool address = host_length && strspn(p, "0123456789.") == host_length;
    if (host_length > 4 && !strncasecmp(p, "www.", 4) && !address) {
        p += 4;
        host_length -= 4;
    }
    if (address) {
        bytebuf_append(out, p, host_length);
    } else {
        const char *label_end = p + host_length;
        for (const char *q = label_end; q >= p; q--) {
            if (q == p || q[-1] == '.') {
                if (label_end != p + host_length)
                    bytebuf_append_char(out, ',');
                bytebuf_append(out, q, (size_t)(label_end - q));
                label_end = q - 1;
            }
            if (q == p)
                break;
        }
    }
    if (port)
        bytebuf_append(out, port, (size_t)(host_end - port));
    bytebuf_append_char(out, ')');
    for (const char *q = host_end; *q && *q != '#'; q++)
        bytebuf_append_char(out, (char)((*q >= 'A' && *q <= 'Z') ? *q + 32 : (*q == ' ' ? '+' : *q)));
    if (!*host_end)
        bytebuf_append_char(out, '/');
}

/* ---- export --------------------------------------------------------------------- */

typedef struct entry {
    char *path;
    char *data;                     /* owned (handed to libzip at the end) */
    size_t length;
    bool store;                     /* no compression (the WARC is gzip already) */
} entry;

typedef struct copied {
    char file[256];
    uint64_t offset;                /* in the source file */
    uint64_t new_offset, new_length;
} copied;

typedef struct exporter {
    const package_options *o;
    entry entries[4096];
    size_t entry_count;
    bytebuf warc;                   /* archive/data.warc.gz */
    bytebuf cdx_lines;              /* unsorted lines, NUL-separated */
    size_t cdx_count;
    bytebuf pages;
    copied *copies;
    size_t copy_count, copy_capacity;
    char (*infos)[256];             /* source files whose warcinfo is in */
    size_t info_count, info_capacity;
    package_summary *summary;
    char *detail;
    size_t detail_size;
} exporter;

static int add_entry(exporter *x, const char *path, char *data, size_t length, bool store)
{
    if (x->entry_count == sizeof x->entries / sizeof x->entries[0] || !data) {
        free(data);
        return -1;
    }
    entry *e = &x->entries[x->entry_count++];
    e->path = strdup(path);
    e->data = data;
    e->length = length;
    e->store = store;
    return e->path ? 0 : -1;
}

static int add_buffer(exporter *x, const char *path, bytebuf *b, bool store)
{
    if (b->overflow)
        return -1;
    size_t length = 0;
    char *data = bytebuf_detach(b, &length);
    if (!data)
        data = strdup("");
    return add_entry(x, path, data, length, store);
}

static bool find_warc(const exporter *x, const char *name, char *path, size_t size)
{
    for (size_t i = 0; i < x->o->warc_dir_count; i++) {
        snprintf(path, size, "%s/%s", x->o->warc_dirs[i], name);
        if (access(path, R_OK) == 0)
            return true;
    }
    return false;
}

/* Reads one member of a source file, checks it, appends it to the package's WARC. */
static package_error copy_member(exporter *x, const char *path, uint64_t offset, uint64_t length, warc_record *record,
                                 uint64_t *new_offset)
{
    char *detail = x->detail;
    size_t detail_size = x->detail_size;
    bytebuf raw;
    bytebuf_init(&raw, 0);
    char why[512] = "";
    warc_error e = warc_read_range(path, offset, length, &raw, why, sizeof why);
    size_t consumed = 0;
    if (e == WARC_OK)
        e = warc_read_member(raw.data, raw.length, record, &consumed, why, sizeof why);
    if (e == WARC_OK && consumed != raw.length) {
        e = WARC_ERROR_FORMAT;
        snprintf(why, sizeof why, "%llu bytes at %llu hold more than one record", (unsigned long long)length,
                 (unsigned long long)offset);
    }
    if (e == WARC_OK)
        e = warc_record_check(record, why, sizeof why);
    if (e != WARC_OK) {
        bytebuf_free(&raw);
        DETAIL("%s at offset %llu: %s%s%s", path, (unsigned long long)offset, warc_strerror(e), why[0] ? ": " : "", why);
        return PACKAGE_ERROR_EVIDENCE;
    }
    *new_offset = x->warc.length;
    bytebuf_append(&x->warc, raw.data, raw.length);
    bytebuf_free(&raw);
    x->summary->records++;
    return x->warc.overflow ? PACKAGE_ERROR_MEMORY : PACKAGE_OK;
}

/* The warcinfo record a source file starts with, once per file. */
static package_error copy_warcinfo(exporter *x, const char *name, const char *path, warc_record *record)
{
    for (size_t i = 0; i < x->info_count; i++)
        if (!strcmp(x->infos[i], name))
            return PACKAGE_OK;
    bytebuf head;
    bytebuf_init(&head, 0);
    struct stat st;
    uint64_t want = stat(path, &st) == 0 && (uint64_t)st.st_size < (1u << 20) ? (uint64_t)st.st_size : (1u << 20);
    char why[512] = "";
    warc_error e = warc_read_range(path, 0, want, &head, why, sizeof why);
    size_t consumed = 0;
    if (e == WARC_OK)
        e = warc_read_member(head.data, head.length, record, &consumed, why, sizeof why);
    bytebuf_free(&head);
    if (e != WARC_OK || strcmp(record->type, "warcinfo")) {
        char *detail = x->detail;
        size_t detail_size = x->detail_size;
        DETAIL("%s does not start with a warcinfo record%s%s", path, why[0] ? ": " : "", why);
        return PACKAGE_ERROR_EVIDENCE;
    }
    if (x->info_count == x->info_capacity) {
        size_t n = x->info_capacity ? 2 * x->info_capacity : 16;
        char(*grown)[256] = realloc(x->infos, n * sizeof *grown);
        if (!grown)
            return PACKAGE_ERROR_MEMORY;
        x->infos = grown;
        x->info_capacity = n;
    }
    snprintf(x->infos[x->info_count++], 256, "%s", name);
    uint64_t new_offset;
    return copy_member(x, path, 0, consumed, record, &new_offset);
}

static void add_cdx(exporter *x, const warc_record *response, uint64_t offset, uint64_t length)
{
    bytebuf line;
    bytebuf_init(&line, 0);
    surt_key(response->target_uri, &line);
    char ts[15];
    timestamp14(response->date, ts);
    bytebuf_printf(&line, " %s {\"url\":", ts);
    bytebuf_append_json_string(&line, response->target_uri, strlen(response->target_uri));
    const char *payload;
    size_t payload_length;
    warc_record_payload(response, &payload, &payload_length);
    int status = 0;
    if (response->block.length > 12 && !strncmp(response->block.data, "HTTP/", 5)) {
        const char *space = memchr(response->block.data, ' ', 16);
        char *end = NULL;
        long code = space ? strtol(space + 1, &end, 10) : 0;
        if (space && end != space + 1 && code >= 100 && code <= 999)
            status = (int)code;
    }
    /* the media type from the HTTP headers */
    char mime[128] = "unk";
    const char *block = response->block.data;
    const char *head_end = response->block.length ? memmem(block, response->block.length, "\r\n\r\n", 4) : NULL;
    for (const char *p = block; head_end && p < head_end;) {
        const char *eol = memmem(p, (size_t)(head_end + 2 - p), "\r\n", 2);
        if (!eol)
            break;
        if (eol - p > 13 && !strncasecmp(p, "Content-Type:", 13)) {
            const char *v = p + 13;
            while (*v == ' ')
                v++;
            size_t n = strcspn(v, ";\r");
            snprintf(mime, sizeof mime, "%.*s", (int)(n < sizeof mime - 1 ? n : sizeof mime - 1), v);
        }
        p = eol + 2;
    }
    bytebuf_append_string(&line, ",\"mime\":");
    bytebuf_append_json_string(&line, mime, strlen(mime));
    bytebuf_printf(&line, ",\"status\":\"%d\",\"digest\":", status);
    bytebuf_append_json_string(&line, response->payload_digest, strlen(response->payload_digest));
    bytebuf_printf(&line, ",\"length\":\"%llu\",\"offset\":\"%llu\",\"filename\":\"data.warc.gz\"}",
                   (unsigned long long)length, (unsigned long long)offset);
    bytebuf_append(&x->cdx_lines, line.data, line.length);
    bytebuf_append_char(&x->cdx_lines, '\0');
    x->cdx_count++;
    bytebuf_free(&line);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Copies the records of one sighting's capture (request, response, and a
 * screenshot when there is one); the package's own offsets go back into
 * the sighting's evidence as "package". */
static package_error copy_capture(exporter *x, cJSON *case_json, cJSON *warc_json, const char *title)
{
    char *detail = x->detail;
    size_t detail_size = x->detail_size;
    const char *file = json_string(warc_json, "file");
    const char *record_id = json_string(warc_json, "record_id");
    const char *payload_digest = json_string(warc_json, "payload_digest");
    double offset = json_number(warc_json, "offset", -1), length = json_number(warc_json, "length", -1);
    double request_offset = json_number(warc_json, "request_offset", 0),
           request_length = json_number(warc_json, "request_length", 0);
    const char *case_id = json_string(case_json, "case_id");
    if (!safe_file_name(file) || !record_id || offset < 0 || length <= 0 || request_offset < 0 || request_length < 0) {
        DETAIL("case %s: a sighting's warc location is incomplete or names an odd file", case_id ? case_id : "?");
        return PACKAGE_ERROR_EVIDENCE;
    }
    for (size_t i = 0; i < x->copy_count; i++)
        if (!strcmp(x->copies[i].file, file) && x->copies[i].offset == (uint64_t)offset) {
            cJSON *where = cJSON_CreateObject();
            cJSON_AddStringToObject(where, "file", "archive/data.warc.gz");
            cJSON_AddNumberToObject(where, "offset", (double)x->copies[i].new_offset);
            cJSON_AddNumberToObject(where, "length", (double)x->copies[i].new_length);
            cJSON_AddItemToObject(warc_json, "package", where);
            return PACKAGE_OK; /* the same page, sighted for two cases */
        }
    char path[4096];
    if (!find_warc(x, file, path, sizeof path)) {
        DETAIL("case %s: the WARC file %s is not in %s%s", case_id ? case_id : "?", file,
               x->o->warc_dir_count ? x->o->warc_dirs[0] : "(no directory given)",
               x->o->warc_dir_count > 1 ? " or the other --evidence-dir" : "");
        return PACKAGE_ERROR_EVIDENCE;
    }
    warc_record record;
    warc_record_init(&record);
    package_error e = copy_warcinfo(x, file, path, &record);
    uint64_t at = 0;
    if (e == PACKAGE_OK && request_length > 0) {
        e = copy_member(x, path, (uint64_t)request_offset, (uint64_t)request_length, &record, &at);
        if (e == PACKAGE_OK && (strcmp(record.type, "request") || strcmp(record.concurrent_to, record_id))) {
            DETAIL("case %s: %s at %llu is not the request of %s", case_id, file, (unsigned long long)request_offset,
                   record_id);
            e = PACKAGE_ERROR_EVIDENCE;
        }
    }
    if (e == PACKAGE_OK)
        e = copy_member(x, path, (uint64_t)offset, (uint64_t)length, &record, &at);
    if (e == PACKAGE_OK && (strcmp(record.record_id, record_id) ||
                            (payload_digest && strcmp(record.payload_digest, payload_digest)))) {
        DETAIL("case %s: the record at %s offset %llu is %s with payload %s, the register says %s with %s", case_id,
               file, (unsigned long long)offset, record.record_id, record.payload_digest, record_id,
               payload_digest ? payload_digest : "?");
        e = PACKAGE_ERROR_EVIDENCE;
    }
    if (e == PACKAGE_OK) {
        if (x->copy_count == x->copy_capacity) {
            size_t n = x->copy_capacity ? 2 * x->copy_capacity : 64;
            copied *grown = realloc(x->copies, n * sizeof *grown);
            if (!grown) {
                warc_record_free(&record);
                return PACKAGE_ERROR_MEMORY;
            }
            x->copies = grown;
            x->copy_capacity = n;
        }
        copied *c = &x->copies[x->copy_count++];
        snprintf(c->file, sizeof c->file, "%s", file);
        c->offset = (uint64_t)offset;
        c->new_offset = at;
        c->new_length = (uint64_t)length;
        add_cdx(x, &record, at, (uint64_t)length);
        /* the page for replay tools */
        bytebuf_append_string(&x->pages, "{\"id\":");
        char id[64];
        snprintf(id, sizeof id, "%s", record.record_id + (record.record_id[0] == '<' ? 10 : 0));
        id[strcspn(id, ">")] = '\0';
        bytebuf_append_json_string(&x->pages, id, strlen(id));
        bytebuf_append_string(&x->pages, ",\"url\":");
        bytebuf_append_json_string(&x->pages, record.target_uri, strlen(record.target_uri));
        bytebuf_append_string(&x->pages, ",\"ts\":");
        bytebuf_append_json_string(&x->pages, record.date, strlen(record.date));
        bytebuf_append_string(&x->pages, ",\"title\":");
        bytebuf_append_json_string(&x->pages, title ? title : "", title ? strlen(title) : 0);
        bytebuf_append_string(&x->pages, "}\n");
        cJSON *where = cJSON_CreateObject();
        cJSON_AddStringToObject(where, "file", "archive/data.warc.gz");
        cJSON_AddNumberToObject(where, "offset", (double)at);
        cJSON_AddNumberToObject(where, "length", (double)length);
        cJSON_AddItemToObject(warc_json, "package", where);
        /* a screenshot taken of the page */
        const cJSON *shot = cJSON_GetObjectItemCaseSensitive(warc_json, "screenshot");
        if (cJSON_IsObject(shot)) {
            double so = json_number(shot, "offset", -1), sl = json_number(shot, "length", -1);
            const char *sfile = json_string(shot, "file");
            char spath[4096];
            if (so >= 0 && sl > 0 && safe_file_name(sfile) && find_warc(x, sfile, spath, sizeof spath)) {
                e = copy_warcinfo(x, sfile, spath, &record);
                if (e == PACKAGE_OK)
                    e = copy_member(x, spath, (uint64_t)so, (uint64_t)sl, &record, &at);
                if (e == PACKAGE_OK && strcmp(record.type, "resource")) {
                    DETAIL("case %s: the screenshot at %s offset %llu is a %s record", case_id, sfile,
                           (unsigned long long)so, record.type);
                    e = PACKAGE_ERROR_EVIDENCE;
                }
            }
        }
    }
    warc_record_free(&record);
    return e;
}

/* ---- the statement ------------------------------------------------------------------ */

static void html(bytebuf *b, const char *text)
{
    if (text)
        bytebuf_append_html_escaped(b, text, strlen(text));
}

typedef struct words {
    const char *title, *intro, *case_word, *platform, *listing_id, *url, *seller, *seller_id, *location, *state, *kind,
        *captures, *captured_at, *vn_time, *address, *status, *sha256, *record, *file, *no_capture, *decisions,
        *when, *who, *action, *change, *reason, *transfer, *hash, *no_decisions, *verify_title, *verify_steps,
        *exported_at, *exported_by, *signed_by, *unsigned_note, *price, *chain_head, *screenshot;
} words;

static const words VI = {
    "Biên bản chứng cứ điện tử", "Biên bản này mô tả các tin đăng bị nghi vi phạm quyền sở hữu trí tuệ do lscan ghi nhận, "
    "cùng bản lưu trữ web (WARC) của đúng trang đã thu thập, lịch sử xử lý và cách kiểm tra tính toàn vẹn của gói chứng cứ.",
    "Vụ việc", "Sàn", "Mã tin đăng", "Địa chỉ tin đăng", "Người bán", "Mã người bán", "Địa điểm", "Trạng thái",
    "Loại quyền", "Các lần thu thập", "Thời điểm thu thập (UTC)", "Giờ Việt Nam", "Địa chỉ IP máy chủ", "Mã HTTP",
    "SHA-256 nội dung", "Mã bản ghi WARC", "Vị trí trong gói", "Lần phát hiện này không có bản lưu trữ.",
    "Lịch sử quyết định", "Thời điểm", "Người thực hiện", "Hành động", "Chuyển trạng thái", "Lý do / ghi chú",
    "Chuyển giao", "Mã băm chuỗi", "Chưa có quyết định nào.", "Cách kiểm tra gói chứng cứ",
    "<ol><li>Giải nén tệp .wacz (là tệp zip) bằng bất kỳ công cụ giải nén nào.</li>"
    "<li>Với mỗi tệp, tính SHA-256 (ví dụ <code>sha256sum archive/data.warc.gz</code>) và so với giá trị "
    "<code>hash</code> ghi trong <code>datapackage.json</code>.</li>"
    "<li>Tính SHA-256 của <code>datapackage.json</code> và so với <code>datapackage-digest.json</code>; chữ ký Ed25519 "
    "trong đó kiểm tra được bằng khóa công khai <code>keys/signing-key.pub</code>. So dấu vân tay của khóa với dấu vân tay "
    "do đơn vị công bố.</li>"
    "<li>Hoặc chạy <code>lscan evidence verify TỆP.wacz --key KHÓA.pub</code>: lệnh kiểm tra tất cả các bước trên, "
    "mã băm của từng bản ghi WARC và chuỗi quyết định, và nêu điều đầu tiên không khớp.</li>"
    "<li>Bản lưu trữ mở được bằng các công cụ lưu trữ web (ReplayWeb.page, pywb, warcio).</li></ol>",
    "Thời điểm lập gói", "Người lập", "Ký bởi khóa có dấu vân tay", "Gói này KHÔNG được ký.", "Giá",
    "Đầu chuỗi quyết định khi lập gói", "Ảnh chụp màn hình"};

static const words EN = {
    "Electronic evidence statement", "This statement describes listings suspected of infringing intellectual property "
    "rights as recorded by lscan, with the web archive (WARC) of the very pages captured, the decision history, and how "
    "to check the package's integrity.",
    "Case", "Platform", "Listing id", "Listing URL", "Seller", "Seller id", "Location", "State", "Kind of right",
    "Captures", "Captured at (UTC)", "Vietnam time", "Server IP address", "HTTP status", "SHA-256 of the body",
    "WARC record id", "Place in the package", "This sighting has no archived copy.", "Decision history", "Time", "By",
    "Action", "State change", "Reason / note", "Transfer", "Chain hash", "No decisions yet.",
    "How to verify this package",
    "<ol><li>Unzip the .wacz file (it is a zip file) with any tool.</li>"
    "<li>For each file compute its SHA-256 (e.g. <code>sha256sum archive/data.warc.gz</code>) and compare it with the "
    "<code>hash</code> in <code>datapackage.json</code>.</li>"
    "<li>Compute the SHA-256 of <code>datapackage.json</code> and compare it with <code>datapackage-digest.json</code>; "
    "its Ed25519 signature verifies with <code>keys/signing-key.pub</code>. Compare the key's fingerprint with the one "
    "the department published.</li>"
    "<li>Or run <code>lscan evidence verify FILE.wacz --key KEY.pub</code>: it checks all of the above, every WARC "
    "record's digests and the decision chain, and names the first thing that does not match.</li>"
    "<li>The archive opens in web-archive tools (ReplayWeb.page, pywb, warcio).</li></ol>",
    "Package made at", "Made by", "Signed by the key with fingerprint", "This package is NOT signed.", "Price",
    "Decision chain head at export", "Screenshot"};

static void row(bytebuf *b, const char *label, const char *value, bool code)
{
    bytebuf_append_string(b, "<tr><th>");
    html(b, label);
    bytebuf_append_string(b, code ? "</th><td><code>" : "</th><td>");
    html(b, value && value[0] ? value : "—");
    bytebuf_append_string(b, code ? "</code></td></tr>\n" : "</td></tr>\n");
}

/* "893000" -> "893.000" (Vietnamese) or "893,000". */
static void grouped_number(double value, bool english, char *out, size_t size)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", value < 0 ? -value : value);
    size_t n = strlen(digits), o = 0;
    if (value < 0 && o + 1 < size)
        out[o++] = '-';
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            out[o++] = english ? ',' : '.';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static void statement_case(bytebuf *b, const words *w, const cJSON *c, bool english)
{
    const char *case_id = json_string(c, "case_id");
    bytebuf_append_string(b, "<section class=\"case\"><h2>");
    html(b, w->case_word);
    bytebuf_append_string(b, " <code>");
    html(b, case_id);
    bytebuf_append_string(b, "</code></h2>\n<p class=\"title\">");
    html(b, json_string(c, "title"));
    bytebuf_append_string(b, "</p>\n<table>\n");
    row(b, w->platform, json_string(c, "platform"), false);
    row(b, w->listing_id, json_string(c, "listing_id"), true);
    row(b, w->url, json_string(c, "url"), true);
    const cJSON *seller = cJSON_GetObjectItemCaseSensitive(c, "seller");
    row(b, w->seller, json_string(seller, "name"), false);
    row(b, w->seller_id, json_string(seller, "id"), true);
    row(b, w->location, json_string(seller, "location"), false);
    const char *kind = json_string(c, "kind"), *state = json_string(c, "state");
    rule_kind k = kind ? rule_kind_named(kind) : RULE_KIND_COUNT;
    case_state cs = state ? case_state_named(state) : CASE_STATE_COUNT;
    row(b, w->kind, k < RULE_KIND_COUNT ? rule_kind_label(k, !english) : kind, false);
    row(b, w->state, cs < CASE_STATE_COUNT ? case_state_label(cs, !english) : state, false);
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(c, "price");
    if (cJSON_IsNumber(price)) {
        char text[96], number[64];
        grouped_number(price->valuedouble, english, number, sizeof number);
        snprintf(text, sizeof text, "%s %s", number, json_string(c, "currency") ? json_string(c, "currency") : "");
        row(b, w->price, text, false);
    }
    bytebuf_append_string(b, "</table>\n<h3>");
    html(b, w->captures);
    bytebuf_append_string(b, "</h3>\n");
    const cJSON *sightings = cJSON_GetObjectItemCaseSensitive(c, "sightings");
    const cJSON *s;
    cJSON_ArrayForEach(s, sightings)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "evidence");
        const char *at = json_string(e, "fetched_at");
        char vn[64];
        vietnam_time(at ? at : json_string(s, "seen_at"), vn, sizeof vn);
        bytebuf_append_string(b, "<table class=\"capture\">\n");
        row(b, w->captured_at, at ? at : json_string(s, "seen_at"), true);
        row(b, w->vn_time, vn, false);
        row(b, w->url, json_string(e, "url"), true);
        char status[16] = "";
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "http_status")))
            snprintf(status, sizeof status, "%.0f", json_number(e, "http_status", 0));
        row(b, w->status, status, false);
        row(b, w->sha256, json_string(e, "sha256"), true);
        const cJSON *warc = cJSON_GetObjectItemCaseSensitive(e, "warc");
        if (cJSON_IsObject(warc)) {
            row(b, w->address, json_string(e, "ip"), true);
            row(b, w->record, json_string(warc, "record_id"), true);
            const cJSON *where = cJSON_GetObjectItemCaseSensitive(warc, "package");
            char place[128] = "";
            if (where)
                snprintf(place, sizeof place, "archive/data.warc.gz @ %.0f (+%.0f)", json_number(where, "offset", 0),
                         json_number(where, "length", 0));
            row(b, w->file, place, true);
            if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(warc, "screenshot")))
                row(b, w->screenshot, json_string(cJSON_GetObjectItemCaseSensitive(warc, "screenshot"), "record_id"),
                    true);
        } else {
            bytebuf_append_string(b, "<tr><td colspan=\"2\" class=\"warn\">");
            html(b, w->no_capture);
            bytebuf_append_string(b, "</td></tr>\n");
        }
        bytebuf_append_string(b, "</table>\n");
    }
    bytebuf_append_string(b, "<h3>");
    html(b, w->decisions);
    bytebuf_append_string(b, "</h3>\n");
    const cJSON *history = cJSON_GetObjectItemCaseSensitive(c, "history");
    if (!cJSON_GetArraySize(history)) {
        bytebuf_append_string(b, "<p>");
        html(b, w->no_decisions);
        bytebuf_append_string(b, "</p>\n");
    } else {
        bytebuf_append_string(b, "<table class=\"history\"><tr>");
        const char *heads[] = {w->when, w->who, w->action, w->change, w->reason, w->transfer, w->hash};
        for (size_t i = 0; i < 7; i++) {
            bytebuf_append_string(b, "<th>");
            html(b, heads[i]);
            bytebuf_append_string(b, "</th>");
        }
        bytebuf_append_string(b, "</tr>\n");
        const cJSON *d;
        cJSON_ArrayForEach(d, history)
        {
            char vn[64], change[128], reason[2048], transfer[1024] = "";
            vietnam_time(json_string(d, "at"), vn, sizeof vn);
            case_state from = json_string(d, "from_state") ? case_state_named(json_string(d, "from_state")) : CASE_STATE_COUNT,
                       to = json_string(d, "to_state") ? case_state_named(json_string(d, "to_state")) : CASE_STATE_COUNT;
            snprintf(change, sizeof change, "%s → %s", from < CASE_STATE_COUNT ? case_state_label(from, !english) : "?",
                     to < CASE_STATE_COUNT ? case_state_label(to, !english) : "?");
            snprintf(reason, sizeof reason, "%s%s%s", json_string(d, "reason") ? json_string(d, "reason") : "",
                     json_string(d, "note") && *json_string(d, "note") ? " — " : "",
                     json_string(d, "note") ? json_string(d, "note") : "");
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "transfer");
            if (cJSON_IsObject(t))
                snprintf(transfer, sizeof transfer, "%s, %s", json_string(t, "unit") ? json_string(t, "unit") : "",
                         json_string(t, "reference") ? json_string(t, "reference") : "");
            const char *cells[] = {vn, json_string(d, "actor"), json_string(d, "action"), change, reason, transfer,
                                   json_string(d, "hash")};
            bytebuf_append_string(b, "<tr>");
            for (size_t i = 0; i < 7; i++) {
                bytebuf_append_string(b, i == 6 ? "<td><code class=\"hash\">" : "<td>");
                html(b, cells[i]);
                bytebuf_append_string(b, i == 6 ? "</code></td>" : "</td>");
            }
            bytebuf_append_string(b, "</tr>\n");
        }
        bytebuf_append_string(b, "</table>\n");
    }
    bytebuf_append_string(b, "</section>\n");
}

static void statement(bytebuf *b, const words *w, bool english, cJSON *const *cases, size_t count, const char *now,
                      const char *by, const char *fingerprint, uint64_t chain_count, const char *chain_hash)
{
    char vn[64];
    vietnam_time(now, vn, sizeof vn);
    bytebuf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>",
                   english ? "en" : "vi");
    html(b, w->title);
    bytebuf_append_string(b, "</title>\n<style>body{font-family:'Noto Sans',sans-serif;max-width:60rem;margin:2rem auto;"
                             "line-height:1.4}table{border-collapse:collapse;margin:.5rem 0;width:100%}th,td{border:1px solid #bbb;"
                             "padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f2f2f2;width:14rem}"
                             "code{word-break:break-all}.title{font-size:1.15rem;font-weight:600}.warn{color:#a40}"
                             "table.history th{width:auto}.case{page-break-inside:avoid;border-top:2px solid #333;margin-top:2rem}"
                             "</style></head><body>\n<h1>");
    html(b, w->title);
    bytebuf_append_string(b, "</h1>\n<p>");
    html(b, w->intro);
    bytebuf_append_string(b, "</p>\n<table>\n");
    char both[128];
    snprintf(both, sizeof both, "%s (UTC) — %s", now, vn);
    row(b, w->exported_at, both, false);
    row(b, w->exported_by, by, false);
    if (fingerprint[0])
        row(b, w->signed_by, fingerprint, true);
    else
        row(b, w->signed_by, w->unsigned_note, false);
    char head[128];
    snprintf(head, sizeof head, "%llu / %s", (unsigned long long)chain_count, chain_hash);
    row(b, w->chain_head, head, true);
    bytebuf_append_string(b, "</table>\n");
    for (size_t i = 0; i < count; i++)
        statement_case(b, w, cases[i], english);
    bytebuf_append_string(b, "<h2>");
    html(b, w->verify_title);
    bytebuf_append_string(b, "</h2>\n");
    bytebuf_append_string(b, w->verify_steps); /* our own markup, no outside text in it */
    bytebuf_append_string(b, "\n</body></html>\n");
}

/* ---- writing the zip ----------------------------------------------------------------------- */

static package_error write_zip(exporter *x, const char *path, char *detail, size_t detail_size)
{
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, zerr);
        DETAIL("%s: %s", path, zip_error_strerror(&e));
        zip_error_fini(&e);
        return PACKAGE_ERROR_IO;
    }
    for (size_t i = 0; i < x->entry_count; i++) {
        entry *e = &x->entries[i];
        zip_source_t *src = zip_source_buffer(z, e->data, e->length, 1);
        if (!src) {
            DETAIL("%s: %s", path, zip_strerror(z));
            zip_discard(z);
            return PACKAGE_ERROR_IO;
        }
        e->data = NULL; /* libzip frees it */
        zip_int64_t index = zip_file_add(z, e->path, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
        if (index < 0) {
            zip_source_free(src);
            DETAIL("%s: %s", path, zip_strerror(z));
            zip_discard(z);
            return PACKAGE_ERROR_IO;
        }
        zip_set_file_compression(z, (zip_uint64_t)index, e->store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0);
        zip_file_set_mtime(z, (zip_uint64_t)index, (time_t)(x->o->now_ms / 1000), 0);
    }
    if (zip_close(z) < 0) {
        DETAIL("%s: %s", path, zip_strerror(z));
        zip_discard(z);
        return PACKAGE_ERROR_IO;
    }
    return PACKAGE_OK;
}

static void exporter_free(exporter *x)
{
    for (size_t i = 0; i < x->entry_count; i++) {
        free(x->entries[i].path);
        free(x->entries[i].data);
    }
    bytebuf_free(&x->warc);
    bytebuf_free(&x->cdx_lines);
    bytebuf_free(&x->pages);
    free(x->copies);
    free(x->infos);
}

static int write_file(const char *path, const char *data, size_t length)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wbe");
    if (!f)
        return -1;
    bool ok = fwrite(data, 1, length, f) == length && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

package_error package_export(const package_options *o, package_summary *out, char *detail, size_t detail_size)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->reg || !o->case_count || !o->out_path) {
        DETAIL("give the register, at least one case and the output file");
        return PACKAGE_ERROR_ARGUMENT;
    }
    exporter *x = calloc(1, sizeof *x);
    if (!x)
        return PACKAGE_ERROR_MEMORY;
    x->o = o;
    x->summary = out;
    x->detail = detail;
    x->detail_size = detail_size;
    bytebuf_init(&x->warc, 0);
    bytebuf_init(&x->cdx_lines, 0);
    bytebuf_init(&x->pages, 0);
    bytebuf_append_string(&x->pages, "{\"format\":\"json-pages-1.0\",\"id\":\"pages\",\"title\":\"lscan evidence\"}\n");
    package_error rc = PACKAGE_OK;
    cJSON **cases = calloc(o->case_count, sizeof *cases);
    unsigned char secret[SIGNING_SECRET_BYTES], public_key[SIGNING_PUBLIC_BYTES];
    bool signed_package = o->secret_key_path != NULL;
    char now[32];
    utc_text(o->now_ms, now, sizeof now);
    uint64_t chain_count = 0;
    char chain_hash[65] = "";
    bytebuf text;
    bytebuf_init(&text, 0);
    if (!cases) {
        rc = PACKAGE_ERROR_MEMORY;
        goto done;
    }
    if (signed_package) {
        char why[512];
        if (signing_read_secret(o->secret_key_path, secret, why, sizeof why) != SIGNING_OK) {
            DETAIL("%s", why);
            rc = PACKAGE_ERROR_KEY;
            goto done;
        }
        signing_public_of(secret, public_key);
        signing_fingerprint(public_key, out->fingerprint);
    }
    char why[512];
    if (register_chain_head(o->reg, &chain_count, chain_hash, why, sizeof why) != REGISTER_OK) {
        DETAIL("%s", why);
        rc = PACKAGE_ERROR_REGISTER;
        goto done;
    }
    for (size_t i = 0; i < o->case_count; i++) {
        for (size_t k = 0; k < i; k++)
            if (!strcmp(o->case_ids[k], o->case_ids[i])) {
                DETAIL("case %s is named twice", o->case_ids[i]);
                rc = PACKAGE_ERROR_ARGUMENT;
                goto done;
            }
        bytebuf_reset(&text);
        if (register_case_json(o->reg, o->case_ids[i], &text, why, sizeof why) != REGISTER_OK) {
            DETAIL("%s", why);
            rc = PACKAGE_ERROR_REGISTER;
            goto done;
        }
        cases[i] = cJSON_ParseWithLength(text.data, text.length);
        bytebuf_reset(&text);
        cJSON *chain = NULL;
        if (register_case_chain_json(o->reg, o->case_ids[i], &text, why, sizeof why) == REGISTER_OK)
            chain = cJSON_ParseWithLength(text.data, text.length);
        if (!cases[i] || !chain) {
            cJSON_Delete(chain);
            DETAIL("case %s: %s", o->case_ids[i], chain ? "unreadable" : why);
            rc = PACKAGE_ERROR_REGISTER;
            goto done;
        }
        cJSON_AddItemToObject(cases[i], "chain", chain);
        out->cases++;
        const char *title = json_string(cases[i], "title");
        cJSON *sightings = cJSON_GetObjectItemCaseSensitive(cases[i], "sightings");
        cJSON *s;
        cJSON_ArrayForEach(s, sightings)
        {
            out->sightings++;
            cJSON *warc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "evidence"), "warc");
            if (!cJSON_IsObject(warc)) {
                out->sightings_without_capture++;
                continue;
            }
            rc = copy_capture(x, cases[i], warc, title);
            if (rc != PACKAGE_OK)
                goto done;
        }
    }
    /* the files */
    if (add_buffer(x, "archive/data.warc.gz", &x->warc, true) < 0) {
        rc = PACKAGE_ERROR_MEMORY;
        goto done;
    }
    {
        const char **lines = calloc(x->cdx_count + 1, sizeof *lines);
        if (!lines) {
            rc = PACKAGE_ERROR_MEMORY;
            goto done;
        }
        size_t n = 0;
        for (size_t at = 0; at < x->cdx_lines.length && n < x->cdx_count; at += strlen(x->cdx_lines.data + at) + 1)
            lines[n++] = x->cdx_lines.data + at;
        qsort(lines, n, sizeof *lines, compare_strings);
        bytebuf index;
        bytebuf_init(&index, 0);
        for (size_t i = 0; i < n; i++) {
            bytebuf_append_string(&index, lines[i]);
            bytebuf_append_char(&index, '\n');
        }
        free(lines);
        if (add_buffer(x, "indexes/index.cdx", &index, false) < 0) {
            bytebuf_free(&index);
            rc = PACKAGE_ERROR_MEMORY;
            goto done;
        }
    }
    if (add_buffer(x, "pages/pages.jsonl", &x->pages, false) < 0) {
        rc = PACKAGE_ERROR_MEMORY;
        goto done;
    }
    for (size_t i = 0; i < o->case_count; i++) {
        cJSON *file = cJSON_CreateObject();
        cJSON_AddStringToObject(file, "exported_at", now);
        cJSON *head = cJSON_AddObjectToObject(file, "chain_head_at_export");
        cJSON_AddNumberToObject(head, "count", (double)chain_count);
        cJSON_AddStringToObject(head, "hash", chain_hash);
        cJSON_AddItemReferenceToObject(file, "case", cases[i]);
        char *json = cJSON_PrintUnformatted(file);
        cJSON_Delete(file);
        char path[512];
        snprintf(path, sizeof path, "cases/%s.json", o->case_ids[i]);
        if (!json || add_entry(x, path, json, strlen(json), false) < 0) {
            rc = PACKAGE_ERROR_MEMORY;
            goto done;
        }
    }
    const words *w = o->english ? &EN : &VI;
    bytebuf page;
    bytebuf_init(&page, 0);
    statement(&page, w, o->english, cases, o->case_count, now, o->exported_by ? o->exported_by : "",
              out->fingerprint, chain_count, chain_hash);
    if (page.overflow) {
        bytebuf_free(&page);
        rc = PACKAGE_ERROR_MEMORY;
        goto done;
    }
    /* the statement beside the package too */
    if (o->statement_path) {
        snprintf(out->statement_path, sizeof out->statement_path, "%s", o->statement_path);
    } else {
        size_t n = strlen(o->out_path);
        if (n > 5 && !strcmp(o->out_path + n - 5, ".wacz"))
            n -= 5;
        snprintf(out->statement_path, sizeof out->statement_path, "%.*s-statement.html", (int)n, o->out_path);
    }
    if (write_file(out->statement_path, page.data, page.length) < 0) {
        DETAIL("%s: %s", out->statement_path, strerror(errno));
        bytebuf_free(&page);
        rc = PACKAGE_ERROR_IO;
        goto done;
    }
    if (add_buffer(x, "statement.html", &page, false) < 0) {
        bytebuf_free(&page);
        rc = PACKAGE_ERROR_MEMORY;
        goto done;
    }
    if (signed_package) {
        char b64[128], line[200];
        signing_base64(public_key, sizeof public_key, b64, sizeof b64);
        snprintf(line, sizeof line, "lscan-ed25519-public %s\n", b64);
        if (add_entry(x, "keys/signing-key.pub", strdup(line), strlen(line), false) < 0) {
            rc = PACKAGE_ERROR_MEMORY;
            goto done;
        }
    }
    /* datapackage.json: every file with its digest */
    {
        cJSON *dp = cJSON_CreateObject();
        cJSON_AddStringToObject(dp, "profile", "data-package");
        cJSON_AddStringToObject(dp, "wacz_version", WACZ_VERSION);
        char title[128];
        snprintf(title, sizeof title, "lscan evidence: %zu case%s", o->case_count, o->case_count == 1 ? "" : "s");
        cJSON_AddStringToObject(dp, "title", title);
        cJSON_AddStringToObject(dp, "created", now);
        cJSON_AddStringToObject(dp, "software", o->software ? o->software : "lscan");
        if (o->exported_by)
            cJSON_AddStringToObject(dp, "exported_by", o->exported_by);
        cJSON *ids = cJSON_AddArrayToObject(dp, "cases");
        for (size_t i = 0; i < o->case_count; i++)
            cJSON_AddItemToArray(ids, cJSON_CreateString(o->case_ids[i]));
        cJSON *resources = cJSON_AddArrayToObject(dp, "resources");
        for (size_t i = 0; i < x->entry_count; i++) {
            cJSON *r = cJSON_CreateObject();
            const char *name = strrchr(x->entries[i].path, '/');
            cJSON_AddStringToObject(r, "name", name ? name + 1 : x->entries[i].path);
            cJSON_AddStringToObject(r, "path", x->entries[i].path);
            char hex[65], hash[80];
            sha256_hex(x->entries[i].data, x->entries[i].length, hex);
            snprintf(hash, sizeof hash, "sha256:%s", hex);
            cJSON_AddStringToObject(r, "hash", hash);
            cJSON_AddNumberToObject(r, "bytes", (double)x->entries[i].length);
            cJSON_AddItemToArray(resources, r);
        }
        char *json = cJSON_Print(dp);
        cJSON_Delete(dp);
        if (!json) {
            rc = PACKAGE_ERROR_MEMORY;
            goto done;
        }
        sha256_hex(json, strlen(json), out->datapackage_sha256);
        if (add_entry(x, "datapackage.json", json, strlen(json), false) < 0) {
            rc = PACKAGE_ERROR_MEMORY;
            goto done;
        }
        cJSON *digest = cJSON_CreateObject();
        cJSON_AddStringToObject(digest, "path", "datapackage.json");
        char hash[80];
        snprintf(hash, sizeof hash, "sha256:%s", out->datapackage_sha256);
        cJSON_AddStringToObject(digest, "hash", hash);
        if (signed_package) {
            cJSON *sd = cJSON_AddObjectToObject(digest, "signedData");
            char signature[128], key[128];
            signing_sign(secret, hash, strlen(hash), signature, sizeof signature);
            signing_base64(public_key, sizeof public_key, key, sizeof key);
            cJSON_AddStringToObject(sd, "hash", hash);
            cJSON_AddStringToObject(sd, "signature", signature);
            cJSON_AddStringToObject(sd, "publicKey", key);
            cJSON_AddStringToObject(sd, "algorithm", "ed25519");
            cJSON_AddStringToObject(sd, "fingerprint", out->fingerprint);
            cJSON_AddStringToObject(sd, "created", now);
            cJSON_AddStringToObject(sd, "software", o->software ? o->software : "lscan");
        }
        json = cJSON_Print(digest);
        cJSON_Delete(digest);
        if (!json || add_entry(x, "datapackage-digest.json", json, strlen(json), false) < 0) {
            rc = PACKAGE_ERROR_MEMORY;
            goto done;
        }
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", o->out_path);
    rc = write_zip(x, tmp, detail, detail_size);
    if (rc == PACKAGE_OK) {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
        if (rename(tmp, o->out_path) < 0) {
            DETAIL("%s: %s", o->out_path, strerror(errno));
            rc = PACKAGE_ERROR_IO;
        }
    }
    if (rc != PACKAGE_OK)
        unlink(tmp);
    else if (sha256_file(o->out_path, out->sha256, &out->bytes) < 0)
        rc = PACKAGE_ERROR_IO;
done:
    if (signed_package)
        memset(secret, 0, sizeof secret);
    for (size_t i = 0; cases && i < o->case_count; i++)
        cJSON_Delete(cases[i]);
    free(cases);
    bytebuf_free(&text);
    exporter_free(x);
    free(x);
    return rc;
}

/* ---- verify ------------------------------------------------------------------------------ */

#define PROBLEM(...) (snprintf(check->problem, sizeof check->problem, __VA_ARGS__), check->ok = false)

/* Reads a file of the zip (at most MAX_MEMBER_FILE_BYTES). NULL when absent
 * or unreadable, with why (may be NULL) saying which. */
static char *zip_read_why(zip_t *z, const char *name, size_t *length, char *why, size_t why_size)
{
    zip_stat_t st;
    zip_stat_init(&st);
    if (why && why_size)
        snprintf(why, why_size, "missing from the package");
    if (zip_stat(z, name, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
        return NULL;
    if (st.size > MAX_MEMBER_FILE_BYTES) {
        if (why && why_size)
            snprintf(why, why_size, "larger than %llu bytes", (unsigned long long)MAX_MEMBER_FILE_BYTES);
        return NULL;
    }
    zip_file_t *f = zip_fopen(z, name, 0);
    if (!f) {
        if (why && why_size)
            snprintf(why, why_size, "cannot be opened: %s", zip_strerror(z));
        return NULL;
    }
    char *data = malloc((size_t)st.size + 1);
    zip_int64_t got = data ? zip_fread(f, data, st.size) : -1;
    if (got < 0 || (zip_uint64_t)got != st.size) {
        if (why && why_size)
            snprintf(why, why_size, "cannot be read back (damaged inside the zip): %s", zip_file_strerror(f));
        zip_fclose(f);
        free(data);
        return NULL;
    }
    if (zip_fclose(f) != 0) {
        if (why && why_size)
            snprintf(why, why_size, "damaged inside the zip (its CRC does not match)");
        free(data);
        return NULL;
    }
    data[st.size] = '\0';
    *length = (size_t)st.size;
    return data;
}

static char *zip_read(zip_t *z, const char *name, size_t *length)
{
    return zip_read_why(z, name, length, NULL, 0);
}

/* Every record of a WARC inside the package: parsed and its digests checked. */
static bool check_warc(package_check *check, const char *name, const char *data, size_t length, cJSON *records)
{
    warc_record r;
    warc_record_init(&r);
    size_t at = 0;
    bool ok = true;
    while (at < length) {
        size_t consumed = 0;
        char why[512] = "";
        warc_error e = warc_read_member(data + at, length - at, &r, &consumed, why, sizeof why);
        if (e == WARC_OK)
            e = warc_record_check(&r, why, sizeof why);
        if (e != WARC_OK) {
            PROBLEM("%s: the record at offset %zu: %s%s%s", name, at, warc_strerror(e), why[0] ? ": " : "", why);
            ok = false;
            break;
        }
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "id", r.record_id);
        cJSON_AddStringToObject(item, "payload_digest", r.payload_digest);
        cJSON_AddNumberToObject(item, "offset", (double)at);
        cJSON_AddItemToArray(records, item);
        check->records++;
        at += consumed;
    }
    warc_record_free(&r);
    return ok;
}

/* A case's decisions: each hash over its canonical text, the links between
 * consecutive ones, and the history as shown against the chain. */
static bool check_case(package_check *check, const char *name, const cJSON *file, const cJSON *records)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(file, "case");
    const char *case_id = json_string(c, "case_id");
    if (!case_id) {
        PROBLEM("%s: no case in it", name);
        return false;
    }
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(c, "chain");
    const cJSON *history = cJSON_GetObjectItemCaseSensitive(c, "history");
    if (!cJSON_IsArray(chain) || cJSON_GetArraySize(chain) != cJSON_GetArraySize(history)) {
        PROBLEM("%s: the chain excerpt does not list every decision of the history", name);
        return false;
    }
    const cJSON *link;
    double previous_seq = -1;
    char previous_hash[65] = "";
    int i = 0;
    cJSON_ArrayForEach(link, chain)
    {
        const char *text = json_string(link, "canonical"), *hash = json_string(link, "hash");
        double seq = json_number(link, "seq", -1);
        char hex[65];
        if (!text || !hash) {
            PROBLEM("%s: decision %.0f has no canonical text or hash", name, seq);
            return false;
        }
        sha256_hex(text, strlen(text), hex);
        if (strcmp(hex, hash)) {
            PROBLEM("%s: decision %.0f: its text hashes to %s, the chain says %s", name, seq, hex, hash);
            return false;
        }
        cJSON *d = cJSON_Parse(text);
        const char *prev = json_string(d, "prev_hash");
        bool ok = d && json_number(d, "seq", -2) == seq && json_string(d, "case_id") &&
                  !strcmp(json_string(d, "case_id"), case_id);
        if (ok && previous_seq >= 0 && seq == previous_seq + 1 && (!prev || strcmp(prev, previous_hash)))
            ok = false;
        /* the history as displayed must be the chain's */
        const cJSON *h = cJSON_GetArrayItem(history, i);
        const char *fields[] = {"at", "actor", "action", "from_state", "to_state", "reason", "note"};
        for (size_t k = 0; ok && k < sizeof fields / sizeof *fields; k++) {
            const char *a = json_string(d, fields[k]), *b = json_string(h, fields[k]);
            ok = a && b && !strcmp(a, b);
        }
        ok = ok && json_string(h, "hash") && !strcmp(json_string(h, "hash"), hash);
        cJSON_Delete(d);
        if (!ok) {
            PROBLEM("%s: decision %.0f does not match its canonical text, its case or the decision before it", name,
                    seq);
            return false;
        }
        snprintf(previous_hash, sizeof previous_hash, "%s", hash);
        previous_seq = seq;
        check->decisions++;
        i++;
    }
    /* every capture a sighting names is in the archive, with that payload */
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "sightings"))
    {
        const cJSON *warc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "evidence"), "warc");
        if (!cJSON_IsObject(warc))
            continue;
        const char *id = json_string(warc, "record_id"), *digest = json_string(warc, "payload_digest");
        bool found = false;
        const cJSON *r;
        cJSON_ArrayForEach(r, records)
        {
            if (id && !strcmp(json_string(r, "id"), id)) {
                found = !digest || !strcmp(json_string(r, "payload_digest"), digest);
                break;
            }
        }
        if (!found) {
            PROBLEM("%s: the capture %s of a sighting is not in the archive (or its payload differs)", name,
                    id ? id : "?");
            return false;
        }
    }
    check->cases++;
    return true;
}

package_error package_verify(const char *path, const char *expected_public_key, package_check *check, char *detail,
                             size_t detail_size)
{
    memset(check, 0, sizeof *check);
    check->ok = true;
    unsigned char expected[SIGNING_PUBLIC_BYTES];
    if (expected_public_key) {
        char why[512];
        if (signing_read_public(expected_public_key, expected, why, sizeof why) != SIGNING_OK) {
            DETAIL("%s", why);
            return PACKAGE_ERROR_KEY;
        }
    }
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, zerr);
        DETAIL("%s: %s", path, zip_error_strerror(&e));
        zip_error_fini(&e);
        return PACKAGE_ERROR_IO;
    }
    size_t dp_length = 0, digest_length = 0;
    char *dp_text = zip_read(z, "datapackage.json", &dp_length);
    char *digest_text = zip_read(z, "datapackage-digest.json", &digest_length);
    cJSON *dp = dp_text ? cJSON_ParseWithLength(dp_text, dp_length) : NULL;
    cJSON *digest = digest_text ? cJSON_ParseWithLength(digest_text, digest_length) : NULL;
    cJSON *records = cJSON_CreateArray();
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive(dp, "resources");
    if (!dp || !cJSON_IsArray(resources)) {
        PROBLEM("datapackage.json is missing or not a data package");
        goto done;
    }
    if (!digest) {
        PROBLEM("datapackage-digest.json is missing or not JSON");
        goto done;
    }
    /* datapackage.json against its digest, and the signature */
    char hex[65], hash[80];
    sha256_hex(dp_text, dp_length, hex);
    snprintf(hash, sizeof hash, "sha256:%s", hex);
    if (!json_string(digest, "hash") || strcmp(json_string(digest, "hash"), hash)) {
        PROBLEM("datapackage.json: its SHA-256 is %s, datapackage-digest.json says %s", hash,
                json_string(digest, "hash") ? json_string(digest, "hash") : "nothing");
        goto done;
    }
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(digest, "signedData");
    if (cJSON_IsObject(sd)) {
        unsigned char key[SIGNING_PUBLIC_BYTES];
        const char *key_text = json_string(sd, "publicKey");
        if (!key_text || signing_unbase64(key_text, key, sizeof key) < 0) {
            PROBLEM("datapackage-digest.json: no readable public key");
            goto done;
        }
        signing_fingerprint(key, check->fingerprint);
        if (!json_string(sd, "hash") || strcmp(json_string(sd, "hash"), hash) ||
            signing_check(key, hash, strlen(hash), json_string(sd, "signature")) != SIGNING_OK) {
            PROBLEM("datapackage-digest.json: the signature does not match (key %s)", check->fingerprint);
            goto done;
        }
        check->is_signed = true;
        if (expected_public_key && memcmp(key, expected, sizeof key)) {
            char want[SIGNING_FINGERPRINT_SIZE];
            signing_fingerprint(expected, want);
            PROBLEM("signed by key %s, not by the expected key %s", check->fingerprint, want);
            goto done;
        }
    } else if (expected_public_key) {
        PROBLEM("the package is not signed, a signature by the given key was expected");
        goto done;
    }
    /* every file: listed, of its size and digest; nothing unlisted */
    zip_int64_t entries = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < entries; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        if (!name)
            continue;
        bool listed = !strcmp(name, "datapackage.json") || !strcmp(name, "datapackage-digest.json");
        const cJSON *r;
        cJSON_ArrayForEach(r, resources)
        {
            if (json_string(r, "path") && !strcmp(json_string(r, "path"), name))
                listed = true;
        }
        if (!listed) {
            PROBLEM("%s is in the package but not in datapackage.json", name);
            goto done;
        }
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, resources)
    {
        const char *name = json_string(r, "path"), *want = json_string(r, "hash");
        size_t length = 0;
        char why[512] = "";
        char *data = name ? zip_read_why(z, name, &length, why, sizeof why) : NULL;
        if (!data) {
            PROBLEM("%s is listed in datapackage.json but %s", name ? name : "(a resource)", why);
            goto done;
        }
        sha256_hex(data, length, hex);
        snprintf(hash, sizeof hash, "sha256:%s", hex);
        if (!want || strcmp(want, hash) || json_number(r, "bytes", -1) != (double)length) {
            PROBLEM("%s: its SHA-256 is %s (%zu bytes), datapackage.json says %s (%.0f bytes)", name, hash, length,
                    want ? want : "nothing", json_number(r, "bytes", -1));
            free(data);
            goto done;
        }
        check->files++;
        size_t n = strlen(name);
        bool ok = true;
        if (n > 8 && !strcmp(name + n - 8, ".warc.gz"))
            ok = check_warc(check, name, data, length, records);
        free(data);
        if (!ok)
            goto done;
    }
    /* the cases, once every record is known */
    cJSON_ArrayForEach(r, resources)
    {
        const char *name = json_string(r, "path");
        if (!name || strncmp(name, "cases/", 6))
            continue;
        size_t length = 0;
        char *data = zip_read(z, name, &length);
        cJSON *file = data ? cJSON_ParseWithLength(data, length) : NULL;
        free(data);
        bool ok = file && check_case(check, name, file, records);
        if (!file)
            PROBLEM("%s is not JSON", name);
        cJSON_Delete(file);
        if (!ok)
            goto done;
    }
done:
    cJSON_Delete(records);
    cJSON_Delete(dp);
    cJSON_Delete(digest);
    free(dp_text);
    free(digest_text);
    zip_discard(z);
    return check->ok ? PACKAGE_OK : PACKAGE_ERROR_MISMATCH;
}

/* ---- RFC 3161 trusted time ------------------------------------------------------------------ */

static int file_digest(const char *path, unsigned char digest[32])
{
    char hex[65];
    if (sha256_file(path, hex, NULL) < 0)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        digest[i] = (unsigned char)v;
    }
    return 0;
}

package_error package_timestamp_request(const char *path, const char *tsq_path, char *detail, size_t detail_size)
{
    unsigned char digest[32];
    if (file_digest(path, digest) < 0) {
        DETAIL("%s: %s", path, strerror(errno));
        return PACKAGE_ERROR_IO;
    }
    package_error rc = PACKAGE_ERROR_MEMORY;
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *imprint = TS_MSG_IMPRINT_new();
    X509_ALGOR *algo = X509_ALGOR_new();
    ASN1_INTEGER *nonce = ASN1_INTEGER_new();
    BIGNUM *bn = BN_new();
    BIO *out = NULL;
    if (!req || !imprint || !algo || !nonce || !bn)
        goto done;
    if (!X509_ALGOR_set0(algo, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) || !TS_MSG_IMPRINT_set_algo(imprint, algo) ||
        !TS_MSG_IMPRINT_set_msg(imprint, digest, sizeof digest) || !TS_REQ_set_version(req, 1) ||
        !TS_REQ_set_msg_imprint(req, imprint) || !BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !BN_to_ASN1_INTEGER(bn, nonce) || !TS_REQ_set_nonce(req, nonce) || !TS_REQ_set_cert_req(req, 1))
        goto done;
    out = BIO_new_file(tsq_path, "wb");
    if (!out || !i2d_TS_REQ_bio(out, req) || BIO_flush(out) != 1) {
        DETAIL("%s: cannot write the request", tsq_path);
        rc = PACKAGE_ERROR_IO;
        goto done;
    }
    rc = PACKAGE_OK;
done:
    BIO_free(out);
    BN_free(bn);
    ASN1_INTEGER_free(nonce);
    X509_ALGOR_free(algo);
    TS_MSG_IMPRINT_free(imprint);
    TS_REQ_free(req);
    return rc;
}

package_error package_timestamp_verify(const char *path, const char *tsr_path, const char *tsq_path,
                                       const char *ca_file, char *time_out, char *detail, size_t detail_size)
{
    if (time_out)
        time_out[0] = '\0';
    unsigned char digest[32];
    if (file_digest(path, digest) < 0) {
        DETAIL("%s: %s", path, strerror(errno));
        return PACKAGE_ERROR_IO;
    }
    package_error rc = PACKAGE_ERROR_MISMATCH;
    TS_RESP *resp = NULL;
    TS_REQ *req = NULL;
    TS_VERIFY_CTX *ctx = NULL;
    X509_STORE *store = NULL;
    BIO *in = BIO_new_file(tsr_path, "rb");
    if (!in || !(resp = d2i_TS_RESP_bio(in, NULL))) {
        DETAIL("%s: not a timestamp response (DER)", tsr_path);
        rc = PACKAGE_ERROR_IO;
        goto done;
    }
    if (tsq_path) {
        BIO *q = BIO_new_file(tsq_path, "rb");
        req = q ? d2i_TS_REQ_bio(q, NULL) : NULL;
        BIO_free(q);
        if (!req) {
            DETAIL("%s: not a timestamp request (DER)", tsq_path);
            rc = PACKAGE_ERROR_IO;
            goto done;
        }
        const ASN1_OCTET_STRING *asked = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req));
        if (ASN1_STRING_length(asked) != 32 || memcmp(ASN1_STRING_get0_data(asked), digest, 32)) {
            DETAIL("%s was made for another file than %s", tsq_path, path);
            goto done;
        }
        ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
    } else {
        ctx = TS_VERIFY_CTX_new();
        unsigned char *copy = OPENSSL_malloc(sizeof digest);
        if (ctx && copy) {
            memcpy(copy, digest, sizeof digest);
            TS_VERIFY_CTX_set_imprint(ctx, copy, sizeof digest);
            TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
        } else {
            OPENSSL_free(copy);
        }
    }
    store = X509_STORE_new();
    if (!ctx || !store) {
        rc = PACKAGE_ERROR_MEMORY;
        goto done;
    }
    if (!ca_file || X509_STORE_load_file(store, ca_file) != 1) {
        DETAIL("%s: cannot read the authority's CA certificates (PEM)", ca_file ? ca_file : "(no --tsa-ca)");
        rc = PACKAGE_ERROR_IO;
        goto done;
    }
    TS_VERIFY_CTX_set_store(ctx, store);
    store = NULL; /* the context owns it */
    if (TS_RESP_verify_response(ctx, resp) != 1) {
        unsigned long e = ERR_get_error();
        DETAIL("the timestamp does not verify for %s: %s", path, e ? ERR_reason_error_string(e) : "unknown reason");
        ERR_clear_error();
        goto done;
    }
    if (time_out) {
        const ASN1_GENERALIZEDTIME *t = TS_TST_INFO_get_time(TS_RESP_get_tst_info(resp));
        snprintf(time_out, 32, "%.*s", ASN1_STRING_length(t), (const char *)ASN1_STRING_get0_data(t));
    }
    rc = PACKAGE_OK;
done:
    X509_STORE_free(store);
    TS_VERIFY_CTX_free(ctx);
    TS_REQ_free(req);
    TS_RESP_free(resp);
    BIO_free(in);
    return rc;
}
