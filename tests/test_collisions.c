/* Marks and the collision report (docs/rules.md, "Marks"): how words that
 * match folded relate by their diacritics, and `lscan rules check
 * --collisions` counting, on a corpus, the hits of each term that are other
 * words. The corpus here is written so every count is known by
 * construction; the real one (../shared/corpus/vn-text-normalizer-testdata)
 * is run through the command and must name a term whose hits are mostly
 * other words. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/collisions.h"
#include "rules/pack.h"
#include "rules/ruleset.h"
#include "rules/text/marks.h"
#include "tests/harness.h"

static harness_process scratch;

static void stop_all(void) { harness_stop(&scratch); }

TestSuite(collisions, .fini = stop_all, .timeout = 120);

static const char *scratch_dir(void)
{
    if (!scratch.dir[0]) {
        const char *argv[] = {"true", NULL};
        cr_assert_eq(harness_start_command(&scratch, argv), 0);
        harness_wait_exit(&scratch, 5000);
    }
    return scratch.dir;
}

static marks_relation compare(const char *term, const char *text)
{
    return marks_compare(term, strlen(term), text, strlen(text));
}

Test(collisions, words_relate_by_their_marks)
{
    cr_expect_eq(compare("lụa", "lụa"), MARKS_SAME);
    cr_expect_eq(compare("lụa", "LỤA"), MARKS_SAME, "case is not a mark");
    cr_expect_eq(compare("lụa", "lúa"), MARKS_REFUSED, "silk is not rice");
    cr_expect_eq(compare("lụa", "lua"), MARKS_UNMARKED_SIDE, "typed without marks: cannot tell");
    cr_expect_eq(compare("cam", "cám"), MARKS_UNMARKED_SIDE);
    cr_expect_eq(compare("nike", "NIKE"), MARKS_SAME);
    cr_expect_eq(compare("lụa tơ tằm", "lụa tơ tầm"), MARKS_REFUSED, "the worst word decides");
    cr_expect_eq(compare("lụa tơ tằm", "lụa to tằm"), MARKS_UNMARKED_SIDE);
    cr_expect_eq(compare("đá", "da"), MARKS_UNMARKED_SIDE, "đ is d with a stroke");
    cr_expect_eq(compare("đá", "dá"), MARKS_REFUSED);
    /* the matcher's rule: refuse only when marked on both sides */
    cr_expect(!marks_agree("lụa", "lúa", strlen("lúa")));
    cr_expect(marks_agree("lụa", "lua", 3));
    cr_expect(marks_agree("cam", "cám", strlen("cám")));
    /* a cue's word typed bare beside a marked one: another word (the matcher refuses cues so) */
    cr_expect(marks_dropped("hàng chợ", "hàng cho", strlen("hàng cho")));
    cr_expect(marks_dropped("hàng chợ", "HÀNG CHO", strlen("HÀNG CHO")));
    cr_expect(!marks_dropped("hàng chợ", "hang cho", 8), "typed without any marks: cannot tell");
    cr_expect(!marks_dropped("hàng chợ", "hàng chợ", strlen("hàng chợ")));
    cr_expect(marks_dropped("hàng chợ", "hang chợ", strlen("hang chợ")), "read as typed: 'hang' may be 'hãng'");
    cr_expect(!marks_dropped("rep 1:1", "rep 1:1", 7));
    cr_expect(!marks_dropped("siêu cấp", "sc", 2), "words that do not line up: as folded");
}

/* Every Vietnamese vowel, upper and lower case, precomposed and decomposed
 * (NFD), against every other of its base letter: two forms agree exactly when their lower-case
 * NFD marks are the same, whichever way each was written. The matcher reads
 * precomposed letters from a table and the rest through utf8proc: this pins
 * both to the decomposition. */
#include <utf8proc.h>

