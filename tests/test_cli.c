/* The lscan command line as a user meets it: lscan match over the fixture
 * market's listings (precision and recall against its ground truth, printed),
 * bad input, exit codes, threads, and the rules subcommands. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/base/bytebuf.h"
#include "tests/harness.h"

static char lscan[1024], packs[1024], market[1024];

static void paths(void)
{
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    snprintf(packs, sizeof packs, "%s/rules/packs", harness_root());
    snprintf(market, sizeof market, "%s/fixture-market", harness_build());
}

TestSuite(cli, .init = paths, .timeout = 180);

static char *temp_path(const char *name)
{
    static char path[1024];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/lscan-%d-%s", tmp && *tmp ? tmp : "/tmp", (int)getpid(), name);
    return path;
}

typedef struct counts {
    size_t tp, fp, fn;
} counts;

Test(cli, precision_and_recall_of_the_shipped_packs_on_the_fixture_truth)
{
    char truth_path[1024], records_path[1024];
    snprintf(truth_path, sizeof truth_path, "%s", temp_path("truth.jsonl"));
    snprintf(records_path, sizeof records_path, "%s", temp_path("listings.jsonl"));
    const char *gen[] = {market, "--listings", "10000", "--seed", "2026", "--truth", truth_path, "--listings-jsonl",
                         records_path, "--truth-only", NULL};
    cr_assert_eq(harness_run(gen, NULL, 0, NULL, NULL), 0);
    size_t records_length;
    char *records = harness_read_file(records_path, &records_length), *truth = harness_read_file(truth_path, NULL);
    remove(records_path);
    remove(truth_path);
    cr_assert(records && truth);
    const char *match[] = {lscan, "match", "--rules", packs, "--threads", "2", NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(match, records, records_length, &out, &err);
    cr_assert_eq(rc, 0, "lscan match exited %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "lscan match: 10000 listings"), "summary: %s", err);

    /* flagged (platform, listing_id) -> one line each */
    cJSON *flagged = cJSON_CreateObject();
    size_t flags = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *f = cJSON_Parse(line);
        cr_assert_not_null(f, "a flag is not JSON: %.200s", line);
        cJSON *l = cJSON_GetObjectItem(f, "listing");
        char key[128];
        snprintf(key, sizeof key, "%s/%s", cJSON_GetStringValue(cJSON_GetObjectItem(l, "platform")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(l, "listing_id")));
        cr_expect_null(cJSON_GetObjectItem(flagged, key), "listing %s flagged twice", key);
        cJSON_AddItemToObject(flagged, key, f);
        flags++;
    }
    static const char *const kinds[] = {"trademark", "gi", "collective_mark", "ocop", "plant_variety", "copyright"};
    counts by_kind[6] = {{0}}, all = {0};
    size_t planted = 0;
    for (char *save = NULL, *line = strtok_r(truth, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *t = cJSON_Parse(line);
        char key[128];
        snprintf(key, sizeof key, "%s/%s", cJSON_GetStringValue(cJSON_GetObjectItem(t, "platform")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(t, "listing_id")));
        bool violation = cJSON_IsTrue(cJSON_GetObjectItem(t, "violation"));
        cJSON *f = cJSON_GetObjectItem(flagged, key);
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(t, "kind"));
        int k = 0;
        while (k < 6 && strcmp(kinds[k], kind))
            k++;
        counts *c = k < 6 ? &by_kind[k] : &all;
        if (violation && f) {
            c->tp++;
            /* the rule the truth names is among the rules that fired */
            const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(t, "rule"));
            bool named = false;
            cJSON *r;
            cJSON_ArrayForEach(r, cJSON_GetObjectItem(f, "rules"))
                named |= !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")), want);
            cr_expect(named, "%s: fired, but not rule %s", key, want);
        } else if (violation) {
            c->fn++;
        } else if (f) {
            c->fp++;
        }
        if (f)
            cJSON_DeleteItemFromObject(flagged, key);
        planted++;
        cJSON_Delete(t);
    }
    size_t unplanted_flags = (size_t)cJSON_GetArraySize(flagged); /* flags on clean, unplanted listings */
    fprintf(stderr, "\nPrecision and recall of rules/packs on the fixture market (10000 listings, seed 2026, %zu planted):\n",
            planted);
    fprintf(stderr, "  %-16s %6s %6s %6s %9s %7s\n", "kind", "tp", "fp", "fn", "precision", "recall");
    for (int k = 0; k < 6; k++) {
        counts *c = &by_kind[k];
        all.tp += c->tp;
        all.fp += c->fp;
        all.fn += c->fn;
        fprintf(stderr, "  %-16s %6zu %6zu %6zu %9.4f %7.4f\n", kinds[k], c->tp, c->fp, c->fn,
                c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 1.0,
                c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 1.0);
    }
    all.fp += unplanted_flags;
    double precision = (double)all.tp / (double)(all.tp + all.fp), recall = (double)all.tp / (double)(all.tp + all.fn);
    fprintf(stderr, "  %-16s %6zu %6zu %6zu %9.4f %7.4f   (%zu flags; %zu on unplanted listings)\n\n", "all", all.tp,
            all.fp, all.fn, precision, recall, flags, unplanted_flags);
    cr_expect_geq(precision, 0.95);
    cr_expect_geq(recall, 0.95);
    cJSON_Delete(flagged);
    free(out);
    free(err);
    free(records);
    free(truth);
}

