/* register: see register.h and docs/cases.md. */
#include "scanner/cases/register.h"

#include <cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "rules/base/error_message.h"
#include "rules/base/hex.h"
#include "rules/pack.h"
#include "rules/text/province.h"
#include "scanner/record/flag_read.h"
#include "scanner/record/listing.h"

#define SCHEMA_VERSION 3
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define BUSY_TIMEOUT_MS 10000
#define LIST_COUNT_CAP 10000   /* a list's total is counted up to this, then said to be more */

#define STATEMENT_CACHE 64

typedef struct cached_statement {
    char *sql;                  /* NULL: a free slot */
    sqlite3_stmt *st;
    bool in_use;
} cached_statement;

struct case_register {
    pthread_mutex_t lock;       /* guards db, statements and every statement on it */
    cached_statement statements[STATEMENT_CACHE];
    sqlite3 *db;
    province_table *provinces;
    char *path;
    pthread_mutex_t checkpoint_lock; /* guards checkpoint_db */
    pthread_mutex_t group_lock; /* guards queue_head, queue_tail, leading (group commit of decisions) */
    pthread_cond_t group_done;
    struct pending_decision *queue_head, *queue_tail;
    bool leading;
    sqlite3 *checkpoint_db;     /* a second connection, so a checkpoint does not hold `lock` */
};

/* ---- names and lists ---------------------------------------------------------------- */

static const char *const state_names[CASE_STATE_COUNT] = {"received", "classified", "verified", "dismissed",
                                                          "needs_info", "handled", "transferred"};
static const char *const action_names[ACTION_COUNT] = {"classify", "verify", "dismiss", "need_info",
                                                       "handle", "transfer", "reclassify"};

const char *case_state_name(case_state s) { return (unsigned)s < CASE_STATE_COUNT ? state_names[s] : "unknown"; }
const char *case_action_name(case_action a) { return (unsigned)a < ACTION_COUNT ? action_names[a] : "unknown"; }

static const char *const state_labels[CASE_STATE_COUNT][2] = {
    {"Tiếp nhận", "Received"},          {"Đã phân loại", "Classified"}, {"Đã xác minh vi phạm", "Verified"},
    {"Không vi phạm (loại)", "Dismissed"}, {"Cần thêm thông tin", "Needs information"},
    {"Đã xử lý", "Handled"},            {"Đã chuyển giao", "Transferred"}};

const char *case_state_label(case_state s, bool vietnamese)
{
    return (unsigned)s < CASE_STATE_COUNT ? state_labels[s][vietnamese ? 0 : 1] : vietnamese ? "Không rõ" : "Unknown";
}

case_state case_state_named(const char *name)
{
    for (int s = 0; name && s < CASE_STATE_COUNT; s++)
        if (!strcmp(state_names[s], name))
            return (case_state)s;
    return CASE_STATE_COUNT;
}

case_action case_action_named(const char *name)
{
    for (int a = 0; name && a < ACTION_COUNT; a++)
        if (!strcmp(action_names[a], name))
            return (case_action)a;
    return ACTION_COUNT;
}

const char *register_strerror(register_error e)
{
    switch (e) {
    case REGISTER_OK: return "ok";
    case REGISTER_ERROR_DATABASE: return "the register's database failed";
    case REGISTER_ERROR_SCHEMA: return "not a register of this version of lscan";
    case REGISTER_ERROR_NOT_FOUND: return "no such case";
    case REGISTER_ERROR_TRANSITION: return "not allowed in the case's state";
    case REGISTER_ERROR_BAD_INPUT: return "a field is missing or not from its list";
    case REGISTER_ERROR_CLAIMED: return "another reviewer holds the case";
    case REGISTER_ERROR_MEMORY: return "out of memory";
    }
    return "unknown error";
}

static const register_reason verify_reasons[] = {
    {"counterfeit", "Hàng giả, hàng nhái nhãn hiệu", "Counterfeit goods"},
    {"origin_misuse", "Sử dụng sai chỉ dẫn địa lý / nguồn gốc", "Misused geographical indication or origin"},
    {"false_claim", "Khẳng định sai (OCOP, chứng nhận, chính hãng)", "False claim (OCOP, certification, genuine)"},
    {"piracy", "Vi phạm quyền tác giả, quyền liên quan", "Copyright piracy"},
    {"unauthorized_use", "Sử dụng nhãn hiệu không được phép", "Unauthorized use of a mark"},
    {"seed_variety", "Kinh doanh giống cây trồng được bảo hộ trái phép", "Unlicensed protected plant variety"},
    {"other", "Lý do khác (ghi rõ)", "Other (explain in the note)"}};
static const register_reason dismiss_reasons[] = {
    {"authorized_seller", "Người bán được ủy quyền", "Authorized seller"},
    {"genuine_product", "Hàng chính hãng", "Genuine product"},
    {"accessory", "Phụ kiện / hàng tương thích", "Accessory or compatible product"},
    {"rule_too_broad", "Quy tắc quá rộng", "Rule too broad"},
    {"not_a_sale", "Không phải tin bán hàng", "Not a sale"},
    {"duplicate", "Trùng với vụ việc khác", "Duplicate of another case"},
    {"other", "Lý do khác (ghi rõ)", "Other (explain in the note)"}};
static const register_reason handle_measures[] = {
    {"takedown_request", "Đã gửi yêu cầu gỡ bỏ tin đăng", "Takedown request sent"},
    {"administrative_measure", "Xử lý vi phạm hành chính", "Administrative measure"},
    {"warning", "Nhắc nhở, cảnh báo người bán", "Warning to the seller"},
    {"other", "Biện pháp khác (ghi rõ)", "Other (explain in the note)"}};

const register_reason *register_reasons(case_action a, size_t *count)
{
    switch (a) {
    case ACTION_VERIFY: *count = sizeof verify_reasons / sizeof *verify_reasons; return verify_reasons;
    case ACTION_DISMISS: *count = sizeof dismiss_reasons / sizeof *dismiss_reasons; return dismiss_reasons;
    case ACTION_HANDLE: *count = sizeof handle_measures / sizeof *handle_measures; return handle_measures;
    default: *count = 0; return NULL;
    }
}

static bool known_reason(case_action a, const char *code)
{
    size_t n;
    const register_reason *list = register_reasons(a, &n);
    for (size_t i = 0; code && i < n; i++)
        if (!strcmp(list[i].code, code))
            return true;
    return false;
}

static int severity_rank(const char *s)
{
    return !s ? 0 : !strcmp(s, "critical") ? 4 : !strcmp(s, "high") ? 3 : !strcmp(s, "medium") ? 2 : !strcmp(s, "low") ? 1 : 0;
}

/* ---- time ----------------------------------------------------------------------- */

static void rfc3339(int64_t ms, char out[32])
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" -> ms; -1 when it is not that. */
static int64_t parse_rfc3339(const char *s)
{
    if (!s)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int year, month, day, hour, minute, second;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute, &second) != 6)
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t t = timegm(&tm);
    return t < 0 ? -1 : (int64_t)t * 1000;
}

/* ---- SQLite ----------------------------------------------------------------------- */

static register_error db_error(case_register *r, char *error, size_t error_size, const char *what)
{
    error_message_set(error, error_size, "register: %s: %s", what, sqlite3_errmsg(r->db));
    return REGISTER_ERROR_DATABASE;
}

