/* The review console end to end: a real redis-server, the fixture market and
 * a hostile shop scanned by the real lscan, accounts made by `lscan users`,
 * a real `lscan serve` taking the flags in, and Debian's Chromium driven by
 * tests/browser/console.test.mjs (playwright-core) through the page, then
 * the register, the decision stream and the audit trail checked here.
 * Screenshots go to $LSCAN_BUILD/artifacts/console/. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "tests/harness.h"
#include "tests/loopback_server.h"

static harness_process redis, market, serve, scratch;
static loopback_server *shop;

static void stop_all(void)
{
    harness_stop(&serve);
    loopback_stop(shop);
    shop = NULL;
    harness_stop(&market);
    harness_stop(&redis);
    harness_stop(&scratch);
}

TestSuite(console, .fini = stop_all, .timeout = 300);

/* A shop whose sellers write markup, scripts, bidi overrides and terminal
 * escapes into their listings (the json adapter reads it). */
static const char HOSTILE_PAGE[] =
    "{\"data\":{\"products\":["
    "{\"id\":\"h1\",\"title\":\"HOSTILE <script>window.__pwned=1</script> Gi\\u00e0y Nike Air Force 1 rep 1:1\","
    "\"body\":\"<img src=x onerror=window.__pwned=1> h\\u00e0ng \\u0111\\u1eb9p\",\"price\":150000,"
    "\"url\":\"http://127.0.0.1:1/p/h1?q=<script>window.__pwned=1</script>\",\"shop\":{\"id\":\"s1\",\"name\":\"<b onmouseover=window.__pwned=1>Shop</b>\","
    "\"province\":\"H\\u00e0 N\\u1ed9i\"}},"
    "{\"id\":\"h2\",\"title\":\"HOSTILE <img src=x onerror=\\\"window.__pwned=1\\\"> T\\u00fai LV Neverfull si\\u00eau c\\u1ea5p like auth\","
    "\"body\":\"<a href=\\\"javascript:window.__pwned=1\\\">xem</a>\",\"price\":150000,"
    "\"url\":\"http://127.0.0.1:1/p/h2\\\" onclick=\\\"window.__pwned=1\",\"shop\":{\"id\":\"s2\",\"name\":\"Shop 2\","
    "\"province\":\"tp hcm\"}},"
    "{\"id\":\"h3\",\"title\":\"HOSTILE <svg onload=window.__pwned=1> Gi\\u00e0y Adidas Superstar rep 1:1\","
    "\"price\":150000,\"url\":\"http://127.0.0.1:1/p/h3#javascript:window.__pwned=1\","
    "\"shop\":{\"id\":\"s3\",\"name\":\"Shop 3\",\"province\":\"\\u0110\\u00e0 N\\u1eb5ng\"}},"
    "{\"id\":\"h4\",\"title\":\"HOSTILE \\u202egnp.exe Gi\\u00e0y Adidas Stan Smith rep 1:1\",\"price\":150000,"
    "\"url\":\"http://127.0.0.1:1/p/h4\",\"shop\":{\"id\":\"s4\",\"name\":\"\\u202eShop 4\",\"province\":\"Hu\\u1ebf\"}},"
    "{\"id\":\"h5\",\"title\":\"HOSTILE \\u001b[31m\\u0110\\u1ed3ng h\\u1ed3 Rolex Submariner fake 1:1\\u001b[0m\","
    "\"price\":150000,\"url\":\"http://127.0.0.1:1/p/h5\",\"shop\":{\"id\":\"s5\",\"name\":\"\\u001b]0;pwned\\u0007Shop 5\","
    "\"province\":\"Ngh\\u1ec7 An\"}},"
    "{\"id\":\"h6\",\"title\":\"HOSTILE <a href=\\\"javascript:window.__pwned=1\\\">click</a> Gi\\u00e0y Nike rep 1:1\","
    "\"price\":150000,\"url\":\"https://127.0.0.1:1/p/h6\",\"shop\":{\"id\":\"s6\",\"name\":\"Shop 6\","
    "\"province\":\"B\\u1eafc Giang\"}}"
    "]}}";