Test(collisions, every_vowel_form_agrees_by_its_marks)
{
    static const char *const bases[] = {"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"};
    static const utf8proc_int32_t tones[] = {0, 0x300, 0x301, 0x309, 0x303, 0x323};
    enum { FORMS = 12 * 6 * 4 };
    char forms[FORMS][16], keys[FORMS][16];
    size_t n = 0;
    for (size_t b = 0; b < 12; b++)
        for (size_t t = 0; t < 6; t++) {
            char nfd[32];
            utf8proc_uint8_t *lower_nfd = NULL;
            utf8proc_map((const utf8proc_uint8_t *)bases[b], 0, &lower_nfd, UTF8PROC_DECOMPOSE | UTF8PROC_NULLTERM);
            size_t len = strlen((char *)lower_nfd);
            memcpy(nfd, lower_nfd, len + 1);
            free(lower_nfd);
            if (tones[t])
                len += (size_t)utf8proc_encode_char(tones[t], (utf8proc_uint8_t *)nfd + len);
            nfd[len] = '\0';
            for (int upper = 0; upper < 2; upper++)
                for (int composed = 0; composed < 2; composed++) {
                    utf8proc_uint8_t *form = NULL;
                    int options = UTF8PROC_NULLTERM | (composed ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE);
                    cr_assert_geq(utf8proc_map((const utf8proc_uint8_t *)nfd, 0, &form, options), 0);
                    if (upper) {
                        utf8proc_int32_t cp;
                        utf8proc_ssize_t step = utf8proc_iterate(form, -1, &cp);
                        utf8proc_uint8_t head[8];
                        utf8proc_ssize_t w = utf8proc_encode_char(utf8proc_toupper(cp), head);
                        size_t rest = strlen((char *)form + step);
                        cr_assert_lt((size_t)w + rest, sizeof forms[n]);
                        memcpy(forms[n], head, (size_t)w);
                        memcpy(forms[n] + w, form + step, rest + 1);
                    } else {
                        cr_assert_lt(strlen((char *)form), sizeof forms[n]);
                        memcpy(forms[n], form, strlen((char *)form) + 1);
                    }
                    free(form);
                    cr_assert_lt(strlen(nfd), sizeof keys[n]);
                    memcpy(keys[n], nfd, strlen(nfd) + 1);
                    n++;
                }
        }
    cr_assert_eq(n, FORMS);
    size_t refused = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (keys[i][0] != keys[j][0])
                continue; /* marks only judge words that already match folded: the same base letter */
            bool same = !strcmp(keys[i], keys[j]);
            /* an unmarked side agrees with anything; otherwise the marks decide */
            bool unmarked = strlen(keys[i]) == 1 || strlen(keys[j]) == 1;
            bool expected = same || unmarked;
            char term[48], text[48];
            snprintf(term, sizeof term, "x%.15sx", forms[i]);
            snprintf(text, sizeof text, "x%.15sx", forms[j]);
            cr_expect_eq(marks_agree(term, text, strlen(text)), expected, "%s against %s", forms[i], forms[j]);
            refused += !expected;
        }
    cr_expect_gt(refused, n * n / 8, "most pairs of a base letter differ by a mark");
}

static ruleset *compile(const char *yaml)
{
    diagnostics diag;
    diagnostics_init(&diag);
    pack *p = pack_load_string("collide.yaml", yaml, strlen(yaml), &diag);
    for (size_t i = 0; i < diag.count; i++)
        cr_log_error("%s", diag.messages[i]);
    cr_assert_not_null(p);
    ruleset *rs = NULL;
    cr_assert_eq(ruleset_compile(&p, 1, NULL, &rs, &diag), 0);
    diagnostics_free(&diag);
    return rs;
}

static const collision_term *find(const collision_report *r, const char *term)
{
    for (size_t i = 0; i < r->count; i++)
        if (!strcmp(r->terms[i].term, term))
            return &r->terms[i];
    cr_assert_fail("no '%s' in the report", term);
    return NULL;
}

