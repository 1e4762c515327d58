/* The defects an outside probe found (issue 8), each against real parts: a
 * real redis-server, hostile HTTP servers on loopback addresses inside this
 * process, the real lscan binary, real pack files. Each test failed before
 * its fix. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/loopback_server.h"
#include "rules/base/bytebuf.h"

static harness_process redis;
static char lscan[1024], packs[1024], dir[1024];

static void setup(void)
{
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    snprintf(packs, sizeof packs, "%s/rules/packs", harness_root());
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/lscan-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    harness_stop(&redis);
    char command[1200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    cr_expect_eq(system(command), 0);
}

TestSuite(probe, .init = setup, .fini = teardown, .timeout = 240);

/* ---- helpers ---------------------------------------------------------------- */

/* A JSON API page of listings, served by a loopback server. */
typedef struct api_site {
    const char *page;          /* the body of /api?page=1 */
    size_t page_length;
    const char *next_page;     /* the body of /api?page=2, or NULL */
} api_site;

static void api_handler(void *ctx, const char *target, loopback_reply *reply)
{
    const api_site *site = ctx;
    if (!strcmp(target, "/api?page=1")) {
        reply->body = site->page;
        reply->length = site->page_length;
    } else if (site->next_page && !strcmp(target, "/api?page=2")) {
        reply->body = site->next_page;
        reply->length = strlen(site->next_page);
    } else {
        reply->status = 404;
    }
}

/* Writes a campaign with one json target at http://ip:port, extra target
 * settings and limits; returns its path (static). */
static const char *json_campaign(const char *name, const char *ip, int port, const char *target_extra,
                                 const char *limits)
{
    static char path[1200];
    snprintf(path, sizeof path, "%s/%s.yaml", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "campaign: %s\n"
            "rules: [%s]\n"
            "redis: {url: \"redis://127.0.0.1:%d\"}\n"
            "limits: {retries: 1, %s}\n"
            "targets:\n"
            "  - name: api\n"
            "    adapter: json\n"
            "    platform: web\n"
            "    base_url: \"http://%s:%d\"\n"
            "    start_urls: [\"/api?page=1\"]\n"
            "    fields: {items: items, listing_id: id, title: title, description: description, url: url,\n"
            "             price: price, seller_id: seller, seller_location: location, next_url: next}\n"
            "%s",
            name, packs, redis.port, limits ? limits : "", ip, port, target_extra ? target_extra : "");
    fclose(f);
    return path;
}

/* Runs lscan scan; returns its exit status, stderr (caller frees) and the
 * JSON summary (caller deletes). */
static int scan(const char *campaign, const char *const *extra, char **err, cJSON **summary)
{
    char summary_path[1300], state[1300];
    snprintf(summary_path, sizeof summary_path, "%s/summary.json", dir);
    snprintf(state, sizeof state, "%s/state", dir);
    unlink(summary_path);
    const char *argv[32] = {lscan, "scan", "--campaign", campaign, "--json-summary", summary_path, "--threads", "2",
                            "--state-dir", state};
    size_t n = 10;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int rc = harness_run(argv, NULL, 0, NULL, err);
    char *text = harness_read_file(summary_path, NULL);
    *summary = text ? cJSON_Parse(text) : NULL;
    free(text);
    return rc;
}

static double number(const cJSON *object, const char *path)
{
    const cJSON *v = object;
    char part[64];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, path);
        v = cJSON_GetObjectItem(v, part);
        path += n + (path[n] == '.');
    }
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Every flag JSON of the stream lscan:flags, parsed (a cJSON array). */
static cJSON *stream_flags(void)
{
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    redisReply *entries = redisCommand(c, "XRANGE lscan:flags - +");
    cr_assert(entries && entries->type == REDIS_REPLY_ARRAY);
    cJSON *flags = cJSON_CreateArray();
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *fields = entries->element[i]->element[1];
        for (size_t k = 0; k + 1 < fields->elements; k += 2)
            if (!strcmp(fields->element[k]->str, "flag")) {
                cJSON *flag = cJSON_ParseWithLength(fields->element[k + 1]->str, fields->element[k + 1]->len);
                cr_assert_not_null(flag, "a flag in the stream is not JSON");
                cr_expect_leq(fields->element[k + 1]->len, (size_t)1 << 20, "a flag over 1 MiB in the stream");
                cJSON_AddItemToArray(flags, flag);
            }
    }
    freeReplyObject(entries);
    redisFree(c);
    return flags;
}

static const char *listing_string(const cJSON *flag, const char *field)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(flag, "listing"), field));
}