static void answer_shop(void *ctx, const char *target, loopback_reply *reply)
{
    (void)ctx;
    if (!strncmp(target, "/v1/products", 12)) {
        reply->body = HOSTILE_PAGE;
        reply->length = sizeof HOSTILE_PAGE - 1;
    } else {
        reply->status = 404;
        reply->body = "{}";
        reply->length = 2;
    }
}

static const char *scratch_dir(void)
{
    if (!scratch.dir[0]) {
        const char *argv[] = {"true", NULL};
        cr_assert_eq(harness_start_command(&scratch, argv), 0);
        harness_wait_exit(&scratch, 5000);
    }
    return scratch.dir;
}

static void lscan_path(char *out, size_t size) { snprintf(out, size, "%s/lscan", harness_build()); }

static void scan(void)
{
    char campaign[1024], lscan[1024], state[1024];
    snprintf(campaign, sizeof campaign, "%s/campaign.yaml", scratch_dir());
    FILE *f = fopen(campaign, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "campaign: console-test\n"
            "rules: [%s/rules/packs]\n"
            "redis: {url: \"redis://127.0.0.1:%d\"}\n"
            "limits: {per_host_concurrency: 8, requests_per_second: 0}\n"
            "targets:\n"
            "  - {name: shopee, adapter: shopee, base_url: \"http://127.0.0.1:%d/shopee\", categories: true, keywords: []}\n"
            "  - {name: tiki, adapter: tiki, base_url: \"http://127.0.0.1:%d/tiki\", categories: true, keywords: []}\n"
            "  - name: hostile\n"
            "    adapter: json\n"
            "    platform: web\n"
            "    base_url: \"http://127.0.0.1:%d\"\n"
            "    start_urls: [\"/v1/products?page=1\"]\n"
            "    fields: {items: data.products, listing_id: id, title: title, description: body, price: price,\n"
            "             url: url, seller_id: shop.id, seller_name: shop.name, seller_location: shop.province}\n",
            harness_root(), redis.port, market.port, market.port, loopback_port(shop));
    fclose(f);
    lscan_path(lscan, sizeof lscan);
    snprintf(state, sizeof state, "%s/state", scratch_dir());
    const char *argv[] = {lscan, "scan", "--campaign", campaign, "--threads", "2", "--state-dir", state, "--quiet", NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, NULL, 0, &out, &err);
    cr_assert_eq(rc, 0, "lscan scan exited %d: %s", rc, err ? err : "");
    cr_log_info("%s%s", out ? out : "", err ? err : "");
    free(out);
    free(err);
}

static void add_user(const char *accounts, const char *name, const char *password, const char *role, const char *unit)
{
    char lscan[1024], input[256];
    lscan_path(lscan, sizeof lscan);
    snprintf(input, sizeof input, "%s\n", password);
    const char *argv[] = {lscan, "users", "add", name, "--role", role, "--accounts", accounts,
                          unit ? "--unit" : NULL, unit, NULL};
    char *err = NULL;
    int rc = harness_run(argv, input, strlen(input), NULL, &err);
    cr_assert_eq(rc, 0, "lscan users add %s: %s", name, err ? err : "");
    free(err);
}

static long long redis_integer(const char *command)
{
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    redisReply *r = redisCommand(c, command);
    cr_assert(r && r->type == REDIS_REPLY_INTEGER, "%s", command);
    long long v = r->integer;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static long long register_number(const char *path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A request with libcurl: the status, and the value of one response header. */
typedef struct answer {
    long status;
    char header_value[512];
    const char *header_name;
    char body[4096];
    size_t body_length;
} answer;

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    answer *a = ctx;
    size_t length = size * n, name = strlen(a->header_name);
    if (length > name + 1 && !strncasecmp(data, a->header_name, name) && data[name] == ':') {
        size_t start = name + 1;
        while (start < length && data[start] == ' ')
            start++;
        size_t end = length;
        while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n'))
            end--;
        snprintf(a->header_value, sizeof a->header_value, "%.*s", (int)(end - start), data + start);
    }
    return length;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    answer *a = ctx;
    size_t length = size * n, room = sizeof a->body - 1 - a->body_length;
    memcpy(a->body + a->body_length, data, length < room ? length : room);
    a->body_length += length < room ? length : room;
    a->body[a->body_length] = '\0';
    return length;
}

static void request(int port, const char *method, const char *path, const char *content_type, const char *body,
                    const char *header_name, answer *out)
{
    memset(out, 0, sizeof *out);
    out->header_name = header_name;
    CURL *curl = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    struct curl_slist *headers = NULL;
    if (content_type) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, line);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    }
    if (body)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    cr_assert_eq(curl_easy_perform(curl), CURLE_OK, "%s %s", method, path);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
}

