/* serve: see serve.h and docs/console.md. */
#include "scanner/review/serve.h"

#include <cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rules/base/error_message.h"
#include "rules/pack.h"
#include "rules/text/province.h"
#include "scanner/cases/intake.h"
#include "scanner/cases/register.h"
#include "scanner/export/package.h"
#include "scanner/pipeline/campaign.h"
#include "scanner/pipeline/recheck.h"
#include "scanner/review/accounts.h"
#include "scanner/review/assets.h"
#include "scanner/review/session.h"
#include "scanner/record/listing.h"
#include "scanner/report/report.h"
#include "workers/httpd.h"

#define COOKIE "lscan_session"
#define MAX_FIELD 1000            /* any one text field of a request */
#define DASHBOARD_CACHE_MS 30000
#define DASHBOARD_MAX_CASES 50 /* serious cases listed on the dashboard */
#define DASHBOARD_WAIT_MS 25000 /* the first request of a window waits this long, then gets 503 */

static const int dashboard_days[4] = {7, 30, 90, 365};

/* The page may load only itself: no inline script, no other origin. */
#define PAGE_CSP                                                                                                   \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "           \
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define API_CSP "default-src 'none'; frame-ancestors 'none'"

/* One window's dashboard: built by the dashboard thread, served from here. */
typedef struct dashboard_cache {
    int64_t built_ms, failed_ms;
    char *json;            /* {"built_at": ..., "window": ..., "peak": ...} */
    bool wanted, building; /* a request asked for it; the thread is on it */
} dashboard_cache;

struct lscan_server {
    serve_options options;
    char *register_path, *accounts_path, *listen, *evidence_dir, *signing_key;
    campaign *recheck_campaign;    /* read-only after start; NULL: re-checks off */
    pthread_mutex_t recheck_lock;  /* one re-check at a time (each takes a fetch and a WARC file) */
    case_register *reg;
    accounts *users;
    session_store *sessions;
    login_limiter *limiter;
    httpd *http;
    httpd_route routes[2];
    /* intake in the background */
    intake *in;
    pthread_t intake_thread, checkpoint_thread;
    bool intake_running, checkpoint_running;
    pthread_mutex_t stop_lock;     /* guards stopping, with stop_signal */
    pthread_cond_t stop_signal;
    bool stopping;
    /* the dashboard, built off the requests' path by dashboard_thread at most
     * every DASHBOARD_CACHE_MS per window: a request gets the last one built
     * (waiting only for the very first) */
    pthread_mutex_t cache_lock;    /* guards cache, cache_stopping, with cache_changed */
    pthread_cond_t cache_changed;
    dashboard_cache cache[4];
    bool cache_stopping;
    atomic_bool cancel_reports;    /* set on stop: a report being computed gives up */
    pthread_t dashboard_thread;
    bool dashboard_running;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- answers ---- */

static void common_headers(httpd_response *res, bool page)
{
    httpd_add_header(res, "Content-Security-Policy", page ? PAGE_CSP : API_CSP);
    httpd_add_header(res, "X-Frame-Options", "DENY");
    httpd_add_header(res, "Referrer-Policy", "no-referrer");
    httpd_add_header(res, "Cache-Control", page ? "no-cache" : "no-store");
}

static void json_answer(httpd_response *res, int status)
{
    res->status = status;
    res->content_type = "application/json; charset=utf-8";
    common_headers(res, false);
}

static void fail(httpd_response *res, int status, const char *code, const char *message)
{
    json_answer(res, status);
    bytebuf_reset(&res->body);
    bytebuf_append_string(&res->body, "{\"error\":");
    bytebuf_append_json_string(&res->body, code, strlen(code));
    bytebuf_append_string(&res->body, ",\"message\":");
    bytebuf_append_json_string(&res->body, message, strlen(message));
    bytebuf_append_char(&res->body, '}');
}

static int status_of(register_error e)
{
    switch (e) {
    case REGISTER_OK: return 200;
    case REGISTER_ERROR_NOT_FOUND: return 404;
    case REGISTER_ERROR_TRANSITION: case REGISTER_ERROR_CLAIMED: return 409;
    case REGISTER_ERROR_BAD_INPUT: return 400;
    default: return 500;
    }
}

static const char *code_of(register_error e)
{
    switch (e) {
    case REGISTER_ERROR_NOT_FOUND: return "not_found";
    case REGISTER_ERROR_TRANSITION: return "transition";
    case REGISTER_ERROR_CLAIMED: return "claimed";
    case REGISTER_ERROR_BAD_INPUT: return "bad_input";
    default: return "internal";
    }
}

static void register_failed(httpd_response *res, register_error e, const char *error)
{
    /* a database failure's details stay in the server's log, not the page */
    fail(res, status_of(e), code_of(e), status_of(e) == 500 ? "the case register failed" : error);
}

/* ---- who is asking ---- */

typedef struct caller {
    account who;
    char csrf[SESSION_TOKEN_HEX];
    const char *token;
} caller;

static bool can_work(const caller *c) { return c->who.role == ROLE_REVIEWER || c->who.role == ROLE_LEAD || c->who.role == ROLE_ADMIN; }
static bool can_lead(const caller *c) { return c->who.role == ROLE_LEAD || c->who.role == ROLE_ADMIN; }

static const char *client_address(const lscan_server *s, const httpd_request *r)
{
    if (s->options.trust_proxy) {
        /* the last hop the proxy appended */
        const char *forwarded = httpd_header(r, "X-Forwarded-For");
        if (forwarded && *forwarded) {
            const char *comma = strrchr(forwarded, ',');
            const char *last = comma ? comma + 1 : forwarded;
            while (*last == ' ')
                last++;
            if (*last && strlen(last) < 64)
                return last;
        }
    }
    return httpd_client(r);
}

/* The caller of a request with a live session, with the account as it is
 * now (a disabled account's sessions end). */
static bool authenticate(lscan_server *s, const httpd_request *r, caller *out)
{
    memset(out, 0, sizeof *out);
    out->token = httpd_cookie(r, COOKIE);
    char name[65];
    if (!out->token || !session_find(s->sessions, out->token, now_ms(), name, out->csrf))
        return false;
    char error[256];
    if (accounts_get(s->users, name, &out->who, error, sizeof error) != ACCOUNTS_OK || out->who.disabled) {
        session_end_all(s->sessions, name);
        return false;
    }
    return true;
}

/* ---- reading requests ---- */

static cJSON *body_json(const httpd_request *r)
{
    size_t length;
    const char *body = httpd_body(r, &length);
    return length ? cJSON_ParseWithLength(body, length) : cJSON_CreateObject();
}

/* A text field: NULL when absent or empty; *bad when present but not a
 * short string. */
static const char *field_text(const cJSON *object, const char *name, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsNumber(v)) {
        *bad = true;
        return NULL;
    }
    const char *text = cJSON_GetStringValue(v);
    if (!text || strlen(text) > MAX_FIELD * 4) {
        *bad = true;
        return NULL;
    }
    return *text ? text : NULL;
}