/* ---- 1. lscan match reads every ordinary line ---------------------------------- */

Test(probe, match_reads_ten_thousand_listings_of_three_kilobytes_each)
{
    bytebuf input;
    bytebuf_init(&input, 0);
    char description[3001];
    for (size_t i = 0; i < sizeof description - 1; i++)
        description[i] = "giày thể thao êm chân "[i % 24] ? "abcdefgh ijklmnop qrstuv "[i % 25] : ' ';
    description[sizeof description - 1] = '\0';
    for (int i = 0; i < 10000; i++)
        bytebuf_printf(&input,
                       "{\"platform\":\"shopee\",\"listing_id\":\"%d\",\"url\":\"https://shopee.vn/p/%d\","
                       "\"title\":\"Giày Nike Air Force 1 rep 1:1 mẫu %d\",\"description\":\"%s\",\"price\":250000}\n",
                       i, i, i, description);
    cr_assert_not(input.overflow);
    cr_assert_gt(input.length, (size_t)30 << 20, "the input must pass several 4 MiB batches");
    const char *argv[] = {lscan, "match", "--rules", packs, "--threads", "2", NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, input.data, input.length, &out, &err);
    cr_expect_eq(rc, 0, "exit %d: %.600s", rc, err);
    cr_expect_not_null(strstr(err, "10000 listings, 10000 flagged"), "%.600s", err);
    cr_expect_not_null(strstr(err, " 0 bad lines"), "%.600s", err);
    size_t lines = 0;
    for (const char *p = out; p && *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, 10000, "one flag per listing");
    free(out);
    free(err);
    bytebuf_free(&input);
}

/* ---- 2. a flag is never dropped for its size ----------------------------------- */

Test(probe, a_listing_with_a_two_megabyte_description_is_flagged_cut_to_fit_and_counted)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    bytebuf page;
    bytebuf_init(&page, 0);
    bytebuf_append_string(&page, "{\"items\":[{\"id\":\"big-1\",\"title\":\"Giày Nike Air Force 1 rep 1:1\","
                                 "\"url\":\"/p/big-1\",\"price\":300000,\"description\":\"Nike rep 1:1 ");
    for (int i = 0; i < 200000; i++)
        bytebuf_append_string(&page, "hàng đẹp ");
    bytebuf_append_string(&page, "\"},{\"id\":\"small-2\",\"title\":\"Giày Nike Air Max rep 1:1\",\"url\":\"/p/2\","
                                 "\"price\":300000}]}");
    cr_assert_gt(page.length, (size_t)2 << 20);
    api_site site = {page.data, page.length, NULL};
    loopback_server *server = loopback_start("127.0.0.1", api_handler, &site);
    cr_assert_not_null(server);
    const char *campaign = json_campaign("big", "127.0.0.1", loopback_port(server), NULL, "max_body_bytes: 16000000");
    char *err;
    cJSON *summary;
    int rc = scan(campaign, NULL, &err, &summary);
    loopback_stop(server);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "flags"), 2);
    cr_expect_eq(number(summary, "flags_new"), 2, "both flags reach Redis: %s", err);
    cr_expect_eq(number(summary, "flags_cut"), 1, "the cut is counted");
    cr_expect_not_null(strstr(err, "flags cut to fit"), "the cut is shown: %s", err);
    cJSON *flags = stream_flags();
    cr_assert_eq(cJSON_GetArraySize(flags), 2);
    bool found = false;
    const cJSON *flag;
    cJSON_ArrayForEach(flag, flags)
    {
        if (strcmp(listing_string(flag, "listing_id"), "big-1"))
            continue;
        found = true;
        const char *description = listing_string(flag, "description");
        cr_assert_not_null(description);
        cr_expect_lt(strlen(description), (size_t)70 << 10, "the description is cut");
        cr_expect_not_null(strstr(description, "[…]"), "the cut is marked in the text");
        cr_expect_gt(number(flag, "cut.listing\\.description"), -2); /* presence checked below */
        const cJSON *cut = cJSON_GetObjectItem(flag, "cut");
        cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(cut, "listing.description")), "the flag names what was cut");
        cr_expect_gt(cJSON_GetNumberValue(cJSON_GetObjectItem(cut, "listing.description")), 2e6);
    }
    cr_expect(found);
    cJSON_Delete(flags);
    cJSON_Delete(summary);
    free(err);
    bytebuf_free(&page);
}

/* ---- 3. one bad listing does not hide its page --------------------------------- */

