/* Allocation failure, each allocation in turn (as curl's torture tests do):
 * loading and compiling a pack, and the listing path (parse, match, flag),
 * must end in a clean error every time, never a crash, never a set built
 * half way. This binary is linked with -Wl,--wrap for malloc, calloc,
 * realloc, strdup and strndup (Makefile), so every allocation lscan's own
 * code makes passes through the counters below; cJSON's go through them too
 * (cJSON_InitHooks). Under `make asan` LeakSanitizer also checks that no
 * error path leaks. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <execinfo.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/record/flag.h"
#include "scanner/record/listing.h"
#include "rules/loader.h"
#include "rules/pack.h"
#include "rules/ruleset.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *pointer, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static long countdown;    /* > 0: allocations left before the one that fails; 0: never fail */
static bool injected;     /* an allocation was made to fail */

static bool fail_now(void)
{
    if (countdown <= 0)
        return false;
    if (--countdown > 0)
        return false;
    injected = true;
    if (getenv("LSCAN_ALLOC_TRACE")) { /* to find where a failure was not handled: the stack of the failed call */
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
    }
    return true;
}

void *__wrap_malloc(size_t size) { return fail_now() ? NULL : __real_malloc(size); }
void *__wrap_calloc(size_t count, size_t size) { return fail_now() ? NULL : __real_calloc(count, size); }
void *__wrap_realloc(void *pointer, size_t size) { return fail_now() ? NULL : __real_realloc(pointer, size); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }

static void *hooked_malloc(size_t size) { return malloc(size); }
static void hooked_free(void *pointer) { free(pointer); }

static void setup(void)
{
    cJSON_Hooks hooks = {hooked_malloc, hooked_free};
    cJSON_InitHooks(&hooks);
}

TestSuite(alloc_failures, .init = setup, .timeout = 600);

static const char pack_text[] =
    "pack: torture\n"
    "version: \"1\"\n"
    "lists:\n"
    "  slang: [\"rep 1:1\", \"hàng fake\", \"super fake\"]\n"
    "  accessory: [\"ốp lưng\", \"dây đeo\"]\n"
    "rules:\n"
    "  - id: tm.nike\n"
    "    kind: trademark\n"
    "    name: Nike\n"
    "    terms: [\"nike\", \"nai ki\"]\n"
    "    patterns: ['n[i1]k[e3] air']\n"
    "    authorized_sellers: [\"shopee:nike_official\", \"nike-vn\"]\n"
    "    categories: [footwear]\n"
    "    reference_price: 1200000\n"
    "    flag:\n"
    "      any:\n"
    "        - list: slang\n"
    "        - price_below: 0.3\n"
    "        - all: [{term: \"hàng chợ\"}, {not: {official_store: true}}]\n"
    "        - pattern: 'like ?auth'\n"
    "        - category: [\"giày dép\", \"thời trang\"]\n"
    "    unless:\n"
    "      - list: accessory\n"
    "        near: 3\n"
    "    severity: high\n"
    "    tests:\n"
    "      flag: [\"Giày Nike rep 1:1\", {text: \"Giày Nike\", price: 100000}]\n"
    "      pass: [\"Ốp lưng Nike\"]\n"
    "  - id: gi.vai\n"
    "    kind: gi\n"
    "    name: Vải thiều Lục Ngạn\n"
    "    terms: [\"vải thiều lục ngạn\"]\n"
    "    region: [\"Lục Ngạn\", \"Bắc Giang\"]\n"
    "    flag: {seller_outside_region: true}\n";

/* Loads and compiles the pack; 0 with *out, or -1 with mistakes in diag. */
static int load(ruleset **out, diagnostics *diag)
{
    *out = NULL;
    pack *p = pack_load_string("torture.yaml", pack_text, sizeof pack_text - 1, diag);
    if (!p)
        return -1;
    if (ruleset_compile(&p, 1, NULL, out, diag) < 0) {
        pack_free(p);
        return -1;
    }
    return 0;
}

