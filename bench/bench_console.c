/* bench-console: 50 reviewers claiming and deciding at once through the
 * console's JSON API, with 1,000,000 cases in the register (issue 11: p99
 * under 100 ms).
 *
 * Builds a register of N cases (register_intake, 5,000 flags per commit)
 * and 50 reviewer accounts, starts `lscan serve --no-intake` pinned to CPU 0
 * (8 HTTP threads), logs the 50 reviewers in, then runs 50 client threads
 * pinned to CPU 1, each with its own keep-alive connection: 40 rounds of
 * POST /api/claim and POST /api/cases/{id}/decide (dismiss), every request
 * timed. The reference, measured in the same run on the same server with
 * the same 50 connections: GET /console.css (a static file from memory),
 * as many requests. Prints p50/p99 of each, and p99 against the reference's.
 * usage: bench-console [--json] [--cases N] */
#include <cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/flag_corpus.h"
#include "scanner/cases/register.h"
#include "scanner/review/accounts.h"
#include "tests/harness.h"

#define REVIEWERS 50
#define ROUNDS 40
#define BATCH 5000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

typedef struct buffer {
    char data[65536];
    size_t length;
} buffer;

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    buffer *b = ctx;
    size_t length = size * n, room = sizeof b->data - 1 - b->length;
    memcpy(b->data + b->length, data, length < room ? length : room);
    b->length += length < room ? length : room;
    b->data[b->length] = '\0';
    return length;
}

typedef struct reviewer {
    int port, index;
    CURL *curl;
    char cookie[128], csrf[80];
    double claim_ms[ROUNDS], decide_ms[ROUNDS], static_ms[2 * ROUNDS];
    int claims, decides, statics, errors;
} reviewer;

/* One request on the reviewer's connection: the status, the body in b, the time in ms. */
static long call(reviewer *r, const char *method, const char *path, const char *body, buffer *b, double *ms)
{
    char url[256], csrf[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", r->port, path);
    b->length = 0;
    b->data[0] = '\0';
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s", r->csrf);
    headers = curl_slist_append(headers, csrf);
    curl_easy_setopt(r->curl, CURLOPT_URL, url);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(r->curl, CURLOPT_COOKIE, r->cookie[0] ? r->cookie : NULL);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, b);
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(r->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body ? body : "{}");
    } else {
        curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
    }
    double start = now();
    CURLcode rc = curl_easy_perform(r->curl);
    *ms = (now() - start) * 1e3;
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    return status;
}

static size_t on_cookie_header(char *data, size_t size, size_t n, void *ctx)
{
    reviewer *r = ctx;
    size_t length = size * n;
    if (length > 12 && !strncasecmp(data, "Set-Cookie: ", 12)) {
        size_t end = strcspn(data + 12, ";\r\n");
        snprintf(r->cookie, sizeof r->cookie, "%.*s", (int)end, data + 12);
    }
    return length;
}

static int login(reviewer *r)
{
    char body[128];
    snprintf(body, sizeof body, "{\"username\":\"r%02d\",\"password\":\"bench-password-%02d\"}", r->index, r->index);
    buffer *b = malloc(sizeof *b);
    curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, on_cookie_header);
    curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, r);
    double ms;
    long status = call(r, "POST", "/api/login", body, b, &ms);
    curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, NULL);
    curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, NULL); /* else headers go to the write callback with it */
    cJSON *answer = cJSON_Parse(b->data);
    const char *csrf = cJSON_GetStringValue(cJSON_GetObjectItem(answer, "csrf"));
    if (csrf)
        snprintf(r->csrf, sizeof r->csrf, "%s", csrf);
    cJSON_Delete(answer);
    free(b);
    return status == 200 && csrf && r->cookie[0] ? 0 : -1;
}

static pthread_barrier_t start_line;

static void *work(void *ctx)
{
    reviewer *r = ctx;
    buffer *b = malloc(sizeof *b);
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ROUNDS; i++) {
        double ms;
        long status = call(r, "POST", "/api/claim", "{\"filters\":{}}", b, &ms);
        if (status != 200) {
            r->errors++;
            continue;
        }
        r->claim_ms[r->claims++] = ms;
        cJSON *answer = cJSON_Parse(b->data);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(answer, "case"), "case_id"));
        char path[128];
        snprintf(path, sizeof path, "/api/cases/%s/decide", id ? id : "none");
        cJSON_Delete(answer);
        status = call(r, "POST", path, "{\"action\":\"dismiss\",\"reason\":\"rule_too_broad\"}", b, &ms);
        if (status != 200) {
            r->errors++;
            continue;
        }
        r->decide_ms[r->decides++] = ms;
    }
    free(b);
    return NULL;
}

