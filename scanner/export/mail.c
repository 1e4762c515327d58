/* mail: the reports by e-mail through libcurl's SMTP (mail.h). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "rules/base/bytebuf.h"
#include "rules/base/diagnostics.h"
#include "rules/base/error_message.h"
#include "rules/base/yaml_walk.h"
#include "scanner/export/mail.h"

#define MAIL_CONFIG_MAX_BYTES (64u << 10)
#define MAIL_SUBJECT_MAX 400

struct mail_config {
    char *smtp, *from, *username, *password, *password_env, *subject_prefix;
    string_list to;
    char *recipients;      /* "a@x, b@y" */
    bool tls_required;
    int timeout_s;
};

const char *mail_strerror(mail_error e)
{
    switch (e) {
    case MAIL_OK: return "success";
    case MAIL_ERROR_CONFIG: return "the mail config is wrong";
    case MAIL_ERROR_FILE: return "an attachment cannot be read";
    case MAIL_ERROR_SEND: return "the mail was not sent";
    case MAIL_ERROR_MEMORY: return "out of memory";
    }
    return "unknown error";
}

void mail_config_destroy(mail_config *c)
{
    if (!c)
        return;
    if (c->password) {
        sodium_memzero(c->password, strlen(c->password));
        free(c->password);
    }
    free(c->smtp);
    free(c->from);
    free(c->username);
    free(c->password_env);
    free(c->subject_prefix);
    free(c->recipients);
    string_list_free(&c->to);
    free(c);
}

const char *mail_config_recipients(const mail_config *c) { return c && c->recipients ? c->recipients : ""; }

/* An address as SMTP and a header may carry it: local@domain, printable
 * ASCII without spaces, quotes, brackets, commas or line breaks (a hostile
 * config line must not add a header or a recipient). */
static bool plain_address(const char *a)
{
    size_t n = strlen(a);
    const char *at = strchr(a, '@');
    if (n < 3 || n > 254 || !at || at == a || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const unsigned char *p = (const unsigned char *)a; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || strchr("<>()[],;:\"\\", *p))
            return false;
    return true;
}

/* Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost). */
static bool loopback_host(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    bool yes = false;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        struct in_addr v4;
        yes = !strcasecmp(host, "localhost") || !strcmp(host, "[::1]") ||
              (inet_pton(AF_INET, host, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127);
    }
    curl_free(host);
    curl_url_cleanup(u);
    return yes;
}

typedef struct load_state {
    mail_config *c;
    const char *tls;
    bool saw_tls;
} load_state;

static void visit(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    load_state *s = ctx;
    mail_config *c = s->c;
    char **text = !strcmp(key, "smtp")             ? &c->smtp
                  : !strcmp(key, "from")           ? &c->from
                  : !strcmp(key, "username")       ? &c->username
                  : !strcmp(key, "password_env")   ? &c->password_env
                  : !strcmp(key, "subject_prefix") ? &c->subject_prefix
                                                   : NULL;
    if (text) {
        free(*text);
        *text = yaml_walk_string(w, value, key);
    } else if (!strcmp(key, "to")) {
        yaml_walk_string_list(w, value, "to", &c->to);
    } else if (!strcmp(key, "tls")) {
        const char *v = yaml_scalar(value);
        if (!v || (strcmp(v, "required") && strcmp(v, "none")))
            yaml_walk_error(w, value, "tls is 'required' or 'none'");
        else
            c->tls_required = !strcmp(v, "required");
        s->saw_tls = true;
    } else if (!strcmp(key, "timeout")) {
        yaml_walk_int(w, value, "timeout (seconds)", 5, 600, &c->timeout_s);
    } else if (!strcmp(key, "password")) {
        yaml_walk_error(w, key_node, "no password in the file: name an environment variable with password_env");
    } else {
        yaml_walk_error(w, key_node, "unknown field '%s' (known: smtp, from, to, username, password_env, tls, timeout,"
                                     " subject_prefix)", key);
    }
}

/* The first mistake, with how many more there are. */
static void first_mistake(const diagnostics *d, char *error, size_t error_size)
{
    size_t total = diagnostics_total(d);
    if (d->count && total > 1)
        error_message_set(error, error_size, "%s (and %zu more)", d->messages[0], total - 1);
    else
        error_message_set(error, error_size, "%s", d->count ? d->messages[0] : "a mistake (out of memory)");
}

