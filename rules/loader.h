/* loader: rule packs from files and directories into one compiled set. */
#ifndef LSCAN_LOADER_H
#define LSCAN_LOADER_H

#include "rules/ruleset.h"

/* Loads every pack named in paths (a file, or a directory whose *.yaml and
 * *.yml files are read in name order) and compiles them into one set. Every
 * mistake in every pack is reported into `diag`; on any, returns -1 and
 * *out is NULL. The caller owns *out (ruleset_destroy). */
int ruleset_load(const char *const *paths, size_t path_count, const ruleset_options *options, ruleset **out,
                 diagnostics *diag);

#endif