static const char bad_escape_page[] =
    "{\"items\":["
    "{\"id\":\"good-1\",\"title\":\"Giày Nike Air Force 1 rep 1:1\",\"url\":\"/p/1\",\"price\":200000},"
    "{\"id\":\"cut-emoji\",\"title\":\"Giày Nike rep 1:1 \\ud83d\",\"url\":\"/p/2\",\"price\":200000},"
    "{\"id\":\"low-first\",\"title\":\"Giày Nike rep 1:1 \\udc00 x\",\"url\":\"/p/3\",\"price\":200000},"
    "{\"id\":\"a\\u0000x\",\"title\":\"Giày Nike Air Max rep 1:1\",\"url\":\"/p/4\",\"price\":200000},"
    "{\"id\":\"a\\u0000y\",\"title\":\"Giày Nike Jordan rep 1:1\",\"url\":\"/p/5\",\"price\":200000},"
    "{\"id\":\"pair\",\"title\":\"Giày Nike rep 1:1 \\ud83d\\ude00\",\"url\":\"/p/6\",\"price\":200000},"
    "{\"id\":\"good-2\",\"title\":\"Túi Gucci super fake\",\"url\":\"/p/7\",\"price\":200000}"
    "]}";

Test(probe, a_lone_surrogate_or_a_nul_escape_loses_neither_the_page_nor_an_id)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    api_site site = {bad_escape_page, sizeof bad_escape_page - 1, NULL};
    loopback_server *server = loopback_start("127.0.0.1", api_handler, &site);
    cr_assert_not_null(server);
    const char *campaign = json_campaign("escapes", "127.0.0.1", loopback_port(server), NULL, NULL);
    char *err;
    cJSON *summary;
    int rc = scan(campaign, NULL, &err, &summary);
    loopback_stop(server);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "listings"), 7, "every listing of the page is read: %s", err);
    cr_expect_eq(number(summary, "pages_json_repaired"), 1, "the repair is counted");
    cr_expect_eq(number(summary, "json_repairs"), 4);
    cJSON *flags = stream_flags();
    cr_expect_eq(cJSON_GetArraySize(flags), 7, "the two ids with a NUL stay two listings");
    const cJSON *flag;
    cJSON_ArrayForEach(flag, flags)
    {
        const char *id = listing_string(flag, "listing_id"), *title = listing_string(flag, "title");
        if (!strcmp(id, "cut-emoji"))
            cr_expect_str_eq(title, "Giày Nike rep 1:1 \xEF\xBF\xBD");
        if (!strcmp(id, "pair"))
            cr_expect_str_eq(title, "Giày Nike rep 1:1 \xF0\x9F\x98\x80", "a valid pair is kept");
        cr_expect_null(strstr(id, "\\u0000"));
    }
    cJSON_Delete(flags);
    cJSON_Delete(summary);
    free(err);

    /* lscan match: the same lines, one listing each */
    bytebuf lines;
    bytebuf_init(&lines, 0);
    bytebuf_append_string(&lines, "{\"platform\":\"web\",\"listing_id\":\"x\\u0000\",\"url\":\"u\","
                                  "\"title\":\"Giày Nike rep 1:1 \\ud800\"}\n"
                                  "{\"platform\":\"web\",\"listing_id\":\"y\",\"url\":\"u\",\"title\":\"Giày Nike rep 1:1\"}\n");
    const char *argv[] = {lscan, "match", "--rules", packs, NULL};
    char *out = NULL;
    rc = harness_run(argv, lines.data, lines.length, &out, &err);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "2 listings, 2 flagged"), "%s", err);
    cr_expect_not_null(strstr(err, "1 with repaired JSON escapes"), "%s", err);
    cr_expect_not_null(strstr(out, "\"listing_id\":\"x\xEF\xBF\xBD\""), "%s", out);
    free(out);
    free(err);
    bytebuf_free(&lines);
}

/* ---- 5 and 6. exit status, Redis authentication --------------------------------- */

static redisContext *redis_admin(const char *password)
{
    redisContext *c = harness_redis_connect(&redis);
    cr_assert_not_null(c);
    if (password) {
        redisReply *r = redisCommand(c, "AUTH %s", password);
        cr_assert(r && r->type == REDIS_REPLY_STATUS, "AUTH: %s", r && r->str ? r->str : "no reply");
        freeReplyObject(r);
    }
    return c;
}

static void redis_do(redisContext *c, const char *command)
{
    redisReply *r = redisCommand(c, command);
    cr_assert(r && r->type != REDIS_REPLY_ERROR, "%s: %s", command, r && r->str ? r->str : "no reply");
    freeReplyObject(r);
}

