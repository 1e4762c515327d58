/* report_xlsx: the figures as a workbook (libxlsxwriter): one sheet per
 * breakdown, numbers as numbers, listing text as text cells with Excel's
 * quote prefix (never a formula). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <xlsxwriter.h>

#include "rules/base/error_message.h"
#include "scanner/report/report.h"

typedef struct book {
    lxw_workbook *wb;
    lxw_format *bold, *text, *ratio, *title;
    bool vi;
} book;

/* The format of cells holding text from listings (this thread's workbook). */
static _Thread_local lxw_format *listing_text;

/* A string cell (never a formula). Text from listings (titles, seller
 * names) also gets a leading apostrophe when it begins with = + - @ (this
 * libxlsxwriter has no quote-prefix format), so a copy to CSV or an edit of
 * the cell cannot turn it into one. */
static void text(lxw_worksheet *ws, int r, int c, const char *s, lxw_format *f)
{
    char safe[2048];
    if (f && f == listing_text) {
        report_cell_text(s, safe, sizeof safe);
        s = safe;
        f = NULL;
    }
    /* bytes that are not UTF-8 would make a workbook Excel calls damaged */
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, valid, f);
    g_free(valid);
}

static void number(lxw_worksheet *ws, int r, int c, double v, lxw_format *f)
{
    worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, v, f);
}

static void breakdown(book *b, const char *name, report_dimension d, const report_table *t)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);
    worksheet_set_column(ws, 0, 0, 20, NULL);
    worksheet_set_column(ws, 1, 1, 36, NULL);
    worksheet_set_column(ws, 2, 1 + REPORT_STAGE_COUNT, 16, NULL);
    text(ws, 0, 0, b->vi ? "Mã" : "Code", b->bold);
    text(ws, 0, 1, report_dimension_label(d, b->vi), b->bold);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        text(ws, 0, 2 + s, report_stage_label((report_stage)s, b->vi), b->bold);
    for (size_t i = 0; i < t->count; i++) {
        text(ws, (int)i + 1, 0, t->rows[i].key, b->text);
        text(ws, (int)i + 1, 1, report_key_label(d, t->rows[i].key, b->vi), b->text);
        for (int s = 0; s < REPORT_STAGE_COUNT; s++)
            number(ws, (int)i + 1, 2 + s, (double)t->rows[i].stage[s], NULL);
    }
    worksheet_freeze_panes(ws, 1, 0);
}

static void summary(book *b, const report_figures *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, b->vi ? "Tổng hợp" : "Summary");
    worksheet_set_column(ws, 0, 0, 44, NULL);
    worksheet_set_column(ws, 1, 1, 20, NULL);
    worksheet_set_column(ws, 2, 2, 22, NULL);
    char title[160], start[16], end[16];
    report_title(&f->period, b->vi, title, sizeof title);
    report_vietnam_date(f->period.start_ms, start);
    report_vietnam_date(f->period.end_ms - 1, end);
    text(ws, 0, 0, title, b->title);
    int r = 2;
    text(ws, r, 0, b->vi ? "Chỉ tiêu" : "Figure", b->bold);
    text(ws, r, 1, b->vi ? "Số liệu" : "Value", b->bold);
    text(ws, r++, 2, b->vi ? "Mã" : "Code", b->bold);
    text(ws, r, 0, b->vi ? "Kỳ báo cáo" : "Period", NULL), text(ws, r, 1, f->period.label, NULL),
        text(ws, r++, 2, "period", NULL);
    text(ws, r, 0, b->vi ? "Từ ngày" : "First day", NULL), text(ws, r, 1, start, NULL), text(ws, r++, 2, "first_day", NULL);
    text(ws, r, 0, b->vi ? "Đến ngày" : "Last day", NULL), text(ws, r, 1, end, NULL), text(ws, r++, 2, "last_day", NULL);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        text(ws, r, 0, report_stage_label((report_stage)s, b->vi), NULL);
        number(ws, r, 1, (double)f->stage[s], NULL);
        text(ws, r++, 2, report_stage_name((report_stage)s), NULL);
    }
    const struct {
        const char *vi, *en, *code;
        uint64_t v;
    } counts[] = {{"Còn tồn cuối kỳ", "Open at the period's end", "open", f->open},
                  {"Tồn quá 24 giờ", "Open longer than 24 h", "open_24h", f->open_24h},
                  {"Tồn quá 7 ngày", "Open longer than 7 days", "open_7d", f->open_7d},
                  {"Tiếp nhận trong kỳ đã phân loại", "Received and classified by the end", "received_assessed",
                   f->received_assessed},
                  {"Tiếp nhận trong kỳ đã kết thúc", "Received and closed by the end", "received_closed",
                   f->received_closed},
                  {"Số người bán", "Distinct sellers", "sellers_distinct", f->sellers_distinct},
                  {"Người bán tái phạm", "Repeat offenders", "sellers_repeat", f->sellers_repeat},
                  {"Vụ việc không rõ người bán", "Cases naming no seller", "without_seller", f->cases_without_seller},
                  {"Số vụ việc nghiêm trọng", "Serious cases", "serious", f->serious_count},
                  {"Số điều chỉnh kỳ trước", "Corrections of earlier periods", "corrections", f->correction_count},
                  {"Số quyết định trong chuỗi", "Decisions in the chain", "chain_count", f->chain_count}};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        text(ws, r, 0, b->vi ? counts[i].vi : counts[i].en, NULL);
        number(ws, r, 1, (double)counts[i].v, NULL);
        text(ws, r++, 2, counts[i].code, NULL);
    }
    if (f->stage[REPORT_RECEIVED]) {
        text(ws, r, 0, b->vi ? "Tỷ lệ đã phân loại" : "Share classified", NULL);
        number(ws, r, 1, (double)f->received_assessed / (double)f->stage[REPORT_RECEIVED], b->ratio);
        text(ws, r++, 2, "share_classified", NULL);
        text(ws, r, 0, b->vi ? "Tỷ lệ đã kết thúc" : "Share closed", NULL);
        number(ws, r, 1, (double)f->received_closed / (double)f->stage[REPORT_RECEIVED], b->ratio);
        text(ws, r++, 2, "share_closed", NULL);
    }
    text(ws, r, 0, b->vi ? "Mã đầu chuỗi quyết định (SHA-256)" : "Decision chain head (SHA-256)", NULL);
    text(ws, r, 1, f->chain_head, NULL);
    text(ws, r++, 2, "chain_head", NULL);
}