static int exec(case_register *r, const char *sql)
{
    return sqlite3_exec(r->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Statements are prepared once and kept (STATEMENT_CACHE of them, by their
 * SQL text): the queue and the console run the same few statements
 * thousands of times. `lock` held. finish() gives one back. */
static sqlite3_stmt *prepare(case_register *r, const char *sql)
{
    size_t free_slot = STATEMENT_CACHE;
    for (size_t i = 0; i < STATEMENT_CACHE; i++) {
        cached_statement *c = &r->statements[i];
        if (!c->sql) {
            if (free_slot == STATEMENT_CACHE)
                free_slot = i;
        } else if (!c->in_use && !strcmp(c->sql, sql)) {
            c->in_use = true;
            return c->st;
        }
    }
    sqlite3_stmt *st = NULL;
    bool keep = free_slot < STATEMENT_CACHE;
    if (sqlite3_prepare_v3(r->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK)
        return NULL;
    if (keep && (r->statements[free_slot].sql = strdup(sql))) {
        r->statements[free_slot].st = st;
        r->statements[free_slot].in_use = true;
    }
    return st;
}

/* Ends a statement from prepare(): a kept one is reset for next time. */
static void finish(case_register *r, sqlite3_stmt *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < STATEMENT_CACHE; i++)
        if (r->statements[i].st == st && r->statements[i].sql) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            r->statements[i].in_use = false;
            return;
        }
    sqlite3_finalize(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
    if (text)
        sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static const char *column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static const char *const schema_v1[] = {
    "CREATE TABLE cases ("
    " case_id TEXT PRIMARY KEY, platform TEXT NOT NULL, listing_id TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'received', kind TEXT NOT NULL, goods_group TEXT NOT NULL,"
    " severity TEXT NOT NULL, severity_rank INTEGER NOT NULL, province TEXT NOT NULL, location_raw TEXT,"
    " seller_id TEXT, seller_name TEXT, seller_official INTEGER NOT NULL DEFAULT 0,"
    " title TEXT NOT NULL, url TEXT, price REAL, currency TEXT, campaign TEXT NOT NULL DEFAULT '',"
    " first_seen TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen TEXT NOT NULL,"
    " sightings INTEGER NOT NULL DEFAULT 0, flag_id TEXT NOT NULL, flag TEXT NOT NULL,"
    " claimed_by TEXT, claim_expires INTEGER, due TEXT, decided_at TEXT)",
    "CREATE INDEX cases_queue ON cases(severity_rank DESC, first_seen_ms)"
    " WHERE state IN ('received', 'classified', 'verified')",
    "CREATE INDEX cases_state ON cases(state, last_seen)",
    "CREATE INDEX cases_last_seen ON cases(last_seen)",
    "CREATE INDEX cases_seller ON cases(platform, seller_id)",
    "CREATE INDEX cases_first_seen ON cases(first_seen_ms)",
    "CREATE INDEX cases_claimed ON cases(claimed_by, claim_expires) WHERE claimed_by IS NOT NULL",
    /* keyed by case first: a case's sightings are together, and no other
     * index is written per sighting */
    "CREATE TABLE sightings ("
    " case_id TEXT NOT NULL, flag_id TEXT NOT NULL, scan_id TEXT NOT NULL DEFAULT '', seen_at TEXT NOT NULL,"
    " rules TEXT NOT NULL, price REAL, evidence TEXT, stream_id TEXT, PRIMARY KEY (case_id, flag_id, scan_id))"
    " WITHOUT ROWID",
    "CREATE TABLE orphan_sightings (case_id TEXT NOT NULL, flag_id TEXT NOT NULL, scan_id TEXT NOT NULL,"
    " body TEXT NOT NULL, stream_id TEXT, PRIMARY KEY (case_id, flag_id, scan_id))",
    "CREATE TABLE decisions ("
    " seq INTEGER PRIMARY KEY, case_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " from_state TEXT NOT NULL, to_state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',"
    " note TEXT NOT NULL DEFAULT '', transfer_unit TEXT, transfer_reference TEXT,"
    " details TEXT NOT NULL DEFAULT '{}', prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
    " published INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX decisions_case ON decisions(case_id, seq)",
    "CREATE INDEX decisions_unpublished ON decisions(seq) WHERE published = 0",
    "CREATE TABLE chain_head (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL, hash TEXT NOT NULL)",
    /* cases by state, kept by triggers: the queue's counts without reading a million rows */
    "CREATE TABLE state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO state_counts VALUES ('received', 0), ('classified', 0), ('verified', 0), ('dismissed', 0),"
    " ('needs_info', 0), ('handled', 0), ('transferred', 0)",
    "CREATE TRIGGER cases_counted AFTER INSERT ON cases BEGIN"
    " UPDATE state_counts SET n = n + 1 WHERE state = new.state; END",
    "CREATE TRIGGER cases_recounted AFTER UPDATE OF state ON cases WHEN old.state != new.state BEGIN"
    " UPDATE state_counts SET n = n - 1 WHERE state = old.state;"
    " UPDATE state_counts SET n = n + 1 WHERE state = new.state; END",
    "CREATE TRIGGER cases_uncounted AFTER DELETE ON cases BEGIN"
    " UPDATE state_counts SET n = n - 1 WHERE state = old.state; END",
    "INSERT INTO chain_head VALUES (1, 0, '" ZERO_HASH "')",
};

/* Schema 2: what the console needs. The first decision's time (the share of
 * cases decided within 24 hours), the queue's index by first sighting,
 * the platforms and campaigns seen (filters), sightings and decisions by
 * time (the dashboard and reports). */
static const char *const schema_v2[] = {
    "ALTER TABLE cases ADD COLUMN first_decided_ms INTEGER",
    "UPDATE cases SET first_decided_ms = (SELECT CAST(strftime('%s', min(d.at)) AS INTEGER) * 1000 FROM decisions d"
    " WHERE d.case_id = cases.case_id)",
    "DROP INDEX cases_state",
    "DROP INDEX cases_last_seen",
    "CREATE INDEX cases_state ON cases(state, first_seen_ms)",
    "CREATE TABLE facets (facet TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (facet, value)) WITHOUT ROWID",
    "INSERT OR IGNORE INTO facets SELECT 'platform', platform FROM cases",
    "INSERT OR IGNORE INTO facets SELECT 'campaign', campaign FROM cases",
    "CREATE TRIGGER cases_faceted AFTER INSERT ON cases BEGIN"
    " INSERT OR IGNORE INTO facets VALUES ('platform', new.platform), ('campaign', new.campaign); END",
    "CREATE INDEX sightings_seen ON sightings(seen_at)",
    "CREATE INDEX decisions_at ON decisions(at)",
};

/* Schema 3: whether the case was re-checked since its last decision. Times
 * are kept to the second, so "a re-check at or after decided_at" took a
 * re-check made a moment before a decision, in the same second, for one
 * made after it (and a handled case was then never due). The re-check sets
 * it, every decision clears it. */
static const char *const schema_v3[] = {
    "ALTER TABLE cases ADD COLUMN rechecked INTEGER NOT NULL DEFAULT 0",
    "UPDATE cases SET rechecked = EXISTS (SELECT 1 FROM sightings s WHERE s.case_id = cases.case_id"
    " AND s.flag_id = '" REGISTER_RECHECK_FLAG "' AND s.seen_at >= cases.decided_at) WHERE decided_at IS NOT NULL",
};

/* Forward migrations: user_version N -> SCHEMA_VERSION, in one transaction. */
static int migrate(case_register *r, char *error, size_t error_size)
{
    sqlite3_stmt *st = prepare(r, "PRAGMA user_version");
    int version = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    finish(r, st);
    if (version < 0) {
        db_error(r, error, error_size, "cannot read the schema version");
        return -1;
    }
    if (version > SCHEMA_VERSION) {
        error_message_set(error, error_size, "register: schema version %d is newer than this lscan's (%d)", version,
                          SCHEMA_VERSION);
        return -2;
    }
    if (version == SCHEMA_VERSION)
        return 0;
    if (exec(r, "BEGIN IMMEDIATE") < 0) {
        db_error(r, error, error_size, "cannot start the migration");
        return -1;
    }
    static const struct {
        const char *const *statements;
        size_t count;
    } steps[SCHEMA_VERSION] = {{schema_v1, sizeof schema_v1 / sizeof *schema_v1},
                               {schema_v2, sizeof schema_v2 / sizeof *schema_v2},
                               {schema_v3, sizeof schema_v3 / sizeof *schema_v3}};
    for (int step = version; step < SCHEMA_VERSION; step++)
        for (size_t i = 0; i < steps[step].count; i++)
            if (exec(r, steps[step].statements[i]) < 0) {
                char what[64];
                snprintf(what, sizeof what, "cannot migrate the schema to version %d", step + 1);
                db_error(r, error, error_size, what);
                exec(r, "ROLLBACK");
                return -1;
            }
    char set[64];
    snprintf(set, sizeof set, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if (exec(r, set) < 0 || exec(r, "COMMIT") < 0) {
        db_error(r, error, error_size, "cannot finish the migration");
        exec(r, "ROLLBACK");
        return -1;
    }
    return 0;
}

case_register *register_open(const char *path, const normalizer *n, char *error, size_t error_size)
{
    case_register *r = calloc(1, sizeof *r);
    if (!r) {
        error_message_set(error, error_size, "register: out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->checkpoint_lock, NULL);
    pthread_mutex_init(&r->group_lock, NULL);
    pthread_cond_init(&r->group_done, NULL);
    r->path = strdup(path);
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        error_message_set(error, error_size, "register %s: %s", path, r->db ? sqlite3_errmsg(r->db) : "out of memory");
        register_close(r);
        return NULL;
    }
    sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
    sqlite3_stmt *st = prepare(r, "PRAGMA journal_mode = WAL");
    const char *mode = st && sqlite3_step(st) == SQLITE_ROW ? column_text(st, 0) : NULL;
    bool wal = mode && !strcmp(mode, "wal");
    finish(r, st);
    /* a page cache and a memory map big enough for the indexes of a campaign's cases: without them every
     * insert re-reads B-tree pages through read(2) */
    if (!wal || exec(r, "PRAGMA synchronous = FULL") < 0 || exec(r, "PRAGMA foreign_keys = ON") < 0 ||
        exec(r, "PRAGMA cache_size = -65536") < 0 || exec(r, "PRAGMA mmap_size = 1073741824") < 0) {
        error_message_set(error, error_size, "register %s: %s", path,
                          wal ? sqlite3_errmsg(r->db) : "not an SQLite database, or WAL mode cannot be set");
        register_close(r);
        return NULL;
    }
    if (migrate(r, error, error_size) < 0 || province_table_create(n, &r->provinces) < 0) {
        if (!error || !error[0])
            error_message_set(error, error_size, "register: out of memory");
        register_close(r);
        return NULL;
    }
    return r;
}

void register_close(case_register *r)
{
    if (!r)
        return;
    if (r->checkpoint_db)
        sqlite3_close(r->checkpoint_db);
    pthread_mutex_destroy(&r->checkpoint_lock);
    pthread_mutex_destroy(&r->group_lock);
    pthread_cond_destroy(&r->group_done);
    free(r->path);
    for (size_t i = 0; i < STATEMENT_CACHE; i++) {
        sqlite3_finalize(r->statements[i].st);
        free(r->statements[i].sql);
    }
    if (r->db)
        sqlite3_close(r->db);
    province_table_destroy(r->provinces);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- intake ------------------------------------------------------------------------ */

static void case_id_of(const char *platform, const char *listing_id, char out[33])
{
    XXH3_state_t *state = XXH3_createState();
    uint64_t h = 0;
    if (state) {
        XXH3_64bits_reset(state);
        XXH3_64bits_update(state, platform, strlen(platform) + 1);
        XXH3_64bits_update(state, listing_id, strlen(listing_id) + 1);
        h = XXH3_64bits_digest(state);
        XXH3_freeState(state);
    } else {
        h = XXH3_64bits(listing_id, strlen(listing_id)) ^ XXH3_64bits(platform, strlen(platform));
    }
    snprintf(out, 33, "%016llx", (unsigned long long)h);
}

/* A scan id's campaign: "peak-2026-05-20260508T010203Z" -> "peak-2026-05". */
static void campaign_of(const char *scan_id, char *out, size_t size)
{
    if (!scan_id) {
        out[0] = '\0';
        return;
    }
    size_t n = strlen(scan_id);
    if (n > 17 && scan_id[n - 17] == '-' && scan_id[n - 8] == 'T' && scan_id[n - 1] == 'Z')
        n -= 17;
    snprintf(out, size, "%.*s", (int)n, scan_id);
}

typedef struct intake_statements {
    sqlite3_stmt *sighting, *upsert, *find_case, *touch, *orphan, *rules_of;
} intake_statements;

/* Ends every statement's step (a RETURNING or SELECT left on its row
 * would keep the transaction from committing). */
static void reset_all(intake_statements *s)
{
    sqlite3_reset(s->sighting);
    sqlite3_reset(s->upsert);
    sqlite3_reset(s->touch);
    sqlite3_reset(s->orphan);
    sqlite3_reset(s->rules_of);
    sqlite3_reset(s->find_case);
}

static void finalize_all(case_register *r, intake_statements *s)
{
    finish(r, s->sighting);
    finish(r, s->upsert);
    finish(r, s->find_case);
    finish(r, s->touch);
    finish(r, s->orphan);
    finish(r, s->rules_of);
}

/* One flag: its sighting (unless already there), and its case opened or joined. */
static int intake_flag(case_register *r, intake_statements *st, const intake_item *item, int64_t now_ms,
                       intake_stats *stats)
{
    flag_record f;
    char why[256];
    if (flag_read(item->flag, item->flag_length, &f, why, sizeof why) < 0) {
        stats->bad++;
        return 0;
    }
    char case_id[33], now_text[32], campaign[200];
    case_id_of(f.platform, f.listing_id, case_id);
    rfc3339(now_ms, now_text);
    const char *seen_at = parse_rfc3339(f.fetched_at) >= 0 ? f.fetched_at : now_text;
    int64_t seen_ms = parse_rfc3339(seen_at);
    campaign_of(f.scan_id, campaign, sizeof campaign);
    /* the rule the case is about: the most severe one (its kind and goods group) */
    const flag_rule_ref *main = NULL;
    bytebuf rules;
    bytebuf_init(&rules, 0);
    bytebuf_append_char(&rules, '[');
    for (size_t i = 0; i < f.rule_count; i++) {
        if (!main || severity_rank(f.rules[i].severity) > severity_rank(main->severity))
            main = &f.rules[i];
        if (i)
            bytebuf_append_char(&rules, ',');
        bytebuf_append_json_string(&rules, f.rules[i].id, strlen(f.rules[i].id));
    }
    bytebuf_append_char(&rules, ']');
    char *evidence = f.evidence ? cJSON_PrintUnformatted(f.evidence) : NULL;
    int rc = -1;
    /* a case id is 64 bits of the listing's identity: two listings sharing
     * one (odds about 3e-8 at a million cases) must not share a case */
    sqlite3_stmt *s = st->find_case;
    sqlite3_reset(s);
    bind_text(s, 1, case_id);
    int found = sqlite3_step(s);
    if (found == SQLITE_ROW && (strcmp(column_text(s, 0) ? column_text(s, 0) : "", f.platform) ||
                                strcmp(column_text(s, 1) ? column_text(s, 1) : "", f.listing_id))) {
        stats->bad++;
        rc = 0;
        goto done;
    }
    if (found != SQLITE_ROW && found != SQLITE_DONE)
        goto done;
    sqlite3_reset(s);
    s = st->sighting;
    sqlite3_reset(s);
    bind_text(s, 1, f.flag_id);
    bind_text(s, 2, f.scan_id ? f.scan_id : "");
    bind_text(s, 3, case_id);
    bind_text(s, 4, seen_at);
    bind_text(s, 5, rules.data);
    if (f.has_price)
        sqlite3_bind_double(s, 6, f.price);
    else
        sqlite3_bind_null(s, 6);
    bind_text(s, 7, evidence);
    bind_text(s, 8, item->stream_id);
    if (sqlite3_step(s) != SQLITE_DONE)
        goto done;
    if (sqlite3_changes(r->db) == 0) { /* this flag was taken in before */
        stats->duplicates++;
        rc = 0;
        goto done;
    }
    s = st->upsert;
    sqlite3_reset(s);
    bind_text(s, 1, case_id);
    bind_text(s, 2, f.platform);
    bind_text(s, 3, f.listing_id);
    bind_text(s, 4, main && main->kind ? main->kind : "trademark");
    bind_text(s, 5, main && main->goods_group ? main->goods_group : "other");
    bind_text(s, 6, f.severity ? f.severity : "medium");
    sqlite3_bind_int(s, 7, severity_rank(f.severity));
    bind_text(s, 8, province_of(r->provinces, f.seller_location));
    bind_text(s, 9, f.seller_location);
    bind_text(s, 10, f.seller_id);
    bind_text(s, 11, f.seller_name);
    sqlite3_bind_int(s, 12, f.seller_official);
    bind_text(s, 13, f.title);
    bind_text(s, 14, f.url);
    if (f.has_price)
        sqlite3_bind_double(s, 15, f.price);
    else
        sqlite3_bind_null(s, 15);
    bind_text(s, 16, f.currency);
    bind_text(s, 17, campaign);
    bind_text(s, 18, seen_at);
    sqlite3_bind_int64(s, 19, seen_ms >= 0 ? seen_ms : now_ms);
    bind_text(s, 20, f.flag_id);
    sqlite3_bind_text(s, 21, item->flag, (int)item->flag_length, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        goto done;
    if (sqlite3_column_int64(s, 0) == 1)
        stats->cases_new++;
    stats->sightings_new++;
    rc = 0;
done:
    reset_all(st);
    cJSON_free(evidence);
    bytebuf_free(&rules);
    flag_record_free(&f);
    return rc;
}

/* A repeat sighting (the flag was pushed before): joins the flag's case. */
static int intake_sighting(case_register *r, intake_statements *st, const char *json, size_t length,
                           const char *stream_id, bool from_orphans, int64_t now_ms, intake_stats *stats)
{
    cJSON *root = cJSON_ParseWithLength(json, length);
    const char *flag_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "flag_id"));
    const char *scan_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "scan_id"));
    const char *seen_at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "seen_at"));
    const char *platform = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "platform"));
    const char *listing_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "listing_id"));
    char now_text[32];
    if (parse_rfc3339(seen_at) < 0) { /* no capture time (a flag without evidence): when it is taken in */
        rfc3339(now_ms, now_text);
        seen_at = now_text;
    }
    if (!flag_id || !*flag_id || !platform || !*platform || !listing_id || !*listing_id) {
        stats->bad++;
        cJSON_Delete(root);
        return 0;
    }
    if (!scan_id)
        scan_id = "";
    char case_id[33];
    case_id_of(platform, listing_id, case_id);
    int rc = -1;
    sqlite3_stmt *s = st->rules_of;
    sqlite3_reset(s);
    bind_text(s, 1, case_id);
    bind_text(s, 2, flag_id);
    int step = sqlite3_step(s);
    if (step == SQLITE_DONE) { /* its flag is not in yet: keep it aside */
        if (!from_orphans) {
            s = st->orphan;
            sqlite3_reset(s);
            bind_text(s, 1, case_id);
            bind_text(s, 2, flag_id);
            bind_text(s, 3, scan_id);
            sqlite3_bind_text(s, 4, json, (int)length, SQLITE_TRANSIENT);
            bind_text(s, 5, stream_id);
            if (sqlite3_step(s) != SQLITE_DONE)
                goto done;
            stats->orphans += sqlite3_changes(r->db) > 0;
        }
        rc = 1;
        goto done;
    }
    if (step != SQLITE_ROW)
        goto done;
    char rules_text[4096];
    snprintf(rules_text, sizeof rules_text, "%s", column_text(s, 0) ? column_text(s, 0) : "[]");
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(root, "price");
    const cJSON *evidence_item = cJSON_GetObjectItemCaseSensitive(root, "evidence");
    char *evidence = evidence_item ? cJSON_PrintUnformatted(evidence_item) : NULL;
    s = st->sighting;
    sqlite3_reset(s);
    bind_text(s, 1, flag_id);
    bind_text(s, 2, scan_id);
    bind_text(s, 3, case_id);
    bind_text(s, 4, seen_at);
    bind_text(s, 5, rules_text);
    if (cJSON_IsNumber(price))
        sqlite3_bind_double(s, 6, price->valuedouble);
    else
        sqlite3_bind_null(s, 6);
    bind_text(s, 7, evidence);
    bind_text(s, 8, stream_id);
    step = sqlite3_step(s);
    cJSON_free(evidence);
    if (step != SQLITE_DONE)
        goto done;
    if (sqlite3_changes(r->db) == 0) {
        stats->duplicates++;
        rc = 0;
        goto done;
    }
    s = st->touch;
    sqlite3_reset(s);
    bind_text(s, 1, seen_at);
    bind_text(s, 2, case_id);
    if (sqlite3_step(s) != SQLITE_DONE)
        goto done;
    stats->sightings_new++;
    rc = 0;
