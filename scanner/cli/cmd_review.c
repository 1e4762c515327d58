/* lscan review: flags (JSON lines) printed for a person, the hits marked,
 * seller text made safe for a terminal. */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/cli/cli.h"
#include "scanner/cli/terminal.h"
#include "scanner/record/listing.h"

static void print_marked(bytebuf *out, const char *text, const cJSON *hits, const char *field)
{
    size_t at = 0, length = strlen(text);
    const cJSON *hit;
    /* hits come sorted by rule, then by position: walk them in text order */
    size_t starts[64], ends[64], n = 0;
    cJSON_ArrayForEach(hit, hits)
    {
        const cJSON *f = cJSON_GetObjectItem(hit, "field");
        if (!cJSON_IsString(f) || strcmp(f->valuestring, field) || n == 64)
            continue;
        double s = cJSON_GetNumberValue(cJSON_GetObjectItem(hit, "start")),
               e = cJSON_GetNumberValue(cJSON_GetObjectItem(hit, "end"));
        if (s >= 0 && e > s && e <= (double)length) {
            size_t k = n++;
            while (k > 0 && starts[k - 1] > (size_t)s) {
                starts[k] = starts[k - 1];
                ends[k] = ends[k - 1];
                k--;
            }
            starts[k] = (size_t)s;
            ends[k] = (size_t)e;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (starts[i] < at)
            continue;
        terminal_safe_append(out, text + at, starts[i] - at);
        bytebuf_append_string(out, "[");
        terminal_safe_append(out, text + starts[i], ends[i] - starts[i]);
        bytebuf_append_string(out, "]");
        at = ends[i];
    }
    terminal_safe_append(out, text + at, length - at);
}

static int command_review(const cli_command *self, int argc, char **argv)
{
    argc--; /* past "review" */
    argv++;
    if (argc == 1 && !strcmp(argv[0], "--help")) {
        cli_usage(self, stdout);
        return EXIT_OK;
    }
    FILE *in = stdin;
    if (argc > 1)
        return cli_bad_usage(self);
    if (argc == 1 && strcmp(argv[0], "-") && !(in = fopen(argv[0], "r"))) {
        fprintf(stderr, "lscan: review: cannot open %s: %s\n", argv[0], strerror(errno));
        return EXIT_USAGE;
    }
    cli_line_reader *reader = calloc(1, sizeof *reader);
    if (!reader)
        return EXIT_RUNTIME;
    reader->f = in;
    bytebuf line, out;
    bytebuf_init(&line, 0);
    bytebuf_init(&out, 0);
    int status = EXIT_OK;
    uint64_t number = 0;
    bool too_long;
    while (cli_read_line(reader, &line, LISTING_MAX_LINE, &too_long)) {
        number++;
        cJSON *flag = too_long ? NULL : cJSON_ParseWithLength(line.data ? line.data : "", line.length);
        bytebuf_reset(&line);
        if (!flag) {
            fprintf(stderr, "lscan: review: line %llu is not a flag, skipped\n", (unsigned long long)number);
            status = EXIT_BAD_INPUT;
            continue;
        }
        const cJSON *listing = cJSON_GetObjectItem(flag, "listing"), *rules = cJSON_GetObjectItem(flag, "rules");
        const char *title = cJSON_GetStringValue(cJSON_GetObjectItem(listing, "title"));
        bytebuf_reset(&out);
        const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(flag, "severity"));
        bytebuf_append_string(&out, "[");
        terminal_safe_append(&out, sev ? sev : "?", sev ? strlen(sev) : 1);
        bytebuf_append_string(&out, "]");
        const cJSON *r;
        cJSON_ArrayForEach(r, rules)
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r, "id"));
            bytebuf_append_char(&out, ' ');
            terminal_safe_append(&out, id ? id : "?", id ? strlen(id) : 1);
        }
        const char *fields[] = {"platform", "listing_id"};
        for (int i = 0; i < 2; i++) {
            const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(listing, fields[i]));
            bytebuf_append_string(&out, i ? " " : "  ");
            terminal_safe_append(&out, v ? v : "?", v ? strlen(v) : 1);
        }
        bytebuf_append_string(&out, "\n  title: ");
        if (title)
            print_marked(&out, title, cJSON_GetObjectItem(flag, "hits"), "title");
        const char *explain = cJSON_GetStringValue(cJSON_GetObjectItem(flag, "explain"));
        bytebuf_append_string(&out, "\n  why:   ");
        if (explain)
            terminal_safe_append(&out, explain, strlen(explain));
        bytebuf_append_char(&out, '\n');
        fwrite(out.data, 1, out.length, stdout);
        cJSON_Delete(flag);
    }
    if (in != stdin)
        fclose(in);
    free(reader);
    bytebuf_free(&line);
    bytebuf_free(&out);
    return status;
}


const cli_command cli_review = {"review", "[FILE]", "print flags (JSON lines; stdin without FILE) for a person, safely",
                                 NULL, command_review};
