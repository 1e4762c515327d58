/* cli: see cli.h. */
#include "scanner/cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/loader.h"
#include "scanner/cli/terminal.h"

void cli_getopt_tables(const cli_command *c, struct option *longs, char *shorts)
{
    size_t n = 0, s = 0;
    for (const cli_option *o = c->options; o && o->name && n + 1 < CLI_MAX_OPTIONS; o++, n++) {
        longs[n] = (struct option){o->name, o->argument ? required_argument : no_argument, NULL, o->key};
        if (o->key > 0 && o->key < 128) {
            shorts[s++] = (char)o->key;
            if (o->argument)
                shorts[s++] = ':';
        }
    }
    longs[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[n] = (struct option){NULL, 0, NULL, 0};
    shorts[s++] = 'h';
    shorts[s] = '\0';
}

void cli_usage(const cli_command *c, FILE *out)
{
    fprintf(out, "usage: lscan %s%s%s%s\n%s\n", c->name, c->options ? " [options]" : "", c->operands ? " " : "",
            c->operands ? c->operands : "", c->summary);
    if (!c->options)
        return;
    fputs("\noptions:\n", out);
    for (const cli_option *o = c->options; o->name; o++) {
        char left[80];
        int n = snprintf(left, sizeof left, "  %s%c%s--%s%s%s", o->key > 0 && o->key < 128 ? "-" : "",
                         o->key > 0 && o->key < 128 ? o->key : ' ', o->key > 0 && o->key < 128 ? ", " : "  ",
                         o->name, o->argument ? " " : "", o->argument ? o->argument : "");
        if (o->key <= 0 || o->key >= 128) /* no short form: align with those that have one */
            n = snprintf(left, sizeof left, "      --%s%s%s", o->name, o->argument ? " " : "", o->argument ? o->argument : "");
        fprintf(out, "%s%*s%s\n", left, n < 32 ? 32 - n : 1, "", o->help);
    }
}

int cli_bad_usage(const cli_command *c)
{
    cli_usage(c, stderr);
    return EXIT_USAGE;
}

bool cli_number(const cli_command *c, const char *option, const char *text, long min, long max, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < min || v > max) {
        fprintf(stderr, "lscan: %s: --%s must be %ld..%ld, not '%s'\n", c->name, option, min, max, text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_language(const char *name, flag_language *out)
{
    if (!strcmp(name, "vi"))
        *out = FLAG_LANGUAGE_VIETNAMESE;
    else if (!strcmp(name, "en"))
        *out = FLAG_LANGUAGE_ENGLISH;
    else
        return false;
    return true;
}

bool cli_backend(const char *name, mpm_backend *out)
{
    if (!strcmp(name, "ac") || !strcmp(name, "aho-corasick"))
        *out = MPM_BACKEND_AHO_CORASICK;
    else if (!strcmp(name, "vectorscan") || !strcmp(name, "hs"))
        *out = MPM_BACKEND_VECTORSCAN;
    else
        return false;
    return true;
}

void cli_print_diagnostics(const diagnostics *d)
{
    bytebuf line;
    bytebuf_init(&line, 0);
    for (size_t i = 0; i < d->count; i++) {
        bytebuf_reset(&line);
        terminal_safe_append(&line, d->messages[i], strlen(d->messages[i]));
        fprintf(stderr, "lscan: %s\n", line.data ? line.data : "");
    }
    bytebuf_free(&line);
    if (d->dropped)
        fprintf(stderr, "lscan: %zu more mistake%s could not be described (out of memory)\n", d->dropped,
                d->dropped == 1 ? "" : "s");
}

void cli_print_safe_lines(const bytebuf *text)
{
    bytebuf line;
    bytebuf_init(&line, 0);
    for (size_t i = 0, start = 0; i < text->length; i++) {
        if (text->data[i] != '\n')
            continue;
        bytebuf_reset(&line);
        terminal_safe_append(&line, text->data + start, i - start);
        printf("%s\n", line.data ? line.data : "");
        start = i + 1;
    }
    bytebuf_free(&line);
}

ruleset *cli_load_rules(const char *const *paths, size_t count, const ruleset_options *options)
{
    diagnostics diag;
    diagnostics_init(&diag);
    ruleset *rs = NULL;
    if (ruleset_load(paths, count, options, &rs, &diag) < 0) {
        cli_print_diagnostics(&diag);
        fprintf(stderr, "lscan: rule packs refused: %zu mistake%s\n", diagnostics_total(&diag),
                diagnostics_total(&diag) == 1 ? "" : "s");
    }
    diagnostics_free(&diag);
    return rs;
}

static normalizer *process_normalizer;

const normalizer *cli_normalizer(void)
{
    if (!process_normalizer) {
        char error[256];
        if (normalizer_create(&process_normalizer, error, sizeof error) < 0) {
            fprintf(stderr, "lscan: cannot build the text normalizer: %s\n", error);
            return NULL;
        }
    }
    return process_normalizer;
}

void cli_normalizer_free(void)
{
    normalizer_destroy(process_normalizer);
    process_normalizer = NULL;
}

double cli_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends the next line (without '\n') to `out`, which may already hold
 * earlier lines (a batch): `max` bounds this line alone. Returns 1, or 0 at
 * the end; a longer line is skipped whole and *too_long set. */
int cli_read_line(cli_line_reader *r, bytebuf *out, size_t max, bool *too_long)
{
    *too_long = false;
    bool any = false;
    const size_t line_start = out->length;
    for (;;) {
        if (r->start == r->end) {
            if (r->eof)
                return any ? 1 : 0;
            r->start = 0;
            r->end = fread(r->buffer, 1, sizeof r->buffer, r->f);
            if (r->end == 0) {
                r->eof = true;
                return any ? 1 : 0;
            }
        }
        any = true;
        char *newline = memchr(r->buffer + r->start, '\n', r->end - r->start);
        size_t n = newline ? (size_t)(newline - (r->buffer + r->start)) : r->end - r->start;
        if (!*too_long) {
            if (n > max - (out->length - line_start)) {
                *too_long = true;
                out->length = line_start; /* the part already taken goes too */
                if (out->data)
                    out->data[line_start] = '\0';
            } else {
                bytebuf_append(out, r->buffer + r->start, n);
            }
        }
        r->start += n + (newline ? 1 : 0);
        if (newline)
            return 1;
    }
}

