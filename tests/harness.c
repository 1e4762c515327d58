#include "tests/harness.h"

#include "rules/base/bytebuf.h"
#include "rules/pack.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 20000

const char *harness_root(void)
{
    const char *v = getenv("LSCAN_ROOT");
    return v && *v ? v : ".";
}

const char *harness_build(void)
{
    const char *v = getenv("LSCAN_BUILD");
    return v && *v ? v : "build";
}

const char *harness_shared(void)
{
    const char *v = getenv("LSCAN_SHARED");
    return v && *v ? v : "../shared";
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int make_dir(harness_process *p, const char *kind)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(p->dir, sizeof p->dir, "%s/lscan-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", kind);
    if (!mkdtemp(p->dir)) {
        fprintf(stderr, "harness: mkdtemp %s: %s\n", p->dir, strerror(errno));
        p->dir[0] = '\0';
        return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Starts argv with stdout to a pipe (kept in p->output_fd) and stderr to
 * DIR/stderr.log; the child dies with the test process. */
static int spawn_to(harness_process *p, char *const argv[], bool stderr_to_pipe)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        char log[600];
        snprintf(log, sizeof log, "%s/stderr.log", p->dir);
        int err = stderr_to_pipe ? out[1] : open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        dup2(out[1], 1);
        if (err >= 0)
            dup2(err, 2);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    p->pid = pid;
    p->output_fd = out[0];
    return 0;
}

static int spawn(harness_process *p, char *const argv[])
{
    return spawn_to(p, argv, false);
}

/* Reads the child's stdout until a line contains `marker`; copies that line. */
static int wait_for_line_within(harness_process *p, const char *marker, char *line, size_t line_size, int timeout_ms)
{
    char buffer[8192];
    size_t used = 0;
    long long deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - monotonic_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {p->output_fd, POLLIN, 0};
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        ssize_t n = read(p->output_fd, buffer + used, sizeof buffer - 1 - used);
        if (n <= 0)
            return -1; /* the child exited */
        used += (size_t)n;
        buffer[used] = '\0';
        char *hit = strstr(buffer, marker);
        if (hit) {
            char *start = hit;
            while (start > buffer && start[-1] != '\n')
                start--;
            char *end = strchr(hit, '\n');
            size_t len = end ? (size_t)(end - start) : strlen(start);
            if (len >= line_size)
                len = line_size - 1;
            memcpy(line, start, len);
            line[len] = '\0';
            return 0;
        }
        if (used > sizeof buffer / 2) { /* keep the tail only */
            memmove(buffer, buffer + used - 256, 256);
            used = 256;
        }
    }
}

static int wait_for_line(harness_process *p, const char *marker, char *line, size_t line_size)
{
    return wait_for_line_within(p, marker, line, line_size, READY_TIMEOUT_MS);
}

static void print_stderr_log(const harness_process *p)
{
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.log", p->dir);
    char *log = harness_read_file(path, NULL);
    if (log && *log)
        fprintf(stderr, "harness: %s", log);
    free(log);
}

int harness_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

int harness_redis_start(harness_process *p)
{
    memset(p, 0, sizeof *p);
    p->output_fd = -1;
    if (make_dir(p, "redis") < 0)
        return -1;
    /* A free port can be taken between the probe and redis' bind: retry. */
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = harness_free_port();
        if (port < 0)
            break;
        char port_text[16];
        snprintf(port_text, sizeof port_text, "%d", port);
        char *const argv[] = {"redis-server", "--port", port_text, "--bind", "127.0.0.1", "--dir", p->dir,
                              "--save", "", "--appendonly", "no", "--logfile", "", "--daemonize", "no",
                              "--protected-mode", "yes", "--loglevel", "notice", NULL};
        if (spawn(p, argv) < 0)
            break;
        char line[512];
        if (wait_for_line(p, "Ready to accept connections", line, sizeof line) == 0) {
            p->port = port;
            redisContext *c = harness_redis_connect(p);
            redisReply *reply = c ? redisCommand(c, "PING") : NULL;
            bool ok = reply && reply->type == REDIS_REPLY_STATUS && !strcmp(reply->str, "PONG");
            if (reply)
                freeReplyObject(reply);
            if (c)
                redisFree(c);
            if (ok)
                return 0;
        }
        print_stderr_log(p);
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        close(p->output_fd);
        p->pid = 0;
        p->output_fd = -1;
    }
    fprintf(stderr, "harness: redis-server did not start\n");
    harness_stop(p);
    return -1;
}

