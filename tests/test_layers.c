/* The layer rule (tests/check-layers) holds on this tree, and a deliberate
 * upward include in a copy of it makes the check fail and name the line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

static char copy[1024];

static void remove_copy(void)
{
    if (!copy[0])
        return;
    char command[1200];
    snprintf(command, sizeof command, "rm -rf '%s'", copy);
    cr_expect_eq(system(command), 0);
}

TestSuite(layers, .fini = remove_copy, .timeout = 60);

Test(layers, this_tree_keeps_the_rule)
{
    char script[1024];
    snprintf(script, sizeof script, "%s/tests/check-layers", harness_root());
    const char *argv[] = {"sh", script, harness_root(), NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, NULL, 0, &out, &err);
    cr_expect_eq(rc, 0, "%s%s", out, err);
    cr_expect_not_null(strstr(out, " 0 pointing up, 0 not path-qualified, 0 unresolved"), "%s", out);
    free(out);
    free(err);
}

Test(layers, an_include_that_points_up_fails_the_check)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(copy, sizeof copy, "%s/lscan-layers-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(copy));
    char command[4096];
    snprintf(command, sizeof command, "cp -r '%s/scanner' '%s/rules' '%s/workers' '%s/' && "
             "sed -i 's|#include \"rules/base/bytebuf.h\"|#include \"rules/base/bytebuf.h\"\\n#include \"scanner/cli/terminal.h\"|' "
             "'%s/rules/base/bytebuf.c'",
             harness_root(), harness_root(), harness_root(), copy, copy);
    cr_assert_eq(system(command), 0);
    char script[1024];
    snprintf(script, sizeof script, "%s/tests/check-layers", harness_root());
    const char *argv[] = {"sh", script, copy, NULL};
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, NULL, 0, &out, &err);
    cr_expect_eq(rc, 1, "the planted include was not caught: %s", out);
    cr_expect_not_null(strstr(out, "rules/base/bytebuf.c:"), "%s", out);
    cr_expect_not_null(strstr(out, "points up: scanner/cli (layer 7) from rules/base (layer 0)"), "%s", out);
    free(out);
    free(err);
}
