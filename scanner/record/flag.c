#include "scanner/record/flag.h"
#include "rules/base/hex.h"
#include "rules/quantity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cJSON.h>

void flag_id_hex(uint64_t id, char out[17])
{
    unsigned char bytes[8]; /* most significant first */
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)(id >> (56 - 8 * i));
    hex_encode(bytes, sizeof bytes, out);
}

double flag_rule_score(severity s, size_t signals)
{
    static const double base[] = {0.4, 0.6, 0.8, 0.9};
    double score = base[s] + 0.05 * (signals > 1 ? (double)(signals - 1) : 0.0);
    return score > 1.0 ? 1.0 : score;
}

static void json_key_string(bytebuf *out, const char *key, const char *value)
{
    bytebuf_append_char(out, '"');
    bytebuf_append_string(out, key);
    bytebuf_append(out, "\":", 2);
    bytebuf_append_json_string(out, value ? value : "", value ? strlen(value) : 0);
}

/* A quantity as the engine writes it ("12 month", "2 × 800 g = 1600 g",
 * "150000 per 1 month"), its English unit words in Vietnamese for the
 * Vietnamese explanation (the signal keeps the engine's words). */
static void append_quantity(bytebuf *out, const char *text, bool en)
{
    static const char *const words[][2] = {
        {"month", "tháng"}, {"pieces", "chiếc"}, {"item", "sản phẩm"}, {"items", "sản phẩm"}, {"per", "mỗi"},
        /* the engine's folded piece nouns (rules/quantity.c) */
        {"vien", "viên"}, {"goi", "gói"}, {"ong", "ống"}, {"mieng", "miếng"}, {"tui", "túi"}, {"cai", "cái"}};
    while (*text) {
        size_t n = strcspn(text, " ");
        const char *vi = NULL;
        for (size_t i = 0; !en && i < sizeof words / sizeof *words; i++)
            if (strlen(words[i][0]) == n && !strncmp(text, words[i][0], n))
                vi = words[i][1];
        if (vi)
            bytebuf_append_string(out, vi);
        else
            bytebuf_append(out, text, n);
        text += n;
        for (; *text == ' '; text++)
            bytebuf_append_char(out, ' ');
    }
}

/* ",\"start\":S,\"end\":E" without printf (flags are built on the hot path). */
static void append_span(bytebuf *out, unsigned start, unsigned end)
{
    bytebuf_append_string(out, ",\"start\":");
    bytebuf_append_u64(out, start);
    bytebuf_append_string(out, ",\"end\":");
    bytebuf_append_u64(out, end);
}

