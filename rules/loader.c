#include "rules/loader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && ((n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")));
}

typedef struct file_list {
    char **names;
    size_t count, capacity;
} file_list;

static int add_file(file_list *l, char *name, diagnostics *diag)
{
    if (!name) {
        diagnostics_add(diag, "rules", 0, 0, "out of memory");
        return -1;
    }
    if (l->count == l->capacity) {
        size_t capacity = l->capacity ? l->capacity * 2 : 64;
        char **grown = realloc(l->names, capacity * sizeof *grown);
        if (!grown) {
            free(name);
            diagnostics_add(diag, "rules", 0, 0, "out of memory");
            return -1;
        }
        l->names = grown;
        l->capacity = capacity;
    }
    l->names[l->count++] = name;
    return 0;
}

/* Appends the pack files under `path` (every *.yaml and *.yml of a
 * directory, in name order) to the list. */
static void expand(const char *path, file_list *files, diagnostics *diag)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        diagnostics_add(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_file(files, strdup(path), diag);
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        diagnostics_add(diag, path, 0, 0, "cannot read the directory: %s", strerror(errno));
        return;
    }
    size_t first = files->count;
    for (struct dirent *e; (e = readdir(dir));) {
        if (!yaml_name(e->d_name))
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(n);
        if (full)
            snprintf(full, n, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        if (add_file(files, full, diag) < 0)
            break;
    }
    closedir(dir);
    if (files->count == first)
        diagnostics_add(diag, path, 0, 0, "no *.yaml rule packs in this directory");
    qsort(files->names + first, files->count - first, sizeof *files->names, compare_names);
}

int ruleset_load(const char *const *paths, size_t path_count, const ruleset_options *options, ruleset **out,
                 diagnostics *diag)
{
    *out = NULL;
    size_t errors_before = diagnostics_total(diag);
    file_list files = {0};
    for (size_t i = 0; i < path_count; i++)
        expand(paths[i], &files, diag);
    if (files.count == 0 && diagnostics_total(diag) == errors_before)
        diagnostics_add(diag, "rules", 0, 0, "no rule pack given");
    pack **packs = calloc(files.count ? files.count : 1, sizeof *packs);
    size_t pack_count = 0;
    if (!packs)
        diagnostics_add(diag, "rules", 0, 0, "out of memory");
    for (size_t i = 0; i < files.count; i++) {
        pack *p = packs ? pack_load(files.names[i], diag) : NULL;
        if (p)
            packs[pack_count++] = p;
        free(files.names[i]);
    }
    free(files.names);
    int rc = -1;
    if (diagnostics_total(diag) == errors_before)
        rc = ruleset_compile(packs, pack_count, options, out, diag);
    if (rc < 0)
        for (size_t i = 0; i < pack_count; i++)
            pack_free(packs[i]);
    free(packs);
    return rc;
}