static const char simple_page[] =
    "{\"items\":[{\"id\":\"1\",\"title\":\"Giày Nike Air Force 1 rep 1:1\",\"url\":\"/p/1\",\"price\":200000},"
    "{\"id\":\"2\",\"title\":\"Túi Gucci super fake\",\"url\":\"/p/2\",\"price\":200000}]}";

Test(probe, redis_with_a_password_or_an_acl_user_and_wrong_credentials_fail_fast)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    redisContext *admin = redis_admin(NULL);
    redis_do(admin, "ACL SETUSER scanner on >scanner-secret ~lscan:* +@all");
    redis_do(admin, "CONFIG SET requirepass default-secret");
    redisFree(admin);
    api_site site = {simple_page, sizeof simple_page - 1, NULL};
    loopback_server *server = loopback_start("127.0.0.1", api_handler, &site);
    cr_assert_not_null(server);
    const char *campaign = json_campaign("auth", "127.0.0.1", loopback_port(server), NULL, NULL);
    char campaign_copy[1200];
    snprintf(campaign_copy, sizeof campaign_copy, "%s", campaign);
    char *err;
    cJSON *summary;

    /* no password: NOAUTH, at once, not a spool forever */
    unsetenv("LSCAN_REDIS_PASSWORD");
    int rc = scan(campaign_copy, NULL, &err, &summary);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "NOAUTH"), "the cause is named: %s", err);
    cr_expect_null(strstr(err, "spool"), "not an outage: %s", err);
    free(err);
    cJSON_Delete(summary);

    /* a wrong password from a file */
    char password_file[1300];
    snprintf(password_file, sizeof password_file, "%s/password", dir);
    FILE *f = fopen(password_file, "w");
    fputs("wrong\n", f);
    fclose(f);
    const char *with_file[] = {"--redis-password-file", password_file, NULL};
    rc = scan(campaign_copy, with_file, &err, &summary);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "WRONGPASS"), "%s", err);
    cr_expect_null(strstr(err, "wrong\n"), "the password is never printed");
    free(err);
    cJSON_Delete(summary);

    /* the right password from a file, then from the environment */
    f = fopen(password_file, "w");
    fputs("default-secret\n", f);
    fclose(f);
    rc = scan(campaign_copy, with_file, &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "flags_new"), 2);
    free(err);
    cJSON_Delete(summary);

    /* an ACL user with its password in an environment variable the campaign names */
    FILE *c = fopen(campaign_copy, "a");
    cr_assert_not_null(c);
    fclose(c);
    char acl_campaign[1300];
    snprintf(acl_campaign, sizeof acl_campaign, "%s/acl.yaml", dir);
    char *text = harness_read_file(campaign_copy, NULL);
    char *redis_line = strstr(text, "redis: {url: ");
    cr_assert_not_null(redis_line);
    f = fopen(acl_campaign, "w");
    fwrite(text, 1, (size_t)(redis_line - text), f);
    fprintf(f, "redis: {url: \"redis://127.0.0.1:%d\", user: scanner, password_env: PROBE_REDIS_SECRET, prefix: "
               "\"lscan:acl:\"}\n",
            redis.port);
    fputs(strchr(redis_line, '\n') + 1, f);
    fclose(f);
    free(text);
    setenv("PROBE_REDIS_SECRET", "scanner-secret", 1);
    rc = scan(acl_campaign, NULL, &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "flags_new"), 2);
    free(err);
    cJSON_Delete(summary);
    unsetenv("PROBE_REDIS_SECRET");
    rc = scan(acl_campaign, NULL, &err, &summary);
    cr_expect_eq(rc, 2, "a named variable that is not set is a usage error: exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "PROBE_REDIS_SECRET"), "%s", err);
    free(err);
    cJSON_Delete(summary);
    loopback_stop(server);
}

Test(probe, redis_out_of_memory_leaves_flags_in_the_spool_and_exit_4_names_the_cause)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    redisContext *admin = redis_admin(NULL);
    redis_do(admin, "CONFIG SET maxmemory-policy noeviction");
    redis_do(admin, "CONFIG SET maxmemory 1");
    redisFree(admin);
    api_site site = {simple_page, sizeof simple_page - 1, NULL};
    loopback_server *server = loopback_start("127.0.0.1", api_handler, &site);
    cr_assert_not_null(server);
    const char *campaign = json_campaign("oom", "127.0.0.1", loopback_port(server), NULL, NULL);
    char *err;
    cJSON *summary;
    int rc = scan(campaign, NULL, &err, &summary);
    loopback_stop(server);
    cr_expect_eq(rc, 4, "flags left in the spool: exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "2 flags wait in the spool"), "%s", err);
    cr_expect_not_null(strstr(err, "OOM"), "the Redis error is named: %s", err);
    cr_expect_eq(number(summary, "flags_waiting_in_spool"), 2);
    free(err);
    cJSON_Delete(summary);
}