done:
    reset_all(st);
    cJSON_Delete(root);
    return rc;
}

register_error register_intake(case_register *r, const intake_item *items, size_t count, int64_t now_ms,
                               intake_stats *stats, char *error, size_t error_size)
{
    intake_stats local = {0};
    if (!stats)
        stats = &local;
    pthread_mutex_lock(&r->lock);
    register_error rc = REGISTER_OK;
    intake_statements st = {
        prepare(r, "INSERT OR IGNORE INTO sightings (flag_id, scan_id, case_id, seen_at, rules, price, evidence,"
                   " stream_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        prepare(r, "INSERT INTO cases (case_id, platform, listing_id, kind, goods_group, severity, severity_rank,"
                   " province, location_raw, seller_id, seller_name, seller_official, title, url, price, currency,"
                   " campaign, first_seen, first_seen_ms, last_seen, sightings, flag_id, flag)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
                   " ?18, 1, ?20, ?21)"
                   " ON CONFLICT (case_id) DO UPDATE SET"
                   " last_seen = max(last_seen, excluded.last_seen), sightings = sightings + 1,"
                   " flag_id = excluded.flag_id, flag = excluded.flag, title = excluded.title, url = excluded.url,"
                   " price = excluded.price, currency = excluded.currency, seller_id = excluded.seller_id,"
                   " seller_name = excluded.seller_name, seller_official = excluded.seller_official,"
                   " location_raw = excluded.location_raw, province = excluded.province,"
                   " severity = CASE WHEN excluded.severity_rank > severity_rank THEN excluded.severity ELSE severity END,"
                   " severity_rank = max(severity_rank, excluded.severity_rank),"
                   " kind = CASE WHEN state = 'received' THEN excluded.kind ELSE kind END,"
                   " goods_group = CASE WHEN state = 'received' THEN excluded.goods_group ELSE goods_group END"
                   " RETURNING sightings"),
        prepare(r, "SELECT platform, listing_id FROM cases WHERE case_id = ?"),
        prepare(r, "UPDATE cases SET last_seen = max(last_seen, ?1), sightings = sightings + 1 WHERE case_id = ?2"),
        prepare(r, "INSERT OR IGNORE INTO orphan_sightings (case_id, flag_id, scan_id, body, stream_id)"
                   " VALUES (?, ?, ?, ?, ?)"),
        prepare(r, "SELECT rules FROM sightings WHERE case_id = ? AND flag_id = ? LIMIT 1")};
    if (!st.sighting || !st.upsert || !st.find_case || !st.touch || !st.orphan || !st.rules_of) {
        rc = db_error(r, error, error_size, "cannot prepare the intake");
        goto out;
    }
    if (exec(r, "BEGIN IMMEDIATE") < 0) {
        rc = db_error(r, error, error_size, "cannot start the intake");
        goto out;
    }
    for (size_t i = 0; i < count && rc == REGISTER_OK; i++) {
        int step = items[i].flag ? intake_flag(r, &st, &items[i], now_ms, stats)
                                 : intake_sighting(r, &st, items[i].sighting, items[i].sighting_length,
                                                   items[i].stream_id, false, now_ms, stats);
        if (step < 0)
            rc = db_error(r, error, error_size, "cannot take a flag in");
    }
    /* repeats whose flag has come meanwhile: read first, then joined and
     * dropped (not while the query that found them is still stepping) */
    sqlite3_stmt *orphans = rc == REGISTER_OK ? prepare(r, "SELECT o.flag_id, o.scan_id, o.body, o.stream_id FROM "
                                                           "orphan_sightings o WHERE EXISTS (SELECT 1 FROM sightings s "
                                                           "WHERE s.case_id = o.case_id AND s.flag_id = o.flag_id) "
                                                           "LIMIT 10000")
                                              : NULL;
    typedef struct kept {
        char *flag_id, *scan_id, *body, *stream_id;
    } kept;
    kept *found = NULL;
    size_t found_count = 0, found_capacity = 0;
    int step;
    while (orphans && (step = sqlite3_step(orphans)) == SQLITE_ROW) {
        if (found_count == found_capacity) {
            size_t capacity = found_capacity ? found_capacity * 2 : 16;
            kept *grown = realloc(found, capacity * sizeof *grown);
            if (!grown)
                break;
            found = grown;
            found_capacity = capacity;
        }
        kept *k = &found[found_count++];
        k->flag_id = strdup(column_text(orphans, 0) ? column_text(orphans, 0) : "");
        k->scan_id = strdup(column_text(orphans, 1) ? column_text(orphans, 1) : "");
        k->body = strdup(column_text(orphans, 2) ? column_text(orphans, 2) : "");
        k->stream_id = column_text(orphans, 3) ? strdup(column_text(orphans, 3)) : NULL;
        if (!k->flag_id || !k->scan_id || !k->body) {
            rc = REGISTER_ERROR_MEMORY;
            error_message_set(error, error_size, "register: out of memory");
        }
    }
    finish(r, orphans);
    for (size_t i = 0; i < found_count && rc == REGISTER_OK; i++) {
        kept *k = &found[i];
        if (intake_sighting(r, &st, k->body, strlen(k->body), k->stream_id, true, now_ms, stats) < 0) {
            rc = db_error(r, error, error_size, "cannot join a kept sighting");
            break;
        }
        sqlite3_stmt *del = prepare(r, "DELETE FROM orphan_sightings WHERE flag_id = ? AND scan_id = ?");
        bind_text(del, 1, k->flag_id);
        bind_text(del, 2, k->scan_id);
        if (!del || sqlite3_step(del) != SQLITE_DONE)
            rc = db_error(r, error, error_size, "cannot drop a kept sighting");
        finish(r, del);
        stats->orphans -= stats->orphans > 0;
    }
    for (size_t i = 0; i < found_count; i++) {
        free(found[i].flag_id);
        free(found[i].scan_id);
        free(found[i].body);
        free(found[i].stream_id);
    }
    free(found);
    if (rc == REGISTER_OK && exec(r, "COMMIT") < 0)
        rc = db_error(r, error, error_size, "cannot commit the intake");
    if (rc != REGISTER_OK)
        exec(r, "ROLLBACK");
out:
    finalize_all(r, &st);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- filters ------------------------------------------------------------------------ */

/* Appends " AND ..." for each filter set, binding from parameter *next on. */
typedef struct where_clause {
    bytebuf sql;
    const char *values[32];
    int64_t numbers[4];
    int value_count, number_count;
    int order[36];          /* 0: a text value, 1: a number, in parameter order */
    int parameters;
} where_clause;

static void where_text(where_clause *w, const char *sql, const char *value)
{
    bytebuf_append_string(&w->sql, sql);
    w->values[w->value_count++] = value;
    w->order[w->parameters++] = 0;
}

static void where_number(where_clause *w, const char *sql, int64_t value)
{
    bytebuf_append_string(&w->sql, sql);
    w->numbers[w->number_count++] = value;
    w->order[w->parameters++] = 1;
}

static void build_where(where_clause *w, const case_filter *f, int64_t now_ms)
{
    memset(w, 0, sizeof *w);
    bytebuf_init(&w->sql, 0);
    bytebuf_append_string(&w->sql, " WHERE 1");
    if (!f)
        return;
    if (f->state && *f->state)
        where_text(w, " AND state = ?", f->state);
    if (f->kind && *f->kind)
        where_text(w, " AND kind = ?", f->kind);
    if (f->goods_group && *f->goods_group)
        where_text(w, " AND goods_group = ?", f->goods_group);
    if (f->platform && *f->platform)
        where_text(w, " AND platform = ?", f->platform);
    if (f->province && *f->province)
        where_text(w, " AND province = ?", f->province);
    if (f->campaign && *f->campaign)
        where_text(w, " AND campaign = ?", f->campaign);
    if (f->severity && *f->severity)
        where_text(w, " AND severity = ?", f->severity);
    if (f->reviewer && *f->reviewer)
        where_text(w, " AND case_id IN (SELECT case_id FROM decisions WHERE actor = ?)", f->reviewer);
    if (f->seller_platform && f->seller_id) {
        where_text(w, " AND platform = ?", f->seller_platform);
        where_text(w, " AND seller_id = ?", f->seller_id);
    }
    if (f->query && *f->query) {
        where_text(w, " AND (instr(lower(title), lower(?))", f->query);
        where_text(w, " OR listing_id = ?", f->query);
        where_text(w, " OR instr(lower(coalesce(seller_name, '')), lower(?)) OR seller_id = ?", f->query);
        w->values[w->value_count++] = f->query;
        w->order[w->parameters++] = 0;
        bytebuf_append_string(&w->sql, ")");
    }
    if (f->min_age_hours > 0)
        where_number(w, " AND first_seen_ms <= ?", now_ms - (int64_t)f->min_age_hours * 3600000);
    if (f->transfer_unit && *f->transfer_unit)
        where_text(w, " AND case_id IN (SELECT case_id FROM decisions WHERE action = 'transfer' AND transfer_unit = ?)",
                   f->transfer_unit);
    for (size_t i = 0; i < sizeof f->exclude / sizeof *f->exclude && f->exclude[i]; i++)
        where_text(w, " AND case_id != ?", f->exclude[i]);
}

/* True when the filter narrows by nothing but the state: the counts then
 * come from state_counts. */
static bool filter_is_plain(const case_filter *f)
{
    if (!f)
        return true;
    const char *narrowing[] = {f->kind, f->goods_group, f->platform, f->province, f->campaign, f->severity,
                               f->reviewer, f->seller_id, f->query, f->transfer_unit, f->exclude[0]};
    for (size_t i = 0; i < sizeof narrowing / sizeof *narrowing; i++)
        if (narrowing[i] && *narrowing[i])
            return false;
    return f->min_age_hours <= 0;
}

/* Binds the clause's values from parameter `first`; returns the next free index. */
static int bind_where(sqlite3_stmt *st, const where_clause *w, int first)
{
    int t = 0, n = 0;
    for (int i = 0; i < w->parameters; i++) {
        if (w->order[i] == 0)
            bind_text(st, first + i, w->values[t++]);
        else
            sqlite3_bind_int64(st, first + i, w->numbers[n++]);
    }
    return first + w->parameters;
}

/* ---- claims -------------------------------------------------------------------------- */

static void today(int64_t now_ms, char out[16])
{
    time_t seconds = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

register_error register_claim(case_register *r, const char *reviewer, const case_filter *filter, int64_t now_ms,
                              int64_t claim_ms, char case_id[33], bool *found, char *error, size_t error_size)
{
    *found = false;
    case_id[0] = '\0';
    if (!reviewer || !*reviewer) {
        error_message_set(error, error_size, "a claim needs the reviewer's name");
        return REGISTER_ERROR_BAD_INPUT;
    }
    where_clause w;
    build_where(&w, filter, now_ms);
    char day[16];
    today(now_ms, day);
    pthread_mutex_lock(&r->lock);
    register_error rc = REGISTER_OK;
    /* a claim need not survive a power cut (the case just returns to the
     * queue), so its commit is not fsynced; the next decision's fsync
     * carries it */
    exec(r, "PRAGMA synchronous = NORMAL");
    if (exec(r, "BEGIN IMMEDIATE") < 0) {
        rc = db_error(r, error, error_size, "cannot start a claim");
        goto out;
    }
    /* the case this reviewer already holds comes first */
    sqlite3_stmt *held = prepare(r, "SELECT case_id FROM cases WHERE claimed_by = ? AND claim_expires > ? AND state IN"
                                    " ('received', 'classified', 'verified', 'needs_info') ORDER BY claim_expires LIMIT 1");
    bind_text(held, 1, reviewer);
    sqlite3_bind_int64(held, 2, now_ms);
    if (held && sqlite3_step(held) == SQLITE_ROW) {
        snprintf(case_id, 33, "%s", column_text(held, 0));
        *found = true;
    }
    finish(r, held);
    if (!*found) {
        /* overdue follow-ups first, then the most severe oldest case */
        static const char *const queues[2] = {
            "SELECT case_id FROM cases%s AND state = 'needs_info' AND (due IS NULL OR due <= ?) AND"
            " (claimed_by IS NULL OR claim_expires <= ?) ORDER BY severity_rank DESC, first_seen_ms, rowid LIMIT 1",
            "SELECT case_id FROM cases INDEXED BY cases_queue%s AND state IN ('received', 'classified', 'verified') AND"
            " (claimed_by IS NULL OR claim_expires <= ?) ORDER BY severity_rank DESC, first_seen_ms, rowid LIMIT 1"};
        for (int q = 0; q < 2 && !*found; q++) {
            char sql[2048];
            snprintf(sql, sizeof sql, queues[q], w.sql.data);
            sqlite3_stmt *pick = prepare(r, sql);
            if (!pick) {
                rc = db_error(r, error, error_size, "cannot look for the next case");
                break;
            }
            int next = bind_where(pick, &w, 1);
            if (q == 0)
                bind_text(pick, next++, day);
            sqlite3_bind_int64(pick, next, now_ms);
            int step = sqlite3_step(pick);
            if (step == SQLITE_ROW) {
                snprintf(case_id, 33, "%s", column_text(pick, 0));
                *found = true;
            } else if (step != SQLITE_DONE) {
                rc = db_error(r, error, error_size, "cannot look for the next case");
            }
            finish(r, pick);
        }
    }
    if (rc == REGISTER_OK && *found) {
        sqlite3_stmt *take = prepare(r, "UPDATE cases SET claimed_by = ?, claim_expires = ? WHERE case_id = ?");
        bind_text(take, 1, reviewer);
        sqlite3_bind_int64(take, 2, now_ms + claim_ms);
        bind_text(take, 3, case_id);
        if (!take || sqlite3_step(take) != SQLITE_DONE)
            rc = db_error(r, error, error_size, "cannot claim the case");
        finish(r, take);
    }
    if (rc == REGISTER_OK && exec(r, "COMMIT") < 0)
        rc = db_error(r, error, error_size, "cannot commit the claim");
    if (rc != REGISTER_OK) {
        exec(r, "ROLLBACK");
        *found = false;
    }
out:
    exec(r, "PRAGMA synchronous = FULL");
    pthread_mutex_unlock(&r->lock);
    bytebuf_free(&w.sql);
    return rc;
}

register_error register_release(case_register *r, const char *case_id, const char *reviewer, char *error,
                                size_t error_size)
{
    pthread_mutex_lock(&r->lock);
    exec(r, "PRAGMA synchronous = NORMAL"); /* as a claim */
    sqlite3_stmt *st = prepare(r, "UPDATE cases SET claimed_by = NULL, claim_expires = NULL WHERE case_id = ? AND"
                                  " (claimed_by = ? OR ? IS NULL)");
    bind_text(st, 1, case_id);
    bind_text(st, 2, reviewer);
    bind_text(st, 3, reviewer);
    register_error rc = st && sqlite3_step(st) == SQLITE_DONE ? REGISTER_OK
                                                              : db_error(r, error, error_size, "cannot release the case");
    finish(r, st);
    exec(r, "PRAGMA synchronous = FULL");
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- the chain ------------------------------------------------------------------------ */

typedef struct decision_row {
    uint64_t seq;
    const char *case_id, *at, *actor, *action, *from_state, *to_state, *reason, *note, *unit, *reference, *details,
        *prev_hash;
} decision_row;

/* The canonical serialization a decision's hash covers (docs/cases.md):
 * one JSON object, keys in this order, no spaces, strings escaped as
 * bytebuf_append_json_string does, `transfer` null unless transferred,
 * `details` as stored (its keys sorted). */
static void canonical(const decision_row *d, bytebuf *out)
{
    bytebuf_printf(out, "{\"seq\":%llu,\"case_id\":", (unsigned long long)d->seq);
    const char *fields[] = {d->case_id, d->at, d->actor, d->action, d->from_state, d->to_state, d->reason, d->note};
    static const char *const names[] = {NULL, "at", "actor", "action", "from_state", "to_state", "reason", "note"};
    for (size_t i = 0; i < 8; i++) {
        if (names[i])
            bytebuf_printf(out, ",\"%s\":", names[i]);
        bytebuf_append_json_string(out, fields[i] ? fields[i] : "", fields[i] ? strlen(fields[i]) : 0);
    }
    if (d->unit || d->reference) {
        bytebuf_append_string(out, ",\"transfer\":{\"unit\":");
        bytebuf_append_json_string(out, d->unit ? d->unit : "", d->unit ? strlen(d->unit) : 0);
        bytebuf_append_string(out, ",\"reference\":");
        bytebuf_append_json_string(out, d->reference ? d->reference : "", d->reference ? strlen(d->reference) : 0);
        bytebuf_append_char(out, '}');
    } else {
        bytebuf_append_string(out, ",\"transfer\":null");
    }
    bytebuf_printf(out, ",\"details\":%s,\"prev_hash\":", d->details && *d->details ? d->details : "{}");
    bytebuf_append_json_string(out, d->prev_hash ? d->prev_hash : "", d->prev_hash ? strlen(d->prev_hash) : 0);
    bytebuf_append_char(out, '}');
}

static void sha256_hex(const char *data, size_t length, char out[65])
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(data, length, digest, &n, EVP_sha256(), NULL);
    hex_encode(digest, 32, out);
}

static void row_from(sqlite3_stmt *st, decision_row *d)
{
    d->seq = (uint64_t)sqlite3_column_int64(st, 0);
    d->case_id = column_text(st, 1);
    d->at = column_text(st, 2);
    d->actor = column_text(st, 3);
    d->action = column_text(st, 4);
    d->from_state = column_text(st, 5);
    d->to_state = column_text(st, 6);
    d->reason = column_text(st, 7);
    d->note = column_text(st, 8);
    d->unit = column_text(st, 9);
    d->reference = column_text(st, 10);
    d->details = column_text(st, 11);
    d->prev_hash = column_text(st, 12);
}

#define DECISION_COLUMNS                                                                                           \
    "seq, case_id, at, actor, action, from_state, to_state, reason, note, transfer_unit, transfer_reference, details," \
    " prev_hash, hash"

/* ---- decisions ------------------------------------------------------------------------- */

static bool allowed(case_action a, case_state from, case_state *to)
{
    switch (a) {
    case ACTION_CLASSIFY: *to = CASE_CLASSIFIED; return from == CASE_RECEIVED || from == CASE_NEEDS_INFO;
    case ACTION_VERIFY: *to = CASE_VERIFIED; return from == CASE_CLASSIFIED;
    case ACTION_DISMISS:
        *to = CASE_DISMISSED;
        return from == CASE_RECEIVED || from == CASE_CLASSIFIED || from == CASE_VERIFIED || from == CASE_NEEDS_INFO;
    case ACTION_NEED_INFO:
        *to = CASE_NEEDS_INFO;
        return from == CASE_RECEIVED || from == CASE_CLASSIFIED || from == CASE_VERIFIED;
    case ACTION_HANDLE: *to = CASE_HANDLED; return from == CASE_VERIFIED;
    case ACTION_TRANSFER: *to = CASE_TRANSFERRED; return from == CASE_VERIFIED;
    case ACTION_RECLASSIFY: *to = from; return from != CASE_RECEIVED && from < CASE_STATE_COUNT;
    default: return false;
    }
}

static const char *what_first(case_action a, case_state from)
{
    switch (a) {
    case ACTION_VERIFY: return from == CASE_RECEIVED || from == CASE_NEEDS_INFO ? "classify it first" : "";
    case ACTION_HANDLE: case ACTION_TRANSFER: return from == CASE_CLASSIFIED ? "verify it first" : from == CASE_RECEIVED ? "classify and verify it first" : "";
    case ACTION_RECLASSIFY: return from == CASE_RECEIVED ? "classify it" : "";
    default: return "";
    }
}

static bool valid_date(const char *s)
{
    int y, m, d;
    char extra;
    return s && strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3 && m >= 1 && m <= 12 && d >= 1 &&
           d <= 31;
}

static bool known_kind(const char *k) { return rule_kind_named(k) != RULE_KIND_COUNT; }

static bool known_goods_group(const char *g) { return goods_group_named(g) != GOODS_GROUP_COUNT; }

static bool blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* Text a person typed: valid UTF-8 (the chain's canonical serialization
 * must not have to repair it) and bounded. */
static bool fine_text(const char *s, size_t max)
{
    if (!s)
        return true;
    size_t length = strlen(s);
    if (length > max)
        return false;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    for (utf8proc_ssize_t at = 0, n; at < (utf8proc_ssize_t)length; at += n) {
        utf8proc_int32_t cp;
        n = utf8proc_iterate(p + at, (utf8proc_ssize_t)length - at, &cp);
        if (n <= 0)
            return false;
    }
    return true;
}

/* The fields each action needs: a message for a person, or NULL. */
static const char *check_fields(const decision_input *in)
{
    if (!fine_text(in->note, 4000))
        return "the note is not UTF-8 text of at most 4,000 bytes";
    if (!fine_text(in->actor, 200) || !fine_text(in->unit, 300) || !fine_text(in->reference, 200))
        return "a name, unit or reference that is not UTF-8 text, or too long";
    switch (in->action) {
    case ACTION_CLASSIFY:
    case ACTION_RECLASSIFY:
        if (!known_kind(in->kind))
            return "classify needs the kind of right: trademark, gi, collective_mark, certification_mark, ocop, "
                   "plant_variety or copyright";
        if (!known_goods_group(in->goods_group))
            return "classify needs the goods group (see lscan cases reasons)";
        return NULL;
    case ACTION_VERIFY:
        if (!known_reason(ACTION_VERIFY, in->reason))
            return "verify needs a reason from the list (lscan cases reasons)";
        return !strcmp(in->reason, "other") && blank(in->note) ? "the reason 'other' needs a note" : NULL;
    case ACTION_DISMISS:
        if (!known_reason(ACTION_DISMISS, in->reason))
            return "dismiss needs a reason from the list (lscan cases reasons)";
        return !strcmp(in->reason, "other") && blank(in->note) ? "the reason 'other' needs a note" : NULL;
    case ACTION_NEED_INFO:
        if (!valid_date(in->due))
            return "asking for more information needs a due date (YYYY-MM-DD)";
        return blank(in->note) ? "asking for more information needs a note saying what is missing" : NULL;
    case ACTION_HANDLE:
        if (!known_reason(ACTION_HANDLE, in->reason))
            return "handle needs the measure taken, from the list (lscan cases reasons)";
        return !strcmp(in->reason, "other") && blank(in->note) ? "the measure 'other' needs a note" : NULL;
    case ACTION_TRANSFER:
        if (blank(in->unit) || blank(in->reference))
            return "transfer needs the receiving unit and its reference number";
        return NULL;
    default:
        return "unknown action (classify, verify, dismiss, need_info, handle, transfer, reclassify)";
    }
}

/* One decision inside the open transaction (the group's; `lock` held):
 * checks the transition, appends to the chain, moves the case. On an error
 * the caller rolls back to the decision's savepoint. */
static register_error decide_in_transaction(case_register *r, const decision_input *in, int64_t now_ms,
                                            decision_output *out, char *error, size_t error_size)
{
    register_error rc = REGISTER_OK;
    bytebuf details, text;
    bytebuf_init(&details, 0);
    bytebuf_init(&text, 0);
    sqlite3_stmt *st = NULL;
    st = prepare(r, "SELECT state, claimed_by, claim_expires FROM cases WHERE case_id = ?");
    bind_text(st, 1, in->case_id);
    int step = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (step == SQLITE_DONE) {
        error_message_set(error, error_size, "no case %s", in->case_id);
        rc = REGISTER_ERROR_NOT_FOUND;
        goto done;
    }
    if (step != SQLITE_ROW) {
        rc = db_error(r, error, error_size, "cannot read the case");
        goto done;
    }
    case_state from = case_state_named(column_text(st, 0)), to;
    const char *holder = column_text(st, 1);
    int64_t expires = sqlite3_column_int64(st, 2);
    if (holder && strcmp(holder, in->actor) && expires > now_ms && !in->override_claim) {
        char until[32];
        rfc3339(expires, until);
        error_message_set(error, error_size, "%s holds this case until %s; a lead can reassign it", holder, until);
        rc = REGISTER_ERROR_CLAIMED;
        goto done;
    }
    if (!allowed(in->action, from, &to)) {
        const char *hint = what_first(in->action, from);
        error_message_set(error, error_size, "cannot %s a case that is %s%s%s", case_action_name(in->action),
                          case_state_name(from), *hint ? ": " : "", hint);
        rc = REGISTER_ERROR_TRANSITION;
        goto done;
    }
    finish(r, st);
    /* details: what the decision sets, keys sorted */
    bytebuf_append_char(&details, '{');
    const char *sep = "";
    if (in->action == ACTION_NEED_INFO) {
        bytebuf_append_string(&details, "\"due\":");
        bytebuf_append_json_string(&details, in->due, strlen(in->due));
        sep = ",";
    }
    if (in->action == ACTION_CLASSIFY || in->action == ACTION_RECLASSIFY) {
        bytebuf_printf(&details, "%s\"goods_group\":", sep);
        bytebuf_append_json_string(&details, in->goods_group, strlen(in->goods_group));
        bytebuf_append_string(&details, ",\"kind\":");
        bytebuf_append_json_string(&details, in->kind, strlen(in->kind));
    }
    bytebuf_append_char(&details, '}');
    /* the chain: the previous head */
    st = prepare(r, "SELECT count, hash FROM chain_head WHERE id = 1");
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        rc = db_error(r, error, error_size, "cannot read the chain head");
        goto done;
    }
    uint64_t count = (uint64_t)sqlite3_column_int64(st, 0);
    char prev[65];
    snprintf(prev, sizeof prev, "%s", column_text(st, 1) ? column_text(st, 1) : ZERO_HASH);
    finish(r, st);
    st = NULL;
    char at[32];
    rfc3339(now_ms, at);
    decision_row d = {count + 1, in->case_id, at, in->actor, case_action_name(in->action), case_state_name(from),
                      case_state_name(to), in->reason ? in->reason : "", in->note ? in->note : "",
                      in->action == ACTION_TRANSFER ? in->unit : NULL,
                      in->action == ACTION_TRANSFER ? in->reference : NULL, details.data, prev};
    canonical(&d, &text);
    if (text.overflow || details.overflow) {
        rc = REGISTER_ERROR_MEMORY;
        error_message_set(error, error_size, "out of memory");
        goto done;
    }
    char hash[65];
    sha256_hex(text.data, text.length, hash);
    st = prepare(r, "INSERT INTO decisions (" DECISION_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)d.seq);
    bind_text(st, 2, d.case_id);
    bind_text(st, 3, d.at);
    bind_text(st, 4, d.actor);
    bind_text(st, 5, d.action);
    bind_text(st, 6, d.from_state);
    bind_text(st, 7, d.to_state);
    bind_text(st, 8, d.reason);
    bind_text(st, 9, d.note);
    bind_text(st, 10, d.unit);
    bind_text(st, 11, d.reference);
    bind_text(st, 12, d.details);
    bind_text(st, 13, d.prev_hash);
    bind_text(st, 14, hash);
    if (!st || sqlite3_step(st) != SQLITE_DONE) {
        rc = db_error(r, error, error_size, "cannot record the decision");
        goto done;
    }
    finish(r, st);
    st = prepare(r, "UPDATE chain_head SET count = ?, hash = ? WHERE id = 1");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)d.seq);
    bind_text(st, 2, hash);
    if (!st || sqlite3_step(st) != SQLITE_DONE) {
        rc = db_error(r, error, error_size, "cannot move the chain head");
        goto done;
    }
    finish(r, st);
    /* the case: its state and what the decision set; a claim ends with a
     * decision, but classify keeps it (the same reviewer verifies next) */
    st = prepare(r, "UPDATE cases SET state = ?1, decided_at = ?2, first_decided_ms = coalesce(first_decided_ms, ?9), rechecked = 0,"
                    " kind = coalesce(?3, kind), goods_group = coalesce(?4, goods_group), due = ?5,"
                    " claimed_by = CASE WHEN ?6 THEN claimed_by ELSE NULL END,"
                    " claim_expires = CASE WHEN ?7 THEN claim_expires ELSE NULL END WHERE case_id = ?8");
    bool keep_claim = in->action == ACTION_CLASSIFY;
    bind_text(st, 1, case_state_name(to));
    bind_text(st, 2, at);
    bind_text(st, 3, in->action == ACTION_CLASSIFY || in->action == ACTION_RECLASSIFY ? in->kind : NULL);
    bind_text(st, 4, in->action == ACTION_CLASSIFY || in->action == ACTION_RECLASSIFY ? in->goods_group : NULL);
    bind_text(st, 5, in->action == ACTION_NEED_INFO ? in->due : NULL);
    sqlite3_bind_int(st, 6, keep_claim);
    sqlite3_bind_int(st, 7, keep_claim);
    bind_text(st, 8, in->case_id);
    sqlite3_bind_int64(st, 9, now_ms);
    if (!st || sqlite3_step(st) != SQLITE_DONE) {
        rc = db_error(r, error, error_size, "cannot move the case");
        goto done;
    }
    finish(r, st);
    st = NULL;
    out->seq = d.seq;
    memcpy(out->hash, hash, sizeof hash);
    out->from = from;
    out->to = to;