static const char *query_text(const httpd_request *r, const char *name, bool *bad)
{
    const char *v = httpd_query(r, name);
    if (v && strlen(v) > MAX_FIELD) {
        *bad = true;
        return NULL;
    }
    return v && *v ? v : NULL;
}

/* Filters from a query string or a JSON object (claim). */
static bool read_filter(const httpd_request *r, const cJSON *object, case_filter *f, char *min_age_text, size_t size)
{
    static const char *const names[] = {"state", "kind", "goods_group", "platform", "province", "campaign", "severity",
                                        "reviewer"};
    const char **slots[] = {&f->state, &f->kind, &f->goods_group, &f->platform, &f->province, &f->campaign,
                            &f->severity, &f->reviewer};
    bool bad = false;
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        *slots[i] = object ? field_text(object, names[i], &bad) : query_text(r, names[i], &bad);
    long age = 0;
    if (object) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, "min_age_hours");
        if (cJSON_IsNumber(v))
            age = (long)v->valuedouble;
        else if (cJSON_IsString(v) && *v->valuestring)
            age = strtol(v->valuestring, NULL, 10);
    } else {
        const char *v = query_text(r, "min_age_hours", &bad);
        age = v ? strtol(v, NULL, 10) : 0;
    }
    snprintf(min_age_text, size, "%ld", age);
    f->min_age_hours = age < 0 ? 0 : age > 24 * 3650 ? 24 * 3650 : (int)age;
    if (f->state && case_state_named(f->state) == CASE_STATE_COUNT)
        bad = true;
    return !bad;
}

/* ---- the page ---- */

static void serve_asset(void *ctx, const httpd_request *r, httpd_response *res)
{
    (void)ctx;
    const console_asset *a = console_asset_find(httpd_path(r));
    if (!a) {
        res->status = 404;
        common_headers(res, true);
        bytebuf_append_string(&res->body, "not found\n");
        return;
    }
    res->content_type = a->content_type;
    res->static_body = a->data;
    res->static_length = a->length;
    common_headers(res, true);
}

/* ---- the API ---- */

static void answer_user(bytebuf *out, const caller *c)
{
    bytebuf_append_string(out, "{\"user\":{\"name\":");
    bytebuf_append_json_string(out, c->who.name, strlen(c->who.name));
    bytebuf_printf(out, ",\"role\":\"%s\",\"unit\":", account_role_name(c->who.role));
    bytebuf_append_json_string(out, c->who.unit, strlen(c->who.unit));
    bytebuf_append_string(out, "},\"csrf\":");
    bytebuf_append_json_string(out, c->csrf, strlen(c->csrf));
    bytebuf_append_char(out, '}');
}

static void api_login(lscan_server *s, const httpd_request *r, httpd_response *res)
{
    cJSON *body = body_json(r);
    bool bad = false;
    const char *name = field_text(body, "username", &bad), *password = field_text(body, "password", &bad);
    if (!body || bad || !name || !password) {
        cJSON_Delete(body);
        fail(res, 400, "bad_input", "give username and password");
        return;
    }
    const char *address = client_address(s, r);
    int64_t now = now_ms(), wait = login_limiter_wait_ms(s->limiter, address, name, now);
    if (wait > 0) {
        char seconds[32], message[160];
        snprintf(seconds, sizeof seconds, "%lld", (long long)((wait + 999) / 1000));
        snprintf(message, sizeof message, "too many failed logins; try again in %s s", seconds);
        accounts_audit(s->users, "login_refused", name, address, "too many failed attempts");
        fail(res, 429, "rate_limited", message);
        httpd_add_header(res, "Retry-After", seconds);
        cJSON_Delete(body);
        return;
    }
    caller c = {0};
    char error[256];
    accounts_error e = accounts_login(s->users, name, password, address, &c.who, error, sizeof error);
    if (e == ACCOUNTS_ERROR_WRONG_PASSWORD || e == ACCOUNTS_ERROR_DISABLED)
        login_limiter_failed(s->limiter, address, name, now);
    cJSON_Delete(body); /* name and password pointed into it */
    if (e == ACCOUNTS_ERROR_WRONG_PASSWORD || e == ACCOUNTS_ERROR_DISABLED) {
        fail(res, 401, "login_failed", "wrong name or password, or the account is disabled");
        return;
    }
    if (e != ACCOUNTS_OK) {
        fail(res, 500, "internal", "the accounts failed");
        return;
    }
    login_limiter_succeeded(s->limiter, c.who.name);
    char token[SESSION_TOKEN_HEX];
    if (session_begin(s->sessions, &c.who, now, token, c.csrf) < 0) {
        fail(res, 500, "internal", "out of memory");
        return;
    }
    char cookie[256];
    snprintf(cookie, sizeof cookie, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200%s", token,
             s->options.secure_cookie ? "; Secure" : "");
    json_answer(res, 200);
    httpd_add_header(res, "Set-Cookie", cookie);
    answer_user(&res->body, &c);
}

