/* report_pdf: the printable report — A4, Vietnamese by default — drawn
 * with cairo's PDF surface and laid out with pango (HarfBuzz shaping, so
 * Vietnamese diacritics stack correctly), in Noto Sans from Debian's
 * fonts-noto-core. Charts are drawn with cairo: cases per day, by field, by
 * province, this period against the same one a year before. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "rules/base/error_message.h"
#include "scanner/report/report.h"

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 42.0
#define FONT "Noto Sans"

typedef struct doc {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoLayout *layout;
    double y;
    int page;
    bool vi;
    char title[160];
} doc;

typedef enum { LEFT, RIGHT, CENTER } align;

static const double BLUE[3] = {0.16, 0.38, 0.66}, GREY[3] = {0.62, 0.66, 0.72},
                    RULE[3] = {0.80, 0.82, 0.85}, SHADE[3] = {0.93, 0.95, 0.97}, INK[3] = {0.10, 0.12, 0.16};

static void color(doc *d, const double c[3]) { cairo_set_source_rgb(d->cr, c[0], c[1], c[2]); }

/* Draws text in a box `width` wide (wrapped when `wrap`, else ellipsized);
 * returns its height. */
static double text(doc *d, double x, double y, double width, const char *s, double size, bool bold, align a,
                   bool wrap)
{
    PangoFontDescription *font = pango_font_description_new();
    pango_font_description_set_family(font, FONT);
    pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
    pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(d->layout, font);
    pango_font_description_free(font);
    pango_layout_set_width(d->layout, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(d->layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_ellipsize(d->layout, wrap ? PANGO_ELLIPSIZE_NONE : PANGO_ELLIPSIZE_END);
    pango_layout_set_alignment(d->layout, a == RIGHT ? PANGO_ALIGN_RIGHT : a == CENTER ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
    /* listing text may hold bytes that are not UTF-8: pango would complain on stderr */
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    pango_layout_set_text(d->layout, valid, -1);
    g_free(valid);
    int w, h;
    pango_layout_get_size(d->layout, &w, &h);
    cairo_move_to(d->cr, x, y);
    pango_cairo_show_layout(d->cr, d->layout);
    return (double)h / PANGO_SCALE;
}

static void footer(doc *d)
{
    char line[256];
    snprintf(line, sizeof line, d->vi ? "%s — trang %d" : "%s — page %d", d->title, d->page);
    color(d, GREY);
    text(d, MARGIN, PAGE_H - MARGIN + 14, PAGE_W - 2 * MARGIN, line, 7.5, false, RIGHT, false);
    color(d, INK);
}

static void new_page(doc *d)
{
    footer(d);
    cairo_show_page(d->cr);
    d->page++;
    d->y = MARGIN;
}

/* A new page unless `space` fits below. */
static void room(doc *d, double space)
{
    if (d->y + space > PAGE_H - MARGIN)
        new_page(d);
}

static void heading(doc *d, const char *s)
{
    room(d, 60);
    d->y += 8;
    color(d, BLUE);
    d->y += text(d, MARGIN, d->y, PAGE_W - 2 * MARGIN, s, 12, true, LEFT, false) + 4;
    color(d, INK);
}

/* ---- tables ---- */

typedef struct column {
    double width;
    align a;
} column;

static void table_row(doc *d, const column *cols, int n, const char *const *cells, bool header, bool shade)
{
    double h = 15;
    room(d, h + 2);
    double x = MARGIN;
    if (header || shade) {
        double total = 0;
        for (int i = 0; i < n; i++)
            total += cols[i].width;
        color(d, header ? RULE : SHADE);
        cairo_rectangle(d->cr, MARGIN, d->y, total, h);
        cairo_fill(d->cr);
        color(d, INK);
    }
    for (int i = 0; i < n; i++) {
        text(d, x + 3, d->y + 2, cols[i].width - 6, cells[i], header ? 7.8 : 8.2, header, cols[i].a, false);
        x += cols[i].width;
    }
    d->y += h;
}

static void u64(char out[32], uint64_t v) { snprintf(out, 32, "%llu", (unsigned long long)v); }

/* A breakdown: one row per key, one column per stage. */
static void breakdown(doc *d, report_dimension dim, const report_table *t, size_t max_rows)
{
    char title[128];
    snprintf(title, sizeof title, d->vi ? "Theo %s" : "By %s", report_dimension_label(dim, d->vi));
    if (!d->vi)
        title[3] = (char)tolower((unsigned char)title[3]);
    else
        title[5] = (char)tolower((unsigned char)title[5]);
    heading(d, title);
    column cols[1 + REPORT_STAGE_COUNT] = {{139, LEFT}};
    const char *head[1 + REPORT_STAGE_COUNT] = {report_dimension_label(dim, d->vi)};
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        cols[1 + s] = (column){62, RIGHT};
        head[1 + s] = report_stage_label((report_stage)s, d->vi);
    }
    /* short stage names in the head: the full ones are in the key figures */
    static const char *const short_vi[] = {"Phát hiện", "Phân loại", "Xác minh", "Loại bỏ", "Xử lý", "Chuyển"};
    static const char *const short_en[] = {"Received", "Classified", "Verified", "Dismissed", "Handled", "Transferred"};
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        head[1 + s] = d->vi ? short_vi[s] : short_en[s];
    table_row(d, cols, 1 + REPORT_STAGE_COUNT, head, true, false);
    char numbers[REPORT_STAGE_COUNT][32];
    for (size_t i = 0; i < t->count && i < max_rows; i++) {
        const char *cells[1 + REPORT_STAGE_COUNT] = {report_key_label(dim, t->rows[i].key, d->vi)};
        for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
            u64(numbers[s], t->rows[i].stage[s]);
            cells[1 + s] = numbers[s];
        }
        table_row(d, cols, 1 + REPORT_STAGE_COUNT, cells, false, i % 2 == 1);
    }
    if (t->count > max_rows) {
        char more[96];
        snprintf(more, sizeof more, d->vi ? "… và %zu dòng khác (xem tệp XLSX)" : "… and %zu more rows (see the XLSX)",
                 t->count - max_rows);
        d->y += text(d, MARGIN, d->y + 2, 400, more, 7.5, false, LEFT, false) + 2;
    }
}

/* ---- charts ---- */

/* The top of an axis with four whole-number steps of 1, 2 or 5 times a power of ten. */
static double nice_max(double v)
{
    double step = v / 4 > 1 ? v / 4 : 1, p = pow(10, floor(log10(step)));
    double steps[] = {1, 2, 2.5, 3, 5, 10};
    for (int i = 0; i < 6; i++)
        if (steps[i] * p >= step && (steps[i] * p == floor(steps[i] * p)))
            return 4 * steps[i] * p;
    return 40 * p;
}

static void axis_grid(doc *d, double x, double y, double w, double h, double top)
{
    char label[32];
    for (int i = 0; i <= 4; i++) {
        double gy = y + h - h * i / 4;
        color(d, RULE);
        cairo_set_line_width(d->cr, 0.5);
        cairo_move_to(d->cr, x, gy);
        cairo_line_to(d->cr, x + w, gy);
        cairo_stroke(d->cr);
        snprintf(label, sizeof label, "%g", top * i / 4);
        color(d, GREY);
        text(d, x - 34, gy - 5, 30, label, 6.5, false, RIGHT, false);
    }
    color(d, INK);
}

/* Vertical bars, one per label (every `every`th labelled). */
static void bars(doc *d, double x, double y, double w, double h, const char *const *labels, const double *values,
                 size_t n, size_t every)
{
    double top = 0;
    for (size_t i = 0; i < n; i++)
        top = values[i] > top ? values[i] : top;
    top = nice_max(top);
    axis_grid(d, x, y, w, h, top);
    double slot = w / (double)n, bar = slot * 0.7;
    for (size_t i = 0; i < n; i++) {
        double bh = h * values[i] / top;
        color(d, BLUE);
        cairo_rectangle(d->cr, x + slot * (double)i + (slot - bar) / 2, y + h - bh, bar, bh);
        cairo_fill(d->cr);
        color(d, INK);
        if (i % every == 0)
            text(d, x + slot * (double)i - 10, y + h + 2, slot * (double)every + 20, labels[i], 6.5, false, LEFT, false);
        if (n <= 16 && values[i] > 0) {
            char v[32];
            snprintf(v, sizeof v, "%g", values[i]);
            text(d, x + slot * (double)i, y + h - bh - 10, slot, v, 6.5, false, CENTER, false);
        }
    }
}

/* Horizontal bars: a label and a value per row. */
static void hbars(doc *d, double x, double y, double w, const char *const *labels, const double *values, size_t n)
{
    double top = 0;
    for (size_t i = 0; i < n; i++)
        top = values[i] > top ? values[i] : top;
    if (top <= 0)
        top = 1;
    double label_w = w * 0.42, bar_w = w - label_w - 30, row = 14;
    for (size_t i = 0; i < n; i++) {
        double ry = y + row * (double)i;
        text(d, x, ry + 1, label_w - 4, labels[i], 7.2, false, RIGHT, false);
        double bw = bar_w * values[i] / top;
        color(d, BLUE);
        cairo_rectangle(d->cr, x + label_w, ry + 2, bw, row - 4);
        cairo_fill(d->cr);
        color(d, INK);
        char v[32];
        snprintf(v, sizeof v, "%g", values[i]);
        text(d, x + label_w + bw + 3, ry + 1, 40, v, 7, false, LEFT, false);
    }
}

/* Two bars per stage: this period (blue) and the year before (grey). */
static void against(doc *d, double x, double y, double w, double h, const report_figures *f)
{
    static const char *const short_vi[] = {"Phát hiện", "Phân loại", "Xác minh", "Loại bỏ", "Xử lý", "Chuyển"};
    static const char *const short_en[] = {"Received", "Classified", "Verified", "Dismissed", "Handled", "Transferred"};
    double top = 0;
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        top = (double)f->stage[s] > top ? (double)f->stage[s] : top;
        top = (double)f->baseline.stage[s] > top ? (double)f->baseline.stage[s] : top;
    }
    top = nice_max(top);
    axis_grid(d, x, y, w, h, top);
    double slot = w / REPORT_STAGE_COUNT, bar = slot * 0.32;
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        double bx = x + slot * s + slot * 0.15;
        double now = h * (double)f->stage[s] / top, before = h * (double)f->baseline.stage[s] / top;
        color(d, BLUE);
        cairo_rectangle(d->cr, bx, y + h - now, bar, now);
        cairo_fill(d->cr);
        color(d, GREY);
        cairo_rectangle(d->cr, bx + bar + 2, y + h - before, bar, before);
        cairo_fill(d->cr);
        color(d, INK);
        text(d, x + slot * s, y + h + 2, slot, d->vi ? short_vi[s] : short_en[s], 6.8, false, CENTER, false);
    }
    /* the key */
    double ky = y - 14;
    color(d, BLUE);
    cairo_rectangle(d->cr, x + w - 200, ky + 2, 8, 8);
    cairo_fill(d->cr);
    color(d, GREY);
    cairo_rectangle(d->cr, x + w - 100, ky + 2, 8, 8);
    cairo_fill(d->cr);
    color(d, INK);
    char a[48], b[48];
    snprintf(a, sizeof a, "%s", d->vi ? "Kỳ này" : "This period");
    snprintf(b, sizeof b, "%s", d->vi ? "Cùng kỳ năm trước" : "A year before");
    text(d, x + w - 188, ky, 85, a, 7, false, LEFT, false);
    text(d, x + w - 88, ky, 100, b, 7, false, LEFT, false);
}

