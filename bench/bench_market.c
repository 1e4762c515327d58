/* bench-market: how fast the fixture marketplace serves, measured with wrk
 * on one core for the server and one for wrk. The reference, measured in the
 * same run against the same server, is its smallest response (a 404): the
 * cost of HTTP itself on this machine. Target: JSON search pages (60 items)
 * at >= 20,000 requests/s on one core.
 * usage: bench-market [--json] [--seconds N] */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* Runs wrk (pinned to CPU 1) and returns its requests/s, or -1. */
static double wrk(int port, const char *path, bool gzip, const char *script, int seconds)
{
    char url[512], duration[16];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    snprintf(duration, sizeof duration, "%ds", seconds);
    const char *argv[16] = {"wrk", "-t1", "-c32", "-d", duration};
    int argc = 5;
    if (gzip) {
        argv[argc++] = "-H";
        argv[argc++] = "Accept-Encoding: gzip";
    }
    if (script) {
        argv[argc++] = "-s";
        argv[argc++] = script;
    }
    argv[argc++] = url;
    argv[argc] = NULL;
    pin_to(1);
    char *out = NULL, *err = NULL;
    int rc = harness_run(argv, NULL, 0, &out, &err);
    pin_to(0);
    double rps = -1;
    const char *line = out ? strstr(out, "Requests/sec:") : NULL;
    if (rc == 0 && line)
        rps = strtod(line + 13, NULL);
    else
        fprintf(stderr, "bench-market: wrk failed (exit %d): %s%s\n", rc, out ? out : "", err ? err : "");
    const char *errors = out ? strstr(out, "Non-2xx") : NULL;
    if (errors && strstr(path, "nothing") == NULL)
        fprintf(stderr, "bench-market: %s: %.*s\n", path, (int)strcspn(errors, "\n"), errors);
    free(out);
    free(err);
    return rps;
}

int main(int argc, char **argv)
{
    bool json = false;
    int seconds = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-market [--json] [--seconds N]\n");
            return 2;
        }
    }
    if (seconds < 1 || seconds > 60)
        seconds = 3;
    /* the server inherits CPU 0; wrk runs on CPU 1 */
    pin_to(0);
    harness_process market;
    const char *const args[] = {"--threads", "1", NULL};
    if (harness_market_start(&market, 2026, 20000, args) < 0) {
        fprintf(stderr, "bench-market: cannot start the fixture market\n");
        return 1;
    }
    char script[600];
    snprintf(script, sizeof script, "%s/vary.lua", market.dir);
    FILE *f = fopen(script, "w");
    if (f) {
        /* every request a page not seen before: rendered, not cached */
        fputs("counter = 0\nrequest = function()\n  counter = counter + 1\n"
              "  return wrk.format(\"GET\", \"/shopee/api/v4/search/search_items?keyword=&limit=60&newest=\" .. "
              "(counter * 60 % 4980) .. \"&r=\" .. counter)\nend\n", f);
        fclose(f);
    }
    const char *search = "/shopee/api/v4/search/search_items?keyword=&limit=60&newest=0";
    double floor_rps = wrk(market.port, "/nothing", false, NULL, seconds);
    double plain = wrk(market.port, search, false, NULL, seconds);
    double gzip = wrk(market.port, search, true, NULL, seconds);
    double uncached = wrk(market.port, "/", false, script, seconds);
    double html = wrk(market.port, "/store/p/500000010.html", true, NULL, seconds);
    harness_stop(&market);
    if (floor_rps <= 0 || plain <= 0 || gzip <= 0 || uncached <= 0 || html <= 0)
        return 1;
    if (json) {
        printf("{\"floor_404_rps\":%.0f,\"json_search_rps\":%.0f,\"json_search_gzip_rps\":%.0f,"
               "\"json_search_uncached_rps\":%.0f,\"html_product_gzip_rps\":%.0f,\"ratio_json_search_vs_floor\":%.3f,"
               "\"ratio_json_search_gzip_vs_floor\":%.3f,\"target_rps\":20000,\"target_met\":%s}\n",
               floor_rps, plain, gzip, uncached, html, plain / floor_rps, gzip / floor_rps,
               plain >= 20000 ? "true" : "false");
    } else {
        printf("fixture market, one server thread on CPU 0, wrk -t1 -c32 on CPU 1, %d s each:\n", seconds);
        printf("  %-52s %10.0f req/s  (reference)\n", "smallest response (404)", floor_rps);
        printf("  %-52s %10.0f req/s  %.2fx reference\n", "JSON search page, 60 items", plain, plain / floor_rps);
        printf("  %-52s %10.0f req/s  %.2fx reference\n", "JSON search page, 60 items, gzip", gzip, gzip / floor_rps);
        printf("  %-52s %10.0f req/s  %.2fx reference\n", "JSON search page, 60 items, never seen before", uncached,
               uncached / floor_rps);
        printf("  %-52s %10.0f req/s  %.2fx reference\n", "storefront product page, gzip", html, html / floor_rps);
        printf("  target: JSON search pages >= 20000 req/s on one core: %s\n", plain >= 20000 ? "met" : "NOT met");
    }
    return 0;
}
