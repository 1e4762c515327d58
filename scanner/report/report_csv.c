/* report_csv: the figures as one CSV in long form (docs/reports.md,
 * "CSV"): section,key,label,metric,value — one number per row, so any tool
 * reads it without knowing the layout. UTF-8 with a byte order mark (the
 * spreadsheets Vietnamese offices use read it as UTF-8 then). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "rules/base/error_message.h"
#include "scanner/report/report.h"

/* A quoted cell: hostile text defused (report_cell_text), quotes doubled. */
static void cell(FILE *out, const char *s)
{
    char safe[2048];
    char *valid = g_utf8_make_valid(s ? s : "", -1); /* listing text may hold bytes that are not UTF-8 */
    report_cell_text(valid, safe, sizeof safe);
    g_free(valid);
    fputc('"', out);
    for (const char *p = safe; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, out);
    }
    fputc('"', out);
}

static void row(FILE *out, const char *section, const char *key, const char *label, const char *metric,
                unsigned long long value)
{
    fprintf(out, "%s,", section);
    cell(out, key);
    fputc(',', out);
    cell(out, label);
    fprintf(out, ",%s,%llu\n", metric, value);
}

static void row_text(FILE *out, const char *section, const char *key, const char *label, const char *metric,
                     const char *value)
{
    fprintf(out, "%s,", section);
    cell(out, key);
    fputc(',', out);
    cell(out, label);
    fprintf(out, ",%s,", metric);
    cell(out, value);
    fputc('\n', out);
}

static void row_ratio(FILE *out, const char *section, const char *key, const char *label, const char *metric,
                      double value)
{
    fprintf(out, "%s,", section);
    cell(out, key);
    fputc(',', out);
    cell(out, label);
    fprintf(out, ",%s,%.4f\n", metric, value);
}