/* ---- the pages ---- */

static void key_figures(doc *d, const report_figures *f)
{
    heading(d, d->vi ? "Số liệu chính" : "Key figures");
    const report_baseline *b = &f->baseline;
    column cols[5] = {{200, LEFT}, {70, RIGHT}, {90, RIGHT}, {75, RIGHT}, {76, CENTER}};
    const char *head[5] = {d->vi ? "Chỉ tiêu" : "Figure", d->vi ? "Kỳ này" : "This period",
                           d->vi ? "Cùng kỳ năm trước" : "A year before", d->vi ? "Thay đổi" : "Change",
                           d->vi ? "Đạt +20%" : "+20% met"};
    table_row(d, cols, 5, head, true, false);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++) {
        char now[32], before[32] = "—", change[32] = "—", met_text[16] = "—";
        u64(now, f->stage[s]);
        double percent;
        bool met;
        if (b->present) {
            u64(before, b->stage[s]);
            if (report_change(f->stage[s], b->stage[s], &percent, &met)) {
                snprintf(change, sizeof change, "%+.1f%%", percent);
                snprintf(met_text, sizeof met_text, "%s", met ? (d->vi ? "Đạt" : "Yes") : (d->vi ? "Chưa đạt" : "No"));
            }
        }
        const char *cells[5] = {report_stage_label((report_stage)s, d->vi), now, before, change, met_text};
        table_row(d, cols, 5, cells, false, s % 2 == 1);
    }
    char line[512];
    if (b->present)
        snprintf(line, sizeof line,
                 d->vi ? "Cùng kỳ năm trước: %s (nguồn: %s)." : "A year before: %s (from the %s).", b->period.label,
                 !strcmp(b->source, "csv") ? (d->vi ? "số liệu nhập từ tệp CSV" : "imported CSV")
                                           : (d->vi ? "sổ vụ việc" : "case register"));
    else
        snprintf(line, sizeof line,
                 d->vi ? "Không có số liệu cùng kỳ năm trước (%s): nhập bằng --baseline." :
                         "No figures for the same period a year before (%s): import them with --baseline.",
                 b->period.label);
    color(d, GREY);
    d->y += text(d, MARGIN, d->y + 3, PAGE_W - 2 * MARGIN, line, 7.5, false, LEFT, true) + 6;
    color(d, INK);
    /* the other figures, two columns of label: value */
    char v[8][64];
    u64(v[0], f->open), u64(v[1], f->open_24h), u64(v[2], f->open_7d), u64(v[3], f->sellers_distinct);
    u64(v[4], f->sellers_repeat);
    double received = (double)f->stage[REPORT_RECEIVED];
    if (received > 0) {
        snprintf(v[5], 64, "%.1f%% (%llu)", 100.0 * (double)f->received_assessed / received,
                 (unsigned long long)f->received_assessed);
        snprintf(v[6], 64, "%.1f%% (%llu)", 100.0 * (double)f->received_closed / received,
                 (unsigned long long)f->received_closed);
    } else {
        snprintf(v[5], 64, "—");
        snprintf(v[6], 64, "—");
    }
    u64(v[7], f->cases_without_seller);
    const char *labels[8][2] = {{"Còn tồn cuối kỳ", "Open at the period's end"},
                                {"Tồn quá 24 giờ", "Open longer than 24 h"},
                                {"Tồn quá 7 ngày", "Open longer than 7 days"},
                                {"Số người bán", "Distinct sellers"},
                                {"Người bán tái phạm", "Repeat offenders"},
                                {"Tỷ lệ đã phân loại", "Share classified"},
                                {"Tỷ lệ đã kết thúc", "Share closed"},
                                {"Vụ việc không rõ người bán", "Cases naming no seller"}};
    room(d, 4 * 14 + 6);
    double half = (PAGE_W - 2 * MARGIN) / 2;
    for (int i = 0; i < 8; i++) {
        double x = MARGIN + (i / 4) * half, y = d->y + (i % 4) * 14;
        text(d, x, y, half - 80, labels[i][d->vi ? 0 : 1], 8.5, false, LEFT, false);
        text(d, x + half - 100, y, 80, v[i], 8.5, true, RIGHT, false);
    }
    d->y += 4 * 14 + 4;
}