done:
    finish(r, st);
    bytebuf_free(&details);
    bytebuf_free(&text);
    return rc;
}

/* ---- group commit: decisions made at once share one fsync ---- */

typedef struct pending_decision {
    const decision_input *in;
    int64_t now_ms;
    decision_output *out;
    char *error;
    size_t error_size;
    register_error rc;
    bool done;
    struct pending_decision *next;
} pending_decision;

/* Runs a batch in one transaction, each decision in its savepoint, and
 * commits once (one fsync for all of them). */
static void run_batch(case_register *r, pending_decision *batch)
{
    pthread_mutex_lock(&r->lock);
    char begin_error[512] = "";
    bool begun = exec(r, "BEGIN IMMEDIATE") == 0;
    if (!begun)
        db_error(r, begin_error, sizeof begin_error, "cannot start a decision");
    for (pending_decision *p = batch; p; p = p->next) {
        if (!begun) {
            p->rc = REGISTER_ERROR_DATABASE;
            error_message_set(p->error, p->error_size, "%s", begin_error);
            continue;
        }
        exec(r, "SAVEPOINT decision");
        p->rc = decide_in_transaction(r, p->in, p->now_ms, p->out, p->error, p->error_size);
        if (p->rc != REGISTER_OK)
            exec(r, "ROLLBACK TO decision");
        exec(r, "RELEASE decision");
    }
    if (begun && exec(r, "COMMIT") < 0) {
        char commit_error[512];
        db_error(r, commit_error, sizeof commit_error, "cannot commit the decision");
        exec(r, "ROLLBACK");
        for (pending_decision *p = batch; p; p = p->next)
            if (p->rc == REGISTER_OK) {
                p->rc = REGISTER_ERROR_DATABASE;
                memset(p->out, 0, sizeof *p->out);
                error_message_set(p->error, p->error_size, "%s", commit_error);
            }
    }
    pthread_mutex_unlock(&r->lock);
}