static const char good_listing[] =
    "{\"platform\":\"shopee\",\"listing_id\":\"1\",\"url\":\"http://127.0.0.1/p/1\",\"title\":\"Giày Nike Air Force 1 rep 1:1\","
    "\"price\":150000,\"seller\":{\"id\":\"9\",\"location\":\"Hà Nội\"},\"extra_field\":{\"kept\":[1,2]}}\n";

Test(cli, bad_lines_are_reported_with_their_numbers_counted_and_skipped)
{
    bytebuf input;
    bytebuf_init(&input, 0);
    bytebuf_append_string(&input, good_listing);
    bytebuf_append_string(&input, "{not json\n");
    bytebuf_append_string(&input, "[1,2]\n");
    bytebuf_append_string(&input, "{\"platform\":\"shopee\",\"listing_id\":\"2\",\"url\":\"u\"}\n");
    bytebuf_append_string(&input, "{\"platform\":\"shopee\",\"listing_id\":\"3\",\"url\":\"u\",\"title\":\"x\",\"price\":\"rẻ\"}\n");
    bytebuf_append_string(&input, "\n");
    bytebuf_append_string(&input, "{\"platform\":\"shopee\",\"listing_id\":\"4\",\"url\":\"u\",\"title\":\"N\xFFike rep 1:1 Nike\"}\n");
    bytebuf_append_string(&input, good_listing);
    const char *argv[] = {lscan, "match", "--rules", packs, NULL};
    char *out, *err;
    int rc = harness_run(argv, input.data, input.length, &out, &err);
    cr_expect_eq(rc, 1, "bad lines give exit status 1, got %d", rc);
    cr_expect_not_null(strstr(err, "lscan: line 2: not valid JSON"), "%s", err);
    cr_expect_not_null(strstr(err, "lscan: line 3: a listing must be a JSON object"), "%s", err);
    cr_expect_not_null(strstr(err, "lscan: line 4: field 'title' is missing"), "%s", err);
    cr_expect_not_null(strstr(err, "lscan: line 5: field 'price' is not a non-negative number"), "%s", err);
    cr_expect_not_null(strstr(err, "4 bad lines"), "%s", err);
    cr_expect_not_null(strstr(err, "1 with repaired UTF-8"), "%s", err);
    size_t lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    cr_expect_eq(lines, 3, "the good lines and the repaired one are flagged: %s", out);
    cr_expect_not_null(strstr(out, "\"extra_field\":{\"kept\":[1,2]}"), "unknown fields pass through");
    cr_expect_not_null(strstr(out, "N\xEF\xBF\xBDike"), "invalid UTF-8 becomes U+FFFD");
    free(out);
    free(err);
    bytebuf_free(&input);
}

