/* report_json: the figures of a report as JSON, for the console's dashboard
 * (docs/reports.md, "JSON"). One writer of the figures for people who look
 * at a page, next to the CSV, XLSX and PDF writers for those who file them:
 * the same report_figures, no counting of its own. */
#include <stdio.h>
#include <string.h>

#include "scanner/report/report.h"

static void key(bytebuf *out, const char *name)
{
    bytebuf_append_json_string(out, name, strlen(name));
    bytebuf_append_char(out, ':');
}

static void text(bytebuf *out, const char *name, const char *value)
{
    key(out, name);
    if (value)
        bytebuf_append_json_string(out, value, strlen(value));
    else
        bytebuf_append_string(out, "null");
}

static void number(bytebuf *out, const char *name, uint64_t value)
{
    key(out, name);
    bytebuf_append_u64(out, value);
}

static void date(bytebuf *out, const char *name, int64_t ms)
{
    char day[16];
    report_vietnam_date(ms, day);
    text(out, name, day);
}

static void stages(bytebuf *out, const uint64_t stage[REPORT_STAGE_COUNT])
{
    bytebuf_append_char(out, '{');
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        if (s)
            bytebuf_append_char(out, ',');
        number(out, report_stage_name((report_stage)s), stage[s]);
    }
    bytebuf_append_char(out, '}');
}

static void period(bytebuf *out, const report_period *p)
{
    bytebuf_append_char(out, '{');
    text(out, "kind", report_period_kind_name(p->kind));
    bytebuf_append_char(out, ',');
    text(out, "label", p->label);
    bytebuf_append_char(out, ',');
    date(out, "first_day", p->start_ms);
    bytebuf_append_char(out, ',');
    date(out, "last_day", p->end_ms - 24LL * 3600 * 1000);
    bytebuf_append_char(out, '}');
}

static void table(bytebuf *out, const report_table *t)
{
    bytebuf_append_char(out, '[');
    for (size_t i = 0; i < t->count; i++) {
        bytebuf_append_string(out, i ? ",{" : "{");
        text(out, "key", t->rows[i].key);
        bytebuf_append_char(out, ',');
        key(out, "stages");
        stages(out, t->rows[i].stage);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_char(out, ']');
}

/* "change_percent" and "target_met" against a baseline figure (null without one). */
static void change(bytebuf *out, bool present, uint64_t now, uint64_t before)
{
    double percent;
    bool met;
    if (present && report_change(now, before, &percent, &met)) {
        key(out, "change_percent");
        bytebuf_printf(out, "%.1f", percent);
        bytebuf_append_string(out, met ? ",\"target_met\":true" : ",\"target_met\":false");
    } else {
        bytebuf_append_string(out, "\"change_percent\":null,\"target_met\":null");
    }
}

int report_json(const report_figures *f, size_t max_cases, bytebuf *out)
{
    bytebuf_append_char(out, '{');
    key(out, "period");
    period(out, &f->period);
    bytebuf_append_char(out, ',');
    key(out, "stages");
    stages(out, f->stage);
    bytebuf_append_char(out, ',');
    number(out, "open", f->open);
    bytebuf_append_char(out, ',');
    number(out, "open_24h", f->open_24h);
    bytebuf_append_char(out, ',');
    number(out, "open_7d", f->open_7d);
    bytebuf_append_char(out, ',');
    number(out, "received_assessed", f->received_assessed);
    bytebuf_append_char(out, ',');
    number(out, "received_closed", f->received_closed);
    bytebuf_append_string(out, ",\"by\":{");
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++) {
        if (d)
            bytebuf_append_char(out, ',');
        key(out, report_dimension_name((report_dimension)d));
        table(out, &f->by[d]);
    }
    bytebuf_append_string(out, "},\"sellers\":{");
    number(out, "distinct", f->sellers_distinct);
    bytebuf_append_char(out, ',');
    number(out, "repeat", f->sellers_repeat);
    bytebuf_append_char(out, ',');
    number(out, "cases_without_seller", f->cases_without_seller);
    bytebuf_append_string(out, ",\"top\":[");
    for (size_t i = 0; i < f->top_seller_count; i++) {
        const report_seller *s = &f->top_sellers[i];
        bytebuf_append_string(out, i ? ",{" : "{");
        text(out, "platform", s->platform);
        bytebuf_append_char(out, ',');
        text(out, "id", s->id);
        bytebuf_append_char(out, ',');
        text(out, "name", s->name);
        bytebuf_append_char(out, ',');
        number(out, "cases", s->cases);
        bytebuf_append_char(out, ',');
        number(out, "cases_to_date", s->cases_to_date);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_string(out, "]},");
    number(out, "serious_count", f->serious_count);
    bytebuf_append_string(out, ",\"serious\":[");
    for (size_t i = 0; i < f->serious_count && i < max_cases; i++) {
        const report_serious *s = &f->serious[i];
        bytebuf_append_string(out, i ? ",{" : "{");
        text(out, "case_id", s->case_id);
        bytebuf_append_char(out, ',');
        text(out, "severity", s->severity);
        bytebuf_append_char(out, ',');
        text(out, "kind", s->kind);
        bytebuf_append_char(out, ',');
        text(out, "platform", s->platform);
        bytebuf_append_char(out, ',');
        text(out, "province", s->province);
        bytebuf_append_char(out, ',');
        text(out, "seller", s->seller);
        bytebuf_append_char(out, ',');
        text(out, "title", s->title);
        bytebuf_append_char(out, ',');
        text(out, "state", s->state);
        bytebuf_append_string(out, s->transferred ? ",\"transferred\":true," : ",\"transferred\":false,");
        text(out, "unit", s->unit);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_string(out, "],");
    number(out, "correction_count", f->correction_count);
    bytebuf_append_string(out, ",\"days\":[");
    for (size_t i = 0; i < f->day_count; i++) {
        bytebuf_append_string(out, i ? ",{" : "{");
        date(out, "date", f->days[i].start_ms);
        bytebuf_append_char(out, ',');
        number(out, "received", f->days[i].received);
        bytebuf_append_char(out, ',');
        number(out, "closed", f->days[i].closed);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_string(out, "],\"baseline\":");
    const report_baseline *b = &f->baseline;
    if (b->present) {
        bytebuf_append_char(out, '{');
        text(out, "source", b->source);
        bytebuf_append_char(out, ',');
        key(out, "period");
        period(out, &b->period);
        bytebuf_append_char(out, ',');
        key(out, "stages");
        stages(out, b->stage);
        bytebuf_append_char(out, '}');
    } else {
        bytebuf_append_string(out, "null");
    }
    /* the plans' target: +20% cases received over the same period a year before */
    bytebuf_append_char(out, ',');
    change(out, b->present, f->stage[REPORT_RECEIVED], b->stage[REPORT_RECEIVED]);
    bytebuf_append_string(out, ",\"chain\":{");
    number(out, "count", f->chain_count);
    bytebuf_append_char(out, ',');
    text(out, "head", f->chain_head);
    bytebuf_append_string(out, "}}");
    return out->overflow ? -1 : 0;
}