register_error register_decide(case_register *r, const decision_input *in, int64_t now_ms, decision_output *out,
                               char *error, size_t error_size)
{
    memset(out, 0, sizeof *out);
    if (!in->case_id || blank(in->actor)) {
        error_message_set(error, error_size, "a decision needs the case and who decides");
        return REGISTER_ERROR_BAD_INPUT;
    }
    const char *bad = check_fields(in);
    if (bad) {
        error_message_set(error, error_size, "%s", bad);
        return REGISTER_ERROR_BAD_INPUT;
    }
    pending_decision me = {in, now_ms, out, error, error_size, REGISTER_OK, false, NULL};
    pthread_mutex_lock(&r->group_lock);
    if (r->queue_tail)
        r->queue_tail->next = &me;
    else
        r->queue_head = &me;
    r->queue_tail = &me;
    /* the first to find no leader leads: it takes every decision waiting,
     * runs them in one transaction, wakes their threads; the others wait */
    while (!me.done) {
        if (r->leading) {
            pthread_cond_wait(&r->group_done, &r->group_lock);
            continue;
        }
        r->leading = true;
        pending_decision *batch = r->queue_head;
        r->queue_head = r->queue_tail = NULL;
        pthread_mutex_unlock(&r->group_lock);
        run_batch(r, batch);
        pthread_mutex_lock(&r->group_lock);
        for (pending_decision *p = batch, *next; p; p = next) {
            next = p->next;
            p->done = true;
        }
        r->leading = false;
        pthread_cond_broadcast(&r->group_done);
    }
    pthread_mutex_unlock(&r->group_lock);
    return me.rc;
}