static void sellers(book *b, const report_figures *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, b->vi ? "Người bán" : "Sellers");
    worksheet_set_column(ws, 0, 1, 18, NULL);
    worksheet_set_column(ws, 2, 2, 36, NULL);
    worksheet_set_column(ws, 3, 4, 18, NULL);
    const char *head[] = {b->vi ? "Sàn" : "Platform", b->vi ? "Mã người bán" : "Seller id",
                          b->vi ? "Tên người bán" : "Seller name", b->vi ? "Vụ việc trong kỳ" : "Cases in the period",
                          b->vi ? "Vụ việc đến cuối kỳ" : "Cases to date"};
    for (int c = 0; c < 5; c++)
        text(ws, 0, c, head[c], b->bold);
    for (size_t i = 0; i < f->top_seller_count; i++) {
        const report_seller *s = &f->top_sellers[i];
        text(ws, (int)i + 1, 0, s->platform, b->text);
        text(ws, (int)i + 1, 1, s->id, b->text);
        text(ws, (int)i + 1, 2, s->name, b->text);
        number(ws, (int)i + 1, 3, (double)s->cases, NULL);
        number(ws, (int)i + 1, 4, (double)s->cases_to_date, NULL);
    }
}

static void serious(book *b, const report_figures *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, b->vi ? "Vụ việc nghiêm trọng" : "Serious cases");
    worksheet_set_column(ws, 0, 0, 18, NULL);
    worksheet_set_column(ws, 1, 1, 17, NULL);
    worksheet_set_column(ws, 2, 2, 100, NULL);
    const char *head[] = {b->vi ? "Mã vụ việc" : "Case", b->vi ? "Phát hiện lúc" : "First seen",
                          b->vi ? "Mô tả" : "Description", b->vi ? "Mức độ" : "Severity",
                          b->vi ? "Trạng thái cuối kỳ" : "State at the end", b->vi ? "Tiêu đề tin đăng" : "Listing title"};
    for (int c = 0; c < 6; c++)
        text(ws, 0, c, head[c], b->bold);
    for (size_t i = 0; i < f->serious_count; i++) {
        char line[1024], seen[24];
        report_serious_line(&f->serious[i], b->vi, line, sizeof line);
        report_vietnam_time(f->serious[i].first_seen_ms, seen);
        text(ws, (int)i + 1, 0, f->serious[i].case_id, b->text);
        text(ws, (int)i + 1, 1, seen, NULL);
        text(ws, (int)i + 1, 2, line, b->text);
        text(ws, (int)i + 1, 3, f->serious[i].severity, b->text);
        text(ws, (int)i + 1, 4, f->serious[i].state, b->text);
        text(ws, (int)i + 1, 5, f->serious[i].title, b->text);
    }
}

static void corrections(book *b, const report_figures *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, b->vi ? "Điều chỉnh" : "Corrections");
    worksheet_set_column(ws, 0, 0, 12, NULL);
    worksheet_set_column(ws, 1, 1, 110, NULL);
    const char *head[] = {b->vi ? "Quyết định số" : "Decision", b->vi ? "Nội dung" : "What changed",
                          b->vi ? "Chỉ tiêu đã tính" : "Counted before", b->vi ? "Mã vụ việc" : "Case"};
    for (int c = 0; c < 4; c++)
        text(ws, 0, c, head[c], b->bold);
    for (size_t i = 0; i < f->correction_count; i++) {
        char line[1024];
        report_correction_line(&f->corrections[i], b->vi, line, sizeof line);
        number(ws, (int)i + 1, 0, (double)f->corrections[i].seq, NULL);
        text(ws, (int)i + 1, 1, line, b->text);
        text(ws, (int)i + 1, 2, f->corrections[i].withdrawn, NULL);
        text(ws, (int)i + 1, 3, f->corrections[i].case_id, NULL);
    }
}