static void expect_png(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t length = 0;
    char *data = harness_read_file(path, &length);
    cr_expect(data && length > 10000 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8), "%s is not a screenshot (%zu bytes)",
              path, length);
    free(data);
}

Test(console, reviewers_work_cases_in_a_real_browser_and_the_register_and_stream_agree)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    cr_assert_eq(harness_market_start(&market, 2026, 2000, NULL), 0);
    cr_assert_not_null(shop = loopback_start("127.0.0.1", answer_shop, NULL));
    scan();
    long long flags = redis_integer("XLEN lscan:flags");
    cr_assert_gt(flags, 100);

    char accounts[1024], reg[1024], lscan[1024], url[64];
    snprintf(accounts, sizeof accounts, "%s/accounts.sqlite", scratch_dir());
    snprintf(reg, sizeof reg, "%s/register.sqlite", scratch_dir());
    add_user(accounts, "anh", "reviewer-password-1", "reviewer", NULL);
    add_user(accounts, "binh", "reviewer-password-2", "reviewer", NULL);
    add_user(accounts, "chi", "lead-password-1", "lead", NULL);
    add_user(accounts, "dung", "admin-password-1", "admin", NULL);
    add_user(accounts, "pc03", "police-password-1", "police", "PC03 Công an tỉnh Bắc Ninh");

    lscan_path(lscan, sizeof lscan);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis.port);
    char evidence[1100], campaign[1100];
    snprintf(evidence, sizeof evidence, "%s/state/evidence", scratch_dir());
    snprintf(campaign, sizeof campaign, "%s/campaign.yaml", scratch_dir());
    const char *argv[] = {lscan, "serve", "--listen", "127.0.0.1:0", "--register", reg, "--accounts", accounts,
                          "--redis", url, "--evidence-dir", evidence, "--campaign", campaign, NULL};
    cr_assert_eq(harness_start_command(&serve, argv), 0);
    char line[512];
    cr_assert_eq(harness_read_line(&serve, "the console is at", line, sizeof line, 20000), 0, "lscan serve did not start");
    int port = 0;
    const char *colon = strstr(line, "127.0.0.1:");
    char *port_end = NULL;
    long parsed = colon ? strtol(colon + 10, &port_end, 10) : 0;
    cr_assert(colon && port_end != colon + 10 && parsed > 0 && parsed < 65536, "%s", line);
    port = (int)parsed;

    /* the intake fills the register in the background: its log says when it has taken every flag in */
    long long taken = 0;
    while (taken < flags && harness_read_line(&serve, "taken in so far", line, sizeof line, 30000) == 0) {
        const char *at = strstr(line, "intake: ");
        taken = at ? atoll(at + 8) : taken;
    }
    cr_assert_eq(taken, flags, "the intake took %lld of %lld stream entries", taken, flags);
    long long sightings = register_number(reg, "SELECT count(*) FROM sightings");
    cr_assert_eq(sightings, flags, "%lld sightings of %lld flags", sightings, flags);
    cr_assert_eq(register_number(reg, "SELECT count(*) FROM cases WHERE title LIKE 'HOSTILE%'"), 6,
                  "the hostile shop's listings are not cases");

    /* what the C side checks itself */
    answer a;
    request(port, "GET", "/", NULL, NULL, "Content-Security-Policy", &a);
    cr_expect_eq(a.status, 200);
    cr_expect(strstr(a.header_value, "script-src 'self'") && !strstr(a.header_value, "unsafe-inline") &&
                  strstr(a.header_value, "frame-ancestors 'none'"),
              "CSP: %s", a.header_value);
    request(port, "GET", "/api/cases", NULL, NULL, "Content-Type", &a);
    cr_expect_eq(a.status, 401);
    cr_expect(!strncmp(a.header_value, "application/json", 16), "%s", a.header_value);
    request(port, "POST", "/api/login", "text/plain", "{\"username\":\"anh\",\"password\":\"reviewer-password-1\"}",
            "Set-Cookie", &a);
    cr_expect_eq(a.status, 415, "a login that is not JSON (a cross-site form) was taken");
    request(port, "POST", "/api/login", "application/json", "{\"username\":\"anh\",\"password\":\"reviewer-password-1\"}",
            "Set-Cookie", &a);
    cr_expect_eq(a.status, 200);
    cr_expect(strstr(a.header_value, "HttpOnly") && strstr(a.header_value, "SameSite=Strict"), "cookie: %s",
              a.header_value);
    request(port, "GET", "/api/../../etc/passwd", NULL, NULL, "Content-Type", &a);
    cr_expect(a.status == 401 || a.status == 404, "%ld", a.status);

    /* the browser */
    char shots[1024];
    snprintf(shots, sizeof shots, "%s/artifacts", harness_build());
    mkdir(shots, 0755);
    snprintf(shots, sizeof shots, "%s/artifacts/console", harness_build());
    mkdir(shots, 0755);
    char console_url[64];
    snprintf(console_url, sizeof console_url, "http://127.0.0.1:%d", port);
    setenv("LSCAN_CONSOLE_URL", console_url, 1);
    setenv("LSCAN_SCREENSHOTS", shots, 1);
    setenv("LSCAN_REVIEWER1", "anh:reviewer-password-1", 1);
    setenv("LSCAN_REVIEWER2", "binh:reviewer-password-2", 1);
    setenv("LSCAN_LEAD", "chi:lead-password-1", 1);
    setenv("LSCAN_ADMIN", "dung:admin-password-1", 1);
    setenv("LSCAN_POLICE", "pc03:police-password-1", 1);
    char script[1024];
    snprintf(script, sizeof script, "%s/tests/browser/console.test.mjs", harness_root());
    const char *node[] = {"node", script, NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(node, NULL, 0, &out, &err);
    cr_log_info("%s", out ? out : "");
    cr_assert_eq(rc, 0, "the browser test failed (exit %d):\n%s\n%s", rc, out ? out : "", err ? err : "");
    cr_expect(out && strstr(out, " 0 failed"), "%s", out);
    char verified[33] = "", dismissed[33] = "", transferred[33] = "";
    const char *decided = out ? strstr(out, "decided: ") : NULL;
    cr_assert(decided && sscanf(decided, "decided: verify=%32s dismiss=%32s transfer=%32s", verified, dismissed,
                                transferred) == 3,
              "no decided line: %s", out);
    free(out);
    free(err);

    /* the register holds each decision, by reviewer1, and the cases are where they were moved */
    static const struct {
        const char *action, *state;
    } moves[3] = {{"verify", "verified"}, {"dismiss", "dismissed"}, {"transfer", "transferred"}};
    const char *ids[3] = {verified, dismissed, transferred};
    for (int i = 0; i < 3; i++) {
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM decisions WHERE case_id = '%s' AND action = '%s' AND actor = 'anh'",
                 ids[i], moves[i].action);
        cr_expect_eq(register_number(reg, sql), 1, "%s of %s", moves[i].action, ids[i]);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM cases WHERE case_id = '%s' AND state = '%s'", ids[i],
                 moves[i].state);
        cr_expect_eq(register_number(reg, sql), 1, "%s is not %s", ids[i], moves[i].state);
    }
    cr_expect_eq(register_number(reg, "SELECT count(*) FROM decisions WHERE action = 'transfer' AND transfer_unit = "
                                      "'PC03 Công an tỉnh Bắc Ninh' AND transfer_reference != ''"),
                 1);
    cr_expect_eq(register_number(reg, "SELECT count(*) FROM cases WHERE claimed_by IS NOT NULL AND claim_expires > "
                                      "CAST(strftime('%s', 'now') AS INTEGER) * 1000"),
                 0, "a claim was left held");

    /* ... and in lscan:decisions, once each (the intake publishes each round) */
    long long decisions = register_number(reg, "SELECT count(*) FROM decisions");
    cr_assert_geq(decisions, 5);
    /* blocking reads of the stream (XREAD BLOCK), each bounded, until every decision is there */
    long long published = 0;
    {
        redisContext *w = harness_redis_connect(&redis);
        cr_assert_not_null(w);
        char last[64] = "0";
        for (int rounds = 0; rounds < 100 && published < decisions; rounds++) {
            redisReply *r = redisCommand(w, "XREAD COUNT 1000 BLOCK 10000 STREAMS lscan:decisions %s", last);
            cr_assert(r && (r->type == REDIS_REPLY_ARRAY || r->type == REDIS_REPLY_NIL), "XREAD failed");
            if (r->type == REDIS_REPLY_NIL) { /* 10 s without a new decision: give up */
                freeReplyObject(r);
                break;
            }
            redisReply *entries = r->element[0]->element[1];
            published += (long long)entries->elements;
            snprintf(last, sizeof last, "%s", entries->element[entries->elements - 1]->element[0]->str);
            freeReplyObject(r);
        }
        redisFree(w);
    }
    cr_expect_eq(published, decisions, "%lld decisions in the stream, %lld in the register", published, decisions);
    redisContext *c = harness_redis_connect(&redis);
    redisReply *entries = redisCommand(c, "XRANGE lscan:decisions - +");
    cr_assert(entries && entries->type == REDIS_REPLY_ARRAY);
    int found[3] = {0, 0, 0};
    for (size_t i = 0; i < entries->elements; i++) {
        cJSON *d = cJSON_Parse(entries->element[i]->element[1]->element[3]->str);
        for (int k = 0; k < 3; k++)
            if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "case_id")), ids[k]) &&
                !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "action")), moves[k].action))
                found[k]++;
        cJSON_Delete(d);
    }
    freeReplyObject(entries);
    redisFree(c);
    for (int k = 0; k < 3; k++)
        cr_expect_eq(found[k], 1, "the %s of %s is in lscan:decisions %d times", moves[k].action, ids[k], found[k]);

    /* the audit trail: logins, the failures and the lockout */
    const char *audit[] = {lscan, "users", "audit", "--accounts", accounts, "--json", NULL};
    cr_assert_eq(harness_run(audit, NULL, 0, &out, NULL), 0);
    cr_expect(out && strstr(out, "\"event\":\"login\",\"actor\":\"anh\""), "no login of anh in the audit trail");
    cr_expect(out && strstr(out, "\"event\":\"login_failed\",\"actor\":\"binh\""), "no failed login of binh");
    cr_expect(out && strstr(out, "\"event\":\"login_refused\",\"actor\":\"binh\""), "no refused login of binh");
    free(out);

    /* the chain holds after all of it */
    const char *verify[] = {lscan, "cases", "verify", "--register", reg, NULL};
    cr_expect_eq(harness_run(verify, NULL, 0, NULL, NULL), 0);

    /* the package the police downloaded verifies */
    char package[1100];
    snprintf(package, sizeof package, "%s/package.wacz", shots);
    const char *check_package[] = {lscan, "evidence", "verify", package, NULL};
    char *verify_out = NULL, *verify_err = NULL;
    cr_expect_eq(harness_run(check_package, NULL, 0, &verify_out, &verify_err), 0, "%s %s", verify_out, verify_err);
    free(verify_out);
    free(verify_err);

    expect_png(shots, "queue.png");
    expect_png(shots, "case.png");
    expect_png(shots, "dashboard.png");
}