/* ---- verify and publish ------------------------------------------------------------------ */

register_error register_verify(case_register *r, chain_report *out, char *error, size_t error_size)
{
    memset(out, 0, sizeof *out);
    out->intact = true;
    snprintf(out->head, sizeof out->head, "%s", ZERO_HASH);
    pthread_mutex_lock(&r->lock);
    register_error rc = REGISTER_OK;
    bytebuf text;
    bytebuf_init(&text, 0);
    sqlite3_stmt *st = prepare(r, "SELECT " DECISION_COLUMNS " FROM decisions ORDER BY seq");
    if (!st) {
        rc = db_error(r, error, error_size, "cannot read the decisions");
        goto out;
    }
    uint64_t expected = 1;
    char previous[65] = ZERO_HASH;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        decision_row d;
        row_from(st, &d);
        const char *stored = column_text(st, 13);
        bytebuf_reset(&text);
        canonical(&d, &text);
        char hash[65];
        sha256_hex(text.data ? text.data : "", text.length, hash);
        const char *why = NULL;
        if (d.seq != expected)
            why = d.seq > expected ? "a record before it is missing (its sequence number skips)"
                                   : "records are out of order";
        else if (!d.prev_hash || strcmp(d.prev_hash, previous))
            why = "its prev_hash is not the hash of the record before it (removed, reordered or edited)";
        else if (!stored || strcmp(stored, hash))
            why = "its content does not match its hash (edited)";
        if (why) {
            out->intact = false;
            out->broken_seq = d.seq;
            snprintf(out->why, sizeof out->why, "decision %llu (case %s): %s", (unsigned long long)d.seq,
                     d.case_id ? d.case_id : "?", why);
            break;
        }
        snprintf(previous, sizeof previous, "%s", stored);
        out->count = d.seq;
        expected++;
    }
    if (out->intact && step != SQLITE_DONE) {
        rc = db_error(r, error, error_size, "cannot read the decisions");
        goto out;
    }
    finish(r, st);
    st = NULL;
    snprintf(out->head, sizeof out->head, "%s", previous);
    if (out->intact) {
        st = prepare(r, "SELECT count, hash FROM chain_head WHERE id = 1");
        if (!st || sqlite3_step(st) != SQLITE_ROW) {
            rc = db_error(r, error, error_size, "cannot read the chain head");
            goto out;
        }
        if ((uint64_t)sqlite3_column_int64(st, 0) != out->count || strcmp(column_text(st, 1), previous)) {
            out->intact = false;
            out->broken_seq = out->count + 1;
            snprintf(out->why, sizeof out->why,
                     "the chain head says %lld decisions ending in %.16s..., the log has %llu ending in %.16s... "
                     "(the last records were removed)",
                     (long long)sqlite3_column_int64(st, 0), column_text(st, 1), (unsigned long long)out->count, previous);
        }
        finish(r, st);
        st = NULL;
    }
    if (out->intact) {
        /* each case is in the state its last decision left it in */
        st = prepare(r, "SELECT c.case_id, c.state, (SELECT d.to_state FROM decisions d WHERE d.case_id = c.case_id "
                        "ORDER BY d.seq DESC LIMIT 1) FROM cases c");
        while (st && (step = sqlite3_step(st)) == SQLITE_ROW) {
            const char *state = column_text(st, 1), *last = column_text(st, 2);
            if (strcmp(state ? state : "", last ? last : "received")) {
                out->intact = false;
                snprintf(out->why, sizeof out->why, "case %s is %s, but its decisions leave it %s (edited)",
                         column_text(st, 0), state ? state : "?", last ? last : "received");
                break;
            }
        }
        if (!st)
            rc = db_error(r, error, error_size, "cannot read the cases");
        finish(r, st);
        st = NULL;
    }
    if (out->intact && rc == REGISTER_OK) {
        /* the kept counts agree with the cases */
        st = prepare(r, "SELECT s.state, s.n, (SELECT count(*) FROM cases c WHERE c.state = s.state) FROM state_counts s");
        while (st && sqlite3_step(st) == SQLITE_ROW)
            if (sqlite3_column_int64(st, 1) != sqlite3_column_int64(st, 2)) {
                out->intact = false;
                snprintf(out->why, sizeof out->why, "the count of %s cases says %lld, the cases are %lld (edited)",
                         column_text(st, 0), (long long)sqlite3_column_int64(st, 1),
                         (long long)sqlite3_column_int64(st, 2));
                break;
            }
        if (!st)
            rc = db_error(r, error, error_size, "cannot read the counts");
    }
out:
    finish(r, st);
    bytebuf_free(&text);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

long register_publish(case_register *r, int (*publish)(void *ctx, uint64_t seq, const char *json, size_t length),
                      void *ctx, char *error, size_t error_size)
{
    pthread_mutex_lock(&r->lock);
    long done = 0;
    bytebuf json;
    bytebuf_init(&json, 0);
    sqlite3_stmt *st = prepare(r, "SELECT " DECISION_COLUMNS " FROM decisions WHERE published = 0 ORDER BY seq LIMIT 1000");
    sqlite3_stmt *mark = prepare(r, "UPDATE decisions SET published = 1 WHERE seq = ?");
    if (!st || !mark) {
        db_error(r, error, error_size, "cannot read the decisions to publish");
        done = -1;
    }
    while (done >= 0 && sqlite3_step(st) == SQLITE_ROW) {
        decision_row d;
        row_from(st, &d);
        bytebuf_reset(&json);
        canonical(&d, &json);
        json.length--; /* reopen the object to add the hash */
        bytebuf_append_string(&json, ",\"hash\":");
        const char *hash = column_text(st, 13);
        bytebuf_append_json_string(&json, hash ? hash : "", hash ? strlen(hash) : 0);
        bytebuf_append_char(&json, '}');
        if (publish(ctx, d.seq, json.data, json.length) != 0)
            break;
        sqlite3_reset(mark);
        sqlite3_bind_int64(mark, 1, (sqlite3_int64)d.seq);
        if (sqlite3_step(mark) != SQLITE_DONE) {
            db_error(r, error, error_size, "cannot mark a decision published");
            done = -1;
            break;
        }
        done++;
    }
    finish(r, st);
    finish(r, mark);
    bytebuf_free(&json);
    pthread_mutex_unlock(&r->lock);
    return done;
}

/* ---- reading ----------------------------------------------------------------------------- */

static void json_text_field(bytebuf *out, const char *name, const char *value)
{
    bytebuf_printf(out, "\"%s\":", name);
    if (value)
        bytebuf_append_json_string(out, value, strlen(value));
    else
        bytebuf_append_string(out, "null");
}

static void json_number_field(bytebuf *out, const char *name, sqlite3_stmt *st, int column)
{
    bytebuf_printf(out, "\"%s\":", name);
    if (sqlite3_column_type(st, column) == SQLITE_NULL)
        bytebuf_append_string(out, "null");
    else {
        double v = sqlite3_column_double(st, column);
        if (v == floor(v) && fabs(v) < 9e15)
            bytebuf_printf(out, "%lld", (long long)v);
        else
            bytebuf_printf(out, "%.17g", v);
    }
}

#define SUMMARY_COLUMNS                                                                                            \
    "case_id, platform, listing_id, state, kind, goods_group, severity, province, title, price, currency, seller_id," \
    " seller_name, first_seen, last_seen, sightings, claimed_by, claim_expires"

/* Appends one SUMMARY from a row of SUMMARY_COLUMNS; with `open` the
 * object is left open and the seller and sightings count are left for the
 * caller (a CASE writes them in full). */
