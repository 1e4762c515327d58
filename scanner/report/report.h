/* report: the figures the provincial plans ask for (docs/reports.md) —
 * a daily quick report, the monthly and yearly reports, and the peak
 * campaign against the year before — computed from the case register and
 * written as CSV, XLSX (libxlsxwriter) and a printable PDF (cairo + pango).
 *
 * The register is read through a connection of this module's own, opened
 * read-only (SQLITE_OPEN_READONLY), inside one read transaction, so every
 * figure of one report comes from one snapshot of the register even while
 * intake and reviewers write. It reads register schema 2 (docs/cases.md,
 * "Tables"): cases, decisions, chain_head; a register of another version is
 * refused with REPORT_ERROR_SCHEMA.
 *
 * Counting (docs/reports.md, "Counting rules"): a case counts once per
 * stage, in the period in which it FIRST reached that stage (received: its
 * first sighting; the others: the time of its first decision of that
 * action), whatever happened later; so a closed period regenerated later
 * gives the same figures, and later decisions that withdraw a stage counted
 * in an earlier period are listed as corrections of the period they are made
 * in. Days are Vietnam days (UTC+7).
 *
 * Library code: nothing here prints. Thread-safety: a report handle is
 * immutable after report_create and may be read (and written out) from
 * several threads at once; report_create itself is reentrant. */
#ifndef LSCAN_REPORT_H
#define LSCAN_REPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/base/bytebuf.h"

typedef enum report_error {
    REPORT_OK = 0,
    REPORT_ERROR_DATABASE,   /* SQLite failed reading the register (the message says how) */
    REPORT_ERROR_SCHEMA,     /* not a register of schema 2 */
    REPORT_ERROR_PERIOD,     /* a --date that does not name a day, month or year of that report */
    REPORT_ERROR_BASELINE,   /* the baseline CSV is unreadable or not in the template (the message names the line) */
    REPORT_ERROR_WRITE,      /* an output file could not be written */
    REPORT_ERROR_FONT,       /* the PDF's font is missing (fonts-noto-core) */
    REPORT_ERROR_CANCELLED,  /* report_options.cancel turned true */
    REPORT_ERROR_MEMORY
} report_error;

/* A short English phrase for the error ("cannot write the file"); static. */
const char *report_strerror(report_error e);

/* ---- periods ---------------------------------------------------------------------------- */

/* REPORT_RANGE: any run of whole days (at most 366), e.g. the console's
 * dashboard window "the last 30 days up to today". */
typedef enum report_period_kind {
    REPORT_DAILY = 0, REPORT_MONTHLY, REPORT_YEARLY, REPORT_CAMPAIGN, REPORT_RANGE, REPORT_KIND_COUNT
} report_period_kind;

/* "daily", "monthly", "yearly", "campaign", "range"; and back (REPORT_KIND_COUNT when unknown). */
const char *report_period_kind_name(report_period_kind k);
report_period_kind report_period_kind_named(const char *name);

/* The peak campaign's days of the year (default 7 May to 30 May, inclusive). */
typedef struct report_campaign_days {
    int start_month, start_day, end_month, end_day;   /* all 0: the default */
} report_campaign_days;

typedef struct report_period {
    report_period_kind kind;
    int64_t start_ms, end_ms;  /* [start, end): UTC ms of Vietnam midnights */
    char label[32];            /* "2026-05-07", "2026-05", "2026", "2026-05-07..2026-05-30" (campaign, range) */
} report_period;

/* The period of a report. `date`: daily YYYY-MM-DD, monthly YYYY-MM, yearly
 * YYYY, campaign YYYY (the campaign of that year), range
 * YYYY-MM-DD..YYYY-MM-DD (both days included, at most 366); NULL: the last
 * complete day or month before now_ms (the scheduled reports), the current
 * year, the latest campaign that has begun, the last 30 days up to today.
 * REPORT_ERROR_PERIOD with a message when `date` is not of the right form. */
report_error report_period_make(report_period_kind kind, const char *date, const report_campaign_days *campaign,
                                int64_t now_ms, report_period *out, char *error, size_t error_size);
/* The last `days` Vietnam days up to and including the day of now_ms
 * (days clamped to 1..366): the console's dashboard window. */
void report_period_last_days(int days, int64_t now_ms, report_period *out);
/* The same period one year before (29 February: the 28th). */
report_period report_period_year_before(const report_period *p, const report_campaign_days *campaign);

/* ---- the figures ---------------------------------------------------------------------- */