Test(collisions, every_kind_of_term_is_counted_by_how_its_hits_are_marked)
{
    static const char pack_yaml[] =
        "pack: collide\nversion: \"1\"\n"
        "lists:\n  cues: [\"cam\", \"hàng nhái\"]\n"
        "rules:\n"
        "  - id: r.silk\n    kind: gi\n    name: Lụa\n    terms: [\"lụa\"]\n    severity: medium\n"
        "    flag: {all: [{term: \"tơ tằm\"}, {list: cues}]}\n";
    ruleset *rs = compile(pack_yaml);
    char corpus[600];
    snprintf(corpus, sizeof corpus, "%s/corpus.txt", scratch_dir());
    FILE *f = fopen(corpus, "w");
    cr_assert_not_null(f);
    /* lụa: same 2 (one in capitals), refused 1 (lúa), unmarked 1 (lua); "lụa" inside "lụachua" is no word */
    fputs("Lụa Hà Đông và LỤA tơ tằm\n", f);
    fputs("lúa nếp, lua\nlụachua\n", f);
    /* cam: same 1, unmarked 2 (cám, cấm); hàng nhái: refused 1 (hãng nhài) */
    fputs("cam sành; cám gạo; cấm đỗ xe\nhãng nhài\n", f);
    /* tơ tằm: same 1 (above), refused 1 (tờ tầm) */
    fputs("tờ tầm\n", f);
    fclose(f);
    const char *paths[] = {corpus};
    collision_report r;
    char error[256];
    cr_assert_eq(collisions_measure(rs, paths, 1, &r, error, sizeof error), 0, "%s", error);
    cr_expect_eq(r.files, 1);
    cr_expect_eq(r.lines, 6);
    const collision_term *silk = find(&r, "lụa");
    cr_expect_eq(silk->hits, 4);
    cr_expect_eq(silk->same, 2);
    cr_expect_eq(silk->refused, 1);
    cr_expect_eq(silk->unmarked, 1);
    cr_expect_str_eq(silk->example, "lúa");
    cr_expect(strstr(silk->where, "rule r.silk"), "%s", silk->where);
    const collision_term *cam = find(&r, "cam");
    cr_expect_eq(cam->hits, 3);
    cr_expect_eq(cam->same, 1);
    cr_expect_eq(cam->unmarked, 2);
    cr_expect(strstr(cam->where, "list cues"), "%s", cam->where);
    const collision_term *copy = find(&r, "hàng nhái");
    cr_expect_eq(copy->hits, 1);
    cr_expect_eq(copy->refused, 1);
    const collision_term *silkworm = find(&r, "tơ tằm");
    cr_expect_eq(silkworm->hits, 2);
    cr_expect_eq(silkworm->refused, 1);
    /* worst first: cam and lụa have 2 other-word hits each, cam the larger share (2 of 3 against 2 of 4) */
    cr_expect_str_eq(r.terms[0].term, "cam");
    cr_expect_str_eq(r.terms[1].term, "lụa");
    collision_report_free(&r);
    const char *missing[] = {"/nonexistent/corpus.txt"};
    cr_expect_eq(collisions_measure(rs, missing, 1, &r, error, sizeof error), -1);
    cr_expect(strstr(error, "/nonexistent/corpus.txt"), "%s", error);
    ruleset_destroy(rs);
}

/* The shipped packs on real text nobody here wrote: the command names the
 * worst terms, and the worst has most of its hits on other words. */
Test(collisions, the_shipped_packs_on_the_shared_corpus)
{
    char lscan[600], packs[600], corpus[600];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    snprintf(packs, sizeof packs, "%s/rules/packs", harness_root());
    snprintf(corpus, sizeof corpus, "%s/corpus/vn-text-normalizer-testdata", harness_shared());
    const char *argv[] = {lscan, "rules", "check", packs, "--collisions", corpus, "--top", "5", NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(harness_run(argv, NULL, 0, &out, &err), 0, "%s", err ? err : "");
    cr_expect(strstr(out, "collisions: ") && strstr(out, " against 4 files"), "%s", out);
    const char *table = strstr(out, "term (where)");
    cr_assert_not_null(table, "%s", out);
    const char *first = strchr(table, '\n');
    double share = 0;
    unsigned long long hits = 0;
    cr_assert(first && sscanf(first + 1, " %lf%% %llu", &share, &hits) == 2, "%s", out);
    cr_expect_gt(hits, 10, "the worst term hits the corpus more than 10 times");
    cr_expect_gt(share, 50.0, "the worst term's hits are mostly other words: %s", first + 1);
    free(out);
    free(err);
}
