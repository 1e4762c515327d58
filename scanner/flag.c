#include "flag.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void flag_id_hex(uint64_t id, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        out[i] = hex[(id >> (60 - 4 * i)) & 15];
    out[16] = '\0';
}

double flag_rule_score(severity s, size_t signals)
{
    static const double base[] = {0.4, 0.6, 0.8, 0.9};
    double score = base[s] + 0.05 * (signals > 1 ? (double)(signals - 1) : 0.0);
    return score > 1.0 ? 1.0 : score;
}

static void json_key_string(bytebuf *out, const char *key, const char *value)
{
    bytebuf_printf(out, "\"%s\":", key);
    bytebuf_append_json_string(out, value ? value : "", value ? strlen(value) : 0);
}

/* 1234567 -> "1.234.567" (vi) or "1,234,567" (en). */
static void money(double amount, flag_language language, char *out, size_t size)
{
    char digits[32];
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
        money(r->reference_price, language, reference, sizeof reference);
        bytebuf_printf(out, en ? "a price of %s VND, %.0f%% of the reference %s VND" : "giá %s ₫, chỉ bằng %.0f%% giá tham chiếu %s ₫",
                       price, s->ratio * 100, reference);
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
        if (r->owner)
            bytebuf_printf(out, en ? " (owner: %s)" : " (chủ sở hữu: %s)", r->owner);
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

void flag_to_json(const ruleset *rs, const listing *l, const match_result *result, flag_language language,
                  const char *scan_id, const flag_evidence *evidence, bytebuf *out)
{
    char id[17];
    flag_id_hex(result->flag_id, id);
    bytebuf_printf(out, "{\"flag_id\":\"%s\",\"listing\":", id);
    json_write(l->json, out);
    bytebuf_append_string(out, ",\"rules\":[");
    for (size_t i = 0; i < result->rule_count; i++) {
        uint32_t index = result->rules[i];
        const rule *r = ruleset_rule(rs, index);
        size_t signals = 0;
        for (size_t k = 0; k < result->signal_count; k++)
            signals += result->signals[k].rule == index;
        bytebuf_append_string(out, i ? ",{" : "{");
        json_key_string(out, "id", r->id);
        bytebuf_printf(out, ",\"kind\":\"%s\",", rule_kind_name(r->kind));
        json_key_string(out, "name", r->name);
        bytebuf_printf(out, ",\"severity\":\"%s\",\"score\":%.2f}", severity_name(r->severity),
                       flag_rule_score(r->severity, signals));
    }
    bytebuf_append_string(out, "],\"hits\":[");
    for (size_t i = 0; i < result->hit_count; i++) {
        const match_hit *h = &result->hits[i];
        bytebuf_append_string(out, i ? ",{" : "{");
        json_key_string(out, "rule", ruleset_rule(rs, h->rule)->id);
        bytebuf_printf(out, ",\"field\":\"%s\",", h->field == FIELD_TITLE ? "title" : "description");
        json_key_string(out, "term", h->term);
        bytebuf_printf(out, ",\"start\":%u,\"end\":%u}", h->start, h->end);
    }
    bytebuf_append_string(out, "],\"signals\":[");
    for (size_t i = 0; i < result->signal_count; i++) {
        const match_signal *s = &result->signals[i];
        bytebuf_append_string(out, i ? ",{" : "{");
        json_key_string(out, "rule", ruleset_rule(rs, s->rule)->id);
        bytebuf_printf(out, ",\"type\":\"%s\"", signal_type_name(s->type));
        switch (s->type) {
        case SIGNAL_LIST:
            bytebuf_append_char(out, ',');
            json_key_string(out, "list", s->list);
            /* fallthrough */
        case SIGNAL_TERM:
        case SIGNAL_PATTERN:
            bytebuf_append_char(out, ',');
            json_key_string(out, s->type == SIGNAL_PATTERN ? "pattern" : "term", s->term);
            if (s->has_span)
                bytebuf_printf(out, ",\"field\":\"%s\",\"start\":%u,\"end\":%u",
                               s->field == FIELD_TITLE ? "title" : "description", s->start, s->end);
            break;
        case SIGNAL_PRICE_BELOW:
            bytebuf_printf(out, ",\"ratio\":%.4f", isfinite(s->ratio) ? s->ratio : 0.0);
            break;
        case SIGNAL_SELLER_OUTSIDE_REGION:
        case SIGNAL_SELLER_IN_REGION:
            bytebuf_append_char(out, ',');
            json_key_string(out, "location", s->term);
            break;
        case SIGNAL_CATEGORY:
            bytebuf_append_char(out, ',');
            json_key_string(out, "category", s->term);
            break;
        case SIGNAL_OFFICIAL_STORE:
        case SIGNAL_LIVESTREAM:
            bytebuf_printf(out, ",\"value\":%s", s->value ? "true" : "false");
            break;
        default:
            break;
        }
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_string(out, "],");
    bytebuf explain;
    bytebuf_init(&explain, 16384);
    flag_explain(rs, &l->facts, result, language, &explain);
    json_key_string(out, "explain", explain.data);
    bytebuf_free(&explain);
    bytebuf_printf(out, ",\"severity\":\"%s\",\"pack\":\"", severity_name(result->severity));
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
        bytebuf tmp;
        bytebuf_init(&tmp, 1024);
        bytebuf_printf(&tmp, "%s%s@%s", seen_count > 1 ? "," : "", p->name, p->version);
        /* names and versions are plain text from the pack: escape as JSON content */
        bytebuf esc;
        bytebuf_init(&esc, 2048);
        bytebuf_append_json_string(&esc, tmp.data, tmp.length);
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
        bytebuf_append_char(out, ',');
        json_key_string(out, "fetched_at", evidence->fetched_at);
        bytebuf_printf(out, ",\"http_status\":%ld,", evidence->http_status);
        json_key_string(out, "sha256", evidence->sha256);
        bytebuf_append_string(out, ",\"warc\":null}");
    }
    bytebuf_append_char(out, '}');
}