Test(probe, a_spool_that_cannot_be_written_loses_flags_and_the_line_names_why)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    int port = redis.port;
    harness_stop(&redis); /* Redis away: every flag must go to the spool */
    redis.port = port;
    api_site site = {simple_page, sizeof simple_page - 1, NULL};
    loopback_server *server = loopback_start("127.0.0.1", api_handler, &site);
    cr_assert_not_null(server);
    const char *campaign = json_campaign("nospace", "127.0.0.1", loopback_port(server), NULL, NULL);
    /* a full disk, as the scan sees it: no file may grow past 1000 bytes (RLIMIT_FSIZE, inherited by the
       scan; SIGXFSZ ignored, so a write fails with EFBIG as it would with ENOSPC) */
    char state[1300];
    snprintf(state, sizeof state, "%s/state", dir);
    const char *argv[] = {lscan, "scan", "--campaign", campaign, "--threads", "1", "--state-dir", state, NULL};
    struct rlimit old, small = {1000, 1000};
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    char *err;
    int rc = harness_run(argv, NULL, 0, NULL, &err);
    small.rlim_cur = old.rlim_cur;
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, previous);
    loopback_stop(server);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "2 flags could not be delivered to Redis nor kept in the spool"), "%s", err);
    cr_expect_not_null(strstr(err, "File too large"), "the line names the cause: %s", err);
    free(err);
}

/* ---- 7, 8. the crawler stays on its sites; evidence names what served ------------ */

typedef struct hostile {
    int own_port, other_port, listed_port;
    char page[4096];
} hostile;

static void hostile_handler(void *ctx, const char *target, loopback_reply *reply)
{
    hostile *h = ctx;
    static char location[8][256];
    if (!strcmp(target, "/store/api?page=1")) {
        reply->body = h->page;
        reply->length = strlen(h->page);
    } else if (!strncmp(target, "/store/r/", 9)) {
        /* redirects: to another port, to a host with user info, to a listed host on a private address */
        int which = target[9] - '0';
        if (which < 0 || which > 7)
            which = 0;
        switch (which) {
        case 0: snprintf(location[0], 256, "http://127.0.0.1:%d/store/p", h->other_port); break;
        case 1: snprintf(location[1], 256, "http://127.0.0.1:%d@127.0.0.1:%d/store/p", h->own_port, h->other_port); break;
        case 2: snprintf(location[2], 256, "http://127.0.0.2:%d/store/p", h->listed_port); break;
        case 3: snprintf(location[3], 256, "/store/r/4"); break;
        case 4: snprintf(location[4], 256, "/store/final?x=1"); break;
        default: snprintf(location[which], 256, "/storeX/p"); break;
        }
        reply->status = 302;
        reply->location = location[which];
    } else if (!strcmp(target, "/store/final?x=1")) {
        static const char page[] =
            "{\"items\":[{\"id\":\"moved\",\"title\":\"Giày Nike Air Force 1 rep 1:1\",\"url\":\"/p/m\",\"price\":1}]}";
        reply->body = page;
        reply->length = sizeof page - 1;
    } else {
        reply->status = 404;
    }
}

static void counting_handler(void *ctx, const char *target, loopback_reply *reply)
{
    (void)ctx;
    (void)target;
    static const char page[] = "{\"items\":[{\"id\":\"elsewhere\",\"title\":\"Giày Nike rep 1:1\",\"url\":\"/p\"}]}";
    reply->body = page;
    reply->length = sizeof page - 1;
}