mail_error mail_config_load(const char *path, mail_config **out, char *error, size_t error_size)
{
    *out = NULL;
    diagnostics diag;
    diagnostics_init(&diag);
    char *data = NULL;
    size_t length = 0;
    mail_config *c = calloc(1, sizeof *c);
    if (!c)
        return MAIL_ERROR_MEMORY;
    c->tls_required = true;
    c->timeout_s = 60;
    yaml_document_t document;
    bool parsed = false;
    if (yaml_read_file(path, MAIL_CONFIG_MAX_BYTES, &data, &length, &diag) == 0 &&
        yaml_walk_parse(path, data, length, &document, &diag) == 0) {
        parsed = true;
        yaml_walk w = {path, &document, &diag};
        yaml_node_t *root = yaml_document_get_root_node(&document);
        load_state s = {.c = c};
        if (!root)
            diagnostics_add(&diag, path, 0, 0, "empty file");
        else if (yaml_walk_fields(&w, root, "a mail config", visit, &s)) {
            if (!c->smtp)
                yaml_walk_error(&w, root, "the mail config needs 'smtp:' (smtps://HOST:465 or smtp://HOST:587)");
            else if (strncmp(c->smtp, "smtp://", 7) && strncmp(c->smtp, "smtps://", 8))
                yaml_walk_error(&w, yaml_walk_find(&w, root, "smtp"), "smtp must be an smtp:// or smtps:// URL");
            else if (!c->tls_required && !loopback_host(c->smtp))
                yaml_walk_error(&w, yaml_walk_find(&w, root, "tls"),
                                "tls: none only to a server on this machine (127.0.0.1, ::1, localhost)");
            if (!c->from || !plain_address(c->from))
                yaml_walk_error(&w, c->from ? yaml_walk_find(&w, root, "from") : root,
                                "the mail config needs 'from:', one plain address (name@domain)");
            if (!c->to.count)
                yaml_walk_error(&w, root, "the mail config needs 'to:', a list of addresses");
            else if (c->to.count > MAIL_MAX_RECIPIENTS)
                yaml_walk_error(&w, yaml_walk_find(&w, root, "to"), "at most %d recipients", MAIL_MAX_RECIPIENTS);
            for (size_t i = 0; i < c->to.count; i++)
                if (!plain_address(c->to.items[i]))
                    diagnostics_add(&diag, path, c->to.at[i].line, c->to.at[i].column,
                                    "'%s' is not one plain address (name@domain)", c->to.items[i]);
            if (c->password_env) {
                const char *p = getenv(c->password_env);
                if (!p || !*p)
                    yaml_walk_error(&w, yaml_walk_find(&w, root, "password_env"),
                                    "the environment variable %s (the SMTP password) is not set", c->password_env);
                else if (!(c->password = strdup(p)))
                    yaml_walk_out_of_memory(&w, root);
            }
            if (c->password && !c->username)
                yaml_walk_error(&w, root, "a password needs 'username:'");
        }
    }
    if (parsed)
        yaml_document_delete(&document);
    free(data);
    if (diagnostics_total(&diag) == 0) {
        bytebuf list;
        bytebuf_init(&list, 0);
        for (size_t i = 0; i < c->to.count; i++)
            bytebuf_printf(&list, "%s%s", i ? ", " : "", c->to.items[i]);
        c->recipients = bytebuf_detach(&list, NULL);
        if (!c->recipients)
            diagnostics_add(&diag, path, 0, 0, "out of memory");
    }
    if (diagnostics_total(&diag)) {
        first_mistake(&diag, error, error_size);
        diagnostics_free(&diag);
        mail_config_destroy(c);
        return MAIL_ERROR_CONFIG;
    }
    diagnostics_free(&diag);
    *out = c;
    return MAIL_OK;
}

/* "Subject: PREFIX TEXT" as RFC 2047 encoded words of UTF-8 (base64), each
 * at most 45 bytes of text, cut on character boundaries; control characters
 * become spaces so nothing can end the header. */
