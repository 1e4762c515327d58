#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PACKS 256

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")));
}

/* Appends the pack files under `path` to files[]. */
static void expand(const char *path, char **files, size_t *count, diagnostics *diag)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        diagnostics_add(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (*count < MAX_PACKS)
            files[(*count)++] = strdup(path);
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        diagnostics_add(diag, path, 0, 0, "cannot read the directory: %s", strerror(errno));
        return;
    }
    size_t first = *count;
    for (struct dirent *e; (e = readdir(dir));) {
        if (!yaml_name(e->d_name) || *count >= MAX_PACKS)
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(n);
        if (!full)
            continue;
        snprintf(full, n, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        files[(*count)++] = full;
    }
    closedir(dir);
    if (*count == first)
        diagnostics_add(diag, path, 0, 0, "no *.yaml rule packs in this directory");
    qsort(files + first, *count - first, sizeof *files, compare_names);
}

int ruleset_load(const char *const *paths, size_t path_count, const ruleset_options *options, ruleset **out,
                 diagnostics *diag)
{
    *out = NULL;
    size_t errors_before = diag->count;
    char *files[MAX_PACKS];
    size_t file_count = 0;
    for (size_t i = 0; i < path_count; i++)
        expand(paths[i], files, &file_count, diag);
    if (file_count == 0 && diag->count == errors_before)
        diagnostics_add(diag, "rules", 0, 0, "no rule pack given");
    pack *packs[MAX_PACKS];
    size_t pack_count = 0;
    for (size_t i = 0; i < file_count; i++) {
        pack *p = pack_load(files[i], diag);
        if (p)
            packs[pack_count++] = p;
        free(files[i]);
    }
    int rc = -1;
    if (diag->count == errors_before)
        rc = ruleset_compile(packs, pack_count, options, out, diag);
    if (rc < 0)
        for (size_t i = 0; i < pack_count; i++)
            pack_free(packs[i]);
    return rc;
}