static void charts(doc *d, const report_figures *f)
{
    /* cases per day (a yearly report: per month) */
    heading(d, f->period.kind == REPORT_YEARLY ? (d->vi ? "Số vụ việc phát hiện theo tháng" : "Cases received per month")
                                               : (d->vi ? "Số vụ việc phát hiện theo ngày" : "Cases received per day"));
    char labels[400][16];
    const char *label_ptr[400];
    double values[400];
    size_t n = 0;
    if (f->period.kind == REPORT_YEARLY) {
        for (size_t i = 0; i < f->day_count; i++) {
            char date[16];
            report_vietnam_date(f->days[i].start_ms, date);
            int month = (date[5] - '0') * 10 + (date[6] - '0');
            if (n < (size_t)month) {
                n = (size_t)month;
                snprintf(labels[n - 1], 16, "%02d/%.4s", month, date);
                values[n - 1] = 0;
            }
            values[n - 1] += (double)f->days[i].received;
        }
    } else {
        for (size_t i = 0; i < f->day_count && n < 400; i++, n++) {
            char date[16];
            report_vietnam_date(f->days[i].start_ms, date);
            snprintf(labels[n], 16, "%.2s/%.2s", date + 8, date + 5);
            values[n] = (double)f->days[i].received;
        }
    }
    for (size_t i = 0; i < n; i++)
        label_ptr[i] = labels[i];
    room(d, 150);
    bars(d, MARGIN + 36, d->y + 6, PAGE_W - 2 * MARGIN - 40, 110, label_ptr, values, n, n > 16 ? (n + 15) / 16 : 1);
    d->y += 140;
    /* by field and by province, side by side */
    room(d, 190);
    double half = (PAGE_W - 2 * MARGIN) / 2;
    color(d, BLUE);
    text(d, MARGIN, d->y + 8, half, d->vi ? "Phát hiện theo lĩnh vực" : "Received by field", 10, true, LEFT, false);
    text(d, MARGIN + half, d->y + 8, half, d->vi ? "Phát hiện theo tỉnh, thành (10 nhiều nhất)"
                                                 : "Received by province (top 10)",
         10, true, LEFT, false);
    color(d, INK);
    double y = d->y + 28;
    const char *names[16];
    double counts[16];
    size_t k = 0;
    for (size_t i = 0; i < f->by[REPORT_BY_FIELD].count && k < 16; i++, k++) {
        names[k] = report_key_label(REPORT_BY_FIELD, f->by[REPORT_BY_FIELD].rows[i].key, d->vi);
        counts[k] = (double)f->by[REPORT_BY_FIELD].rows[i].stage[REPORT_RECEIVED];
    }
    hbars(d, MARGIN, y, half - 10, names, counts, k);
    double used = 14.0 * (double)k;
    k = 0;
    for (size_t i = 0; i < f->by[REPORT_BY_PROVINCE].count && k < 10; i++) {
        if (!f->by[REPORT_BY_PROVINCE].rows[i].stage[REPORT_RECEIVED])
            continue;
        names[k] = report_key_label(REPORT_BY_PROVINCE, f->by[REPORT_BY_PROVINCE].rows[i].key, d->vi);
        counts[k++] = (double)f->by[REPORT_BY_PROVINCE].rows[i].stage[REPORT_RECEIVED];
    }
    hbars(d, MARGIN + half, y, half, names, counts, k);
    used = used > 14.0 * (double)k ? used : 14.0 * (double)k;
    d->y = y + used + 6;
    /* this period against the year before */
    if (f->baseline.present) {
        heading(d, d->vi ? "So với cùng kỳ năm trước" : "Against the same period a year before");
        room(d, 150);
        against(d, MARGIN + 36, d->y + 20, PAGE_W - 2 * MARGIN - 40, 100, f);
        d->y += 140;
    }
}

