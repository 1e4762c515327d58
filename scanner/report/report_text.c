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