static void summary_json(sqlite3_stmt *st, int64_t now_ms, bytebuf *out, bool open)
{
    bytebuf_append_char(out, '{');
    static const char *const names[] = {"case_id", "platform", "listing_id", "state", "kind", "goods_group", "severity",
                                        "province", "title"};
    for (int i = 0; i < 9; i++) {
        if (i)
            bytebuf_append_char(out, ',');
        json_text_field(out, names[i], column_text(st, i));
    }
    bytebuf_append_char(out, ',');
    json_number_field(out, "price", st, 9);
    bytebuf_append_char(out, ',');
    json_text_field(out, "currency", column_text(st, 10));
    bytebuf_append_char(out, ',');
    json_text_field(out, "first_seen", column_text(st, 13));
    bytebuf_append_char(out, ',');
    json_text_field(out, "last_seen", column_text(st, 14));
    bool held = column_text(st, 16) && sqlite3_column_int64(st, 17) > now_ms;
    bytebuf_append_char(out, ',');
    json_text_field(out, "claimed_by", held ? column_text(st, 16) : NULL);
    if (open)
        return;
    bytebuf_append_string(out, ",\"seller\":{");
    json_text_field(out, "platform", column_text(st, 1));
    bytebuf_append_char(out, ',');
    json_text_field(out, "id", column_text(st, 11));
    bytebuf_append_char(out, ',');
    json_text_field(out, "name", column_text(st, 12));
    bytebuf_printf(out, "},\"sightings\":%lld}", (long long)sqlite3_column_int64(st, 15));
}

register_error register_list_json(case_register *r, const case_filter *filter, int64_t now_ms, bytebuf *out,
                                  char *error, size_t error_size)
{
    where_clause w;
    build_where(&w, filter, now_ms);
    size_t limit = filter && filter->limit ? (filter->limit > 1000 ? 1000 : filter->limit) : 50;
    size_t offset = filter ? filter->offset : 0;
    pthread_mutex_lock(&r->lock);
    register_error rc = REGISTER_OK;
    char sql[4096];
    snprintf(sql, sizeof sql, "SELECT " SUMMARY_COLUMNS " FROM cases%s ORDER BY first_seen_ms DESC, rowid DESC LIMIT ? OFFSET ?",
             w.sql.data);
    sqlite3_stmt *st = prepare(r, sql);
    if (!st) {
        rc = db_error(r, error, error_size, "cannot list the cases");
        goto out;
    }
    int next = bind_where(st, &w, 1);
    sqlite3_bind_int64(st, next, (sqlite3_int64)limit);
    sqlite3_bind_int64(st, next + 1, (sqlite3_int64)offset);
    bytebuf_append_string(out, "{\"cases\":[");
    int step, n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++)
            bytebuf_append_char(out, ',');
        summary_json(st, now_ms, out, false);
    }
    finish(r, st);
    if (step != SQLITE_DONE) {
        rc = db_error(r, error, error_size, "cannot list the cases");
        goto out;
    }
    /* the total: from state_counts without other filters; else counted, up to LIST_COUNT_CAP */
    bool plain = filter_is_plain(filter);
    if (plain && filter && filter->state && *filter->state) {
        st = prepare(r, "SELECT n FROM state_counts WHERE state = ?");
        bind_text(st, 1, filter->state);
    } else if (plain) {
        st = prepare(r, "SELECT sum(n) FROM state_counts");
    } else {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM cases%s LIMIT %d)", w.sql.data,
                 LIST_COUNT_CAP + 1);
        st = prepare(r, sql);
        if (st)
            bind_where(st, &w, 1);
    }
    int counted = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (counted != SQLITE_ROW && !(plain && counted == SQLITE_DONE)) {
        finish(r, st);
        rc = db_error(r, error, error_size, "cannot count the cases");
        goto out;
    }
    long long total = counted == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    bool capped = !plain && total > LIST_COUNT_CAP;
    bytebuf_printf(out, "],\"total\":%lld,\"total_capped\":%s}", capped ? (long long)LIST_COUNT_CAP : total,
                   capped ? "true" : "false");
    finish(r, st);
out:
    pthread_mutex_unlock(&r->lock);
    bytebuf_free(&w.sql);
    return rc;
}

register_error register_counts(case_register *r, const case_filter *filter, int64_t now_ms,
                               uint64_t counts[CASE_STATE_COUNT], uint64_t *claimed, char *error, size_t error_size)
{
    case_filter without_state = filter ? *filter : (case_filter){0};
    without_state.state = NULL;
    where_clause w;
    build_where(&w, &without_state, now_ms);
    memset(counts, 0, CASE_STATE_COUNT * sizeof *counts);
    if (claimed)
        *claimed = 0;
    pthread_mutex_lock(&r->lock);
    register_error rc = REGISTER_OK;
    char sql[4096];
    /* by state: kept by triggers without filters, else counted */
    if (filter_is_plain(filter))
        snprintf(sql, sizeof sql, "SELECT state, n FROM state_counts");
    else
        snprintf(sql, sizeof sql, "SELECT state, count(*) FROM cases%s GROUP BY state", w.sql.data);
    sqlite3_stmt *st = prepare(r, sql);
    if (!st) {
        rc = db_error(r, error, error_size, "cannot count the cases");
        goto out;
    }
    bind_where(st, &w, 1);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        case_state s = case_state_named(column_text(st, 0));
        if (s < CASE_STATE_COUNT)
            counts[s] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    if (step != SQLITE_DONE)
        rc = db_error(r, error, error_size, "cannot count the cases");
    finish(r, st);
    st = NULL;
    if (rc == REGISTER_OK && claimed) {
        /* the claims held now (a small partial index) */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM cases%s AND claimed_by IS NOT NULL AND claim_expires > ?",
                 w.sql.data);
        st = prepare(r, sql);
        if (st)
            sqlite3_bind_int64(st, bind_where(st, &w, 1), now_ms);
        if (!st || sqlite3_step(st) != SQLITE_ROW)
            rc = db_error(r, error, error_size, "cannot count the claims");
        else
            *claimed = (uint64_t)sqlite3_column_int64(st, 0);
        finish(r, st);
    }
out:
    pthread_mutex_unlock(&r->lock);
    bytebuf_free(&w.sql);
    return rc;
}

/* The parts of the latest flag a card shows. */
static void flag_parts(const char *flag, bytebuf *out)
{
    cJSON *root = flag ? cJSON_Parse(flag) : NULL;
    const cJSON *listing = cJSON_GetObjectItemCaseSensitive(root, "listing");
    json_text_field(out, "description", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(listing, "description")));
    bytebuf_append_char(out, ',');
    json_text_field(out, "url", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(listing, "url")));
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules"), *rule;
    double reference = 0;
    cJSON_ArrayForEach(rule, rules)
    {
        const cJSON *price = cJSON_GetObjectItemCaseSensitive(rule, "reference_price");
        if (cJSON_IsNumber(price) && reference == 0)
            reference = price->valuedouble;
    }
    if (reference > 0)
        bytebuf_printf(out, ",\"reference_price\":%.0f", reference);
    else
        bytebuf_append_string(out, ",\"reference_price\":null");
    bytebuf_append_string(out, ",\"flag\":{");
    json_text_field(out, "flag_id", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "flag_id")));
    bytebuf_append_char(out, ',');
    json_text_field(out, "explain", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "explain")));
    static const char *const parts[] = {"rules", "hits", "signals"};
    for (int i = 0; i < 3; i++) {
        const cJSON *part = cJSON_GetObjectItemCaseSensitive(root, parts[i]);
        char *text = part ? cJSON_PrintUnformatted(part) : NULL;
        bytebuf_printf(out, ",\"%s\":", parts[i]);
        if (text) {
            /* re-escaped, so the JSON served stays inert in a page (< > & written as \u escapes) */
            cJSON *copy = cJSON_Parse(text);
            if (copy) {
                bytebuf tmp;
                bytebuf_init(&tmp, 0);
                json_write(copy, &tmp);
                bytebuf_append(out, tmp.data ? tmp.data : "[]", tmp.data ? tmp.length : 2);
                bytebuf_free(&tmp);
                cJSON_Delete(copy);
            } else {
                bytebuf_append_string(out, "[]");
            }
            cJSON_free(text);
        } else {
            bytebuf_append_string(out, "[]");
        }
    }
    bytebuf_append_char(out, '}');
    cJSON_Delete(root);
}