static void api_logout(lscan_server *s, const httpd_request *r, const caller *c, httpd_response *res)
{
    session_end(s->sessions, c->token);
    accounts_audit(s->users, "logout", c->who.name, client_address(s, r), NULL);
    json_answer(res, 200);
    httpd_add_header(res, "Set-Cookie", COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    bytebuf_append_string(&res->body, "{}");
}

static void labelled(bytebuf *out, const char *code, const char *vi, const char *en, bool first)
{
    bytebuf_append_string(out, first ? "{\"code\":" : ",{\"code\":");
    bytebuf_append_json_string(out, code, strlen(code));
    bytebuf_append_string(out, ",\"vi\":");
    bytebuf_append_json_string(out, vi, strlen(vi));
    bytebuf_append_string(out, ",\"en\":");
    bytebuf_append_json_string(out, en, strlen(en));
    bytebuf_append_char(out, '}');
}

static void api_meta(lscan_server *s, httpd_response *res)
{
    bytebuf *out = &res->body;
    json_answer(res, 200);
    bytebuf_append_string(out, "{\"states\":[");
    for (int i = 0; i < CASE_STATE_COUNT; i++)
        labelled(out, case_state_name((case_state)i), case_state_label((case_state)i, true),
                 case_state_label((case_state)i, false), i == 0);
    bytebuf_append_string(out, "],\"kinds\":[");
    for (int i = 0; i < RULE_KIND_COUNT; i++)
        labelled(out, rule_kind_name((rule_kind)i), rule_kind_label((rule_kind)i, true),
                 rule_kind_label((rule_kind)i, false), i == 0);
    bytebuf_append_string(out, "],\"goods_groups\":[");
    for (int i = 0; i < GOODS_GROUP_COUNT; i++)
        labelled(out, goods_group_name((goods_group)i), goods_group_label((goods_group)i, true),
                 goods_group_label((goods_group)i, false), i == 0);
    static const char *const action_labels[ACTION_COUNT][2] = {
        {"Phân loại", "Classify"},   {"Xác minh vi phạm", "Verify"}, {"Loại bỏ (không vi phạm)", "Dismiss"},
        {"Cần thêm thông tin", "Needs information"}, {"Xử lý", "Handle"}, {"Chuyển giao", "Transfer"},
        {"Phân loại lại", "Reclassify"}};
    bytebuf_append_string(out, "],\"actions\":[");
    for (int i = 0; i < ACTION_COUNT; i++)
        labelled(out, case_action_name((case_action)i), action_labels[i][0], action_labels[i][1], i == 0);
    static const struct {
        const char *name;
        case_action action;
    } lists[] = {{"verify_reasons", ACTION_VERIFY}, {"dismiss_reasons", ACTION_DISMISS}, {"handle_measures", ACTION_HANDLE}};
    for (size_t l = 0; l < 3; l++) {
        bytebuf_printf(out, "],\"%s\":[", lists[l].name);
        size_t n;
        const register_reason *reasons = register_reasons(lists[l].action, &n);
        for (size_t i = 0; i < n; i++)
            labelled(out, reasons[i].code, reasons[i].vi, reasons[i].en, i == 0);
    }
    bytebuf_append_string(out, "],\"severities\":[");
    static const char *const severities[][3] = {{"critical", "Rất nghiêm trọng", "Critical"},
                                                {"high", "Nghiêm trọng", "High"},
                                                {"medium", "Trung bình", "Medium"},
                                                {"low", "Thấp", "Low"}};
    for (int i = 0; i < 4; i++)
        labelled(out, severities[i][0], severities[i][1], severities[i][2], i == 0);
    bytebuf_append_string(out, "],\"provinces\":[");
    for (size_t i = 0; i < PROVINCE_COUNT; i++)
        labelled(out, province_name(i), province_name(i), province_name(i), i == 0);
    labelled(out, PROVINCE_ABROAD, "Nước ngoài", "Abroad", false);
    labelled(out, PROVINCE_UNKNOWN, "Không rõ", "Unknown", false);
    char error[256];
    bytebuf_append_string(out, "],\"platforms\":");
    register_facet_json(s->reg, "platform", out, error, sizeof error);
    bytebuf_append_string(out, ",\"campaigns\":");
    register_facet_json(s->reg, "campaign", out, error, sizeof error);
    bytebuf_append_char(out, '}');
}

static void api_counts(lscan_server *s, const httpd_request *r, httpd_response *res)
{
    case_filter f;
    char age[32], error[512];
    if (!read_filter(r, NULL, &f, age, sizeof age)) {
        fail(res, 400, "bad_input", "a filter is not from its list");
        return;
    }
    uint64_t counts[CASE_STATE_COUNT], claimed;
    register_error e = register_counts(s->reg, &f, now_ms(), counts, &claimed, error, sizeof error);
    if (e != REGISTER_OK) {
        register_failed(res, e, error);
        return;
    }
    json_answer(res, 200);
    bytebuf_append_char(&res->body, '{');
    for (int i = 0; i < CASE_STATE_COUNT; i++)
        bytebuf_printf(&res->body, "\"%s\":%llu,", case_state_name((case_state)i), (unsigned long long)counts[i]);
    bytebuf_printf(&res->body, "\"claimed\":%llu}", (unsigned long long)claimed);
}

static void case_answer(lscan_server *s, const char *case_id, httpd_response *res, int status)
{
    char error[512];
    bytebuf_reset(&res->body);
    bytebuf_append_string(&res->body, "{\"case\":");
    register_error e = register_case_json(s->reg, case_id, &res->body, error, sizeof error);
    if (e != REGISTER_OK) {
        register_failed(res, e, error);
        return;
    }
    json_answer(res, status);
    bytebuf_append_char(&res->body, '}');
}

static void api_claim(lscan_server *s, const httpd_request *r, const caller *c, httpd_response *res)
{
    cJSON *body = body_json(r);
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(body, "filters");
    case_filter f;
    char age[32], error[512];
    if (!body || (filters && !cJSON_IsObject(filters)) || !read_filter(r, filters ? filters : body, &f, age, sizeof age)) {
        cJSON_Delete(body);
        fail(res, 400, "bad_input", "the filters are not from their lists");
        return;
    }
    char case_id[33];
    bool found;
    int minutes = s->options.claim_minutes > 0 ? s->options.claim_minutes : 30;
    register_error e = register_claim(s->reg, c->who.name, &f, now_ms(), (int64_t)minutes * 60000, case_id, &found,
                                      error, sizeof error);
    cJSON_Delete(body);
    if (e != REGISTER_OK) {
        register_failed(res, e, error);
        return;
    }
    if (!found) {
        json_answer(res, 204);
        return;
    }
    case_answer(s, case_id, res, 200);
}

static void api_release(lscan_server *s, const caller *c, const char *case_id, httpd_response *res)
{
    char error[512];
    register_error e = register_release(s->reg, case_id, can_lead(c) ? NULL : c->who.name, error, sizeof error);
    if (e != REGISTER_OK) {
        register_failed(res, e, error);
        return;
    }
    json_answer(res, 200);
    bytebuf_append_string(&res->body, "{}");
}

static void api_list(lscan_server *s, const httpd_request *r, const caller *c, httpd_response *res)
{
    case_filter f;
    char age[32], error[512];
    bool bad = !read_filter(r, NULL, &f, age, sizeof age);
    f.query = query_text(r, "q", &bad);
    const char *seller = query_text(r, "seller", &bad);
    if (seller) {
        f.seller_id = seller;
        f.seller_platform = f.platform;
        bad = bad || !f.platform;
    }
    const char *limit = httpd_query(r, "limit"), *offset = httpd_query(r, "offset");
    long n = limit ? strtol(limit, NULL, 10) : 50, at = offset ? strtol(offset, NULL, 10) : 0;
    f.limit = (size_t)(n < 1 ? 1 : n > 200 ? 200 : n);
    f.offset = (size_t)(at < 0 ? 0 : at > 1000000000 ? 1000000000 : at);
    if (bad) {
        fail(res, 400, "bad_input", "a filter is not from its list (a seller needs its platform)");
        return;
    }
    if (c->who.role == ROLE_POLICE)
        f.transfer_unit = c->who.unit; /* police read only what was transferred to them */
    register_error e = register_list_json(s->reg, &f, now_ms(), &res->body, error, sizeof error);
    if (e != REGISTER_OK) {
        register_failed(res, e, error);
        return;
    }
    json_answer(res, 200);
}

/* Police may read a case only when it was transferred to their unit. */
static bool may_read(lscan_server *s, const caller *c, const char *case_id, httpd_response *res)
{
    if (c->who.role != ROLE_POLICE)
        return true;
    bool yes = false;
    char error[512];
    if (register_transferred_to(s->reg, case_id, c->who.unit, &yes, error, sizeof error) != REGISTER_OK) {
        fail(res, 500, "internal", "the case register failed");
        return false;
    }
    if (!yes)
        fail(res, 404, "not_found", "no such case among those transferred to your unit");
    return yes;
}

static void api_case(lscan_server *s, const caller *c, const char *case_id, httpd_response *res)
{
    if (!may_read(s, c, case_id, res))
        return;
    char error[512];
    register_error e = register_case_json(s->reg, case_id, &res->body, error, sizeof error);
    if (e != REGISTER_OK) {
        register_failed(res, e, error);
        return;
    }
    json_answer(res, 200);
}

static void api_decide(lscan_server *s, const httpd_request *r, const caller *c, const char *case_id,
                       httpd_response *res)
{
    cJSON *body = body_json(r);
    bool bad = !body;
    const char *action = field_text(body, "action", &bad);
    decision_input in = {.case_id = case_id, .actor = c->who.name, .action = case_action_named(action),
                         .reason = field_text(body, "reason", &bad), .note = field_text(body, "note", &bad),
                         .kind = field_text(body, "kind", &bad), .goods_group = field_text(body, "goods_group", &bad),
                         .unit = field_text(body, "unit", &bad), .reference = field_text(body, "reference", &bad),
                         .due = field_text(body, "due", &bad), .override_claim = can_lead(c)};
    const char *measure = field_text(body, "measure", &bad);
    if (in.action == ACTION_HANDLE && measure)
        in.reason = measure;
    if (bad || in.action == ACTION_COUNT) {
        cJSON_Delete(body);
        fail(res, 400, "bad_input",
             "give action (classify, verify, dismiss, need_info, handle, transfer, reclassify) and its fields as text");
        return;
    }
    decision_output out;
    char error[512];
    register_error e = register_decide(s->reg, &in, now_ms(), &out, error, sizeof error);
    cJSON_Delete(body);
    if (e != REGISTER_OK) {
        register_failed(res, e, error);
        return;
    }
    case_answer(s, case_id, res, 200);
}

static void api_seller(lscan_server *s, const caller *c, const char *platform, const char *seller_id,
                       httpd_response *res)
{
    (void)c;
    case_filter f = {.seller_platform = platform, .seller_id = seller_id, .limit = 200};
    bytebuf list;
    bytebuf_init(&list, 0);
    char error[512];
    register_error e = register_list_json(s->reg, &f, now_ms(), &list, error, sizeof error);
    if (e != REGISTER_OK) {
        bytebuf_free(&list);
        register_failed(res, e, error);
        return;
    }
    cJSON *root = cJSON_ParseWithLength(list.data, list.length);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    const char *first = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cases, 0), "case_id"));
    if (!first) {
        cJSON_Delete(root);
        bytebuf_free(&list);
        fail(res, 404, "not_found", "no cases of this seller");
        return;
    }
    /* the seller as the newest case shows it */
    bytebuf one;
    bytebuf_init(&one, 0);
    register_case_json(s->reg, first, &one, error, sizeof error);
    cJSON *card = cJSON_ParseWithLength(one.data ? one.data : "", one.length);
    const cJSON *seller = cJSON_GetObjectItemCaseSensitive(card, "seller");
    json_answer(res, 200);
    bytebuf_append_string(&res->body, "{\"seller\":");
    if (seller) {
        cJSON *copy = cJSON_Duplicate(seller, true);
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "other_cases");
        cJSON_AddNumberToObject(copy, "cases", cJSON_GetArraySize(cases));
        json_write(copy, &res->body);
        cJSON_Delete(copy);
    } else {
        bytebuf_append_string(&res->body, "null");
    }
    bytebuf_append_string(&res->body, ",\"cases\":");
    json_write(cases, &res->body);
    bytebuf_append_char(&res->body, '}');
    cJSON_Delete(card);
    bytebuf_free(&one);
    cJSON_Delete(root);
    bytebuf_free(&list);
}