/* 1234567 -> "1.234.567" (vi) or "1,234,567" (en). */
static void money(double amount, flag_language language, char *out, size_t size)
{
    char digits[32];
    if (!fixed_point_digits(amount < 0 ? 0 : amount, 0, digits))
        snprintf(digits, sizeof digits, "%.0f", amount < 0 ? 0 : amount);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            out[o++] = language == FLAG_LANGUAGE_ENGLISH ? ',' : '.';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static const char *kind_words(rule_kind k, flag_language language)
{
    static const char *const vi[] = {"nhãn hiệu", "chỉ dẫn địa lý", "nhãn hiệu tập thể", "nhãn hiệu chứng nhận",
                                     "sản phẩm OCOP", "giống cây trồng được bảo hộ", "quyền tác giả"};
    static const char *const en[] = {"trademark", "geographical indication", "collective mark",
                                     "certification mark", "OCOP product", "protected plant variety", "copyright"};
    return (unsigned)k < RULE_KIND_COUNT ? (language == FLAG_LANGUAGE_ENGLISH ? en[k] : vi[k]) : "";
}

/* Appends the words the seller wrote at a signal's span (at most 80 bytes,
 * cut at a character boundary), or the rule's own text when there is no span. */
static void quoted(const match_signal *s, const listing_facts *l, bytebuf *out)
{
    const char *text = s->field == FIELD_TITLE ? l->title : l->description;
    size_t length = s->field == FIELD_TITLE ? l->title_length : l->description_length;
    bytebuf_append_char(out, '"');
    if (s->has_span && text && s->end <= length && s->start < s->end) {
        size_t n = s->end - s->start;
        if (n > 80) {
            n = 80;
            while (n && ((unsigned char)text[s->start + n] & 0xC0) == 0x80)
                n--;
        }
        bytebuf_append(out, text + s->start, n);
    } else {
        bytebuf_append_string(out, s->term ? s->term : "");
    }
    bytebuf_append_char(out, '"');
}

static void signal_words(const match_signal *s, const listing_facts *l, const rule *r, flag_language language,
                         bytebuf *out)
{
    bool en = language == FLAG_LANGUAGE_ENGLISH;
    char price[40], reference[40];
    switch (s->type) {
    case SIGNAL_LIST:
        bytebuf_append_string(out, en ? "the words " : "có cụm ");
        quoted(s, l, out);
        bytebuf_printf(out, en ? " (list %s)" : " (danh sách %s)", s->list);
        break;
    case SIGNAL_TERM:
    case SIGNAL_PATTERN:
        bytebuf_append_string(out, en ? "the words " : "có cụm ");
        quoted(s, l, out);
        break;
    case SIGNAL_PRICE_BELOW:
        money(l->price, language, price, sizeof price);
        money(s->reference > 0 ? s->reference : r->reference_price, language, reference, sizeof reference);
        bytebuf_printf(out, en ? "a price of %s VND, %.0f%% of the reference %s VND" : "giá %s ₫, chỉ bằng %.0f%% giá tham chiếu %s ₫",
                       price, s->ratio * 100, reference);
        if (s->quantity[0]) { /* per-unit prices: the conversion (docs/rules.md) */
            bytebuf_append_string(out, en ? " for " : " cho ");
            append_quantity(out, s->quantity, en);
            bytebuf_append_string(out, en ? " (reference per " : " (giá tham chiếu theo ");
            append_quantity(out, s->unit, en);
            bytebuf_append_char(out, ')');
        }
        if (s->model)
            bytebuf_printf(out, en ? ", model %s" : ", mẫu %s", s->model);
        if (s->stated_price > 0) { /* the seller's own figure for the genuine article */
            money(s->stated_price, language, reference, sizeof reference);
            bytebuf_printf(out, en ? ", while the seller states a genuine price of %s VND"
                                   : ", trong khi người bán ghi giá hãng %s ₫", reference);
        }
        break;
    case SIGNAL_SELLER_OUTSIDE_REGION:
        bytebuf_printf(out, en ? "a seller in \"%s\", outside the region of origin (%s)"
                               : "người bán ở \"%s\", ngoài vùng xuất xứ (%s)",
                       s->term ? s->term : "", r->region.count ? r->region.items[0] : "");
        break;
    case SIGNAL_SELLER_IN_REGION:
        bytebuf_printf(out, en ? "a seller in \"%s\", inside the region" : "người bán ở \"%s\", trong vùng",
                       s->term ? s->term : "");
        break;
    case SIGNAL_UNAUTHORIZED_SELLER:
        bytebuf_append_string(out, en ? "a seller who is not an authorized seller" : "người bán không được ủy quyền");
        break;
    case SIGNAL_OFFICIAL_STORE:
        bytebuf_append_string(out, s->value ? (en ? "an official store" : "cửa hàng chính hãng")
                                            : (en ? "a seller that is not an official store"
                                                  : "người bán không phải cửa hàng chính hãng"));
        break;
    case SIGNAL_LIVESTREAM:
        bytebuf_append_string(out, en ? "a livestream sale" : "bán qua livestream");
        break;
    case SIGNAL_CATEGORY:
        bytebuf_printf(out, en ? "the category \"%s\"" : "danh mục \"%s\"", s->term ? s->term : "");
        break;
    case SIGNAL_HASHTAGS:
        bytebuf_append_string(out, s->value ? (en ? "the name only in hashtags (keyword stuffing)"
                                                  : "tên chỉ có trong hashtag (nhồi từ khóa)")
                                            : (en ? "the name in a hashtag" : "tên trong hashtag"));
        break;
    case SIGNAL_LABEL_CLAIM:
        bytebuf_append_string(out, en ? "the claim " : "tự nhận ");
        quoted(s, l, out);
        if (s->scope) /* a level that council does not give: "5 sao cấp tỉnh" */
            bytebuf_printf(out, en ? " (level %d at %s level, which rates %d-%d)" : " (hạng %d %s, cấp này chỉ công nhận %d-%d sao)",
                           s->claimed, en ? s->scope : !strcmp(s->scope, "provincial") ? "cấp tỉnh" : "cấp quốc gia",
                           s->scope_low, s->scope_high);
        else if (s->rated)
            bytebuf_printf(out, en ? " (level %d, registered %d)" : " (hạng %d, hạng được công nhận %d)", s->claimed,
                           s->rated);
        else
            bytebuf_printf(out, en ? " (level %d: %s)" : " (hạng %d: %s)", s->claimed, s->claim);
        break;
    case SIGNAL_STATED_ORIGIN:
        bytebuf_printf(out, en ? "an origin stated as \"%s\", outside the region of origin (%s)"
                               : "ghi xuất xứ \"%s\", ngoài vùng xuất xứ (%s)",
                       s->place, r->region.count ? r->region.items[0] : "");
        break;
    case SIGNAL_TRACEABLE_SOURCING:
        bytebuf_append_string(out, en ? "a traceable-sourcing statement" : "có cam kết nguồn gốc truy xuất được");
        break;
    }
}

void flag_explain(const ruleset *rs, const listing_facts *l, const match_result *result, flag_language language,
                  bytebuf *out)
{
    bool en = language == FLAG_LANGUAGE_ENGLISH;
    for (size_t i = 0; i < result->rule_count; i++) {
        uint32_t index = result->rules[i];
        const rule *r = ruleset_rule(rs, index);
        if (i)
            bytebuf_append_string(out, en ? "; also " : "; và ");
        else
            bytebuf_append_string(out, en ? "Suspected " : "Nghi vi phạm ");
        bytebuf_printf(out, "%s \"%s\"", kind_words(r->kind, language), r->name);
        if (r->more->owner)
            bytebuf_printf(out, en ? " (owner: %s)" : " (chủ sở hữu: %s)", r->more->owner);
        size_t said = 0;
        for (size_t k = 0; k < result->signal_count; k++) {
            const match_signal *s = &result->signals[k];
            if (s->rule != index)
                continue;
            bytebuf_append_string(out, said ? ", " : (en ? ": " : ": "));
            signal_words(s, l, r, language, out);
            said++;
        }
    }
    bytebuf_append_char(out, '.');
}

/* ---- bounded flag JSON ------------------------------------------------------
 * A flag must never be lost for its size (a shop controls its own page and
 * can make a description of megabytes). The listing inside it is written
 * with each string cut at max_text bytes (at a character boundary, " […]"
 * appended) and each array at max_array entries; if the flag still passes
 * FLAG_MAX_BYTES it is written again tighter: only the contract's fields,
 * shorter strings, fewer hits, signals and rules. What was cut is named in
 * the flag's "cut" object, hits that pointed into a cut part are dropped,
 * and the full page stays the evidence. */

typedef struct flag_limits {
    size_t max_text, max_array, max_hits, max_signals, max_rules, max_term;
    bool contract_only;
} flag_limits;

static const flag_limits whole_limits = {64u << 10, 256, (size_t)-1, (size_t)-1, (size_t)-1, 4096, false};
static const flag_limits tight_limits = {8u << 10, 16, 256, 256, 256, 1024, true};

#define MAX_CUT_NOTES 16

typedef struct cut_log {
    char path[MAX_CUT_NOTES][64];
    size_t original[MAX_CUT_NOTES];
    size_t count;
    bool unknown_dropped;
} cut_log;

static void note_cut(cut_log *log, const char *parent, const char *name, size_t original)
{
    if (log->count == MAX_CUT_NOTES)
        return;
    snprintf(log->path[log->count], sizeof log->path[0], "%s%s%s", parent, *parent && *name ? "." : "", name);
    log->original[log->count++] = original;
}

/* Length of text cut to at most max bytes at a UTF-8 character boundary. */
static size_t cut_length(const char *text, size_t length, size_t max)
{
    if (length <= max)
        return length;
    size_t n = max;
    while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static bool contract_field(const char *parent, const char *name)
{
    static const char *const top[] = {"platform", "listing_id", "url", "title", "description", "price", "currency",
                                      "seller", "category", "images", "is_livestream", "fetched_at"};
    static const char *const seller[] = {"id", "name", "location", "official"};
    const char *const *names = *parent ? seller : top;
    size_t count = *parent ? sizeof seller / sizeof *seller : sizeof top / sizeof *top;
    if (*parent && strcmp(parent, "seller"))
        return false;
    for (size_t i = 0; i < count; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
}

/* Starts a member of an object at `depth` (named `object_name`; "" at the
 * top): false when the limits keep only the contract's fields and this is
 * not one of them, else the comma and the key are written. */
static bool member_key(bytebuf *out, const flag_limits *lim, cut_log *log, int depth, const char *object_name,
                       const char *key, bool *first)
{
    if (lim->contract_only && (depth > 1 || !contract_field(depth ? object_name : "", key))) {
        log->unknown_dropped = true;
        return false;
    }
    if (!*first)
        bytebuf_append_char(out, ',');
    *first = false;
    size_t key_length = cut_length(key, strlen(key), 256);
    bytebuf_append_json_string(out, key, key_length);
    bytebuf_append_char(out, ':');
    return true;
}

/* A string value, cut at max_text (noted as parent.name). */
static void bounded_string(bytebuf *out, const flag_limits *lim, cut_log *log, const char *parent, const char *name,
                           const char *text, size_t length)
{
    size_t kept = cut_length(text, length, lim->max_text);
    if (kept == length) {
        bytebuf_append_json_string(out, text, length);
    } else {
        /* the cut text and a marker, as one JSON string */
        size_t mark = out->length;
        bytebuf_append_json_string(out, text, kept);
        if (!out->overflow && out->length > mark) {
            out->length--; /* reopen the closing quote */
            bytebuf_append_string(out, " […]\"");
        }
        note_cut(log, parent, name, length);
    }
}

static void write_bounded(const cJSON *v, bytebuf *out, const flag_limits *lim, cut_log *log, const char *parent,
                          const char *name, int depth)
{
    if (cJSON_IsObject(v) && depth < 32) {
        bytebuf_append_char(out, '{');
        bool first = true;
        for (const cJSON *c = v->child; c; c = c->next) {
            const char *key = c->string ? c->string : "";
            if (member_key(out, lim, log, depth, name, key, &first))
                write_bounded(c, out, lim, log, depth ? name : "", key, depth + 1);
        }
        bytebuf_append_char(out, '}');
    } else if (cJSON_IsArray(v) && depth < 32) {
        bytebuf_append_char(out, '[');
        size_t i = 0, total = (size_t)cJSON_GetArraySize(v);
        for (const cJSON *c = v->child; c && i < lim->max_array; c = c->next, i++) {
            if (i)
                bytebuf_append_char(out, ',');
            write_bounded(c, out, lim, log, parent, name, depth + 1);
        }
        bytebuf_append_char(out, ']');
        if (total > lim->max_array)
            note_cut(log, parent, name, total);
    } else if (cJSON_IsString(v)) {
        bounded_string(out, lim, log, parent, name, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bytebuf_append_string(out, "null"); /* deeper than 32 levels */
    } else {
        json_write(v, out);
    }
}

/* A string member of a typed record (absent when NULL), as write_bounded
 * writes the same member of its JSON form. */
static void record_string(bytebuf *out, const flag_limits *lim, cut_log *log, int depth, const char *object_name,
                          const char *key, const char *value, bool *first)
{
    if (value && member_key(out, lim, log, depth, object_name, key, first))
        bounded_string(out, lim, log, depth ? object_name : "", key, value, strlen(value));
}

static void record_number(bytebuf *out, const flag_limits *lim, cut_log *log, const char *key, bool present,
                          double value, bool *first)
{
    if (present && member_key(out, lim, log, 0, "", key, first))
        json_write_number(value, out);
}

/* A typed record as write_bounded writes its JSON form (listing.h gives the
 * members and their order). */
static void write_record(const listing_record *r, bytebuf *out, const flag_limits *lim, cut_log *log)
{
    bool first = true;
    bytebuf_append_char(out, '{');
    record_string(out, lim, log, 0, "", "platform", r->platform, &first);
    record_string(out, lim, log, 0, "", "listing_id", r->listing_id, &first);
    record_string(out, lim, log, 0, "", "url", r->url, &first);
    record_string(out, lim, log, 0, "", "url_source", r->url_is_page ? "page" : NULL, &first);
    record_string(out, lim, log, 0, "", "title", r->title, &first);
    record_string(out, lim, log, 0, "", "description", r->description, &first);
    record_number(out, lim, log, "price", r->has_price, r->price, &first);
    record_number(out, lim, log, "price_max", r->has_price_max, r->price_max, &first);
    record_number(out, lim, log, "variants", r->has_variants, r->variants, &first);
    record_string(out, lim, log, 0, "", "currency", r->currency, &first);
    if (member_key(out, lim, log, 0, "", "seller", &first)) {
        bool seller_first = true;
        bytebuf_append_char(out, '{');
        record_string(out, lim, log, 1, "seller", "id", r->seller_id, &seller_first);
        record_string(out, lim, log, 1, "seller", "name", r->seller_name, &seller_first);
        record_string(out, lim, log, 1, "seller", "location", r->seller_location, &seller_first);
        if (member_key(out, lim, log, 1, "seller", "official", &seller_first))
            bytebuf_append_string(out, r->seller_official ? "true" : "false");
        bytebuf_append_char(out, '}');
    }
    record_string(out, lim, log, 0, "", "category", r->category, &first);
    if (r->has_livestream && member_key(out, lim, log, 0, "", "is_livestream", &first))
        bytebuf_append_string(out, r->is_livestream ? "true" : "false");
    bytebuf_append_char(out, '}');
}

/* The length the flag keeps of a listing field (its text may have been cut). */
static size_t kept_length(const cut_log *log, const char *field, size_t length, const flag_limits *lim)
{
    for (size_t i = 0; i < log->count; i++)
        if (!strcmp(log->path[i], field))
            return length > lim->max_text ? lim->max_text : length; /* a cut at or before max_text */
    return length;
}

/* Returns whether anything was cut (the flag then carries "cut"). */
static bool write_flag(const ruleset *rs, const listing *l, const match_result *result, flag_language language,
                       const char *scan_id, const flag_evidence *evidence, const flag_limits *lim, bytebuf *out)
{
    char id[17];
    flag_id_hex(result->flag_id, id);
    cut_log log = {.count = 0};
    bytebuf_append_string(out, "{\"flag_id\":\"");
    bytebuf_append(out, id, 16);
    bytebuf_append_string(out, "\",\"listing\":");
    if (l->json)
        write_bounded(l->json, out, lim, &log, "", "", 0);
    else
        write_record(&l->record, out, lim, &log);
    const listing_facts *facts = &l->facts;
    size_t title_kept = facts->title ? cut_length(facts->title, facts->title_length,
                                                  kept_length(&log, "title", facts->title_length, lim))
                                     : 0;
    size_t description_kept =
        facts->description ? cut_length(facts->description, facts->description_length,
                                        kept_length(&log, "description", facts->description_length, lim))
                           : 0;
    bytebuf_append_string(out, ",\"rules\":[");
    size_t rules_written = 0;
    for (size_t i = 0; i < result->rule_count && rules_written < lim->max_rules; i++) {
        uint32_t index = result->rules[i];
        const rule *r = ruleset_rule(rs, index);
        size_t signals = 0;
        for (size_t k = 0; k < result->signal_count; k++)
            signals += result->signals[k].rule == index;
        bytebuf_append_string(out, rules_written++ ? ",{" : "{");
        json_key_string(out, "id", r->id);
        bytebuf_append_string(out, ",\"kind\":\"");
        bytebuf_append_string(out, rule_kind_name(r->kind));
        bytebuf_append_string(out, "\",\"goods_group\":\"");
        bytebuf_append_string(out, goods_group_name(ruleset_rule_goods_group(rs, index)));
        bytebuf_append(out, "\",", 2);
        json_key_string(out, "name", r->name);
        if (r->has_reference_price) {
            bytebuf_append_string(out, ",\"reference_price\":");
            bytebuf_append_fixed(out, r->reference_price, 0);
            if (r->more->unit.dimension != QUANTITY_NONE) { /* what the price is for ("120 viên"): not the listing's */
                char unit[32];
                price_unit_describe(&r->more->unit, unit, sizeof unit);
                if (unit[0]) {
                    bytebuf words; /* in the flag's language, as the explanation writes it */
                    bytebuf_init(&words, 128);
                    append_quantity(&words, unit, language == FLAG_LANGUAGE_ENGLISH);
                    if (words.data && !words.overflow) {
                        bytebuf_append_char(out, ',');
                        json_key_string(out, "reference_unit", words.data);
                    }
                    bytebuf_free(&words);
                }
            }
        }
        bytebuf_append_string(out, ",\"severity\":\"");
        bytebuf_append_string(out, severity_name(r->severity));
        bytebuf_append_string(out, "\",\"score\":");
        bytebuf_append_fixed(out, flag_rule_score(r->severity, signals), 2);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_string(out, "],\"hits\":[");
    size_t hits_written = 0, hits_dropped = 0;
    for (size_t i = 0; i < result->hit_count; i++) {
        const match_hit *h = &result->hits[i];
        size_t kept = h->field == FIELD_TITLE ? title_kept : description_kept;
        if (h->end > kept || hits_written >= lim->max_hits) {
            hits_dropped++;
            continue;
        }
        bytebuf_append_string(out, hits_written++ ? ",{" : "{");
        json_key_string(out, "rule", ruleset_rule(rs, h->rule)->id);
        bytebuf_append_string(out, h->field == FIELD_TITLE ? ",\"field\":\"title\",\"term\":"
                                                       : ",\"field\":\"description\",\"term\":");
        bytebuf_append_json_string(out, h->term ? h->term : "", cut_length(h->term ? h->term : "", h->term ? strlen(h->term) : 0, lim->max_term));
        append_span(out, h->start, h->end);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_string(out, "],\"signals\":[");
    size_t signals_written = 0;
    for (size_t i = 0; i < result->signal_count && signals_written < lim->max_signals; i++) {
        const match_signal *s = &result->signals[i];
        bytebuf_append_string(out, signals_written++ ? ",{" : "{");
        json_key_string(out, "rule", ruleset_rule(rs, s->rule)->id);
        bytebuf_append_string(out, ",\"type\":\"");
        bytebuf_append_string(out, signal_type_name(s->type));
        bytebuf_append_char(out, '"');
        switch (s->type) {
        case SIGNAL_LIST:
            bytebuf_append_char(out, ',');
            json_key_string(out, "list", s->list);
            /* fallthrough */
        case SIGNAL_TERM:
        case SIGNAL_PATTERN: {
            bytebuf_append_string(out, s->type == SIGNAL_PATTERN ? ",\"pattern\":" : ",\"term\":");
            const char *term = s->term ? s->term : "";
            bytebuf_append_json_string(out, term, cut_length(term, strlen(term), lim->max_term));
            size_t kept = s->field == FIELD_TITLE ? title_kept : description_kept;
            if (s->has_span && s->end <= kept)
            {
                bytebuf_append_string(out, s->field == FIELD_TITLE ? ",\"field\":\"title\"" : ",\"field\":\"description\"");
                append_span(out, s->start, s->end);
            }
            break;
        }
        case SIGNAL_PRICE_BELOW:
            bytebuf_append_string(out, ",\"ratio\":");
            bytebuf_append_fixed(out, isfinite(s->ratio) ? s->ratio : 0.0, 4);
            if (s->reference > 0) {
                bytebuf_append_string(out, ",\"reference\":");
                bytebuf_append_fixed(out, s->reference, 0);
            }
            if (s->quantity[0]) {
                bytebuf_append_string(out, ",\"quantity\":");
                bytebuf_append_json_string(out, s->quantity, strlen(s->quantity));
                bytebuf_append_string(out, ",\"unit\":");
                bytebuf_append_json_string(out, s->unit, strlen(s->unit));
            }
            if (s->model) {
                bytebuf_append_string(out, ",\"model\":");
                bytebuf_append_json_string(out, s->model, cut_length(s->model, strlen(s->model), lim->max_term));
            }
            break;
        case SIGNAL_SELLER_OUTSIDE_REGION:
        case SIGNAL_SELLER_IN_REGION: {
            const char *location = s->term ? s->term : "";
            bytebuf_append_string(out, ",\"location\":");
            bytebuf_append_json_string(out, location, cut_length(location, strlen(location), lim->max_term));
            break;
        }
        case SIGNAL_STATED_ORIGIN: {
            bytebuf_append_string(out, ",\"place\":");
            bytebuf_append_json_string(out, s->place, strlen(s->place));
            size_t kept = s->field == FIELD_TITLE ? title_kept : description_kept;
            if (s->has_span && s->end <= kept) { /* where the place is written, for the reviewer's highlight */
                bytebuf_append_string(out, s->field == FIELD_TITLE ? ",\"field\":\"title\"" : ",\"field\":\"description\"");
                append_span(out, s->start, s->end);
            }
            if (s->province) {
                bytebuf_append_string(out, ",\"province\":");
                bytebuf_append_json_string(out, s->province, strlen(s->province));
            }
            if (s->why) {
                bytebuf_append_string(out, ",\"why\":");
                bytebuf_append_json_string(out, s->why, strlen(s->why));
            }
            break;
        }
        case SIGNAL_CATEGORY: {
            const char *category = s->term ? s->term : "";
            bytebuf_append_string(out, ",\"category\":");
            bytebuf_append_json_string(out, category, cut_length(category, strlen(category), lim->max_term));
            break;
        }
        case SIGNAL_OFFICIAL_STORE:
        case SIGNAL_LIVESTREAM:
            bytebuf_printf(out, ",\"value\":%s", s->value ? "true" : "false");
            break;
        case SIGNAL_LABEL_CLAIM: {
            const char *label = s->term ? s->term : "";
            bytebuf_append_string(out, ",\"label\":");
            bytebuf_append_json_string(out, label, cut_length(label, strlen(label), lim->max_term));
            bytebuf_printf(out, ",\"claimed\":%d", s->claimed);
            if (s->rated)
                bytebuf_printf(out, ",\"registered\":%d", s->rated);
            bytebuf_append_string(out, ",\"value\":");
            bytebuf_append_json_string(out, s->claim, strlen(s->claim));
            size_t kept = s->field == FIELD_TITLE ? title_kept : description_kept;
            if (s->has_span && s->end <= kept) {
                bytebuf_append_string(out, s->field == FIELD_TITLE ? ",\"field\":\"title\"" : ",\"field\":\"description\"");
                append_span(out, s->start, s->end);
            }
            break;
        }
        default:
            break;
        }
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_string(out, "],");
    bytebuf explain;
    bytebuf_init(&explain, lim->contract_only ? 4096 : 16384);
    flag_explain(rs, &l->facts, result, language, &explain);
    json_key_string(out, "explain", explain.data);
    bytebuf_free(&explain);
    bytebuf_append_string(out, ",\"severity\":\"");
    bytebuf_append_string(out, severity_name(result->severity));
    bytebuf_append_string(out, "\",\"pack\":\"");
    /* the packs of the fired rules, each once: "name@version" */
    const pack *seen[64];
    size_t seen_count = 0;
    for (size_t i = 0; i < result->rule_count; i++) {
        const pack *p = ruleset_rule_pack(rs, result->rules[i]);
        bool known = false;
        for (size_t k = 0; k < seen_count; k++)
            known |= seen[k] == p;
        if (known || seen_count == 64)
            continue;
        seen[seen_count++] = p;
        size_t name_length = strlen(p->name), version_length = strlen(p->version);
        if (name_length + version_length < 256) {
            /* short enough that neither bounded buffer below can overflow: the
             * same bytes, escaped straight into the flag */
            char text[260];
            size_t n = 0;
            if (seen_count > 1)
                text[n++] = ',';
            memcpy(text + n, p->name, name_length);
            n += name_length;
            text[n++] = '@';
            memcpy(text + n, p->version, version_length);
            n += version_length;
            size_t mark = out->length;
            bytebuf_append_json_string(out, text, n);
            if (!out->overflow && out->length >= mark + 2) { /* drop the quotes: JSON content, not a string */
                memmove(out->data + mark, out->data + mark + 1, out->length - mark - 2);
                out->length -= 2;
                out->data[out->length] = '\0';
            }
            continue;
        }
        bytebuf tmp;
        bytebuf_init(&tmp, 1024);
        bytebuf_printf(&tmp, "%s%s@%s", seen_count > 1 ? "," : "", p->name, p->version);
        /* names and versions are plain text from the pack: escape as JSON content */
        bytebuf esc;
        bytebuf_init(&esc, 8192);
        bytebuf_append_json_string(&esc, tmp.data ? tmp.data : "", tmp.length);
        if (esc.length >= 2)
            bytebuf_append(out, esc.data + 1, esc.length - 2);
        bytebuf_free(&esc);
        bytebuf_free(&tmp);
    }
    bytebuf_append_char(out, '"');
    if (scan_id) {
        bytebuf_append_char(out, ',');
        json_key_string(out, "scan_id", scan_id);
    }
    if (evidence) {
        bytebuf_append_string(out, ",\"evidence\":{");
        json_key_string(out, "url", evidence->url);
        if (evidence->requested_url && strcmp(evidence->requested_url, evidence->url)) {
            bytebuf_append_char(out, ',');
            json_key_string(out, "requested_url", evidence->requested_url);
        }
        if (evidence->redirect_count) {
            bytebuf_append_string(out, ",\"redirects\":[");
            for (size_t i = 0; i < evidence->redirect_count; i++) {
                bytebuf_printf(out, "%s{\"status\":%ld,", i ? "," : "", evidence->redirects[i].status);
                json_key_string(out, "location", evidence->redirects[i].location);
                bytebuf_append_char(out, '}');
            }
            bytebuf_append_char(out, ']');
        }
        bytebuf_append_char(out, ',');
        json_key_string(out, "fetched_at", evidence->fetched_at);
        bytebuf_append_string(out, ",\"http_status\":");
        bytebuf_append_i64(out, evidence->http_status);
        bytebuf_append_char(out, ',');
        json_key_string(out, "sha256", evidence->sha256);
        if (evidence->ip && evidence->ip[0]) {
            bytebuf_append_char(out, ',');
            json_key_string(out, "ip", evidence->ip);
        }
        if (evidence->warc) {
            const warc_location *wl = evidence->warc;
            bytebuf_append_string(out, ",\"warc\":{");
            json_key_string(out, "file", wl->file);
            bytebuf_append_string(out, ",\"offset\":");
            bytebuf_append_u64(out, wl->offset);
            bytebuf_append_string(out, ",\"length\":");
            bytebuf_append_u64(out, wl->length);
            bytebuf_append_string(out, ",\"request_offset\":");
            bytebuf_append_u64(out, wl->request_offset);
            bytebuf_append_string(out, ",\"request_length\":");
            bytebuf_append_u64(out, wl->request_length);
            bytebuf_append_char(out, ',');
            json_key_string(out, "record_id", wl->record_id);
            bytebuf_append_char(out, ',');
            json_key_string(out, "payload_digest", wl->payload_digest);
            if (evidence->screenshot) {
                const warc_location *sl = evidence->screenshot;
                bytebuf_append_string(out, ",\"screenshot\":{");
                json_key_string(out, "file", sl->file);
                bytebuf_printf(out, ",\"offset\":%llu,\"length\":%llu,", (unsigned long long)sl->offset,
                               (unsigned long long)sl->length);
                json_key_string(out, "record_id", sl->record_id);
                bytebuf_append_char(out, '}');
            }
            bytebuf_append_string(out, "}}");
        } else {
            bytebuf_append_string(out, ",\"warc\":null}");
        }
    }
    bool cut = log.count || log.unknown_dropped || hits_dropped || rules_written < result->rule_count ||
               signals_written < result->signal_count;
    if (cut) {
        bytebuf_append_string(out, ",\"cut\":{");
        for (size_t i = 0; i < log.count; i++) {
            bytebuf_printf(out, "%s\"listing.", i ? "," : "");
            bytebuf_append(out, log.path[i], strlen(log.path[i]));
            bytebuf_printf(out, "\":%zu", log.original[i]);
        }
        const char *sep = log.count ? "," : "";
        if (log.unknown_dropped) {
            bytebuf_printf(out, "%s\"unknown_fields_dropped\":true", sep);
            sep = ",";
        }
        if (hits_dropped) {
            bytebuf_printf(out, "%s\"hits_dropped\":%zu", sep, hits_dropped);
            sep = ",";
        }
        if (rules_written < result->rule_count) {
            bytebuf_printf(out, "%s\"rules_dropped\":%zu", sep, result->rule_count - rules_written);
            sep = ",";
        }
        if (signals_written < result->signal_count)
            bytebuf_printf(out, "%s\"signals_dropped\":%zu", sep, result->signal_count - signals_written);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_char(out, '}');
    return cut;
}

int flag_to_json(const ruleset *rs, const listing *l, const match_result *result, flag_language language,
                 const char *scan_id, const flag_evidence *evidence, bytebuf *out)
{
    size_t start = out->length;
    bool cut = write_flag(rs, l, result, language, scan_id, evidence, &whole_limits, out);
    if (!out->overflow && out->length - start <= FLAG_MAX_BYTES)
        return cut ? 1 : 0;
    if (out->overflow && out->length - start <= FLAG_MAX_BYTES && out->max && out->length + FLAG_MAX_BYTES > out->max)
        return -1; /* the caller's buffer, not the flag, is full */
    /* too big: again, tighter */
    out->length = start;
    out->overflow = false;
    if (out->data)
        out->data[start] = '\0';
    write_flag(rs, l, result, language, scan_id, evidence, &tight_limits, out);
    return out->overflow || out->length - start > FLAG_MAX_BYTES ? -1 : 1;
}