Test(alloc_failures, loading_and_compiling_a_pack_fails_cleanly_at_every_allocation)
{
    /* the set as it is without failures */
    diagnostics whole_diag;
    diagnostics_init(&whole_diag);
    ruleset *whole;
    cr_assert_eq(load(&whole, &whole_diag), 0);
    size_t literals = ruleset_literal_count(whole), rules = ruleset_rule_count(whole);
    ruleset_destroy(whole);
    diagnostics_free(&whole_diag);
    long k, survived = 0;
    for (k = 1; k < 200000; k++) {
        diagnostics diag;
        diagnostics_init(&diag);
        ruleset *rs;
        injected = false;
        countdown = k;
        int rc = load(&rs, &diag);
        countdown = 0;
        if (!injected) {
            cr_assert_eq(rc, 0, "without a failure the pack must load");
            ruleset_destroy(rs);
            diagnostics_free(&diag);
            break;
        }
        if (rc == 0) {
            /* a failure that did not matter (a buffer not shrunk): the set must then be whole */
            bytebuf report;
            bytebuf_init(&report, 0);
            size_t total, failures = ruleset_run_tests(rs, &report, &total);
            cr_assert_eq(failures, 0, "allocation %ld failed and the set loaded half built: %s", k, report.data);
            cr_assert_eq(ruleset_literal_count(rs), literals, "allocation %ld failed: literals missing", k);
            cr_assert_eq(ruleset_rule_count(rs), rules);
            bytebuf_free(&report);
            ruleset_destroy(rs);
            diagnostics_free(&diag);
            survived++;
            continue;
        }
        cr_assert_eq(rc, -1);
        cr_assert_null(rs);
        cr_assert_gt(diagnostics_total(&diag), 0, "allocation %ld failed without a mistake reported", k);
        diagnostics_free(&diag);
    }
    fprintf(stderr, "alloc failures: pack load and compile, %ld allocations, each made to fail once (%ld harmless)\n",
            k - 1, survived);
    cr_expect_gt(k, 100);
}

Test(alloc_failures, the_listing_path_fails_cleanly_at_every_allocation)
{
    ruleset *rs;
    diagnostics diag;
    diagnostics_init(&diag);
    cr_assert_eq(load(&rs, &diag), 0);
    diagnostics_free(&diag);
    static const char line[] = "{\"platform\":\"shopee\",\"listing_id\":\"42\",\"url\":\"https://shopee.vn/p/42\","
                               "\"title\":\"Giày Nike Air rep 1:1 \\ud800 like auth\",\"description\":\"hàng chợ, "
                               "không ốp lưng\",\"price\":300000,\"seller\":{\"id\":\"s1\",\"location\":\"Hà Nội\"},"
                               "\"category\":\"Giày dép nam\",\"extra\":[1,2,{\"a\":\"b\"}]}";
    long k;
    size_t flagged = 0;
    for (k = 1; k < 100000; k++) {
        ruleset_scratch *scratch = NULL;
        listing l;
        char error[256];
        bytebuf out;
        bytebuf_init(&out, 0);
        injected = false;
        countdown = k;
        int rc = ruleset_scratch_create(rs, &scratch);
        if (rc == 0)
            rc = listing_parse(line, sizeof line - 1, &l, error, sizeof error);
        bool parsed = rc == 0;
        match_result result;
        if (rc == 0)
            rc = ruleset_match(rs, scratch, &l.facts, &result);
        if (rc == 0 && result.rule_count)
            rc = flag_to_json(rs, &l, &result, FLAG_LANGUAGE_VIETNAMESE, "scan", NULL, &out) < 0 ? -1 : 0;
        countdown = 0;
        if (rc == 0 && !out.overflow && out.length) {
            cJSON *flag = cJSON_ParseWithLength(out.data, out.length);
            cr_assert_not_null(flag, "allocation %ld failed and the flag is not valid JSON: %s", k, out.data);
            cJSON_Delete(flag);
            flagged++;
        }
        if (parsed)
            listing_free(&l);
        ruleset_scratch_destroy(scratch);
        bytebuf_free(&out);
        if (!injected) {
            cr_assert_eq(rc, 0);
            break;
        }
    }
    fprintf(stderr, "alloc failures: listing path, %ld allocations, each made to fail once (%zu runs still flagged)\n",
            k - 1, flagged);
    cr_expect_gt(k, 10);
    ruleset_destroy(rs);
}