static void say(const lscan_server *s, const char *line);

/* The dashboard (docs/console.md, "Dashboard"): the figures of
 * scanner/report for the last `days` days and for the peak campaign, as
 * report_json writes them, so the page and the filed reports agree. */
static bool dashboard_json(lscan_server *s, int days, int64_t now, bytebuf *out, char *error, size_t error_size)
{
    report_campaign_days campaign = {s->options.peak_start_month, s->options.peak_start_day, s->options.peak_end_month,
                                     s->options.peak_end_day};
    report_options options = {.campaign = campaign, .cancel = &s->cancel_reports};
    report_period window, peak;
    report_period_last_days(days, now, &window);
    if (report_period_make(REPORT_CAMPAIGN, NULL, &campaign, now, &peak, error, error_size) != REPORT_OK)
        return false;
    const report_period *periods[2] = {&window, &peak};
    static const char *const names[2] = {",\"window\":", ",\"peak\":"};
    char built[64];
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(built, sizeof built, "{\"built_at\":\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
    bytebuf_append_string(out, built);
    for (int i = 0; i < 2; i++) {
        report *rep = NULL;
        if (report_create(s->register_path, periods[i], &options, &rep, error, error_size) != REPORT_OK)
            return false;
        bytebuf_append_string(out, names[i]);
        int rc = report_json(report_figures_of(rep), i == 0 ? DASHBOARD_MAX_CASES : 0, out);
        report_destroy(rep);
        if (rc != 0) {
            snprintf(error, error_size, "dashboard: out of memory");
            return false;
        }
    }
    bytebuf_append_char(out, '}');
    return !out->overflow;
}

static void api_dashboard(lscan_server *s, const httpd_request *r, httpd_response *res)
{
    const char *days_text = httpd_query(r, "days");
    char *end = NULL;
    long parsed = days_text ? strtol(days_text, &end, 10) : 30;
    int days = days_text && (end == days_text || *end) ? 30 : (int)(parsed > 0 && parsed <= 366 ? parsed : 30);
    int slot = 1;
    for (int i = 0; i < 4; i++)
        if (dashboard_days[i] == days)
            slot = i;
    int64_t asked = now_ms();
    pthread_mutex_lock(&s->cache_lock);
    dashboard_cache *c = &s->cache[slot];
    if ((!c->json || asked - c->built_ms >= DASHBOARD_CACHE_MS) && !c->building && !c->wanted) {
        c->wanted = true;
        pthread_cond_broadcast(&s->cache_changed);
    }
    /* only the first request of a window waits; later ones get the last figures built */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DASHBOARD_WAIT_MS / 1000;
    while (!c->json && c->failed_ms < asked && !s->cache_stopping &&
           pthread_cond_timedwait(&s->cache_changed, &s->cache_lock, &until) != ETIMEDOUT)
        ;
    if (!c->json) {
        bool failed = c->failed_ms >= asked;
        pthread_mutex_unlock(&s->cache_lock);
        if (failed) {
            fail(res, 500, "internal", "the dashboard's figures failed (the server's log says why)");
        } else {
            fail(res, 503, "computing", "the dashboard's figures are still being computed: try again in a minute");
            httpd_add_header(res, "Retry-After", "30");
        }
        return;
    }
    json_answer(res, 200);
    bytebuf_append_string(&res->body, c->json);
    pthread_mutex_unlock(&s->cache_lock);
}

/* Builds the dashboards requests ask for, one at a time, off their path. */
static void *dashboard_loop(void *ctx)
{
    lscan_server *s = ctx;
    pthread_mutex_lock(&s->cache_lock);
    for (;;) {
        int slot = -1;
        while (!s->cache_stopping && slot < 0) {
            for (int i = 0; i < 4 && slot < 0; i++)
                if (s->cache[i].wanted)
                    slot = i;
            if (slot < 0 && !s->cache_stopping)
                pthread_cond_wait(&s->cache_changed, &s->cache_lock);
        }
        if (s->cache_stopping)
            break;
        dashboard_cache *c = &s->cache[slot];
        c->wanted = false;
        c->building = true;
        pthread_mutex_unlock(&s->cache_lock);
        int64_t started = now_ms();
        bytebuf json;
        bytebuf_init(&json, 0);
        char error[512] = "";
        bool ok = dashboard_json(s, dashboard_days[slot], started, &json, error, sizeof error);
        if (!ok && !atomic_load(&s->cancel_reports)) {
            char line[600];
            snprintf(line, sizeof line, "dashboard: %s", error);
            say(s, line);
        }
        pthread_mutex_lock(&s->cache_lock);
        c->building = false;
        if (ok) {
            free(c->json);
            c->json = json.data; /* the buffer's bytes are the cache's now */
            c->built_ms = started;
        } else {
            bytebuf_free(&json);
            c->failed_ms = now_ms();
        }
        pthread_cond_broadcast(&s->cache_changed);
    }
    pthread_mutex_unlock(&s->cache_lock);
    return NULL;
}

/* GET /api/reports/KIND/PERIOD.EXT[?lang=en]: the report `lscan report`
 * writes (docs/reports.md), made from the register now, as a download. */
static void api_report(lscan_server *s, const httpd_request *r, const char *kind_name, const char *file,
                       httpd_response *res)
{
    static const char *const types[REPORT_FORMAT_COUNT] = {
        "text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/pdf"};
    char date[32];
    const char *dot = strrchr(file, '.');
    report_period_kind kind = report_period_kind_named(kind_name);
    report_format format = dot ? report_format_named(dot + 1) : REPORT_FORMAT_COUNT;
    if (kind == REPORT_KIND_COUNT || format == REPORT_FORMAT_COUNT || (size_t)(dot - file) >= sizeof date) {
        fail(res, 404, "not_found", "reports are /api/reports/daily|monthly|yearly|campaign|range/PERIOD.csv|xlsx|pdf");
        return;
    }
    snprintf(date, sizeof date, "%.*s", (int)(dot - file), file);
    const char *lang = httpd_query(r, "lang");
    bool vietnamese = !lang || strcmp(lang, "en");
    report_campaign_days campaign = {s->options.peak_start_month, s->options.peak_start_day, s->options.peak_end_month,
                                     s->options.peak_end_day};
    report_period period;
    char error[512];
    if (report_period_make(kind, date, &campaign, now_ms(), &period, error, sizeof error) != REPORT_OK) {
        fail(res, 400, "bad_period", error);
        return;
    }
    report_options options = {.campaign = campaign};
    report *rep = NULL;
    if (report_create(s->register_path, &period, &options, &rep, error, sizeof error) != REPORT_OK) {
        say(s, error);
        fail(res, 500, "internal", "the report failed");
        return;
    }
    /* the writers write files: one of our own, read back, removed */
    char path[] = "/tmp/lscan-report-XXXXXX";
    int fd = mkstemp(path);
    report_error e = fd < 0 ? REPORT_ERROR_WRITE : report_write(rep, format, path, vietnamese, error, sizeof error);
    report_destroy(rep);
    size_t length = 0;
    char *data = NULL;
    if (e == REPORT_OK) {
        FILE *in = fopen(path, "rb");
        if (in && fseek(in, 0, SEEK_END) == 0 && ftell(in) > 0) {
            length = (size_t)ftell(in);
            rewind(in);
            data = malloc(length);
            if (data && fread(data, 1, length, in) != length) {
                free(data);
                data = NULL;
            }
        }
        if (in)
            fclose(in);
    }
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    if (!data) {
        fail(res, 500, "internal", "the report failed");
        return;
    }
    char name[128], disposition[200];
    report_file_name(&period, format, name, sizeof name);
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
    res->status = 200;
    res->content_type = types[format];
    common_headers(res, false);
    httpd_add_header(res, "Content-Disposition", disposition);
    httpd_add_header(res, "X-Content-Type-Options", "nosniff");
    bytebuf_append(&res->body, data, length);
    free(data);
}

static void api_users(lscan_server *s, httpd_response *res)
{
    char error[512];
    if (accounts_list_json(s->users, &res->body, error, sizeof error) != ACCOUNTS_OK) {
        fail(res, 500, "internal", "the accounts failed");
        return;
    }
    json_answer(res, 200);
}

static void api_audit(lscan_server *s, httpd_response *res)
{
    char error[512];
    if (accounts_audit_json(s->users, 200, &res->body, error, sizeof error) != ACCOUNTS_OK) {
        fail(res, 500, "internal", "the accounts failed");
        return;
    }
    json_answer(res, 200);
}

/* Splits "/api/a/b/c" into at most 5 segments (pointers into `copy`). */
static size_t segments(char *copy, char *parts[5])
{
    size_t n = 0;
    char *save = NULL;
    for (char *p = strtok_r(copy, "/", &save); p && n < 5; p = strtok_r(NULL, "/", &save))
        parts[n++] = p;
    return n;
}

/* One case as a signed WACZ package (docs/evidence.md), for leads and for
 * the police unit it was transferred to. Built in a private temporary
 * directory, read back, removed. */
static void api_package(lscan_server *s, const caller *c, const char *case_id, httpd_response *res)
{
    if (!may_read(s, c, case_id, res))
        return;
    char dir[] = "/tmp/lscan-package-XXXXXX";
    if (!mkdtemp(dir)) {
        fail(res, 500, "internal", "cannot make a temporary directory");
        return;
    }
    char path[128], statement[128], error[1024];
    snprintf(path, sizeof path, "%s/case.wacz", dir);
    snprintf(statement, sizeof statement, "%s/statement.html", dir);
    const char *ids[1] = {case_id}, *dirs[1] = {s->evidence_dir};
    package_options o = {.reg = s->reg, .case_ids = ids, .case_count = 1, .warc_dirs = dirs, .warc_dir_count = 1,
                         .out_path = path, .statement_path = statement, .secret_key_path = s->signing_key,
                         .software = "lscan serve", .exported_by = c->who.name, .now_ms = now_ms()};
    package_summary summary;
    package_error e = package_export(&o, &summary, error, sizeof error);
    if (e == PACKAGE_OK) {
        size_t length = 0;
        char *data = NULL;
        FILE *f = fopen(path, "rb");
        if (f) {
            data = malloc((size_t)summary.bytes + 1);
            length = data ? fread(data, 1, (size_t)summary.bytes, f) : 0;
            fclose(f);
        }
        if (data && length == summary.bytes && bytebuf_append(&res->body, data, length) == 0) {
            res->status = 200;
            res->content_type = "application/wacz";
            char disposition[160];
            snprintf(disposition, sizeof disposition, "attachment; filename=\"lscan-%.64s.wacz\"", case_id);
            httpd_add_header(res, "Content-Disposition", disposition);
        } else {
            bytebuf_reset(&res->body);
            fail(res, 500, "internal", "the package is too large to send");
        }
        free(data);
    } else if (e == PACKAGE_ERROR_REGISTER) {
        fail(res, 404, "not_found", "no such case");
    } else {
        fail(res, 500, "evidence", e == PACKAGE_ERROR_EVIDENCE ? "the archived evidence is missing or does not match"
                                                               : "the package could not be made");
    }
    unlink(path);
    unlink(statement);
    rmdir(dir);
}

/* Fetches the case's listing again now (docs/evidence.md, "Re-checks"). */
static void api_recheck(lscan_server *s, const caller *c, const char *case_id, httpd_response *res)
{
    if (!s->recheck_campaign) {
        fail(res, 409, "recheck_off", "re-checks need lscan serve --campaign FILE");
        return;
    }
    recheck_options o = {.campaign = s->recheck_campaign, .reg = s->reg, .evidence_dir = s->evidence_dir,
                         .software = "lscan serve", .operator_name = c->who.name, .attempts = 2};
    const char *ids[1] = {case_id};
    recheck_result result;
    char error[512];
    pthread_mutex_lock(&s->recheck_lock);
    int rc = recheck_cases(&o, ids, 1, &result, error, sizeof error);
    pthread_mutex_unlock(&s->recheck_lock);
    if (rc < 0) {
        fail(res, 500, "internal", "the evidence archive cannot be written");
        return;
    }
    if (result.outcome == RECHECK_FAILED) {
        fail(res, 502, "recheck_failed", result.detail[0] ? result.detail : "the listing could not be fetched");
        return;
    }
    if (result.outcome == RECHECK_DISALLOWED) { /* not fetched: robots.txt forbids it */
        fail(res, 409, "robots_disallowed", result.detail);
        return;
    }
    json_answer(res, 200);
    bytebuf_printf(&res->body, "{\"outcome\":\"%s\",\"http_status\":%ld,\"changes\":",
                   recheck_outcome_name(result.outcome), result.http_status);
    bytebuf_append_json_string(&res->body, result.changes, strlen(result.changes));
    bytebuf_append_string(&res->body, ",\"case\":");
    char why[512];
    if (register_case_json(s->reg, case_id, &res->body, why, sizeof why) != REGISTER_OK)
        bytebuf_append_string(&res->body, "null");
    bytebuf_append_char(&res->body, '}');
}

static void api(void *ctx, const httpd_request *r, httpd_response *res)
{
    lscan_server *s = ctx;
    const char *method = httpd_method(r);
    bool post = !strcmp(method, "POST"), get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    char path[512];
    if (strlen(httpd_path(r)) >= sizeof path) {
        fail(res, 404, "not_found", "no such endpoint");
        return;
    }
    snprintf(path, sizeof path, "%s", httpd_path(r));
    char *part[5];
    size_t n = segments(path, part); /* part[0] is "api" */
    if (post) {
        /* a cross-site form cannot send JSON: with SameSite cookies and the CSRF token, the third lock */
        const char *type = httpd_header(r, "Content-Type");
        if (!type || strncmp(type, "application/json", 16)) {
            fail(res, 415, "content_type", "send application/json");
            return;
        }
    }
    if (n == 2 && !strcmp(part[1], "login")) {
        if (!post)
            fail(res, 405, "method", "POST only");
        else
            api_login(s, r, res);
        return;
    }
    caller c;
    if (!authenticate(s, r, &c)) {
        fail(res, 401, "unauthorized", "log in first");
        return;
    }
    if (post && !session_token_equal(httpd_header(r, "X-CSRF-Token"), c.csrf)) {
        fail(res, 403, "csrf", "the request lacks the page's CSRF token");
        return;
    }
    bool work = can_work(&c), lead = can_lead(&c), police = c.who.role == ROLE_POLICE;
    const char *what = n >= 2 ? part[1] : "";
    if (post && n == 2 && !strcmp(what, "logout"))
        api_logout(s, r, &c, res);
    else if (get && n == 2 && !strcmp(what, "me")) {
        json_answer(res, 200);
        answer_user(&res->body, &c);
    } else if (get && n == 2 && !strcmp(what, "meta"))
        api_meta(s, res);
    else if (get && n == 2 && !strcmp(what, "counts"))
        work ? api_counts(s, r, res) : fail(res, 403, "forbidden", "not for your role");
    else if (post && n == 2 && !strcmp(what, "claim"))
        work ? api_claim(s, r, &c, res) : fail(res, 403, "forbidden", "not for your role");
    else if (get && n == 2 && !strcmp(what, "cases"))
        work || police ? api_list(s, r, &c, res) : fail(res, 403, "forbidden", "not for your role");
    else if (get && n == 3 && !strcmp(what, "cases"))
        work || police ? api_case(s, &c, part[2], res) : fail(res, 403, "forbidden", "not for your role");
    else if (post && n == 4 && !strcmp(what, "cases") && !strcmp(part[3], "decide"))
        work ? api_decide(s, r, &c, part[2], res) : fail(res, 403, "forbidden", "not for your role");
    else if (post && n == 4 && !strcmp(what, "cases") && !strcmp(part[3], "release"))
        work ? api_release(s, &c, part[2], res) : fail(res, 403, "forbidden", "not for your role");
    else if (post && n == 4 && !strcmp(what, "cases") && !strcmp(part[3], "recheck"))
        work ? api_recheck(s, &c, part[2], res) : fail(res, 403, "forbidden", "not for your role");
    else if (get && n == 4 && !strcmp(what, "cases") && !strcmp(part[3], "package"))
        lead || police ? api_package(s, &c, part[2], res) : fail(res, 403, "forbidden", "for leads and police liaisons");
    else if (get && n == 4 && !strcmp(what, "sellers"))
        work ? api_seller(s, &c, part[2], part[3], res) : fail(res, 403, "forbidden", "not for your role");
    else if (get && n == 2 && !strcmp(what, "dashboard"))
        lead ? api_dashboard(s, r, res) : fail(res, 403, "forbidden", "for leads and admins");
    else if (get && n == 4 && !strcmp(what, "reports"))
        lead ? api_report(s, r, part[2], part[3], res) : fail(res, 403, "forbidden", "for leads and admins");
    else if (get && n == 2 && !strcmp(what, "users"))
        c.who.role == ROLE_ADMIN ? api_users(s, res) : fail(res, 403, "forbidden", "for admins");
    else if (get && n == 2 && !strcmp(what, "audit"))
        c.who.role == ROLE_ADMIN ? api_audit(s, res) : fail(res, 403, "forbidden", "for admins");
    else
        fail(res, 404, "not_found", "no such endpoint");
}

/* ---- intake in the background ---- */

static void say(const lscan_server *s, const char *line)
{
    if (s->options.log)
        s->options.log(s->options.log_ctx, line);
}

/* Waits up to ms unless stopping; true when stopping. */
static bool pause_or_stop(lscan_server *s, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->stop_lock);
    while (!s->stopping && pthread_cond_timedwait(&s->stop_signal, &s->stop_lock, &until) != ETIMEDOUT)
        ;
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->stop_lock);
    return stopping;
}

