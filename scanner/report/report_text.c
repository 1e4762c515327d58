/* report_text: the one-line descriptions every format shares (report.h). */
#include <stdio.h>
#include <string.h>

#include "scanner/cases/register.h"
#include "scanner/report/report.h"

/* Copies at most `max` bytes of UTF-8 text, cut on a character boundary,
 * with "…" when cut; control characters become spaces. */
static void cut(const char *s, size_t max, char *out, size_t size)
{
    size_t n = 0, i = 0;
    if (!s)
        s = "";
    while (s[i] && n + 4 < size) {
        if (i >= max) {
            while (n && (out[n - 1] & 0xC0) == 0x80) /* never end inside a character */
                n--;
            if (n && (unsigned char)out[n - 1] >= 0xC0)
                n--;
            memcpy(out + n, "\xE2\x80\xA6", 3);
            n += 3;
            break;
        }
        unsigned char ch = (unsigned char)s[i++];
        out[n++] = ch < 0x20 || ch == 0x7F ? ' ' : (char)ch;
    }
    out[n] = 0;
}

static const char *state_label(const char *name, bool vi)
{
    case_state s = case_state_named(name);
    return s == CASE_STATE_COUNT ? (name ? name : "") : case_state_label(s, vi);
}

void report_serious_line(const report_serious *s, bool vi, char *out, size_t size)
{
    char title[160], seller[80];
    cut(s->title, 100, title, sizeof title);
    cut(s->seller, 40, seller, sizeof seller);
    int n = snprintf(out, size, "[%s] %s · %s · %s · %s: %s", s->severity ? s->severity : "", s->platform,
                     report_key_label(REPORT_BY_FIELD, s->kind, vi), report_key_label(REPORT_BY_PROVINCE, s->province, vi),
                     seller[0] ? seller : (vi ? "không rõ người bán" : "no seller"), title);
    if (n < 0 || (size_t)n >= size)
        return;
    if (s->transferred)
        snprintf(out + n, size - (size_t)n, vi ? " — chuyển %s (%s)" : " — transferred to %s (%s)",
                 s->unit ? s->unit : "", s->reference ? s->reference : "");
    else
        snprintf(out + n, size - (size_t)n, " — %s", state_label(s->state, vi));
}

void report_correction_line(const report_correction *k, bool vi, char *out, size_t size)
{
    char at[24], reached[16], title[120];
    report_vietnam_time(k->at_ms, at);
    report_vietnam_date(k->reached_ms, reached);
    cut(k->title, 60, title, sizeof title);
    if (!strcmp(k->withdrawn, "field"))
        snprintf(out, size,
                 vi ? "QĐ #%llu, %s: vụ việc %s (%s) phân loại lại thành %s (phát hiện ngày %s)"
                    : "decision #%llu, %s: case %s (%s) reclassified as %s (first seen %s)",
                 (unsigned long long)k->seq, at, k->case_id, title, k->detail, reached);
    else
        snprintf(out, size,
                 vi ? "QĐ #%llu, %s: vụ việc %s (%s) %s → %s (đã tính xác minh ngày %s)"
                    : "decision #%llu, %s: case %s (%s) %s → %s (counted verified on %s)",
                 (unsigned long long)k->seq, at, k->case_id, title, state_label(k->from_state, vi),
                 state_label(k->to_state, vi), reached);
}

void report_summary_text(const report_figures *f, bool vi, size_t max_serious, bytebuf *out)
{
    char title[160], line[1024];
    report_title(&f->period, vi, title, sizeof title);
    bytebuf_printf(out, "%s\n\n", title);
    for (int s = 0; s < REPORT_STAGE_COUNT; s++)
        bytebuf_printf(out, "- %s: %llu\n", report_stage_label((report_stage)s, vi), (unsigned long long)f->stage[s]);
    bytebuf_printf(out, vi ? "- Còn tồn cuối kỳ: %llu (quá 24 giờ: %llu, quá 7 ngày: %llu)\n"
                           : "- Open at the period's end: %llu (over 24 h: %llu, over 7 days: %llu)\n",
                   (unsigned long long)f->open, (unsigned long long)f->open_24h, (unsigned long long)f->open_7d);
    bytebuf_printf(out, vi ? "- Người bán: %llu, tái phạm: %llu\n" : "- Sellers: %llu, repeat offenders: %llu\n",
                   (unsigned long long)f->sellers_distinct, (unsigned long long)f->sellers_repeat);
    double percent;
    bool met;
    if (f->baseline.present &&
        report_change(f->stage[REPORT_RECEIVED], f->baseline.stage[REPORT_RECEIVED], &percent, &met))
        bytebuf_printf(out, vi ? "- So với cùng kỳ năm trước (%llu vụ): %+.1f%%, %s mục tiêu +20%%\n"
                               : "- Against the same period last year (%llu cases): %+.1f%%, +20%% target %s\n",
                       (unsigned long long)f->baseline.stage[REPORT_RECEIVED], percent,
                       vi ? (met ? "đạt" : "chưa đạt") : (met ? "met" : "not met"));
    if (f->serious_count) {
        bytebuf_printf(out, vi ? "\nVụ việc nghiêm trọng (%zu):\n" : "\nSerious cases (%zu):\n", f->serious_count);
        for (size_t i = 0; i < f->serious_count && i < max_serious; i++) {
            report_serious_line(&f->serious[i], vi, line, sizeof line);
            bytebuf_printf(out, "%zu. %s\n", i + 1, line);
        }
        if (f->serious_count > max_serious)
            bytebuf_printf(out, vi ? "… và %zu vụ khác trong tệp đính kèm\n" : "… and %zu more in the attachments\n",
                           f->serious_count - max_serious);
    }
    if (f->correction_count)
        bytebuf_printf(out, vi ? "\nĐiều chỉnh số liệu kỳ trước: %zu (xem tệp đính kèm)\n"
                               : "\nCorrections of earlier periods: %zu (see the attachments)\n",
                       f->correction_count);
    bytebuf_printf(out, vi ? "\nChuỗi quyết định: %llu quyết định, mã cuối %s\n"
                           : "\nDecision chain: %llu decisions, head %s\n",
                   (unsigned long long)f->chain_count, f->chain_head);
}
