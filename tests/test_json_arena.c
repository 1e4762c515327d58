/* json_arena: trees in an arena, and the strtod the program gives cJSON. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/arena.h"
#include "rules/base/json_arena.h"

typedef double (*strtod_fn)(const char *, char **);

/* One string through the program's strtod and the C library's: the same
 * bits (or both NaN), the same end and the same errno. */
static void same_answer(strtod_fn libc, const char *text)
{
    char *end_ours = NULL, *end_libc = NULL;
    errno = 0;
    double ours = strtod(text, &end_ours);
    int errno_ours = errno;
    errno = 0;
    double theirs = libc(text, &end_libc);
    int errno_libc = errno;
    if (isnan(ours) || isnan(theirs))
        cr_assert(isnan(ours) && isnan(theirs), "'%s'", text);
    else
        cr_assert(!memcmp(&ours, &theirs, sizeof ours), "'%s': %.17g, libc %.17g", text, ours, theirs);
    cr_assert_eq(end_ours, end_libc, "'%s': end", text);
    cr_assert_eq(errno_ours, errno_libc, "'%s': errno", text);
}

Test(json_arena, strtod_answers_as_the_c_library_does)
{
    strtod_fn libc = (strtod_fn)dlsym(RTLD_NEXT, "strtod");
    cr_assert_not_null(libc);
    cr_assert_neq((void *)libc, (void *)strtod, "the program defines its own strtod");
    static const char *const edges[] = {
        "0", "-0", "7", "-7", "000123", "123456789012345", "-123456789012345", "1234567890123456",
        "9999999999999999", "99999999999999999999", "9007199254740993", "", "-", "+5", " 5", "5 ", "5x",
        "1.5", "-1.5", "1e5", "1E-5", "1e400", "-1e400", "1e-400", "0x1A", "0x", "inf", "-INF", "nan", "nan(123)",
        "4.8", ".5", "5.", "1,5", "--5", "-+5", "0000000000000000000001", "12\n", "1\xff",
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        same_answer(libc, edges[i]);
    /* seeded: integers of 1 to 20 digits, with and without a sign, a fraction, an exponent or a tail */
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (int n = 0; n < 200000; n++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        char text[64];
        size_t at = 0;
        if (state & 1)
            text[at++] = '-';
        int digits = 1 + (int)((state >> 8) % 20);
        for (int d = 0; d < digits; d++)
            text[at++] = (char)('0' + (state >> (d % 48)) % 10);
        switch ((state >> 40) % 8) {
        case 0: text[at++] = '.'; text[at++] = (char)('0' + (state >> 50) % 10); break;
        case 1: text[at++] = 'e'; text[at++] = (char)('0' + (state >> 50) % 10); break;
        case 2: text[at++] = ' '; break;
        default: break;
        }
        text[at] = 0;
        same_answer(libc, text);
    }
}

Test(json_arena, a_page_of_numbers_parses_as_cjson_parses_it)
{
    const char *page = "{\"items\":[{\"itemid\":123456789012,\"price\":15000000000,\"rating\":4.85,"
                       "\"sold\":-0,\"ctime\":1764720000,\"big\":12345678901234567890,\"tiny\":1e-7,\"neg\":-42}]}";
    arena *a = arena_create();
    cr_assert_not_null(a);
    cJSON *ours = json_arena_parse(a, page, strlen(page));
    cJSON *plain = cJSON_Parse(page);
    cr_assert_not_null(ours);
    cr_assert_not_null(plain);
    cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(ours, "items"), 0);
    cJSON *y = cJSON_GetArrayItem(cJSON_GetObjectItem(plain, "items"), 0);
    for (cJSON *m = x->child, *n = y->child; m || n; m = m->next, n = n->next) {
        cr_assert(m && n);
        cr_assert_str_eq(m->string, n->string);
        cr_assert(!memcmp(&m->valuedouble, &n->valuedouble, sizeof m->valuedouble), "%s", m->string);
        cr_assert_eq(m->valueint, n->valueint, "%s", m->string);
    }
    cr_assert_eq(cJSON_GetObjectItem(x, "itemid")->valuedouble, 123456789012.0);
    cr_assert(signbit(cJSON_GetObjectItem(x, "sold")->valuedouble));
    cJSON_Delete(plain);
    arena_free(a);
}