report_error report_write_csv(const report_figures *f, const char *path, bool vi, char *error, size_t error_size)
{
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    FILE *out = fopen(temporary, "w");
    if (!out) {
        error_message_set(error, error_size, "%s: %s", temporary, strerror(errno));
        return REPORT_ERROR_WRITE;
    }
    char title[160], start[16], end[16];
    report_title(&f->period, vi, title, sizeof title);
    report_vietnam_date(f->period.start_ms, start);
    report_vietnam_date(f->period.end_ms - 1, end);
    fputs("\xEF\xBB\xBFsection,key,label,metric,value\n", out);
    row_text(out, "period", report_period_kind_name(f->period.kind), title, "label", f->period.label);
    row_text(out, "period", "first_day", vi ? "Từ ngày" : "First day", "date", start);
    row_text(out, "period", "last_day", vi ? "Đến ngày" : "Last day", "date", end);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        row(out, "summary", report_stage_name((report_stage)s), report_stage_label((report_stage)s, vi), "cases",
            (unsigned long long)f->stage[s]);
    row(out, "open", "open", vi ? "Còn tồn cuối kỳ" : "Open at the period's end", "cases", f->open);
    row(out, "open", "open_24h", vi ? "Tồn quá 24 giờ" : "Open longer than 24 h", "cases", f->open_24h);
    row(out, "open", "open_7d", vi ? "Tồn quá 7 ngày" : "Open longer than 7 days", "cases", f->open_7d);
    row(out, "share", "received_assessed", vi ? "Số được phân loại trong kỳ" : "Received and classified by the end",
        "cases", f->received_assessed);
    row(out, "share", "received_closed", vi ? "Số đã kết thúc trong kỳ" : "Received and closed by the end", "cases",
        f->received_closed);
    if (f->stage[REPORT_RECEIVED]) {
        row_ratio(out, "share", "classified", vi ? "Tỷ lệ đã phân loại" : "Share classified", "ratio",
                  (double)f->received_assessed / (double)f->stage[REPORT_RECEIVED]);
        row_ratio(out, "share", "closed", vi ? "Tỷ lệ đã kết thúc" : "Share closed", "ratio",
                  (double)f->received_closed / (double)f->stage[REPORT_RECEIVED]);
    }
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
        for (size_t i = 0; i < f->by[d].count; i++)
            for (int s = 0; s < REPORT_STAGE_COUNT; s++)
                row(out, report_dimension_name((report_dimension)d), f->by[d].rows[i].key,
                    report_key_label((report_dimension)d, f->by[d].rows[i].key, vi), report_stage_name((report_stage)s),
                    (unsigned long long)f->by[d].rows[i].stage[s]);
    row(out, "sellers", "distinct", vi ? "Số người bán" : "Distinct sellers", "sellers", f->sellers_distinct);
    row(out, "sellers", "repeat", vi ? "Người bán tái phạm (nhiều hơn 1 vụ)" : "Repeat offenders (more than one case)",
        "sellers", f->sellers_repeat);
    row(out, "sellers", "without_seller", vi ? "Vụ việc không rõ người bán" : "Cases naming no seller", "cases",
        f->cases_without_seller);
    for (size_t i = 0; i < f->top_seller_count; i++) {
        char key[512];
        snprintf(key, sizeof key, "%s:%s", f->top_sellers[i].platform, f->top_sellers[i].id);
        row(out, "top_seller", key, f->top_sellers[i].name, "cases", f->top_sellers[i].cases);
        row(out, "top_seller", key, f->top_sellers[i].name, "cases_to_date", f->top_sellers[i].cases_to_date);
    }
    for (size_t i = 0; i < f->serious_count; i++) {
        char line[1024], seen[24];
        report_serious_line(&f->serious[i], vi, line, sizeof line);
        report_vietnam_time(f->serious[i].first_seen_ms, seen);
        row_text(out, "serious", f->serious[i].case_id, line, "first_seen", seen);
        row_text(out, "serious", f->serious[i].case_id, line, "title", f->serious[i].title);
    }
    for (size_t i = 0; i < f->correction_count; i++) {
        char line[1024], key[32];
        report_correction_line(&f->corrections[i], vi, line, sizeof line);
        snprintf(key, sizeof key, "%llu", (unsigned long long)f->corrections[i].seq);
        row_text(out, "correction", key, line, "withdrawn", f->corrections[i].withdrawn);
    }
    const report_baseline *b = &f->baseline;
    row_text(out, "baseline", "period", vi ? "Cùng kỳ năm trước" : "Same period a year before", "label", b->period.label);
    row_text(out, "baseline", "source", vi ? "Nguồn số liệu" : "Source", "source", b->present ? b->source : "none");
    for (int s = 0; b->present && s < REPORT_STAGE_COUNT; s++) {
        const char *name = report_stage_name((report_stage)s), *label = report_stage_label((report_stage)s, vi);
        row(out, "baseline", name, label, "baseline", b->stage[s]);
        row(out, "baseline", name, label, "this_period", f->stage[s]);
        double percent;
        bool met;
        if (report_change(f->stage[s], b->stage[s], &percent, &met)) {
            fprintf(out, "baseline,");
            cell(out, name);
            fputc(',', out);
            cell(out, label);
            fprintf(out, ",change_percent,%.1f\n", percent);
            row(out, "baseline", name, label, "target_met", met);
        }
    }
    for (size_t i = 0; b->present && i < b->by_field.count; i++)
        for (int s = 0; s < REPORT_STAGE_COUNT; s++)
            row(out, "baseline_field", b->by_field.rows[i].key,
                report_key_label(REPORT_BY_FIELD, b->by_field.rows[i].key, vi), report_stage_name((report_stage)s),
                b->by_field.rows[i].stage[s]);
    for (size_t i = 0; i < f->day_count; i++) {
        char date[16];
        report_vietnam_date(f->days[i].start_ms, date);
        row(out, "day", date, date, "received", f->days[i].received);
        row(out, "day", date, date, "closed", f->days[i].closed);
    }
    row(out, "chain", "count", vi ? "Số quyết định trong chuỗi" : "Decisions in the chain", "decisions", f->chain_count);
    row_text(out, "chain", "head", vi ? "Mã đầu chuỗi" : "Chain head", "sha256", f->chain_head);
    bool failed = ferror(out);
    if (fflush(out) != 0 || fsync(fileno(out)) != 0)
        failed = true;
    if (fclose(out) != 0)
        failed = true;
    if (failed || rename(temporary, path) != 0) {
        error_message_set(error, error_size, "%s: %s", path, strerror(errno ? errno : EIO));
        unlink(temporary);
        return REPORT_ERROR_WRITE;
    }
    return REPORT_OK;
}