register_error register_case_json(case_register *r, const char *case_id, bytebuf *out, char *error, size_t error_size)
{
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    pthread_mutex_lock(&r->lock);
    /* one read transaction for the case's several statements: one lock of the WAL, one view */
    bool in_transaction = exec(r, "BEGIN") == 0;
    register_error rc = REGISTER_OK;
    sqlite3_stmt *st = prepare(r, "SELECT " SUMMARY_COLUMNS ", location_raw, seller_official, due, flag FROM cases "
                                  "WHERE case_id = ?");
    bind_text(st, 1, case_id);
    int step = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (step == SQLITE_DONE) {
        error_message_set(error, error_size, "no case %s", case_id);
        rc = REGISTER_ERROR_NOT_FOUND;
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = db_error(r, error, error_size, "cannot read the case");
        goto out;
    }
    summary_json(st, now_ms, out, true);
    char seller_platform[256] = "", seller_id[512] = "";
    snprintf(seller_platform, sizeof seller_platform, "%s", column_text(st, 1) ? column_text(st, 1) : "");
    bool has_seller = column_text(st, 11) != NULL;
    if (has_seller)
        snprintf(seller_id, sizeof seller_id, "%s", column_text(st, 11));
    long long sighting_count = sqlite3_column_int64(st, 15);
    bytebuf seller;
    bytebuf_init(&seller, 0);
    json_text_field(&seller, "platform", column_text(st, 1));
    bytebuf_append_char(&seller, ',');
    json_text_field(&seller, "id", column_text(st, 11));
    bytebuf_append_char(&seller, ',');
    json_text_field(&seller, "name", column_text(st, 12));
    bytebuf_append_char(&seller, ',');
    json_text_field(&seller, "location", column_text(st, 18));
    bytebuf_printf(&seller, ",\"official\":%s", sqlite3_column_int(st, 19) ? "true" : "false");
    bytebuf_printf(out, ",\"sighting_count\":%lld,", sighting_count);
    json_text_field(out, "location_raw", column_text(st, 18));
    bytebuf_append_char(out, ',');
    json_text_field(out, "due", column_text(st, 20));
    bytebuf_append_char(out, ',');
    flag_parts(column_text(st, 21), out);
    finish(r, st);
    st = NULL;
    /* how many other cases the seller has */
    long long others = 0;
    if (has_seller) {
        st = prepare(r, "SELECT count(*) FROM cases WHERE platform = ? AND seller_id = ? AND case_id != ?");
        bind_text(st, 1, seller_platform);
        bind_text(st, 2, seller_id);
        bind_text(st, 3, case_id);
        if (st && sqlite3_step(st) == SQLITE_ROW)
            others = sqlite3_column_int64(st, 0);
        finish(r, st);
        st = NULL;
    }
    bytebuf_printf(out, ",\"seller\":{%s,\"other_cases\":%lld},\"sightings\":[", seller.data ? seller.data : "",
                   others);
    bytebuf_free(&seller);
    st = prepare(r, "SELECT flag_id, scan_id, seen_at, price, evidence FROM sightings WHERE case_id = ? "
                    "ORDER BY seen_at DESC LIMIT 200");
    bind_text(st, 1, case_id);
    for (int n = 0; st && sqlite3_step(st) == SQLITE_ROW; n++) {
        bytebuf_append_string(out, n ? ",{" : "{");
        json_text_field(out, "flag_id", column_text(st, 0));
        bytebuf_append_char(out, ',');
        json_text_field(out, "scan_id", column_text(st, 1));
        bytebuf_append_char(out, ',');
        json_text_field(out, "seen_at", column_text(st, 2));
        bytebuf_append_char(out, ',');
        json_number_field(out, "price", st, 3);
        bytebuf_append_string(out, ",\"evidence\":");
        const char *evidence = column_text(st, 4);
        cJSON *e = evidence ? cJSON_Parse(evidence) : NULL;
        if (e) {
            json_write(e, out);
            cJSON_Delete(e);
        } else {
            bytebuf_append_string(out, "null");
        }
        bytebuf_append_char(out, '}');
    }
    finish(r, st);
    bytebuf_append_string(out, "],\"history\":[");
    st = prepare(r, "SELECT " DECISION_COLUMNS " FROM decisions WHERE case_id = ? ORDER BY seq");
    bind_text(st, 1, case_id);
    for (int n = 0; st && sqlite3_step(st) == SQLITE_ROW; n++) {
        decision_row d;
        row_from(st, &d);
        bytebuf_append_string(out, n ? ",{" : "{");
        bytebuf_printf(out, "\"seq\":%llu,", (unsigned long long)d.seq);
        json_text_field(out, "at", d.at);
        bytebuf_append_char(out, ',');
        json_text_field(out, "actor", d.actor);
        bytebuf_append_char(out, ',');
        json_text_field(out, "action", d.action);
        bytebuf_append_char(out, ',');
        json_text_field(out, "from_state", d.from_state);
        bytebuf_append_char(out, ',');
        json_text_field(out, "to_state", d.to_state);
        bytebuf_append_char(out, ',');
        json_text_field(out, "reason", d.reason);
        bytebuf_append_char(out, ',');
        json_text_field(out, "note", d.note);
        if (d.unit || d.reference) {
            bytebuf_append_string(out, ",\"transfer\":{");
            json_text_field(out, "unit", d.unit);
            bytebuf_append_char(out, ',');
            json_text_field(out, "reference", d.reference);
            bytebuf_append_char(out, '}');
        } else {
            bytebuf_append_string(out, ",\"transfer\":null");
        }
        bytebuf_printf(out, ",\"details\":%s,", d.details && *d.details ? d.details : "{}");
        json_text_field(out, "hash", column_text(st, 13));
        bytebuf_append_char(out, '}');
    }
    finish(r, st);
    st = NULL;
    bytebuf_append_string(out, "]}");
out:
    finish(r, st);
    if (in_transaction)
        exec(r, "COMMIT");
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- for the console ---------------------------------------------------------------------- */

register_error register_transferred_to(case_register *r, const char *case_id, const char *unit, bool *yes, char *error,
                                       size_t error_size)
{
    *yes = false;
    pthread_mutex_lock(&r->lock);
    sqlite3_stmt *st = prepare(r, "SELECT EXISTS (SELECT 1 FROM decisions WHERE case_id = ? AND action = 'transfer'"
                                  " AND transfer_unit = ?)");
    bind_text(st, 1, case_id);
    bind_text(st, 2, unit);
    register_error rc = REGISTER_OK;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        *yes = sqlite3_column_int(st, 0) != 0;
    else
        rc = db_error(r, error, error_size, "cannot read the transfers");
    finish(r, st);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

register_error register_facet_json(case_register *r, const char *facet, bytebuf *out, char *error, size_t error_size)
{
    pthread_mutex_lock(&r->lock);
    sqlite3_stmt *st = prepare(r, "SELECT value FROM facets WHERE facet = ? AND value != '' ORDER BY value LIMIT 1000");
    bind_text(st, 1, facet);
    register_error rc = REGISTER_OK;
    bytebuf_append_char(out, '[');
    for (int n = 0; st && sqlite3_step(st) == SQLITE_ROW; n++) {
        if (n)
            bytebuf_append_char(out, ',');
        const char *v = column_text(st, 0);
        bytebuf_append_json_string(out, v ? v : "", v ? strlen(v) : 0);
    }
    bytebuf_append_char(out, ']');
    if (!st)
        rc = db_error(r, error, error_size, "cannot read the facets");
    finish(r, st);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- checkpoints ------------------------------------------------------------------------- */

void register_auto_checkpoint(case_register *r, bool on)
{
    pthread_mutex_lock(&r->lock);
    exec(r, on ? "PRAGMA wal_autocheckpoint = 1000" : "PRAGMA wal_autocheckpoint = 0");
    pthread_mutex_unlock(&r->lock);
}

register_error register_checkpoint(case_register *r, char *error, size_t error_size)
{
    pthread_mutex_lock(&r->checkpoint_lock);
    register_error rc = REGISTER_OK;
    if (!r->checkpoint_db) {
        if (!r->path || sqlite3_open_v2(r->path, &r->checkpoint_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
                            SQLITE_OK) {
            error_message_set(error, error_size, "register: cannot open a connection for checkpoints: %s",
                              r->checkpoint_db ? sqlite3_errmsg(r->checkpoint_db) : "out of memory");
            sqlite3_close(r->checkpoint_db);
            r->checkpoint_db = NULL;
            rc = REGISTER_ERROR_DATABASE;
        } else {
            sqlite3_busy_timeout(r->checkpoint_db, 100);
            sqlite3_exec(r->checkpoint_db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        }
    }
    /* PASSIVE: copies what it can without waiting for readers or writers */
    if (rc == REGISTER_OK &&
        sqlite3_wal_checkpoint_v2(r->checkpoint_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) != SQLITE_OK &&
        sqlite3_errcode(r->checkpoint_db) != SQLITE_BUSY) {
        error_message_set(error, error_size, "register: checkpoint: %s", sqlite3_errmsg(r->checkpoint_db));
        rc = REGISTER_ERROR_DATABASE;
    }
    pthread_mutex_unlock(&r->checkpoint_lock);
    return rc;
}

/* ---- for evidence packages ----------------------------------------------------------------- */

register_error register_chain_head(case_register *r, uint64_t *count, char head[65], char *error, size_t error_size)
{
    pthread_mutex_lock(&r->lock);
    sqlite3_stmt *st = prepare(r, "SELECT count, hash FROM chain_head WHERE id = 1");
    register_error rc = REGISTER_OK;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        *count = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(head, 65, "%s", column_text(st, 1) ? column_text(st, 1) : "");
    } else {
        rc = db_error(r, error, error_size, "cannot read the chain head");
    }
    finish(r, st);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

register_error register_case_chain_json(case_register *r, const char *case_id, bytebuf *out, char *error,
                                        size_t error_size)
{
    pthread_mutex_lock(&r->lock);
    sqlite3_stmt *st = prepare(r, "SELECT " DECISION_COLUMNS " FROM decisions WHERE case_id = ? ORDER BY seq");
    bind_text(st, 1, case_id);
    bytebuf text;
    bytebuf_init(&text, 0);
    bytebuf_append_char(out, '[');
    int step = SQLITE_ERROR;
    for (int n = 0; st && (step = sqlite3_step(st)) == SQLITE_ROW; n++) {
        decision_row d;
        row_from(st, &d);
        bytebuf_reset(&text);
        canonical(&d, &text);
        bytebuf_printf(out, "%s{\"seq\":%llu,", n ? "," : "", (unsigned long long)d.seq);
        json_text_field(out, "hash", column_text(st, 13));
        bytebuf_append_string(out, ",\"canonical\":");
        bytebuf_append_json_string(out, text.data ? text.data : "", text.length);
        bytebuf_append_char(out, '}');
    }
    bytebuf_append_char(out, ']');
    bytebuf_free(&text);
    register_error rc = st && step == SQLITE_DONE ? REGISTER_OK : db_error(r, error, error_size, "cannot read the decisions");
    finish(r, st);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- re-checks ----------------------------------------------------------------------------- */

register_error register_add_recheck(case_register *r, const char *case_id, const char *seen_at, bool online,
                                    const double *price, const char *evidence_json, char *error, size_t error_size)
{
    if (!case_id || !seen_at || !evidence_json) {
        error_message_set(error, error_size, "a re-check needs the case, the time and its evidence");
        return REGISTER_ERROR_BAD_INPUT;
    }
    char scan_id[64];
    int64_t ms = parse_rfc3339(seen_at);
    snprintf(scan_id, sizeof scan_id, "recheck-%lld", (long long)(ms > 0 ? ms : 0));
    pthread_mutex_lock(&r->lock);
    register_error rc = REGISTER_OK;
    if (exec(r, "BEGIN IMMEDIATE") < 0) {
        rc = db_error(r, error, error_size, "cannot start the re-check");
        pthread_mutex_unlock(&r->lock);
        return rc;
    }
    sqlite3_stmt *st = prepare(r, "INSERT OR REPLACE INTO sightings (flag_id, scan_id, case_id, seen_at, rules, price,"
                                  " evidence, stream_id) SELECT '" REGISTER_RECHECK_FLAG "', ?1, case_id, ?2, '[]', ?3,"
                                  " ?4, NULL FROM cases WHERE case_id = ?5");
    bind_text(st, 1, scan_id);
    bind_text(st, 2, seen_at);
    if (price)
        sqlite3_bind_double(st, 3, *price);
    else
        sqlite3_bind_null(st, 3);
    bind_text(st, 4, evidence_json);
    bind_text(st, 5, case_id);
    int step = st ? sqlite3_step(st) : SQLITE_ERROR;
    bool found = step == SQLITE_DONE && sqlite3_changes(r->db) > 0;
    finish(r, st);
    if (step != SQLITE_DONE) {
        rc = db_error(r, error, error_size, "cannot record the re-check");
    } else if (!found) {
        error_message_set(error, error_size, "no case %s", case_id);
        rc = REGISTER_ERROR_NOT_FOUND;
    } else {
        st = prepare(r, online ? "UPDATE cases SET sightings = sightings + 1, rechecked = 1, last_seen = max(last_seen, ?1)"
                                 " WHERE case_id = ?2"
                               : "UPDATE cases SET sightings = sightings + 1, rechecked = 1 WHERE case_id = ?2");
        bind_text(st, 1, seen_at);
        bind_text(st, 2, case_id);
        if (!st || sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(r, error, error_size, "cannot record the re-check");
        finish(r, st);
    }
    if (rc == REGISTER_OK && exec(r, "COMMIT") < 0)
        rc = db_error(r, error, error_size, "cannot commit the re-check");
    if (rc != REGISTER_OK)
        exec(r, "ROLLBACK");
    pthread_mutex_unlock(&r->lock);
    return rc;
}

register_error register_recheck_due(case_register *r, int64_t older_than_ms, int64_t now_ms, size_t max, bytebuf *out,
                                    size_t *count, char *error, size_t error_size)
{
    char cutoff[32];
    rfc3339(now_ms - older_than_ms, cutoff);
    *count = 0;
    pthread_mutex_lock(&r->lock);
    /* handled or transferred at least older_than ago, and not re-checked since that decision */
    sqlite3_stmt *st = prepare(r, "SELECT c.case_id FROM cases c WHERE c.state IN ('handled', 'transferred')"
                                  " AND c.decided_at IS NOT NULL AND c.decided_at <= ?1 AND c.rechecked = 0"
                                  " ORDER BY c.decided_at LIMIT ?2");
    bind_text(st, 1, cutoff);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    int step = SQLITE_ERROR;
    while (st && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = column_text(st, 0);
        bytebuf_append(out, id, strlen(id) + 1);
        (*count)++;
    }
    register_error rc = st && step == SQLITE_DONE ? REGISTER_OK : db_error(r, error, error_size, "cannot list re-checks");
    finish(r, st);
    pthread_mutex_unlock(&r->lock);
    return rc;
}