Test(cli, every_flag_follows_the_contract)
{
    const char *argv[] = {lscan, "match", "--rules", packs, "--lang", "en", NULL};
    char *out, *err;
    cr_assert_eq(harness_run(argv, good_listing, strlen(good_listing), &out, &err), 0, "%s", err);
    cJSON *f = cJSON_Parse(out);
    cr_assert_not_null(f);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(f, "flag_id"));
    cr_assert_not_null(id);
    cr_expect_eq(strlen(id), 16);
    cr_expect_eq(strspn(id, "0123456789abcdef"), 16);
    cJSON *rules = cJSON_GetObjectItem(f, "rules"), *r = cJSON_GetArrayItem(rules, 0);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")), "tm.nike");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "kind")), "trademark");
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(r, "score")));
    const char *title = "Giày Nike Air Force 1 rep 1:1";
    cJSON *hit = cJSON_GetArrayItem(cJSON_GetObjectItem(f, "hits"), 0);
    int start = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(hit, "start"));
    int end = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(hit, "end"));
    cr_expect(end - start == 4 && !memcmp(title + start, "Nike", 4), "the hit points at Nike: [%d,%d)", start, end);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(hit, "field")), "title");
    bool slang = false, price = false;
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(f, "signals"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(s, "type"));
        slang |= !strcmp(type, "list") && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(s, "term")), "rep 1:1");
        price |= !strcmp(type, "price_below") && cJSON_GetNumberValue(cJSON_GetObjectItem(s, "ratio")) < 0.3;
    }
    cr_expect(slang && price, "signals name the slang and the price");
    const char *explain = cJSON_GetStringValue(cJSON_GetObjectItem(f, "explain"));
    cr_expect_not_null(strstr(explain, "Suspected trademark \"Nike\""), "%s", explain);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(f, "severity")), "high");
    cr_expect_not_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(f, "pack")), "vn-trademarks@"));
    cr_expect_null(cJSON_GetObjectItem(f, "scan_id"));
    cJSON_Delete(f);
    free(out);
    free(err);
}

Test(cli, one_thread_and_two_threads_write_the_same_flags)
{
    char records_path[1024];
    snprintf(records_path, sizeof records_path, "%s", temp_path("threads.jsonl"));
    const char *gen[] = {market, "--listings", "9000", "--seed", "3", "--listings-jsonl", records_path, "--truth-only", NULL};
    cr_assert_eq(harness_run(gen, NULL, 0, NULL, NULL), 0);
    size_t length;
    char *records = harness_read_file(records_path, &length);
    remove(records_path);
    const char *one[] = {lscan, "match", "--rules", packs, "--threads", "1", "--quiet", NULL};
    const char *two[] = {lscan, "match", "--rules", packs, "--threads", "2", "--quiet", "--backend", "vectorscan", NULL};
    char *a, *b;
    cr_assert_eq(harness_run(one, records, length, &a, NULL), 0);
    cr_assert_eq(harness_run(two, records, length, &b, NULL), 0);
    cr_expect_gt(strlen(a), 1000);
    cr_expect_str_eq(a, b, "output differs between 1 thread (AC) and 2 threads (Vectorscan)");
    free(a);
    free(b);
    free(records);
}

Test(cli, usage_and_rule_errors_exit_2_with_a_message)
{
    char bad_pack[1024];
    snprintf(bad_pack, sizeof bad_pack, "%s", temp_path("bad.yaml"));
    FILE *f = fopen(bad_pack, "w");
    fputs("pack: bad\nversion: \"1\"\nrules:\n  - id: x\n    kind: trademark\n    name: X\n    terms: [abc]\n"
          "    flag: {list: missing}\n", f);
    fclose(f);
    const char *cases[][6] = {{lscan, "match", NULL},
                              {lscan, "match", "--rules", bad_pack, NULL},
                              {lscan, "match", "--rules", packs, "--threads", "0"},
                              {lscan, "rules", "check", bad_pack, NULL},
                              {lscan, "nosuch", NULL}};
    const char *expected[] = {"lscan: match: no rules", "bad.yaml:8:18: unknown list 'missing'",
                              "--threads must be 1..256", "unknown list 'missing'", "lscan: unknown command 'nosuch'"};
    for (size_t i = 0; i < 5; i++) {
        char *err;
        int rc = harness_run(cases[i], "", 0, NULL, &err);
        cr_expect_eq(rc, 2, "case %zu: exit %d", i, rc);
        cr_expect_not_null(strstr(err, expected[i]), "case %zu: %s", i, err);
        free(err);
    }
    remove(bad_pack);
}