static void *fetch_static(void *ctx)
{
    reviewer *r = ctx;
    buffer *b = malloc(sizeof *b);
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < 2 * ROUNDS; i++) {
        double ms;
        if (call(r, "GET", "/console.css", NULL, b, &ms) == 200)
            r->static_ms[r->statics++] = ms;
        else
            r->errors++;
    }
    free(b);
    return NULL;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, compare_double);
    size_t k = (size_t)(p * (double)(n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

static void run(reviewer *rs, void *(*body)(void *))
{
    pthread_t threads[REVIEWERS];
    pthread_barrier_init(&start_line, NULL, REVIEWERS);
    for (int i = 0; i < REVIEWERS; i++)
        pthread_create(&threads[i], NULL, body, &rs[i]);
    for (int i = 0; i < REVIEWERS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start_line);
}

int main(int argc, char **argv)
{
    bool json = false;
    size_t cases = 1000000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench-console [--json] [--cases N]\n");
            return 2;
        }
    }
    if (cases < REVIEWERS * ROUNDS * 2) {
        fprintf(stderr, "bench-console: --cases must be at least %d\n", REVIEWERS * ROUNDS * 2);
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bench-console-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("bench-console: mkdtemp");
        return 1;
    }
    char reg_path[600], accounts_path[600], error[512];
    snprintf(reg_path, sizeof reg_path, "%s/register.sqlite", dir);
    snprintf(accounts_path, sizeof accounts_path, "%s/accounts.sqlite", dir);

    /* the register: N cases */
    normalizer *n;
    if (normalizer_create(&n, error, sizeof error) < 0) {
        fprintf(stderr, "bench-console: %s\n", error);
        return 1;
    }
    double build_start = now();
    {
        flag_corpus c;
        if (flag_corpus_build(&c, cases) < 0) {
            fprintf(stderr, "bench-console: out of memory\n");
            return 1;
        }
        case_register *r = register_open(reg_path, n, error, sizeof error);
        intake_item *items = calloc(BATCH, sizeof *items);
        intake_stats stats = {0};
        for (size_t at = 0; r && items && at < cases; at += BATCH) {
            size_t count = cases - at < BATCH ? cases - at : BATCH;
            for (size_t k = 0; k < count; k++)
                items[k].flag = flag_corpus_doc(&c, at + k, &items[k].flag_length);
            if (register_intake(r, items, count, 1778115600000LL, &stats, error, sizeof error) != REGISTER_OK) {
                fprintf(stderr, "bench-console: %s\n", error);
                return 1;
            }
        }
        free(items);
        register_close(r);
        flag_corpus_free(&c);
        if (!r || stats.cases_new != cases) {
            fprintf(stderr, "bench-console: the register holds %llu cases, not %zu\n",
                    (unsigned long long)stats.cases_new, cases);
            return 1;
        }
    }
    double build_s = now() - build_start;
    normalizer_destroy(n);
    accounts *a = accounts_open(accounts_path, error, sizeof error);
    for (int i = 1; a && i <= REVIEWERS; i++) {
        char name[16], password[32];
        snprintf(name, sizeof name, "r%02d", i);
        snprintf(password, sizeof password, "bench-password-%02d", i);
        accounts_add(a, name, password, ROLE_REVIEWER, NULL, NULL, error, sizeof error);
    }
    accounts_close(a);

    /* the server on CPU 0 */
    char lscan[600];
    snprintf(lscan, sizeof lscan, "%s/lscan", harness_build());
    const char *server_argv[] = {"taskset", "-c", "0", lscan, "serve", "--no-intake", "--listen", "127.0.0.1:0",
                                 "--register", reg_path, "--accounts", accounts_path, "--threads", "8", NULL};
    harness_process server;
    char line[512];
    if (harness_start_command(&server, server_argv) < 0 ||
        harness_read_line(&server, "the console is at", line, sizeof line, 60000) < 0) {
        fprintf(stderr, "bench-console: lscan serve did not start\n");
        return 1;
    }
    const char *at = strstr(line, "127.0.0.1:");
    long port = at ? strtol(at + 10, NULL, 10) : 0;
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "bench-console: no port in \"%s\"\n", line);
        return 1;
    }
    pin(1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    reviewer *rs = calloc(REVIEWERS, sizeof *rs);
    for (int i = 0; i < REVIEWERS; i++) {
        rs[i].port = port;
        rs[i].index = i + 1;
        rs[i].curl = curl_easy_init();
        curl_easy_setopt(rs[i].curl, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(rs[i].curl, CURLOPT_NOSIGNAL, 1L); /* threads: no alarm() for timeouts */
        if (login(&rs[i]) < 0) {
            fprintf(stderr, "bench-console: reviewer %d cannot log in\n", i + 1);
            harness_stop(&server);
            return 1;
        }
    }
    fprintf(stderr, "bench-console: %d reviewers logged in; measuring\n", REVIEWERS);
    run(rs, fetch_static); /* warm the connections */
    for (int i = 0; i < REVIEWERS; i++)
        rs[i].statics = 0;
    double api_start = now();
    run(rs, work);
    double api_s = now() - api_start;
    run(rs, fetch_static);
    harness_stop(&server);

    size_t total = REVIEWERS * ROUNDS;
    double *claims = calloc(total, sizeof *claims), *decides = calloc(total, sizeof *decides),
           *all = calloc(2 * total, sizeof *all), *statics = calloc(2 * total, sizeof *statics);
    size_t nc = 0, nd = 0, na = 0, ns = 0;
    int errors = 0;
    for (int i = 0; i < REVIEWERS; i++) {
        for (int k = 0; k < rs[i].claims; k++)
            claims[nc++] = all[na++] = rs[i].claim_ms[k];
        for (int k = 0; k < rs[i].decides; k++)
            decides[nd++] = all[na++] = rs[i].decide_ms[k];
        for (int k = 0; k < rs[i].statics; k++)
            statics[ns++] = rs[i].static_ms[k];
        errors += rs[i].errors;
        curl_easy_cleanup(rs[i].curl);
    }
    double claim50 = percentile(claims, nc, 0.5), claim99 = percentile(claims, nc, 0.99);
    double decide50 = percentile(decides, nd, 0.5), decide99 = percentile(decides, nd, 0.99);
    double all50 = percentile(all, na, 0.5), all99 = percentile(all, na, 0.99);
    double static50 = percentile(statics, ns, 0.5), static99 = percentile(statics, ns, 0.99);
    if (json) {
        printf("{\"cases\":%zu,\"reviewers\":%d,\"claims\":%zu,\"decisions\":%zu,\"errors\":%d,\"build_s\":%.1f,"
               "\"claim_p50_ms\":%.2f,\"claim_p99_ms\":%.2f,\"decide_p50_ms\":%.2f,\"decide_p99_ms\":%.2f,"
               "\"api_p50_ms\":%.2f,\"api_p99_ms\":%.2f,\"api_requests_per_s\":%.0f,\"static_p50_ms\":%.2f,"
               "\"static_p99_ms\":%.2f,\"p99_ratio\":%.2f}\n",
               cases, REVIEWERS, nc, nd, errors, build_s, claim50, claim99, decide50, decide99, all50, all99,
               (double)na / api_s, static50, static99, static99 > 0 ? all99 / static99 : 0);
    } else {
        printf("Console API, %d reviewers at once, %zu cases in the register (built in %.0f s), lscan serve on CPU 0 "
               "(8 threads), clients on CPU 1:\n",
               REVIEWERS, cases, build_s);
        printf("  %-44s p50 %7.2f ms   p99 %7.2f ms  (reference)\n", "GET /console.css (static, same server)",
               static50, static99);
        printf("  %-44s p50 %7.2f ms   p99 %7.2f ms\n", "POST /api/claim", claim50, claim99);
        printf("  %-44s p50 %7.2f ms   p99 %7.2f ms\n", "POST /api/cases/{id}/decide (fsynced)", decide50, decide99);
        printf("  %-44s p50 %7.2f ms   p99 %7.2f ms   %.1fx the reference's p99; %.0f requests/s\n",
               "claim and decide together", all50, all99, static99 > 0 ? all99 / static99 : 0, (double)na / api_s);
        printf("  %zu claims, %zu decisions, %d errors; target p99 < 100 ms: %s\n", nc, nd, errors,
               all99 < 100 ? "met" : "NOT met");
    }
    free(claims);
    free(decides);
    free(all);
    free(statics);
    free(rs);
    curl_global_cleanup();
    unlink(reg_path);
    unlink(accounts_path);
    char wal[640];
    snprintf(wal, sizeof wal, "%s-wal", reg_path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", reg_path);
    unlink(wal);
    rmdir(dir);
    return errors ? 1 : 0;
}