int harness_redis_start_on(harness_process *p, int port, const char *dir)
{
    memset(p, 0, sizeof *p);
    p->output_fd = -1;
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    char *const argv[] = {"redis-server", "--port", port_text, "--bind", "127.0.0.1", "--dir", p->dir, "--save", "",
                          "--appendonly", "no", "--logfile", "", "--daemonize", "no", NULL};
    char line[512];
    if (spawn(p, argv) < 0 || wait_for_line(p, "Ready to accept connections", line, sizeof line) < 0) {
        print_stderr_log(p);
        harness_stop(p);
        return -1;
    }
    p->port = port;
    return 0;
}

redisContext *harness_redis_connect(const harness_process *p)
{
    struct timeval timeout = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", p->port, timeout);
    if (!c || c->err) {
        if (c) {
            fprintf(stderr, "harness: redis connect: %s\n", c->errstr);
            redisFree(c);
        }
        return NULL;
    }
    redisSetTimeout(c, timeout);
    return c;
}

void harness_market_truth_path(const harness_process *p, char *out, size_t size)
{
    snprintf(out, size, "%s/truth.jsonl", p->dir);
}

int harness_market_start(harness_process *p, unsigned long long seed, unsigned long long listings,
                         const char *const *extra_args)
{
    memset(p, 0, sizeof *p);
    p->output_fd = -1;
    if (make_dir(p, "market") < 0)
        return -1;
    char binary[600], seed_text[32], listings_text[32], truth[600];
    snprintf(binary, sizeof binary, "%s/fixture-market", harness_build());
    snprintf(seed_text, sizeof seed_text, "%llu", seed);
    snprintf(listings_text, sizeof listings_text, "%llu", listings);
    harness_market_truth_path(p, truth, sizeof truth);
    char *argv[64] = {binary, "--port", "0", "--seed", seed_text, "--listings", listings_text, "--truth", truth};
    size_t argc = 9;
    for (size_t i = 0; extra_args && extra_args[i] && argc < 63; i++)
        argv[argc++] = (char *)extra_args[i];
    argv[argc] = NULL;
    if (spawn(p, argv) < 0) {
        harness_stop(p);
        return -1;
    }
    char line[512];
    const char *colon;
    if (wait_for_line(p, "listening on http://127.0.0.1:", line, sizeof line) < 0 ||
        !(colon = strstr(line, "127.0.0.1:"))) {
        print_stderr_log(p);
        fprintf(stderr, "harness: fixture-market did not start\n");
        harness_stop(p);
        return -1;
    }
    p->port = (int)strtol(colon + 10, NULL, 10);
    harness_response r;
    int rc = harness_http_get(p->port, "/_stats", false, 5000, &r);
    bool ok = rc == 0 && r.status == 200;
    harness_response_free(&r);
    if (!ok) {
        harness_stop(p);
        return -1;
    }
    return 0;
}

int harness_start_command(harness_process *p, const char *const *argv)
{
    memset(p, 0, sizeof *p);
    p->output_fd = -1;
    if (make_dir(p, "command") < 0)
        return -1;
    if (spawn_to(p, (char *const *)argv, true) < 0) {
        harness_stop(p);
        return -1;
    }
    return 0;
}

int harness_read_line(harness_process *p, const char *marker, char *line, size_t size, int timeout_ms)
{
    return wait_for_line_within(p, marker, line, size, timeout_ms);
}

int harness_wait_exit(harness_process *p, int timeout_ms)
{
    long long deadline = monotonic_ms() + timeout_ms;
    int status = -1;
    char drain[4096];
    while (p->pid > 0) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            break;
        }
        long long left = deadline - monotonic_ms();
        if (left <= 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            p->pid = 0;
            break;
        }
        /* the output closes when the process exits: wait on it, not on a clock */
        struct pollfd pfd = {p->output_fd, POLLIN, 0};
        if (p->output_fd >= 0) {
            if (poll(&pfd, 1, (int)(left < 200 ? left : 200)) > 0 && read(p->output_fd, drain, sizeof drain) <= 0) {
                close(p->output_fd);
                p->output_fd = -1;
            }
        } else {
            waitpid(p->pid, &status, 0);
            p->pid = 0;
        }
    }
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void harness_stop(harness_process *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        long long deadline = monotonic_ms() + 10000;
        int status;
        /* waitpid with a deadline: poll the child's stdout for EOF (it closes
         * when the process exits), then reap. */
        while (monotonic_ms() < deadline) {
            if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
                p->pid = 0;
                break;
            }
            struct pollfd pfd = {p->output_fd, POLLIN, 0};
            if (p->output_fd >= 0) {
                char drain[4096];
                if (poll(&pfd, 1, 100) > 0 && read(p->output_fd, drain, sizeof drain) <= 0) {
                    close(p->output_fd);
                    p->output_fd = -1;
                }
            } else {
                poll(NULL, 0, 20);
            }
        }
        if (p->pid > 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            p->pid = 0;
        }
    }
    if (p->output_fd >= 0) {
        close(p->output_fd);
        p->output_fd = -1;
    }
    if (p->dir[0]) {
        nftw(p->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        p->dir[0] = '\0';
    }
}