static int subject_header(const char *prefix, const char *subject, bytebuf *out)
{
    char text[MAIL_SUBJECT_MAX + 1];
    snprintf(text, sizeof text, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? " " : "", subject ? subject : "");
    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            *p = ' ';
    bytebuf_append_string(out, "Subject:");
    size_t n = strlen(text), at = 0;
    while (at < n) {
        size_t take = n - at < 45 ? n - at : 45;
        while (take < n - at && take > 0 && ((unsigned char)text[at + take] & 0xC0) == 0x80)
            take--; /* never split a character */
        if (!take)
            take = n - at < 45 ? n - at : 45;
        char encoded[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(encoded, sizeof encoded, (const unsigned char *)text + at, take,
                          sodium_base64_VARIANT_ORIGINAL);
        bytebuf_printf(out, " =?UTF-8?B?%s?=", encoded);
        at += take;
    }
    return out->overflow ? -1 : 0;
}

/* RFC 5322 date in UTC, English names whatever the locale. */
static void date_header(int64_t ms, char *out, size_t size)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

mail_error mail_send(const mail_config *c, const mail_message *m, char *error, size_t error_size)
{
    for (size_t i = 0; i < m->attachment_count; i++) {
        struct stat st;
        if (stat(m->attachments[i].path, &st) != 0) {
            error_message_set(error, error_size, "%s: %s", m->attachments[i].path, strerror(errno));
            return MAIL_ERROR_FILE;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAIL_MAX_ATTACHMENT_BYTES) {
            error_message_set(error, error_size, "%s: not a file of at most %u MiB", m->attachments[i].path,
                              MAIL_MAX_ATTACHMENT_BYTES >> 20);
            return MAIL_ERROR_FILE;
        }
    }
    CURL *h = curl_easy_init();
    if (!h)
        return MAIL_ERROR_MEMORY;
    mail_error rc = MAIL_OK;
    struct curl_slist *recipients = NULL, *headers = NULL;
    curl_mime *mime = curl_mime_init(h);
    bytebuf line;
    bytebuf_init(&line, 32768);
    char from[300], date[64], id[96], curl_error[CURL_ERROR_SIZE] = "";
    unsigned char random[12];
    if (sodium_init() < 0) {
        curl_mime_free(mime);
        curl_easy_cleanup(h);
        error_message_set(error, error_size, "mail: libsodium cannot start");
        return MAIL_ERROR_MEMORY;
    }
    randombytes_buf(random, sizeof random);
    char hex[sizeof random * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, random, sizeof random);
    snprintf(from, sizeof from, "<%s>", c->from);
    date_header(m->date_ms, date, sizeof date);
    snprintf(id, sizeof id, "Message-ID: <%s.lscan@%s>", hex, strchr(c->from, '@') + 1);
    bool ok = mime != NULL;
    for (size_t i = 0; ok && i < c->to.count; i++) {
        char to[300];
        snprintf(to, sizeof to, "<%s>", c->to.items[i]);
        struct curl_slist *next = curl_slist_append(recipients, to);
        ok = next != NULL;
        recipients = next ? next : recipients;
    }
    const char *fixed[] = {date, id, NULL, NULL};
    char from_header[320];
    snprintf(from_header, sizeof from_header, "From: %s", c->from);
    fixed[2] = from_header;
    for (size_t i = 0; ok && i < 3; i++) {
        struct curl_slist *next = curl_slist_append(headers, fixed[i]);
        ok = next != NULL;
        headers = next ? next : headers;
    }
    bytebuf_printf(&line, "To: %s", c->recipients);
    if (ok && !line.overflow) {
        struct curl_slist *next = curl_slist_append(headers, line.data);
        ok = next != NULL;
        headers = next ? next : headers;
    }
    bytebuf_reset(&line);
    if (ok && subject_header(c->subject_prefix ? c->subject_prefix : "[lscan]", m->subject, &line) == 0) {
        struct curl_slist *next = curl_slist_append(headers, line.data);
        ok = next != NULL;
        headers = next ? next : headers;
    } else {
        ok = false;
    }
    /* text lines end in CRLF on the wire (RFC 5322); the encoder keeps them as line breaks */
    bytebuf text;
    bytebuf_init(&text, 0);
    for (const char *p = m->body ? m->body : ""; ok && *p; p++)
        if (*p == '\n' && (p == m->body || p[-1] != '\r'))
            bytebuf_append(&text, "\r\n", 2);
        else
            bytebuf_append_char(&text, *p);
    ok = ok && !text.overflow;
    curl_mimepart *part = ok ? curl_mime_addpart(mime) : NULL;
    ok = part && curl_mime_data(part, text.data ? text.data : "", text.length) == CURLE_OK &&
         curl_mime_type(part, "text/plain; charset=utf-8") == CURLE_OK &&
         curl_mime_encoder(part, "quoted-printable") == CURLE_OK;
    for (size_t i = 0; ok && i < m->attachment_count; i++) {
        const mail_attachment *a = &m->attachments[i];
        part = curl_mime_addpart(mime);
        ok = part && curl_mime_filedata(part, a->path) == CURLE_OK && curl_mime_filename(part, a->name) == CURLE_OK &&
             curl_mime_type(part, a->content_type ? a->content_type : "application/octet-stream") == CURLE_OK &&
             curl_mime_encoder(part, "base64") == CURLE_OK;
    }
    if (!ok) {
        rc = MAIL_ERROR_MEMORY;
        error_message_set(error, error_size, "mail: out of memory");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, c->smtp);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->timeout_s);
    curl_easy_setopt(h, CURLOPT_USE_SSL, c->tls_required ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
    if (c->username)
        curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
    if (c->password)
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
    CURLcode e = curl_easy_perform(h);
    if (e != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code)
            error_message_set(error, error_size, "%s: %s (the server's last answer: %ld)", c->smtp,
                              curl_error[0] ? curl_error : curl_easy_strerror(e), code);
        else
            error_message_set(error, error_size, "%s: %s", c->smtp, curl_error[0] ? curl_error : curl_easy_strerror(e));
        rc = MAIL_ERROR_SEND;
    }
out:
    bytebuf_free(&text);
    bytebuf_free(&line);
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_slist_free_all(recipients);
    curl_easy_cleanup(h);
    return rc;
}
