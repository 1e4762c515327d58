#include "scanner/pipeline/campaign.h"

#include <ctype.h>
#include <netdb.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/url.h"
#include "scanner/extract/price.h"

#define MAX_CAMPAIGN_BYTES (4u << 20)


/* ${NAME} -> the environment's value; an unset variable is a mistake. */
static char *expanded_string(yaml_walk *w, yaml_node_t *node, const char *what)
{
    char *raw = yaml_walk_string(w, node, what);
    if (!raw || !strstr(raw, "${"))
        return raw;
    size_t capacity = strlen(raw) + 256, o = 0;
    char *out = malloc(capacity);
    for (const char *p = raw; out && *p;) {
        const char *value = NULL;
        size_t skip = 1;
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p, '}');
            char name[128];
            if (end && (size_t)(end - p - 2) < sizeof name) {
                memcpy(name, p + 2, (size_t)(end - p - 2));
                name[end - p - 2] = '\0';
                value = getenv(name);
                if (!value) {
                    yaml_walk_error(w, node, "%s: environment variable %s is not set", what, name);
                    value = "";
                }
                skip = (size_t)(end - p) + 1;
            }
        }
        size_t n = value ? strlen(value) : 1;
        if (o + n + 1 > capacity) {
            capacity = (o + n + 1) * 2;
            char *grown = realloc(out, capacity);
            if (!grown) {
                free(out);
                out = NULL;
                break;
            }
            out = grown;
        }
        memcpy(out + o, value ? value : p, n);
        o += n;
        p += skip;
    }
    if (out)
        out[o] = '\0';
    free(raw);
    return out;
}

static bool valid_base_url(const char *url)
{
    return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
}

static void visit_fields(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    json_fields *f = ctx;
    struct {
        const char *name;
        char **slot;
    } paths[] = {{"items", &f->items}, {"listing_id", &f->listing_id}, {"title", &f->title},
                 {"description", &f->description}, {"url", &f->url}, {"price", &f->price},
                 {"currency", &f->currency}, {"seller_id", &f->seller_id}, {"seller_name", &f->seller_name},
                 {"seller_location", &f->seller_location}, {"seller_official", &f->seller_official},
                 {"category", &f->category}, {"next_url", &f->next_url}, {"url_template", &f->url_template}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!strcmp(key, paths[i].name)) {
            free(*paths[i].slot);
            *paths[i].slot = yaml_walk_string(w, value, key);
            return;
        }
    if (!strcmp(key, "price_divisor")) {
        if (yaml_walk_number(w, value, key, &f->price_divisor) && f->price_divisor <= 0)
            yaml_walk_error(w, value, "price_divisor must be above 0");
        return;
    }
    yaml_walk_error(w, key_node, "unknown field '%s' in fields (known: items, listing_id, title, description, url, "
                                 "price, price_divisor, currency, seller_id, seller_name, seller_location, "
                                 "seller_official, category, next_url, url_template)", key);
}