static bool stopping(lscan_server *s)
{
    pthread_mutex_lock(&s->stop_lock);
    bool v = s->stopping;
    pthread_mutex_unlock(&s->stop_lock);
    return v;
}

static void *intake_loop(void *ctx)
{
    lscan_server *s = ctx;
    bool failing = false;
    int64_t backoff = 500, said_ms = 0;
    unsigned long long entries = 0;
    intake_stats total = {0};
    bool unsaid = false;
    while (!stopping(s)) {
        intake_stats stats = {0};
        char error[512];
        long n = intake_step(s->in, 1000, now_ms(), &stats, error, sizeof error);
        if (n > 0) {
            entries += (unsigned long long)n;
            total.cases_new += stats.cases_new;
            total.sightings_new += stats.sightings_new;
            unsaid = true;
        }
        /* progress for the log: once a burst is drained (a round found nothing), else at most once a second */
        int64_t t = now_ms();
        if (unsaid && n >= 0 && (n == 0 || t - said_ms >= 1000)) {
            char line[200];
            snprintf(line, sizeof line, "intake: %llu stream entries taken in so far (%llu new cases, %llu new sightings)",
                     entries, (unsigned long long)total.cases_new, (unsigned long long)total.sightings_new);
            say(s, line);
            said_ms = t;
            unsaid = false;
        }
        if (n < 0) {
            if (!failing) {
                char line[600];
                snprintf(line, sizeof line, "intake: %s (retrying)", error);
                say(s, line);
            }
            failing = true;
            if (pause_or_stop(s, backoff))
                break;
            backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
            continue;
        }
        if (failing)
            say(s, "intake: Redis is back");
        failing = false;
        backoff = 500;
        if (stats.bad) {
            char line[128];
            snprintf(line, sizeof line, "intake: %llu stream entries were not a flag or sighting (skipped)",
                     (unsigned long long)stats.bad);
            say(s, line);
        }
    }
    return NULL;
}