static void lists(doc *d, const report_figures *f)
{
    heading(d, d->vi ? "Vụ việc nghiêm trọng trong kỳ" : "Serious cases of the period");
    color(d, GREY);
    d->y += text(d, MARGIN, d->y, PAGE_W - 2 * MARGIN,
                 d->vi ? "Phát hiện trong kỳ với mức độ cao hoặc nghiêm trọng, và vụ việc đã chuyển cơ quan chức năng"
                       : "Received in the period with high or critical severity, and cases transferred",
                 7.5, false, LEFT, true) + 3;
    color(d, INK);
    if (!f->serious_count)
        d->y += text(d, MARGIN, d->y, 400, d->vi ? "Không có." : "None.", 8.5, false, LEFT, false) + 4;
    size_t max = f->period.kind == REPORT_DAILY ? f->serious_count : (f->serious_count < 150 ? f->serious_count : 150);
    for (size_t i = 0; i < max; i++) {
        char line[1024], seen[24], entry[1100];
        report_serious_line(&f->serious[i], d->vi, line, sizeof line);
        report_vietnam_time(f->serious[i].first_seen_ms, seen);
        snprintf(entry, sizeof entry, "%zu. %s  %s", i + 1, seen, line);
        room(d, 24);
        d->y += text(d, MARGIN, d->y, PAGE_W - 2 * MARGIN, entry, 7.8, false, LEFT, true) + 2;
    }
    if (max < f->serious_count) {
        char more[96];
        snprintf(more, sizeof more, d->vi ? "… và %zu vụ việc khác (xem tệp XLSX)" : "… and %zu more (see the XLSX)",
                 f->serious_count - max);
        d->y += text(d, MARGIN, d->y, 400, more, 7.5, false, LEFT, false) + 2;
    }
    heading(d, d->vi ? "Người bán nhiều vụ việc nhất" : "Top sellers");
    column cols[4] = {{80, LEFT}, {261, LEFT}, {85, RIGHT}, {85, RIGHT}};
    const char *head[4] = {d->vi ? "Sàn" : "Platform", d->vi ? "Người bán" : "Seller",
                           d->vi ? "Vụ việc trong kỳ" : "In the period", d->vi ? "Đến cuối kỳ" : "To date"};
    table_row(d, cols, 4, head, true, false);
    for (size_t i = 0; i < f->top_seller_count; i++) {
        char a[32], b[32], who[512];
        u64(a, f->top_sellers[i].cases);
        u64(b, f->top_sellers[i].cases_to_date);
        snprintf(who, sizeof who, "%s (%s)", f->top_sellers[i].name, f->top_sellers[i].id);
        const char *cells[4] = {f->top_sellers[i].platform, who, a, b};
        table_row(d, cols, 4, cells, false, i % 2 == 1);
    }
    heading(d, d->vi ? "Điều chỉnh số liệu kỳ trước" : "Corrections of earlier periods");
    if (!f->correction_count)
        d->y += text(d, MARGIN, d->y, 400, d->vi ? "Không có." : "None.", 8.5, false, LEFT, false) + 4;
    for (size_t i = 0; i < f->correction_count; i++) {
        char line[1024];
        report_correction_line(&f->corrections[i], d->vi, line, sizeof line);
        room(d, 24);
        d->y += text(d, MARGIN, d->y, PAGE_W - 2 * MARGIN, line, 7.8, false, LEFT, true) + 2;
    }
}