/* The stages a case reaches, in the order of the plans. */
typedef enum report_stage {
    REPORT_RECEIVED = 0, REPORT_CLASSIFIED, REPORT_VERIFIED, REPORT_DISMISSED, REPORT_HANDLED, REPORT_TRANSFERRED,
    REPORT_STAGE_COUNT
} report_stage;
const char *report_stage_name(report_stage s);                 /* "received", ... */
const char *report_stage_label(report_stage s, bool vietnamese); /* "Tiếp nhận" / "Received" */

typedef enum report_dimension {
    REPORT_BY_FIELD = 0,   /* kind of right: trademark, gi, ... */
    REPORT_BY_GOODS_GROUP,
    REPORT_BY_PLATFORM,
    REPORT_BY_PROVINCE,    /* a province after the 2025 merger, "abroad" or "unknown" */
    REPORT_DIMENSION_COUNT
} report_dimension;
const char *report_dimension_name(report_dimension d);                 /* "field", "goods_group", ... */
const char *report_dimension_label(report_dimension d, bool vietnamese); /* "Lĩnh vực" / "Field" */
/* A key of a dimension for people: the kind's or goods group's label, a
 * province's name ("abroad" -> "Nước ngoài"), the platform as it is. Static
 * or `key` itself. */
const char *report_key_label(report_dimension d, const char *key, bool vietnamese);

typedef struct report_row {
    char *key;                                /* a code (field, goods group), platform, province */
    uint64_t stage[REPORT_STAGE_COUNT];
} report_row;

typedef struct report_table {
    report_row *rows;                         /* by received (then the other stages) descending, then key */
    size_t count;
} report_table;

typedef struct report_seller {
    char *platform, *id, *name;
    uint64_t cases;                           /* cases received in the period */
    uint64_t cases_to_date;                   /* cases received up to the period's end */
} report_seller;

typedef struct report_serious {
    char *case_id, *platform, *listing_id, *severity, *kind, *province, *seller, *title;
    char *state;                              /* the case's state at the period's end */
    char *unit, *reference;                   /* when transferred in the period; else NULL */
    int64_t first_seen_ms;
    bool transferred;                         /* transferred in the period */
} report_serious;

typedef struct report_correction {
    uint64_t seq;                             /* the decision */
    int64_t at_ms;
    char *case_id, *action, *from_state, *to_state, *title;
    char *withdrawn;                          /* the stage (or "field" for a reclassification) counted before */
    int64_t reached_ms;                       /* when that was reached (an earlier period) */
    char *detail;                             /* reclassify: "kind/goods_group" as set; else "" */
} report_correction;

typedef struct report_day {
    int64_t start_ms;                         /* Vietnam midnight */
    uint64_t received, closed;                /* cases first seen that day; first closed that day */
} report_day;

typedef struct report_baseline {
    bool present;
    char source[16];                          /* "csv" or "register" */
    report_period period;                     /* the same period a year before */
    uint64_t stage[REPORT_STAGE_COUNT];
    report_table by_field;                    /* per field, when known (the CSV may give totals only) */
} report_baseline;

typedef struct report_figures {
    report_period period;
    uint64_t stage[REPORT_STAGE_COUNT];       /* cases that first reached each stage in the period */
    uint64_t open, open_24h, open_7d;         /* open at the period's end; of those, first seen > 24 h / 7 d before */
    uint64_t received_assessed;               /* of the period's received: classified or dismissed by its end */
    uint64_t received_closed;                 /* of the period's received: dismissed, handled or transferred by its end */
    report_table by[REPORT_DIMENSION_COUNT];
    uint64_t sellers_distinct;                /* sellers (platform + seller id) of the period's received cases */
    uint64_t sellers_repeat;                  /* of those, with more than one case up to the period's end */
    uint64_t cases_without_seller;            /* received cases whose listing names no seller */
    report_seller *top_sellers;
    size_t top_seller_count;
    report_serious *serious;                  /* received with high/critical severity, or transferred, in the period */
    size_t serious_count;
    report_correction *corrections;
    size_t correction_count;
    report_day *days;                         /* the chart's days: the period's (daily: the 14 ending on it) */
    size_t day_count;
    report_baseline baseline;
    uint64_t chain_count;                     /* the decision chain at the time of the report */
    char chain_head[65];
} report_figures;

typedef struct report_options {
    const char *baseline_csv;                 /* the template of docs/reports.md; NULL: from the register */
    report_campaign_days campaign;
    size_t top_sellers;                       /* 0: 10 */
    const atomic_bool *cancel;                /* when it turns true, report_create gives up (REPORT_ERROR_CANCELLED) */
} report_options;