Test(probe, next_pages_and_redirects_stay_on_the_targets_hosts)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    hostile h;
    memset(&h, 0, sizeof h);
    loopback_server *other = loopback_start("127.0.0.1", counting_handler, NULL);
    loopback_server *listed = loopback_start("127.0.0.2", counting_handler, NULL);
    cr_assert(other && listed);
    h.other_port = loopback_port(other);
    h.listed_port = loopback_port(listed);
    loopback_server *own = loopback_start("127.0.0.1", hostile_handler, &h);
    cr_assert_not_null(own);
    h.own_port = loopback_port(own);
    /* one page naming every kind of escape as its next pages (one per start URL below) */
    snprintf(h.page, sizeof h.page, "{\"items\":[], \"next\":\"http://127.0.0.1:%d/store/api?page=2\"}",
             h.other_port);
    char extra[2048];
    snprintf(extra, sizeof extra,
             "    hosts: [\"http://127.0.0.2:%d\"]\n", h.listed_port);
    char campaign[1200];
    snprintf(campaign, sizeof campaign, "%s", json_campaign("stay", "127.0.0.1", h.own_port, extra, NULL));
    /* the target's base is /store; start URLs (under it): the page with an off-site next link, and the redirects */
    char *text = harness_read_file(campaign, NULL);
    char *start = strstr(text, "start_urls: [\"/api?page=1\"]");
    cr_assert_not_null(start);
    FILE *f = fopen(campaign, "w");
    fwrite(text, 1, (size_t)(start - text), f);
    fputs("start_urls: [\"/api?page=1\", \"/r/0\", \"/r/1\", \"/r/2\", \"/r/3\", \"/r/5\"]", f);
    fputs(strchr(start, '\n'), f);
    fclose(f);
    free(text);
    /* base_url with the /store path */
    text = harness_read_file(campaign, NULL);
    char base[128], new_base[160];
    snprintf(base, sizeof base, "base_url: \"http://127.0.0.1:%d\"", h.own_port);
    snprintf(new_base, sizeof new_base, "base_url: \"http://127.0.0.1:%d/store\"", h.own_port);
    char *b = strstr(text, base);
    cr_assert_not_null(b);
    f = fopen(campaign, "w");
    fwrite(text, 1, (size_t)(b - text), f);
    fputs(new_base, f);
    fputs(b + strlen(base), f);
    fclose(f);
    free(text);

    char *err;
    cJSON *summary;
    int rc = scan(campaign, NULL, &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(loopback_requests(other), 0, "another port was fetched: %s", err);
    cr_expect_eq(loopback_requests(listed), 0, "a listed host on a private address was fetched: %s", err);
    cr_expect_eq(number(summary, "links_offsite"), 1, "the off-site next page is refused and counted");
    cr_expect_eq(number(summary, "errors.offsite"), 3, "redirects to another port, through user info, to /storeX: %s",
                 err);
    cr_expect_eq(number(summary, "errors.blocked_address"), 1, "the listed host's private address is refused");
    cr_expect_eq(number(summary, "flags"), 1, "the page reached through two redirects on the site is read");
    /* evidence: the URL that served the content and the chain */
    cJSON *flags = stream_flags();
    cr_assert_eq(cJSON_GetArraySize(flags), 1);
    const cJSON *evidence = cJSON_GetObjectItem(cJSON_GetArrayItem(flags, 0), "evidence");
    char final_url[128], first_url[128];
    snprintf(final_url, sizeof final_url, "http://127.0.0.1:%d/store/final?x=1", h.own_port);
    snprintf(first_url, sizeof first_url, "http://127.0.0.1:%d/store/r/3", h.own_port);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(evidence, "url")), final_url);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(evidence, "requested_url")), first_url);
    const cJSON *redirects = cJSON_GetObjectItem(evidence, "redirects");
    cr_expect_eq(cJSON_GetArraySize(redirects), 2);
    cr_expect_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(redirects, 0), "status")), 302);
    cJSON_Delete(flags);
    cJSON_Delete(summary);
    free(err);
    loopback_stop(own);
    loopback_stop(other);
    loopback_stop(listed);
}

/* ---- 9. Retry-After is capped ------------------------------------------------------ */

static void slow_down_handler(void *ctx, const char *target, loopback_reply *reply)
{
    (void)ctx;
    static const char body[] = "{\"error\":\"slow down\"}";
    if (!strcmp(target, "/robots.txt")) { /* no robots.txt (a 429 there would disallow the host: RFC 9309) */
        reply->status = 404;
        return;
    }
    reply->status = 429;
    reply->retry_after = "3600";
    reply->body = body;
    reply->length = sizeof body - 1;
}

Test(probe, a_host_asking_to_wait_an_hour_is_given_up_with_a_counted_reason)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    loopback_server *server = loopback_start("127.0.0.1", slow_down_handler, NULL);
    cr_assert_not_null(server);
    const char *campaign = json_campaign("wait", "127.0.0.1", loopback_port(server), NULL, "max_retry_after_s: 30");
    char *err;
    cJSON *summary;
    int rc = scan(campaign, NULL, &err, &summary);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(loopback_requests(server), 2, "robots.txt, then the page asked once, not waited for an hour");
    cr_expect_eq(number(summary, "given_up.retry_after"), 1, "%s", err);
    cr_expect_not_null(strstr(err, "Retry-After"), "the reason is logged: %s", err);
    cr_expect_lt(number(summary, "seconds"), 20);
    cJSON_Delete(summary);
    free(err);
    loopback_stop(server);
}