typedef struct capture {
    char *data;
    size_t length, capacity;
} capture;

static size_t capture_write(char *data, size_t size, size_t count, void *user)
{
    capture *c = user;
    size_t n = size * count;
    if (c->length + n + 1 > c->capacity) {
        size_t capacity = c->capacity ? c->capacity * 2 : 65536;
        while (capacity < c->length + n + 1)
            capacity *= 2;
        char *grown = realloc(c->data, capacity);
        if (!grown)
            return 0;
        c->data = grown;
        c->capacity = capacity;
    }
    memcpy(c->data + c->length, data, n);
    c->length += n;
    c->data[c->length] = '\0';
    return n;
}

static void header_copy(const char *line, size_t n, const char *name, char *out, size_t size)
{
    size_t name_length = strlen(name);
    if (n <= name_length + 1 || strncasecmp(line, name, name_length) || line[name_length] != ':')
        return;
    const char *v = line + name_length + 1;
    const char *end = line + n;
    while (v < end && *v == ' ')
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n'))
        end--;
    size_t len = (size_t)(end - v) < size - 1 ? (size_t)(end - v) : size - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t header_write(char *data, size_t size, size_t count, void *user)
{
    harness_response *r = user;
    size_t n = size * count;
    header_copy(data, n, "Content-Encoding", r->encoding, sizeof r->encoding);
    header_copy(data, n, "Retry-After", r->retry_after, sizeof r->retry_after);
    header_copy(data, n, "Location", r->location, sizeof r->location);
    return n;
}

int harness_http_get(int port, const char *path, bool gzip, long timeout_ms, harness_response *out)
{
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl)
        return CURLE_FAILED_INIT;
    char url[4096];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    capture body = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, capture_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_write);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)64 << 20);
    if (gzip)
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        free(body.data);
        return (int)rc;
    }
    if (!body.data)
        body.data = calloc(1, 1);
    out->body = body.data;
    out->length = body.length;
    return 0;
}

void harness_response_free(harness_response *r)
{
    free(r->body);
    r->body = NULL;
}

char *harness_read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    capture c = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (capture_write(chunk, 1, n, &c) != n)
            break;
    fclose(f);
    if (!c.data)
        c.data = calloc(1, 1);
    if (length)
        *length = c.length;
    return c.data;
}

int harness_run(const char *const *argv, const char *input, size_t input_length, char **out, char **err)
{
    int in_pipe[2], out_pipe[2], err_pipe[2];
    signal(SIGPIPE, SIG_IGN); /* a child that exits before reading its input must not kill the test */
    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    capture o = {0}, e = {0};
    size_t written = 0;
    int in_fd = in_pipe[1];
    /* non-blocking: a big input must not block us while the child blocks
     * writing output we are not reading */
    fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
    if (!input || !input_length) {
        close(in_fd);
        in_fd = -1;
    }
    int open_fds = 2;
    while (open_fds > 0 || in_fd >= 0) {
        struct pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) {
                char chunk[65536];
                ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
                if (n <= 0) {
                    close(fds[i].fd);
                    if (i == 0)
                        out_pipe[0] = -1;
                    else
                        err_pipe[0] = -1;
                    open_fds--;
                } else {
                    capture_write(chunk, 1, (size_t)n, i == 0 ? &o : &e);
                }
            }
        }
        if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in_fd, input + written, input_length - written);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n <= 0 || (written += (size_t)n) >= input_length) {
                close(in_fd);
                in_fd = -1;
            }
        }
    }
    int status;
    waitpid(pid, &status, 0);
    if (out)
        *out = o.data ? o.data : calloc(1, 1);
    else
        free(o.data);
    if (err)
        *err = e.data ? e.data : calloc(1, 1);
    else
        free(e.data);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

ruleset *harness_compile_pack(const char *name, const char *const *parts, const ruleset_options *options,
                              diagnostics *diag)
{
    bytebuf yaml;
    bytebuf_init(&yaml, 0);
    for (size_t i = 0; parts[i]; i++)
        bytebuf_append_string(&yaml, parts[i]);
    pack *p = pack_load_string(name, yaml.data, yaml.length, diag);
    bytebuf_free(&yaml);
    if (!p)
        return NULL;
    ruleset *rs = NULL;
    if (ruleset_compile(&p, 1, options, &rs, diag) < 0) {
        pack_free(p);
        return NULL;
    }
    return rs;
}