Test(cli, rules_test_names_each_failure_and_exits_non_zero)
{
    char pack_path[1024];
    snprintf(pack_path, sizeof pack_path, "%s", temp_path("failing.yaml"));
    FILE *f = fopen(pack_path, "w");
    fputs("pack: t\nversion: \"1\"\nrules:\n  - id: tm.acme\n    kind: trademark\n    name: Acme\n    terms: [acme]\n"
          "    tests:\n      flag: [\"Acme rocket\", \"Acne cream\"]\n      pass: [\"Acme anvil\"]\n", f);
    fclose(f);
    const char *argv[] = {lscan, "rules", "test", pack_path, NULL};
    char *out;
    int rc = harness_run(argv, NULL, 0, &out, NULL);
    cr_expect_eq(rc, 1);
    cr_expect_not_null(strstr(out, "FAIL tm.acme"), "%s", out);
    cr_expect_not_null(strstr(out, "\"Acne cream\" did not fire the rule"), "%s", out);
    cr_expect_not_null(strstr(out, "\"Acme anvil\" fired the rule"), "%s", out);
    cr_expect_not_null(strstr(out, "rule examples run: 3, failing: 2"), "%s", out);
    free(out);
    const char *shipped[] = {lscan, "rules", "test", packs, NULL};
    cr_expect_eq(harness_run(shipped, NULL, 0, &out, NULL), 0, "the shipped packs' tests fail: %s", out);
    free(out);
    remove(pack_path);
}

Test(cli, rules_explain_marks_the_hits_and_says_why)
{
    const char *argv[] = {lscan, "rules", "explain", "--rules", packs, "--price", "90000", "--lang", "en",
                          "Túi G.u.c.c.i Marmont siêu cấp \x1b[31mred\x1b[0m", NULL};
    char *out;
    cr_assert_eq(harness_run(argv, NULL, 0, &out, NULL), 0);
    cr_expect_not_null(strstr(out, "[G.u.c.c.i]"), "%s", out);
    cr_expect_not_null(strstr(out, "FIRES"), "%s", out);
    cr_expect_not_null(strstr(out, "verdict: suspected violation (tm.gucci)"), "%s", out);
    cr_expect_null(strchr(out, '\x1b'), "escape sequences reach the terminal");
    free(out);
}

/* Every command's --help comes from its option table; --resume with no
 * state directory is refused before anything is loaded (an early return
 * once leaked: `make asan` runs this path too). */
Test(cli, help_for_every_command_and_early_refusals_exit_cleanly)
{
    const char *commands[][4] = {{lscan, "scan", "--help", NULL}, {lscan, "match", "--help", NULL},
                                 {lscan, "rules", "check", "--help"}, {lscan, "rules", "explain", "--help"},
                                 {lscan, "review", "--help", NULL}};
    for (size_t i = 0; i < 5; i++) {
        const char *argv[5] = {commands[i][0], commands[i][1], commands[i][2], commands[i][3], NULL};
        char *out = NULL, *err = NULL;
        int rc = harness_run(argv, NULL, 0, &out, &err);
        cr_expect_eq(rc, 0, "%s --help: exit %d: %s", commands[i][1], rc, err);
        cr_expect_not_null(strstr(out, "usage: lscan "), "%s", out);
        free(out);
        free(err);
    }
    char campaign[1024];
    snprintf(campaign, sizeof campaign, "%s/fixtures/campaigns/demo.yaml", harness_root());
    const char *resume[] = {lscan, "scan", "--campaign", campaign, "--resume", "--state-dir", "none", NULL};
    char *err = NULL;
    int rc = harness_run(resume, NULL, 0, NULL, &err);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "lscan: scan: --resume needs a state directory"), "%s", err);
    free(err);
}