static void visit_target(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    campaign_target *t = ctx;
    double number;
    if (!strcmp(key, "name")) {
        t->name = yaml_walk_string(w, value, key);
    } else if (!strcmp(key, "adapter")) {
        const char *a = yaml_scalar(value);
        adapter_kind k = a ? adapter_named(a) : ADAPTER_COUNT;
        if (k == ADAPTER_COUNT)
            yaml_walk_error(w, value, "unknown adapter '%s' (known: shopee, tiki, storefront, social, json)", a ? a : "?");
        else
            t->adapter = k;
    } else if (!strcmp(key, "platform")) {
        t->platform = yaml_walk_string(w, value, key);
    } else if (!strcmp(key, "base_url")) {
        t->base_url = expanded_string(w, value, key);
        if (t->base_url && !valid_base_url(t->base_url))
            yaml_walk_error(w, value, "base_url must start with http:// or https://, not '%s'", t->base_url);
    } else if (!strcmp(key, "keywords")) {
        t->keywords_from_rules = false; /* written: exactly these */
        const char *s = yaml_scalar(value);
        if (s && !strcmp(s, "auto"))
            t->keywords_from_rules = true;
        else
            yaml_walk_string_list(w, value, key, &t->keywords);
    } else if (!strcmp(key, "categories")) {
        yaml_walk_bool(w, value, key, &t->categories);
    } else if (!strcmp(key, "details")) {
        yaml_walk_bool(w, value, key, &t->details);
    } else if (!strcmp(key, "start_urls")) {
        yaml_walk_string_list(w, value, key, &t->start_urls);
    } else if (!strcmp(key, "follow")) {
        yaml_walk_string_list(w, value, key, &t->follow);
    } else if (!strcmp(key, "hosts")) {
        yaml_walk_string_list(w, value, key, &t->hosts);
        for (size_t i = 0; i < t->hosts.count; i++) {
            url_parts p;
            if (!url_parse(t->hosts.items[i], &p) || (p.path_length > 1) || p.query)
                diagnostics_add(w->diag, w->file, t->hosts.at[i].line, t->hosts.at[i].column,
                                "hosts: '%s' must be an origin such as https://cdn.shop.vn or http://shop.vn:8080",
                                t->hosts.items[i]);
        }
    } else if (!strcmp(key, "max_pages")) {
        if (yaml_walk_number(w, value, key, &number)) {
            /* 0x1p64: larger values do not convert to uint64_t (undefined behaviour) */
            if (number >= 0 && number < 0x1p64)
                t->max_pages = (uint64_t)number;
            else
                yaml_walk_error(w, value, "max_pages %g is out of range", number);
        }
    } else if (!strcmp(key, "fields")) {
        yaml_walk_fields(w, value, "fields", visit_fields, &t->fields);
    } else if (!strcmp(key, "currency")) {
        char *written = yaml_walk_string(w, value, key), code[4];
        if (written && currency_normalize(written, NULL, code)) {
            free(t->currency);
            t->currency = strdup(code);
        } else if (written) {
            yaml_walk_error(w, value, "currency '%s' is not an ISO 4217 code or a currency sign (VND, USD, ₫, ...)",
                            written);
        }
        free(written);
    } else if (!strcmp(key, "site_url")) {
        free(t->site_url);
        t->site_url = expanded_string(w, value, key);
        if (t->site_url && !valid_base_url(t->site_url))
            yaml_walk_error(w, value, "site_url must start with http:// or https://, not '%s'", t->site_url);
    } else if (!strcmp(key, "robots")) {
        const char *r = yaml_scalar(value);
        if (r && !strcmp(r, "ignore"))
            t->robots_ignore = true;
        else if (r && !strcmp(r, "obey"))
            t->robots_ignore = false;
        else
            yaml_walk_error(w, value, "robots must be obey (the default) or ignore, not '%s'", r ? r : "?");
    } else if (!strcmp(key, "reason")) {
        free(t->robots_reason);
        t->robots_reason = yaml_walk_string(w, value, key);
        /* one line wherever it is written (log, summary, warcinfo): a
         * multi-line YAML reason keeps its words, its line breaks become spaces */
        for (char *c = t->robots_reason; c && *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = ' ';
    } else {
        yaml_walk_error(w, key_node, "unknown field '%s' in a target (known: name, adapter, platform, base_url, "
                                     "site_url, currency, keywords, categories, details, start_urls, follow, hosts, "
                                     "max_pages, fields, robots, reason)", key);
    }
}

static void visit_limits(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    campaign_limits *l = ctx;
    double v;
    if (!strcmp(key, "gzip")) {
        yaml_walk_bool(w, value, key, &l->gzip);
        return;
    }
    if (!yaml_walk_number(w, value, key, &v))
        return;
    if (v < 0) {
        yaml_walk_error(w, value, "%s must not be negative", key);
        return;
    }
    /* Upper bounds keep every conversion below defined (a double beyond the
     * target type's range is undefined behaviour): UINT_MAX for unsigned,
     * 0x1p64 for uint64_t, 0x1p63 for size_t (max_body_bytes also goes to
     * curl as a signed curl_off_t). */
    if (!strcmp(key, "per_host_concurrency") && v >= 1 && v <= 1024)
        l->per_host_concurrency = (unsigned)v;
    else if (!strcmp(key, "requests_per_second"))
        l->requests_per_second = v;
    else if (!strcmp(key, "max_body_bytes") && v >= 1024 && v < 0x1p63)
        l->max_body_bytes = (size_t)v;
    else if (!strcmp(key, "connect_timeout_ms") && v >= 1 && v <= UINT_MAX)
        l->connect_timeout_ms = (unsigned)v;
    else if (!strcmp(key, "timeout_ms") && v >= 1 && v <= UINT_MAX)
        l->timeout_ms = (unsigned)v;
    else if (!strcmp(key, "max_redirects") && v <= 50)
        l->max_redirects = (unsigned)v;
    else if (!strcmp(key, "retries") && v <= 100)
        l->retries = (unsigned)v;
    else if (!strcmp(key, "frontier_max") && v >= 100 && v < 0x1p63)
        l->frontier_max = (size_t)v;
    else if (!strcmp(key, "max_pages") && v < 0x1p64)
        l->max_pages = (uint64_t)v;
    else if (!strcmp(key, "max_retry_after_s") && v <= 86400)
        l->max_retry_after_s = (unsigned)v;
    else if (!strcmp(key, "body_memory_bytes") && v >= (1u << 20) && v < 0x1p63)
        l->body_memory_bytes = (size_t)v;
    else if (!strcmp(key, "per_host_concurrency") || !strcmp(key, "max_body_bytes") ||
             !strcmp(key, "connect_timeout_ms") || !strcmp(key, "timeout_ms") || !strcmp(key, "max_redirects") ||
             !strcmp(key, "retries") || !strcmp(key, "frontier_max") || !strcmp(key, "max_pages") ||
             !strcmp(key, "max_retry_after_s") || !strcmp(key, "body_memory_bytes"))
        yaml_walk_error(w, value, "%s %g is out of range", key, v);
    else
        yaml_walk_error(w, key_node, "unknown field '%s' in limits (known: per_host_concurrency, requests_per_second, "
                                     "max_body_bytes, connect_timeout_ms, timeout_ms, max_redirects, retries, "
                                     "frontier_max, max_pages, gzip, max_retry_after_s, body_memory_bytes)", key);
}

static bool valid_date(const char *s)
{
    return s && strlen(s) == 10 && isdigit((unsigned char)s[0]) && s[4] == '-' && s[7] == '-';
}

static void visit_window(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    campaign *c = ctx;
    char **slot = !strcmp(key, "start") ? &c->window_start : !strcmp(key, "end") ? &c->window_end : NULL;
    if (!slot) {
        yaml_walk_error(w, key_node, "unknown field '%s' in window (known: start, end)", key);
        return;
    }
    *slot = yaml_walk_string(w, value, key);
    if (*slot && !valid_date(*slot))
        yaml_walk_error(w, value, "%s must be a date like 2026-05-07", key);
}

static void visit_redis(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    campaign *c = ctx;
    if (!strcmp(key, "url"))
        c->redis_url = expanded_string(w, value, key);
    else if (!strcmp(key, "prefix"))
        c->redis_prefix = yaml_walk_string(w, value, key);
    else if (!strcmp(key, "user"))
        c->redis_user = expanded_string(w, value, key);
    else if (!strcmp(key, "password_env"))
        c->redis_password_env = yaml_walk_string(w, value, key);
    else if (!strcmp(key, "password_file"))
        c->redis_password_file = expanded_string(w, value, key);
    else if (!strcmp(key, "password"))
        yaml_walk_error(w, key_node, "redis: a password is never written in the campaign; name where it is with "
                                     "password_env: VARIABLE or password_file: PATH");
    else
        yaml_walk_error(w, key_node, "unknown field '%s' in redis (known: url, prefix, user, password_env, "
                                     "password_file)", key);
}

size_t campaign_target_addresses(const campaign_target *t, struct sockaddr_storage *out, size_t max)
{
    url_parts p;
    size_t count = 0;
    if (!t->base_url || !url_parse(t->base_url, &p))
        return 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list = NULL;
    if (getaddrinfo(p.host, NULL, &hints, &list) != 0)
        return 0;
    for (struct addrinfo *a = list; a && count < max; a = a->ai_next)
        if (a->ai_addrlen <= sizeof out[0])
            memcpy(&out[count++], a->ai_addr, a->ai_addrlen);
    freeaddrinfo(list);
    return count;
}

const char *evidence_mode_name(evidence_mode m)
{
    return m == EVIDENCE_ALL ? "all" : m == EVIDENCE_NONE ? "none" : "flagged";
}

static bool evidence_mode_named(const char *name, evidence_mode *out)
{
    for (evidence_mode m = EVIDENCE_FLAGGED; m <= EVIDENCE_NONE; m++)
        if (!strcmp(name, evidence_mode_name(m))) {
            *out = m;
            return true;
        }
    return false;
}

static void evidence_mode_field(yaml_walk *w, yaml_node_t *value, campaign_evidence *e)
{
    char *mode = yaml_walk_string(w, value, "evidence mode");
    if (mode && !evidence_mode_named(mode, &e->mode))
        yaml_walk_error(w, value, "evidence must be flagged, all or none (not '%s')", mode);
    free(mode);
}

static void visit_evidence(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    campaign_evidence *e = ctx;
    int n;
    if (!strcmp(key, "mode"))
        evidence_mode_field(w, value, e);
    else if (!strcmp(key, "dir"))
        e->directory = expanded_string(w, value, key);
    else if (!strcmp(key, "screenshot"))
        yaml_walk_bool(w, value, key, &e->screenshot);
    else if (!strcmp(key, "max_screenshots")) {
        if (yaml_walk_int(w, value, key, 0, 100000, &n))
            e->max_screenshots = (unsigned)n;
    } else if (!strcmp(key, "screenshot_timeout_s")) {
        if (yaml_walk_int(w, value, key, 1, 600, &n))
            e->screenshot_timeout_s = (unsigned)n;
    } else if (!strcmp(key, "max_file_mb")) {
        if (yaml_walk_int(w, value, key, 1, 1 << 20, &n))
            e->max_file_bytes = (uint64_t)n << 20;
    } else
        yaml_walk_error(w, key_node, "unknown field '%s' in evidence (known: mode, dir, screenshot, max_screenshots, "
                                     "screenshot_timeout_s, max_file_mb)", key);
}

static void visit_campaign(yaml_walk *w, const char *key, yaml_node_t *key_node, yaml_node_t *value, void *ctx)
{
    campaign *c = ctx;
    if (!strcmp(key, "campaign"))
        c->name = yaml_walk_string(w, value, key);
    else if (!strcmp(key, "window"))
        yaml_walk_fields(w, value, "window", visit_window, c);
    else if (!strcmp(key, "rules"))
        yaml_walk_string_list(w, value, key, &c->rules);
    else if (!strcmp(key, "redis"))
        yaml_walk_fields(w, value, "redis", visit_redis, c);
    else if (!strcmp(key, "limits"))
        yaml_walk_fields(w, value, "limits", visit_limits, &c->limits);
    else if (!strcmp(key, "evidence")) {
        if (value->type == YAML_SCALAR_NODE)
            evidence_mode_field(w, value, &c->evidence);
        else
            yaml_walk_fields(w, value, "evidence", visit_evidence, &c->evidence);
    } else if (!strcmp(key, "targets"))
        ; /* below */
    else
        yaml_walk_error(w, key_node, "unknown field '%s' at the top of the campaign (known: campaign, window, rules, "
                                     "redis, limits, evidence, targets)", key);
}

campaign *campaign_load_string(const char *name, const char *yaml, size_t length, diagnostics *diag)
{
    size_t errors_before = diagnostics_total(diag);
    campaign *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->file = strdup(name);
    c->limits = (campaign_limits){8, 100.0, 8u << 20, 3000, 15000, 5, 4, 1000000, 0, true, 120, (size_t)128 << 20};
    c->evidence = (campaign_evidence){.mode = EVIDENCE_FLAGGED, .max_screenshots = 200, .screenshot_timeout_s = 20};
    yaml_document_t document;
    if (yaml_walk_parse(name, yaml, length, &document, diag) < 0) {
        campaign_free(c);
        return NULL;
    }
    yaml_walk w = {name, &document, diag};
    yaml_node_t *root = yaml_document_get_root_node(&document);
    if (!root) {
        diagnostics_add(diag, name, 0, 0, "empty file");
    } else if (yaml_walk_fields(&w, root, "a campaign", visit_campaign, c)) {
        if (!c->name)
            yaml_walk_error(&w, root, "the campaign has no 'campaign:' name");
        if (c->window_start && c->window_end && strcmp(c->window_start, c->window_end) > 0)
            yaml_walk_error(&w, root, "the window ends (%s) before it starts (%s)", c->window_end, c->window_start);
        yaml_node_t *targets = yaml_walk_find(&w, root, "targets");
        if (!targets || targets->type != YAML_SEQUENCE_NODE || targets->data.sequence.items.top ==
                                                                    targets->data.sequence.items.start) {
            yaml_walk_error(&w, targets ? targets : root, "the campaign needs 'targets:', a list of sites to scan");
        } else {
            size_t n = (size_t)(targets->data.sequence.items.top - targets->data.sequence.items.start);
            c->targets = calloc(n, sizeof *c->targets);
            for (yaml_node_item_t *item = targets->data.sequence.items.start;
                 c->targets && item < targets->data.sequence.items.top; item++) {
                yaml_node_t *node = yaml_walk_node(&w, *item);
                campaign_target *t = &c->targets[c->target_count++];
                t->at = yaml_position(node);
                t->fields.price_divisor = 1;
                t->adapter = ADAPTER_COUNT;
                t->keywords_from_rules = true; /* the default: search every rule's name */
                if (!yaml_walk_fields(&w, node, "a target", visit_target, t))
                    continue;
                if (t->adapter == ADAPTER_COUNT)
                    yaml_walk_error(&w, node, "a target needs 'adapter'");
                if (!t->base_url)
                    yaml_walk_error(&w, node, "a target needs 'base_url'");
                campaign_target_prepare(t);
                if (t->adapter == ADAPTER_JSON && (!t->fields.items || !t->fields.title || !t->fields.listing_id))
                    yaml_walk_error(&w, node, "a json target needs fields.items, fields.title and fields.listing_id");
                if (t->adapter == ADAPTER_JSON)
                    t->keywords_from_rules = false; /* a json target has no search of its own */
                /* ignoring robots.txt needs a reason on record (an authority's legal basis) */
                bool has_reason = t->robots_reason && t->robots_reason[strspn(t->robots_reason, " \t\r\n")];
                if (t->robots_ignore && !has_reason)
                    yaml_walk_error(&w, node, "robots: ignore needs a reason: (why robots.txt may be ignored here, e.g. "
                                              "the authority's legal basis); it is logged and archived");
                if (!t->robots_ignore && t->robots_reason)
                    yaml_walk_error(&w, node, "reason: is only for robots: ignore");
                if (t->adapter == ADAPTER_JSON && !t->start_urls.count)
                    yaml_walk_error(&w, node, "a json target needs start_urls");
                if (!t->name) {
                    char label[64];
                    snprintf(label, sizeof label, "%s-%zu", t->adapter < ADAPTER_COUNT ? adapter_name(t->adapter) : "target",
                             c->target_count);
                    t->name = strdup(label);
                }
                if (!t->platform && t->adapter < ADAPTER_COUNT)
                    t->platform = strdup(adapter_platform(t->adapter));
                /* an absolute start URL must be one the scan may fetch for this target */
                for (size_t k = 0; t->base_url && k < t->start_urls.count; k++) {
                    const char *u = t->start_urls.items[k];
                    if ((!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) && !campaign_target_allows(t, u))
                        diagnostics_add(diag, name, t->start_urls.at[k].line, t->start_urls.at[k].column,
                                        "start_urls: '%s' is neither under base_url nor on one of the target's hosts",
                                        u);
                }
            }
        }
    }
    yaml_document_delete(&document);
    if (diagnostics_total(diag) > errors_before) {
        campaign_free(c);
        return NULL;
    }
    return c;
}

campaign *campaign_load(const char *path, diagnostics *diag)
{
    char *data;
    size_t n;
    if (yaml_read_file(path, MAX_CAMPAIGN_BYTES, &data, &n, diag) < 0)
        return NULL;
    campaign *c = campaign_load_string(path, data, n, diag);
    free(data);
    return c;
}

void campaign_free(campaign *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->target_count; i++) {
        campaign_target *t = &c->targets[i];
        free(t->name);
        free(t->platform);
        free(t->base_url);
        free(t->currency);
        free(t->site_url);
        free(t->robots_reason);
        string_list_free(&t->keywords);
        string_list_free(&t->start_urls);
        string_list_free(&t->follow);
        string_list_free(&t->hosts);
        json_fields *f = &t->fields;
        char *paths[] = {f->items, f->listing_id, f->title, f->description, f->url, f->price, f->currency,
                         f->seller_id, f->seller_name, f->seller_location, f->seller_official, f->category, f->next_url,
                         f->url_template};
        for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++)
            free(paths[k]);
    }
    free(c->targets);
    string_list_free(&c->rules);
    free(c->file);
    free(c->name);
    free(c->window_start);
    free(c->window_end);
    free(c->evidence.directory);
    free(c->redis_url);
    free(c->redis_prefix);
    free(c->redis_user);
    free(c->redis_password_env);
    free(c->redis_password_file);
    free(c);
}

