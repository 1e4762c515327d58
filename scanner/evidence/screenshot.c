/* screenshot: see screenshot.h. */
#include "scanner/evidence/screenshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rules/base/error_message.h"

extern char **environ;

#define DETAIL(...) error_message_set(detail, detail_size, __VA_ARGS__)

const char *screenshot_strerror(screenshot_error e)
{
    switch (e) {
    case SCREENSHOT_OK: return "ok";
    case SCREENSHOT_ERROR_START: return "Chromium could not be started";
    case SCREENSHOT_ERROR_TIMEOUT: return "Chromium did not finish in time";
    case SCREENSHOT_ERROR_FAILED: return "Chromium wrote no screenshot";
    case SCREENSHOT_ERROR_IO: return "input/output error";
    }
    return "unknown error";
}

/* Removes a directory tree Chromium made (its profile), bounded in depth. */
static void remove_tree(const char *path, int depth)
{
    DIR *d = depth < 16 ? opendir(path) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(child, depth + 1);
            else
                unlink(child);
        }
        closedir(d);
    }
    rmdir(path);
}

static double monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

screenshot_error screenshot_take(const char *url, unsigned timeout_s, bytebuf *png, char *detail, size_t detail_size)
{
    if (!url || (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))) {
        DETAIL("not an http(s) URL");
        return SCREENSHOT_ERROR_START;
    }
    char dir[] = "/tmp/lscan-shot-XXXXXX";
    if (!mkdtemp(dir)) {
        DETAIL("cannot make a temporary directory: %s", strerror(errno));
        return SCREENSHOT_ERROR_IO;
    }
    char profile[128], shot[128], shot_arg[160], profile_arg[160], budget[64];
    snprintf(profile, sizeof profile, "%s/profile", dir);
    snprintf(shot, sizeof shot, "%s/shot.png", dir);
    snprintf(shot_arg, sizeof shot_arg, "--screenshot=%s", shot);
    snprintf(profile_arg, sizeof profile_arg, "--user-data-dir=%s", profile);
    unsigned seconds = timeout_s ? timeout_s : 20;
    snprintf(budget, sizeof budget, "--virtual-time-budget=%u", seconds * 500); /* half the time for scripts */
    const char *binary = getenv("LSCAN_CHROMIUM");
    if (!binary || !*binary)
        binary = "chromium";
    const char *argv[20];
    int argc = 0;
    argv[argc++] = binary;
    argv[argc++] = "--headless";
    argv[argc++] = "--disable-gpu";
    argv[argc++] = "--hide-scrollbars";
    argv[argc++] = "--no-first-run";
    argv[argc++] = "--no-default-browser-check";
    argv[argc++] = "--disable-extensions";
    argv[argc++] = "--disable-sync";
    argv[argc++] = "--mute-audio";
    argv[argc++] = "--window-size=1280,2000";
    argv[argc++] = budget;
    argv[argc++] = profile_arg;
    argv[argc++] = shot_arg;
    if (geteuid() == 0)
        argv[argc++] = "--no-sandbox"; /* Chromium refuses to run as root otherwise (docs/evidence.md) */
    argv[argc++] = "--";
    argv[argc++] = url;
    argv[argc] = NULL;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP); /* its own group: the kill reaches its children */
    posix_spawnattr_setpgroup(&attributes, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, binary, &actions, &attributes, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        DETAIL("%s: %s", binary, strerror(rc));
        remove_tree(dir, 0);
        return SCREENSHOT_ERROR_START;
    }
    double deadline = monotonic_s() + seconds;
    int status = 0;
    bool ended = false;
    while (!ended) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) {
            ended = true;
            break;
        }
        if (monotonic_s() > deadline)
            break;
        struct timespec pause = {0, 20000000}; /* a child process, not a thread: polled */
        nanosleep(&pause, NULL);
    }
    screenshot_error e = SCREENSHOT_OK;
    if (!ended) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        DETAIL("%s: no screenshot after %u s", url, seconds);
        e = SCREENSHOT_ERROR_TIMEOUT;
    } else {
        FILE *f = fopen(shot, "rb");
        if (!f) {
            DETAIL("%s: Chromium ended (status %d) without a screenshot", url, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            e = SCREENSHOT_ERROR_FAILED;
        } else {
            char buffer[1 << 16];
            size_t n, total = 0;
            while ((n = fread(buffer, 1, sizeof buffer, f)) > 0 && total <= SCREENSHOT_MAX_BYTES) {
                bytebuf_append(png, buffer, n);
                total += n;
            }
            fclose(f);
            if (total > SCREENSHOT_MAX_BYTES || png->overflow || total < 8 || memcmp(png->data, "\x89PNG", 4)) {
                DETAIL("%s: not a PNG, or larger than %zu bytes", url, SCREENSHOT_MAX_BYTES);
                e = SCREENSHOT_ERROR_FAILED;
            }
        }
    }
    kill(-pid, SIGKILL); /* helpers Chromium left behind */
    remove_tree(dir, 0);
    return e;
}