typedef struct report report;

/* Computes the figures of `period` from the register at `register_path`
 * (opened read-only; the file must exist). *out is the caller's, freed with
 * report_destroy. On failure *out is NULL and `error` says why. */
report_error report_create(const char *register_path, const report_period *period, const report_options *options,
                           report **out, char *error, size_t error_size);
/* Frees the report; NULL is a no-op. */
void report_destroy(report *r);
/* The figures, owned by the report (valid until report_destroy). */
const report_figures *report_figures_of(const report *r);

/* ---- writing ---------------------------------------------------------------------------- */

typedef enum report_format { REPORT_CSV = 0, REPORT_XLSX, REPORT_PDF, REPORT_FORMAT_COUNT } report_format;
const char *report_format_name(report_format f);          /* "csv", "xlsx", "pdf" (the file extension) */
report_format report_format_named(const char *name);      /* or REPORT_FORMAT_COUNT */

/* The file name of a report: "lscan-report-daily-2026-05-07.pdf". */
void report_file_name(const report_period *p, report_format f, char *out, size_t size);

/* Writes the report to `path` in a format, labels in Vietnamese or English.
 * The file is written beside `path` under a temporary name and renamed
 * over it, so a reader never sees half a report, and the same figures give
 * the same bytes (no time of writing inside; the PDF and XLSX carry the
 * period's end as their date). Text from listings (titles, seller names) is
 * written as text: CSV and XLSX cells that begin with = + - @ (or a tab or
 * CR) get a leading apostrophe so no spreadsheet runs them as formulas. */
report_error report_write(const report *r, report_format f, const char *path, bool vietnamese, char *error,
                          size_t error_size);

/* The same, one function per format (report_write calls these). */
report_error report_write_csv(const report_figures *f, const char *path, bool vietnamese, char *error,
                              size_t error_size);
report_error report_write_xlsx(const report_figures *f, const char *path, bool vietnamese, char *error,
                               size_t error_size);
report_error report_write_pdf(const report_figures *f, const char *path, bool vietnamese, char *error,
                              size_t error_size);

/* Appends the figures as one JSON object (docs/reports.md, "JSON"): the
 * console's dashboard shows these, so it and the files never disagree.
 * Lists of cases (serious cases, corrections) are cut to `max_cases` entries
 * each (their full counts are always there). Returns 0, or -1 when `out`
 * overflowed its bound. Thread-safe (reads `f` only). */
int report_json(const report_figures *f, size_t max_cases, bytebuf *out);

/* ---- shared by the writers ----------------------------------------------------------- */

/* The text a spreadsheet cell gets for hostile text: `s`, or "'" + `s` when
 * it begins with = + - @ tab or CR. Appends to out (NUL-terminated, truncated
 * to size). */
void report_cell_text(const char *s, char *out, size_t size);
/* "2026-05-07 14:03" in Vietnam time. */
void report_vietnam_time(int64_t ms, char out[24]);
/* "2026-05-07" in Vietnam time. */
void report_vietnam_date(int64_t ms, char out[16]);
/* The change from the baseline in percent, and whether it is +20% or more;
 * false when there is no baseline or it is 0. */
bool report_change(uint64_t now, uint64_t before, double *percent, bool *target_met);
/* A report period's title for people: "Báo cáo ngày 07/05/2026" / "Daily report 2026-05-07". */
void report_title(const report_period *p, bool vietnamese, char *out, size_t size);

/* One line for a serious case, as the daily quick report lists them:
 * "[critical] shopee · Trademark · Hà Nội · seller: title — transferred to
 * UNIT (REF)"; the title cut to about 100 bytes on a character boundary. */
void report_serious_line(const report_serious *s, bool vietnamese, char *out, size_t size);
/* The report in a few lines of plain text, as the e-mail that carries the
 * files says it (docs/reports.md, "By e-mail"): the title, each stage, the
 * backlog, sellers, the change against last year, the first `max_serious`
 * serious cases and the decision chain's head. Appends to out. */
void report_summary_text(const report_figures *f, bool vietnamese, size_t max_serious, bytebuf *out);
/* One line for a correction: "decision #12, 2026-05-09 10:00: case … verified
 * → dismissed (verified on 2026-05-03)". */
void report_correction_line(const report_correction *k, bool vietnamese, char *out, size_t size);

#endif