report_error report_write_pdf(const report_figures *f, const char *path, bool vi, char *error, size_t error_size)
{
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    doc d = {.vi = vi, .page = 1, .y = MARGIN};
    report_title(&f->period, vi, d.title, sizeof d.title);
    d.surface = cairo_pdf_surface_create(temporary, PAGE_W, PAGE_H);
    if (cairo_surface_status(d.surface) != CAIRO_STATUS_SUCCESS) {
        error_message_set(error, error_size, "%s: %s", temporary, cairo_status_to_string(cairo_surface_status(d.surface)));
        cairo_surface_destroy(d.surface);
        return REPORT_ERROR_WRITE;
    }
    /* the period's end as the document's date: the same figures, the same bytes */
    char date[40], end[16];
    report_vietnam_date(f->period.end_ms - 1, end);
    snprintf(date, sizeof date, "%sT23:59:59+07:00", end);
    cairo_pdf_surface_set_metadata(d.surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
    cairo_pdf_surface_set_metadata(d.surface, CAIRO_PDF_METADATA_MOD_DATE, date);
    cairo_pdf_surface_set_metadata(d.surface, CAIRO_PDF_METADATA_TITLE, d.title);
    cairo_pdf_surface_set_metadata(d.surface, CAIRO_PDF_METADATA_CREATOR, "lscan");
    d.cr = cairo_create(d.surface);
    d.layout = pango_cairo_create_layout(d.cr);
    /* the font must be Noto Sans itself, not a fallback without Vietnamese */
    PangoFontDescription *want = pango_font_description_from_string(FONT " 10");
    PangoFont *font = pango_font_map_load_font(pango_cairo_font_map_get_default(), pango_layout_get_context(d.layout), want);
    PangoFontDescription *got = font ? pango_font_describe(font) : NULL;
    bool have = got && pango_font_description_get_family(got) &&
                !strcmp(pango_font_description_get_family(got), FONT);
    if (got)
        pango_font_description_free(got);
    if (font)
        g_object_unref(font);
    pango_font_description_free(want);
    if (!have) {
        error_message_set(error, error_size, "report: the font %s is not installed (Debian: fonts-noto-core)", FONT);
        g_object_unref(d.layout);
        cairo_destroy(d.cr);
        cairo_surface_destroy(d.surface);
        unlink(temporary);
        return REPORT_ERROR_FONT;
    }
    color(&d, INK);
    d.y += text(&d, MARGIN, d.y, PAGE_W - 2 * MARGIN, d.title, 17, true, LEFT, true) + 2;
    char a[16], b[16], line[512];
    report_vietnam_date(f->period.start_ms, a);
    report_vietnam_date(f->period.end_ms - 1, b);
    if (!strcmp(a, b))
        snprintf(line, sizeof line, vi ? "Kỳ báo cáo: ngày %s (giờ Việt Nam, UTC+7)" : "Period: %s (Vietnam time, UTC+7)", a);
    else
        snprintf(line, sizeof line, vi ? "Kỳ báo cáo: từ %s đến hết %s (giờ Việt Nam, UTC+7)"
                                       : "Period: %s to %s inclusive (Vietnam time, UTC+7)", a, b);
    color(&d, GREY);
    d.y += text(&d, MARGIN, d.y, PAGE_W - 2 * MARGIN, line, 8.5, false, LEFT, true);
    snprintf(line, sizeof line,
             vi ? "Sổ vụ việc: %llu quyết định, mã đầu chuỗi %s" : "Case register: %llu decisions, chain head %s",
             (unsigned long long)f->chain_count, f->chain_head);
    d.y += text(&d, MARGIN, d.y, PAGE_W - 2 * MARGIN, line, 7.5, false, LEFT, true) + 4;
    color(&d, INK);
    key_figures(&d, f);
    charts(&d, f);
    new_page(&d);
    for (int dim = 0; dim < REPORT_DIMENSION_COUNT; dim++)
        breakdown(&d, (report_dimension)dim, &f->by[dim], dim == REPORT_BY_PROVINCE ? 40 : 30);
    lists(&d, f);
    footer(&d);
    cairo_show_page(d.cr);
    g_object_unref(d.layout);
    cairo_destroy(d.cr);
    cairo_surface_finish(d.surface);
    cairo_status_t status = cairo_surface_status(d.surface);
    cairo_surface_destroy(d.surface);
    if (status != CAIRO_STATUS_SUCCESS || rename(temporary, path) != 0) {
        error_message_set(error, error_size, "%s: %s", path,
                          status != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(status) : strerror(errno));
        unlink(temporary);
        return REPORT_ERROR_WRITE;
    }
    return REPORT_OK;
}