static void baseline(book *b, const report_figures *f)
{
    const report_baseline *base = &f->baseline;
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, b->vi ? "So với cùng kỳ" : "Against last year");
    worksheet_set_column(ws, 0, 0, 28, NULL);
    worksheet_set_column(ws, 1, 5, 16, NULL);
    text(ws, 0, 0, b->vi ? "Cùng kỳ năm trước" : "Same period a year before", b->bold);
    text(ws, 0, 1, base->period.label, NULL);
    text(ws, 1, 0, b->vi ? "Nguồn" : "Source", b->bold);
    text(ws, 1, 1, base->present ? base->source : (b->vi ? "không có số liệu" : "no data"), NULL);
    const char *head[] = {b->vi ? "Chỉ tiêu" : "Stage", b->vi ? "Kỳ này" : "This period",
                          b->vi ? "Cùng kỳ" : "Year before", b->vi ? "Thay đổi (%)" : "Change (%)",
                          b->vi ? "Đạt +20%" : "+20% met", b->vi ? "Mã" : "Code"};
    for (int c = 0; c < 6; c++)
        text(ws, 3, c, head[c], b->bold);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        int r = 4 + s;
        text(ws, r, 0, report_stage_label((report_stage)s, b->vi), NULL);
        number(ws, r, 1, (double)f->stage[s], NULL);
        double percent;
        bool met;
        if (base->present) {
            number(ws, r, 2, (double)base->stage[s], NULL);
            if (report_change(f->stage[s], base->stage[s], &percent, &met)) {
                number(ws, r, 3, percent, NULL);
                worksheet_write_boolean(ws, (lxw_row_t)r, 4, met, NULL);
            }
        }
        text(ws, r, 5, report_stage_name((report_stage)s), NULL);
    }
}

static void days(book *b, const report_figures *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, b->vi ? "Theo ngày" : "Per day");
    worksheet_set_column(ws, 0, 2, 16, NULL);
    text(ws, 0, 0, b->vi ? "Ngày" : "Day", b->bold);
    text(ws, 0, 1, b->vi ? "Phát hiện" : "Received", b->bold);
    text(ws, 0, 2, b->vi ? "Kết thúc" : "Closed", b->bold);
    for (size_t i = 0; i < f->day_count; i++) {
        char date[16];
        report_vietnam_date(f->days[i].start_ms, date);
        text(ws, (int)i + 1, 0, date, NULL);
        number(ws, (int)i + 1, 1, (double)f->days[i].received, NULL);
        number(ws, (int)i + 1, 2, (double)f->days[i].closed, NULL);
    }
}

report_error report_write_xlsx(const report_figures *f, const char *path, bool vi, char *error, size_t error_size)
{
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    lxw_workbook_options options = {.constant_memory = LXW_FALSE, .tmpdir = NULL};
    book b = {.wb = workbook_new_opt(temporary, &options), .vi = vi};
    if (!b.wb) {
        error_message_set(error, error_size, "%s: cannot create the workbook", temporary);
        return REPORT_ERROR_WRITE;
    }
    char title[160];
    report_title(&f->period, vi, title, sizeof title);
    /* the period's end as the document's date: the same figures, the same bytes */
    lxw_doc_properties properties = {.title = title, .author = "lscan", .created = (time_t)(f->period.end_ms / 1000)};
    workbook_set_properties(b.wb, &properties);
    b.bold = workbook_add_format(b.wb);
    format_set_bold(b.bold);
    b.title = workbook_add_format(b.wb);
    format_set_bold(b.title);
    format_set_font_size(b.title, 14);
    b.text = workbook_add_format(b.wb);
    listing_text = b.text;
    b.ratio = workbook_add_format(b.wb);
    format_set_num_format(b.ratio, "0.0%");
    summary(&b, f);
    static const char *const sheet[REPORT_DIMENSION_COUNT][2] = {
        {"Lĩnh vực", "By field"}, {"Nhóm hàng", "By goods group"}, {"Sàn", "By platform"}, {"Tỉnh thành", "By province"}};
    for (int d = 0; d < REPORT_DIMENSION_COUNT; d++)
        breakdown(&b, sheet[d][vi ? 0 : 1], (report_dimension)d, &f->by[d]);
    sellers(&b, f);
    serious(&b, f);
    corrections(&b, f);
    baseline(&b, f);
    days(&b, f);
    lxw_error e = workbook_close(b.wb);
    if (e != LXW_NO_ERROR || rename(temporary, path) != 0) {
        error_message_set(error, error_size, "%s: %s", path,
                          e != LXW_NO_ERROR ? lxw_strerror(e) : strerror(errno));
        unlink(temporary);
        return REPORT_ERROR_WRITE;
    }
    return REPORT_OK;
}