/* The register's write-ahead log copied back every second, off the
 * requests' path (register_auto_checkpoint is off in a server). */
static void *checkpoint_loop(void *ctx)
{
    lscan_server *s = ctx;
    bool failing = false;
    while (!pause_or_stop(s, 1000)) {
        char error[512];
        bool failed = register_checkpoint(s->reg, error, sizeof error) != REGISTER_OK;
        if (failed && !failing)
            say(s, error);
        failing = failed;
    }
    return NULL;
}

/* ---- start and stop ---- */

static char *beside(const char *file, const char *name)
{
    char *copy = strdup(file);
    if (!copy)
        return NULL;
    const char *folder = dirname(copy);
    size_t size = strlen(folder) + strlen(name) + 2;
    char *out = malloc(size);
    if (out)
        snprintf(out, size, "%s/%s", folder, name);
    free(copy);
    return out;
}

lscan_server *serve_start(const serve_options *o, const normalizer *n, char *error, size_t error_size)
{
    lscan_server *s = calloc(1, sizeof *s);
    if (!s) {
        error_message_set(error, error_size, "serve: out of memory");
        return NULL;
    }
    s->options = *o;
    pthread_mutex_init(&s->stop_lock, NULL);
    pthread_cond_init(&s->stop_signal, NULL);
    pthread_mutex_init(&s->cache_lock, NULL);
    pthread_cond_init(&s->cache_changed, NULL);
    atomic_init(&s->cancel_reports, false);
    s->register_path = strdup(o->register_path ? o->register_path : "lscan-state/register.sqlite");
    s->evidence_dir = o->evidence_dir ? strdup(o->evidence_dir) : beside(s->register_path ? s->register_path : ".", "evidence");
    s->signing_key = o->signing_key ? strdup(o->signing_key) : beside(s->register_path ? s->register_path : ".", "keys/signing.key");
    pthread_mutex_init(&s->recheck_lock, NULL);
    if (o->campaign_path) {
        diagnostics diag;
        diagnostics_init(&diag);
        s->recheck_campaign = campaign_load(o->campaign_path, &diag);
        if (!s->recheck_campaign) {
            error_message_set(error, error_size, "the campaign %s has mistakes%s%s", o->campaign_path,
                              diag.count ? ": " : "", diag.count ? diag.messages[0] : "");
            diagnostics_free(&diag);
            serve_stop(s);
            return NULL;
        }
        diagnostics_free(&diag);
    }
    if (s->signing_key && !o->signing_key && access(s->signing_key, R_OK) != 0) {
        free(s->signing_key);
        s->signing_key = NULL; /* no key: packages are made unsigned, and say so */
    }
    s->accounts_path = o->accounts_path ? strdup(o->accounts_path) : beside(s->register_path ? s->register_path : ".",
                                                                             "accounts.sqlite");
    s->listen = strdup(o->listen ? o->listen : "127.0.0.1:8080");
    if (!s->register_path || !s->accounts_path || !s->listen) {
        error_message_set(error, error_size, "serve: out of memory");
        serve_stop(s);
        return NULL;
    }
    s->options.register_path = s->register_path;
    s->options.accounts_path = s->accounts_path;
    s->options.listen = s->listen;
    if (!(s->reg = register_open(s->register_path, n, error, error_size)) ||
        !(s->users = accounts_open(s->accounts_path, error, error_size))) {
        serve_stop(s);
        return NULL;
    }
    register_auto_checkpoint(s->reg, false);
    if (pthread_create(&s->checkpoint_thread, NULL, checkpoint_loop, s) != 0) {
        error_message_set(error, error_size, "serve: cannot start the checkpoint thread");
        serve_stop(s);
        return NULL;
    }
    s->checkpoint_running = true;
    if (pthread_create(&s->dashboard_thread, NULL, dashboard_loop, s) != 0) {
        error_message_set(error, error_size, "serve: cannot start the dashboard thread");
        serve_stop(s);
        return NULL;
    }
    s->dashboard_running = true;
    s->sessions = session_store_create(NULL);
    s->limiter = login_limiter_create(NULL);
    if (!s->sessions || !s->limiter) {
        error_message_set(error, error_size, "serve: out of memory");
        serve_stop(s);
        return NULL;
    }
    if (!o->no_intake) {
        intake_options io = {.redis_url = o->redis_url, .username = o->redis_user, .password = o->redis_password,
                             .prefix = o->prefix, .consumer = "register", .retention_ms = o->retention_ms};
        if (!(s->in = intake_create(&io, s->reg, error, error_size))) {
            serve_stop(s);
            return NULL;
        }
        if (pthread_create(&s->intake_thread, NULL, intake_loop, s) != 0) {
            error_message_set(error, error_size, "serve: cannot start the intake thread");
            serve_stop(s);
            return NULL;
        }
        s->intake_running = true;
    }
    s->routes[0] = (httpd_route){NULL, "/api/", true, api, s};
    s->routes[1] = (httpd_route){"GET", "/", true, serve_asset, s};
    httpd_options ho = {.address = s->listen, .threads = o->threads ? o->threads : 8, .max_body_bytes = 64 * 1024,
                        .routes = s->routes, .route_count = 2};
    if (!(s->http = httpd_start(&ho, error, error_size))) {
        serve_stop(s);
        return NULL;
    }
    return s;
}

