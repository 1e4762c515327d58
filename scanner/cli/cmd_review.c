/* lscan review: flags (JSON lines) printed for a person, the hits marked,
 * seller text made safe for a terminal. */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/cli/cli.h"
#include "scanner/cli/terminal.h"
#include "scanner/record/flag_read.h"
#include "scanner/record/listing.h"

/* Appends text with the hits of `field` in [brackets], all terminal-safe. */
static void print_marked(bytebuf *out, const char *text, const flag_record *f, const char *field)
{
    size_t at = 0, length = strlen(text);
    /* hits come sorted by rule, then by position: walk them in text order */
    size_t starts[64], ends[64], n = 0;
    for (size_t h = 0; h < f->hit_count && n < 64; h++) {
        const flag_hit_ref *hit = &f->hits[h];
        if (strcmp(hit->field, field) || hit->end > length)
            continue;
        size_t k = n++;
        while (k > 0 && starts[k - 1] > hit->start) {
            starts[k] = starts[k - 1];
            ends[k] = ends[k - 1];
            k--;
        }
        starts[k] = hit->start;
        ends[k] = hit->end;
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

static void safe(bytebuf *out, const char *text)
{
    terminal_safe_append(out, text ? text : "?", text ? strlen(text) : 1);
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
        flag_record f;
        char error[256];
        int rc = too_long ? -1 : flag_read(line.data ? line.data : "", line.length, &f, error, sizeof error);
        bytebuf_reset(&line);
        if (rc < 0) {
            fprintf(stderr, "lscan: review: line %llu is not a flag, skipped\n", (unsigned long long)number);
            status = EXIT_BAD_INPUT;
            continue;
        }
        bytebuf_reset(&out);
        bytebuf_append_string(&out, "[");
        safe(&out, f.severity);
        bytebuf_append_string(&out, "]");
        for (size_t r = 0; r < f.rule_count; r++) {
            bytebuf_append_char(&out, ' ');
            safe(&out, f.rules[r].id);
        }
        bytebuf_append_string(&out, "  ");
        safe(&out, f.platform);
        bytebuf_append_string(&out, " ");
        safe(&out, f.listing_id);
        bytebuf_append_string(&out, "\n  title: ");
        print_marked(&out, f.title, &f, "title");
        bytebuf_append_string(&out, "\n  why:   ");
        if (f.explain)
            terminal_safe_append(&out, f.explain, strlen(f.explain));
        bytebuf_append_char(&out, '\n');
        fwrite(out.data, 1, out.length, stdout);
        flag_record_free(&f);
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