/* ---- 10. one memory budget for bodies in flight ------------------------------------ */

static const char *big_body;
static size_t big_length;

static void big_handler(void *ctx, const char *target, loopback_reply *reply)
{
    (void)ctx;
    (void)target;
    reply->body = big_body;
    reply->length = big_length;
}

Test(probe, several_hosts_serving_seven_megabyte_bodies_at_once_stay_under_the_memory_bound)
{
    cr_assert_eq(harness_redis_start(&redis), 0);
    /* a JSON page of 7 MB: one listing and a long padding field */
    bytebuf body;
    bytebuf_init(&body, 0);
    bytebuf_append_string(&body, "{\"items\":[{\"id\":\"x\",\"title\":\"Áo thun trơn\",\"url\":\"/p\"}],\"pad\":\"");
    while (body.length < 7000000)
        bytebuf_append_string(&body, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    bytebuf_append_string(&body, "\"}");
    big_body = body.data;
    big_length = body.length;
    enum { HOSTS = 4 };
    loopback_server *servers[HOSTS];
    FILE *f;
    char campaign[1300];
    snprintf(campaign, sizeof campaign, "%s/big-bodies.yaml", dir);
    f = fopen(campaign, "w");
    fprintf(f,
            "campaign: big-bodies\nrules: [%s]\nredis: {url: \"redis://127.0.0.1:%d\"}\n"
            "limits: {max_body_bytes: 8000000, per_host_concurrency: 8, requests_per_second: 0, gzip: false}\n"
            "targets:\n",
            packs, redis.port);
    for (int i = 0; i < HOSTS; i++) {
        servers[i] = loopback_start("127.0.0.1", big_handler, NULL);
        cr_assert_not_null(servers[i]);
        fprintf(f, "  - {name: h%d, adapter: json, base_url: \"http://127.0.0.1:%d\", start_urls: [", i,
                loopback_port(servers[i]));
        for (int k = 0; k < 12; k++)
            fprintf(f, "%s\"/api?n=%d\"", k ? ", " : "", k);
        fprintf(f, "],\n     fields: {items: items, listing_id: id, title: title, url: url}}\n");
    }
    fclose(f);
    /* under AddressSanitizer, freed memory waits in a quarantine (256 MB by default) before it is
       reused: keep it small, so RSS measures what the scan holds, not what ASan holds back */
    const char *asan = getenv("ASAN_OPTIONS");
    char options[1024];
    snprintf(options, sizeof options, "%s%squarantine_size_mb=8:thread_local_quarantine_size_kb=256", asan ? asan : "",
             asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", options, 1);
    char *err;
    cJSON *summary;
    int rc = scan(campaign, NULL, &err, &summary);
    if (asan)
        setenv("ASAN_OPTIONS", asan, 1);
    else
        unsetenv("ASAN_OPTIONS");
    for (int i = 0; i < HOSTS; i++)
        loopback_stop(servers[i]);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_eq(number(summary, "pages"), HOSTS * 12, "every page is read: %s", err);
    double rss = number(summary, "peak_rss_mb");
    fprintf(stderr, "memory: %d hosts x 12 pages of 7 MB, peak RSS %.1f MB\n", HOSTS, rss);
    cr_expect_lt(rss, 256, "peak RSS %.1f MB", rss);
    cJSON_Delete(summary);
    free(err);
    bytebuf_free(&body);
}

/* ---- 13. output that cannot attack whoever reads it -------------------------------- */

Test(probe, flag_json_escapes_markup_and_line_separators_and_review_drops_invisible_characters)
{
    const char line[] = "{\"platform\":\"web\",\"listing_id\":\"1\",\"url\":\"u\",\"title\":\"Giày Nike rep 1:1 "
                        "</script><img src=x onerror=alert(1)> & \u2028x\u2029 \u200e\u200f\U000E0041\"}\n";
    const char *argv[] = {lscan, "match", "--rules", packs, NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, line, sizeof line - 1, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_null(strchr(out, '<'), "%s", out);
    cr_expect_null(strchr(out, '>'), "%s", out);
    cr_expect_null(strchr(out, '&'), "%s", out);
    cr_expect_null(strstr(out, "\u2028"), "a raw U+2028 in flag JSON");
    cr_expect_null(strstr(out, "\u2029"), "a raw U+2029 in flag JSON");
    cr_expect_not_null(strstr(out, "\\u003c/script\\u003e"), "%s", out);
    cr_expect_not_null(strstr(out, "\\u2028"), "%s", out);
    cJSON *flag = cJSON_Parse(out);
    cr_assert_not_null(flag, "still valid JSON");
    cr_expect_not_null(strstr(listing_string(flag, "title"), "</script>"), "the text itself is unchanged");
    cJSON_Delete(flag);
    free(err);
    const char *review[] = {lscan, "review", NULL};
    char *shown = NULL;
    rc = harness_run(review, out, strlen(out), &shown, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_null(strstr(shown, "\u200e"), "LRM shown");
    cr_expect_null(strstr(shown, "\u200f"), "RLM shown");
    cr_expect_null(strstr(shown, "\U000E0041"), "a TAG character shown");
    cr_expect_null(strstr(shown, "\u2028"), "a line separator shown");
    cr_expect_not_null(strstr(shown, "</script>"), "the text is shown as text: %s", shown);
    free(shown);
    free(err);
    free(out);
}

/* ---- 11, 12. hostile rule packs ------------------------------------------------------ */

static const char *write_file(const char *name, const char *text, size_t length)
{
    static char path[1300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fwrite(text, 1, length, f);
    fclose(f);
    return path;
}

Test(probe, a_yaml_alias_bomb_is_refused_at_once)
{
    /* "billion laughs": nine levels of nine aliases each */
    bytebuf bomb;
    bytebuf_init(&bomb, 0);
    bytebuf_append_string(&bomb, "pack: bomb\nversion: \"1\"\nlists:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (char c = 'b'; c <= 'i'; c++)
        bytebuf_printf(&bomb, "  %c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1, c - 1, c - 1, c - 1,
                       c - 1, c - 1, c - 1, c - 1, c - 1);
    bytebuf_append_string(&bomb, "rules:\n  - {id: x, kind: trademark, name: X, terms: [x], flag: {list: i}}\n");
    cr_assert_lt(bomb.length, 700);
    const char *path = write_file("bomb.yaml", bomb.data, bomb.length);
    const char *argv[] = {lscan, "rules", "check", path, NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, NULL, 0, &out, &err);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "aliases"), "%s", err);
    free(out);
    free(err);
    bytebuf_free(&bomb);
}

/* Quadratic checking took 73 s for 160,000 keys; linear takes a second or
 * two (the suite's timeout is the bound). */
TestSuite(probe_sizes, .init = setup, .fini = teardown, .timeout = 60);

Test(probe_sizes, a_pack_of_160000_keys_is_checked_in_linear_time)
{
    bytebuf text;
    bytebuf_init(&text, 0);
    bytebuf_append_string(&text, "pack: big\nversion: \"1\"\nlists:\n");
    for (int i = 0; i < 160000; i++)
        bytebuf_printf(&text, "  l%d: [\"term %d\"]\n", i, i);
    bytebuf_append_string(&text, "rules:\n  - {id: x, kind: trademark, name: X, terms: [xyzzy], flag: {list: l159999}}\n");
    const char *path = write_file("big.yaml", text.data, text.length);
    const char *argv[] = {lscan, "rules", "check", path, NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, NULL, 0, &out, &err);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(out, "ok: 1 pack, 1 rules"), "%s", out);
    free(out);
    free(err);
    bytebuf_free(&text);
}

Test(probe_sizes, a_directory_of_300_packs_loads_every_one)
{
    char packs_dir[1300];
    snprintf(packs_dir, sizeof packs_dir, "%s/many", dir);
    cr_assert_eq(mkdir(packs_dir, 0700), 0);
    for (int i = 0; i < 300; i++) {
        char name[1400], text[256];
        snprintf(name, sizeof name, "%s/p%03d.yaml", packs_dir, i);
        int n = snprintf(text, sizeof text,
                         "pack: p%d\nversion: \"1\"\nrules:\n  - {id: r%d, kind: trademark, name: R%d, terms: [brand%d]}\n",
                         i, i, i, i);
        FILE *f = fopen(name, "w");
        fwrite(text, 1, (size_t)n, f);
        fclose(f);
    }
    const char *argv[] = {lscan, "rules", "check", packs_dir, NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, NULL, 0, &out, &err);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(out, "ok: 300 packs, 300 rules"), "%s", out);
    free(out);
    free(err);
}