uint16_t serve_port(const lscan_server *s) { return httpd_port(s->http); }

void serve_stop(lscan_server *s)
{
    if (!s)
        return;
    httpd_stop(s->http);
    pthread_mutex_lock(&s->stop_lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->stop_signal);
    pthread_mutex_unlock(&s->stop_lock);
    if (s->intake_running)
        pthread_join(s->intake_thread, NULL);
    if (s->checkpoint_running)
        pthread_join(s->checkpoint_thread, NULL);
    atomic_store(&s->cancel_reports, true);
    pthread_mutex_lock(&s->cache_lock);
    s->cache_stopping = true;
    pthread_cond_broadcast(&s->cache_changed);
    pthread_mutex_unlock(&s->cache_lock);
    if (s->dashboard_running)
        pthread_join(s->dashboard_thread, NULL);
    if (s->in) {
        char error[256];
        intake_publish(s->in, error, sizeof error); /* the last decisions out before leaving */
    }
    intake_destroy(s->in);
    session_store_destroy(s->sessions);
    login_limiter_destroy(s->limiter);
    accounts_close(s->users);
    register_close(s->reg);
    for (int i = 0; i < 4; i++)
        free(s->cache[i].json);
    pthread_mutex_destroy(&s->cache_lock);
    pthread_cond_destroy(&s->cache_changed);
    pthread_cond_destroy(&s->stop_signal);
    pthread_mutex_destroy(&s->stop_lock);
    free(s->register_path);
    free(s->accounts_path);
    free(s->evidence_dir);
    free(s->signing_key);
    campaign_free(s->recheck_campaign);
    free(s->listen);
    free(s);
}
