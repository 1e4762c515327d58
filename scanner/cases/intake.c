/* intake: see intake.h. */
#include "scanner/cases/intake.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/error_message.h"
#include "workers/redis.h"

#define GROUP "review"
#define DEFAULT_RETENTION_MS (24LL * 3600 * 1000)

struct intake {
    redis_link *link;
    case_register *reg;
    char prefix[200];
    char flags[256], sightings[256], decisions[256];
    char consumer[128];
    size_t batch;
    int64_t retention_ms;
    bool pending_done;          /* this consumer's pending list was read to its end */
};

static int create_group(intake *in, const char *key, char *error, size_t error_size)
{
    const char *argv[] = {"XGROUP", "CREATE", key, GROUP, "0", "MKSTREAM"};
    redisReply *r = redis_link_command(in->link, "XGROUP CREATE", 6, argv);
    if (!r) {
        error_message_set(error, error_size, "%s", redis_link_error(in->link));
        return -1;
    }
    bool ok = r->type == REDIS_REPLY_STATUS || (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "BUSYGROUP", 9));
    if (!ok)
        error_message_set(error, error_size, "redis %s: XGROUP CREATE %s: %s", redis_link_address(in->link), key,
                          r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    freeReplyObject(r);
    return ok ? 0 : -1;
}

intake *intake_create(const intake_options *o, case_register *reg, char *error, size_t error_size)
{
    intake *in = calloc(1, sizeof *in);
    if (!in) {
        error_message_set(error, error_size, "intake: out of memory");
        return NULL;
    }
    in->reg = reg;
    snprintf(in->prefix, sizeof in->prefix, "%s", o && o->prefix ? o->prefix : "lscan:");
    snprintf(in->flags, sizeof in->flags, "%sflags", in->prefix);
    snprintf(in->sightings, sizeof in->sightings, "%ssightings", in->prefix);
    snprintf(in->decisions, sizeof in->decisions, "%sdecisions", in->prefix);
    snprintf(in->consumer, sizeof in->consumer, "%s", o && o->consumer ? o->consumer : "register");
    in->batch = o && o->batch ? o->batch : 500;
    in->retention_ms = o && o->retention_ms ? o->retention_ms : DEFAULT_RETENTION_MS;
    redis_options ro = {.url = o ? o->redis_url : NULL, .username = o ? o->username : NULL,
                        .password = o ? o->password : NULL};
    if (redis_link_create(&ro, &in->link, error, error_size) < 0) {
        free(in);
        return NULL;
    }
    redis_sigpipe_guard guard;
    redis_sigpipe_block(&guard);
    int rc = redis_link_connect(in->link);
    if (rc < 0)
        error_message_set(error, error_size, "%s", redis_link_error(in->link));
    if (rc == 0)
        rc = create_group(in, in->flags, error, error_size);
    if (rc == 0)
        rc = create_group(in, in->sightings, error, error_size);
    redis_sigpipe_restore(&guard);
    if (rc < 0) {
        intake_destroy(in);
        return NULL;
    }
    return in;
}

void intake_destroy(intake *in)
{
    if (!in)
        return;
    redis_link_destroy(in->link);
    free(in);
}

/* ---- reading ---- */

typedef struct entries {
    intake_item *items;
    char **ids;                 /* stream ids, owned */
    bool *of_flags;             /* from PREFIXflags (else PREFIXsightings) */
    size_t count, capacity;
} entries;

static void entries_free(entries *e)
{
    for (size_t i = 0; i < e->count; i++)
        free(e->ids[i]);
    free(e->items);
    free(e->ids);
    free(e->of_flags);
    memset(e, 0, sizeof *e);
}

static int entries_add(entries *e, const char *id, bool of_flags, const redisReply *fields)
{
    if (e->count == e->capacity) {
        size_t capacity = e->capacity ? e->capacity * 2 : 256;
        intake_item *items = realloc(e->items, capacity * sizeof *items);
        if (items)
            e->items = items;
        char **ids = realloc(e->ids, capacity * sizeof *ids);
        if (ids)
            e->ids = ids;
        bool *flags = realloc(e->of_flags, capacity * sizeof *flags);
        if (flags)
            e->of_flags = flags;
        if (!items || !ids || !flags)
            return -1;
        e->capacity = capacity;
    }
    char *copy = strdup(id);
    if (!copy)
        return -1;
    intake_item item = {.stream_id = copy};
    for (size_t k = 0; fields && fields->type == REDIS_REPLY_ARRAY && k + 1 < fields->elements; k += 2) {
        const redisReply *name = fields->element[k], *value = fields->element[k + 1];
        if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
            continue;
        if (of_flags && !strcmp(name->str, "flag")) {
            item.flag = value->str;
            item.flag_length = value->len;
        } else if (!of_flags && !strcmp(name->str, "sighting")) {
            item.sighting = value->str;
            item.sighting_length = value->len;
        }
    }
    if (!item.flag && !item.sighting) { /* an entry without its field: counted as bad by the register */
        item.sighting = "{}";
        item.sighting_length = 2;
    }
    e->ids[e->count] = copy;
    e->of_flags[e->count] = of_flags;
    e->items[e->count++] = item;
    return 0;
}

/* XREADGROUP over both streams from `position` (">" new, "0" pending). */
static redisReply *read_group(intake *in, const char *position, int block_ms)
{
    char count[32], block[32];
    snprintf(count, sizeof count, "%zu", in->batch);
    snprintf(block, sizeof block, "%d", block_ms);
    const char *argv[] = {"XREADGROUP", "GROUP", GROUP, in->consumer, "COUNT", count, "BLOCK", block, "STREAMS",
                          in->flags, in->sightings, position, position};
    bool blocking = block_ms > 0 && !strcmp(position, ">");
    if (!blocking) { /* no BLOCK argument */
        const char *plain[] = {"XREADGROUP", "GROUP", GROUP, in->consumer, "COUNT", count, "STREAMS",
                               in->flags, in->sightings, position, position};
        return redis_link_command(in->link, "XREADGROUP", 11, plain);
    }
    return redis_link_command(in->link, "XREADGROUP", 13, argv);
}

static int collect(intake *in, const redisReply *reply, entries *out)
{
    if (!reply || reply->type == REDIS_REPLY_NIL)
        return 0;
    if (reply->type != REDIS_REPLY_ARRAY)
        return -1;
    for (size_t s = 0; s < reply->elements; s++) {
        const redisReply *stream = reply->element[s];
        if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
            continue;
        bool of_flags = !strcmp(stream->element[0]->str, in->flags);
        const redisReply *list = stream->element[1];
        for (size_t i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements; i++) {
            const redisReply *entry = list->element[i];
            if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[0]->type != REDIS_REPLY_STRING)
                continue;
            if (entries_add(out, entry->element[0]->str, of_flags, entry->element[1]) < 0)
                return -1;
        }
    }
    return 0;
}

static int acknowledge(intake *in, const entries *e, bool of_flags)
{
    size_t n = 0;
    for (size_t i = 0; i < e->count; i++)
        n += e->of_flags[i] == of_flags;
    if (!n)
        return 0;
    const char **argv = calloc(n + 3, sizeof *argv);
    if (!argv)
        return -1;
    argv[0] = "XACK";
    argv[1] = of_flags ? in->flags : in->sightings;
    argv[2] = GROUP;
    size_t k = 3;
    for (size_t i = 0; i < e->count; i++)
        if (e->of_flags[i] == of_flags)
            argv[k++] = e->ids[i];
    redisReply *r = redis_link_command(in->link, "XACK", (int)k, argv);
    free(argv);
    bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}

/* ---- publishing ---- */

static int publish_one(void *ctx, uint64_t seq, const char *json, size_t length)
{
    intake *in = ctx;
    char id[48], seq_text[32];
    snprintf(id, sizeof id, "0-%" PRIu64, seq);
    snprintf(seq_text, sizeof seq_text, "%" PRIu64, seq);
    const char *argv[] = {"XADD", in->decisions, id, "seq", seq_text, "decision", json};
    size_t lengths[] = {4, strlen(in->decisions), strlen(id), 3, strlen(seq_text), 8, length};
    redisContext *c = redis_link_context(in->link);
    if (!c)
        return -1;
    redisReply *r = redisCommandArgv(c, 7, argv, lengths);
    if (!r)
        return -1;
    /* an id equal to or below the top: published before (a retry after a crash) */
    bool ok = r->type == REDIS_REPLY_STRING ||
              (r->type == REDIS_REPLY_ERROR && strstr(r->str, "equal or smaller than the target stream top item"));
    freeReplyObject(r);
    return ok ? 0 : -1;
}

long intake_publish(intake *in, char *error, size_t error_size)
{
    redis_sigpipe_guard guard;
    redis_sigpipe_block(&guard);
    if (!redis_link_context(in->link) && redis_link_connect(in->link) < 0) {
        error_message_set(error, error_size, "%s", redis_link_error(in->link));
        redis_sigpipe_restore(&guard);
        return -1;
    }
    long total = 0, n;
    while ((n = register_publish(in->reg, publish_one, in, error, error_size)) > 0)
        total += n;
    redis_sigpipe_restore(&guard);
    return n < 0 ? -1 : total;
}

/* ---- trimming ---- */

typedef struct stream_id {
    uint64_t ms, seq;
} stream_id;

static bool parse_id(const char *text, stream_id *out)
{
    return text && sscanf(text, "%" SCNu64 "-%" SCNu64, &out->ms, &out->seq) == 2;
}

static bool id_less(stream_id a, stream_id b)
{
    return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq);
}

/* Trims `key` below what every group has acknowledged and the retention
 * allows: for each group, its oldest pending entry, or the entry after the
 * last one delivered to it. */
static void trim(intake *in, const char *key, int64_t now_ms)
{
    if (in->retention_ms < 0)
        return;
    const char *info[] = {"XINFO", "GROUPS", key};
    redisReply *groups = redis_link_command(in->link, "XINFO GROUPS", 3, info);
    if (!groups || groups->type != REDIS_REPLY_ARRAY || groups->elements == 0) {
        if (groups)
            freeReplyObject(groups);
        return;
    }
    stream_id limit = {(uint64_t)(now_ms > in->retention_ms ? now_ms - in->retention_ms : 0), 0};
    bool usable = true;
    for (size_t g = 0; g < groups->elements && usable; g++) {
        const redisReply *group = groups->element[g];
        const char *name = NULL, *last = NULL;
        long long pending = 0;
        for (size_t k = 0; group->type == REDIS_REPLY_ARRAY && k + 1 < group->elements; k += 2) {
            const char *field = group->element[k]->str;
            const redisReply *value = group->element[k + 1];
            if (!strcmp(field, "name") && value->type == REDIS_REPLY_STRING)
                name = value->str;
            else if (!strcmp(field, "pending") && value->type == REDIS_REPLY_INTEGER)
                pending = value->integer;
            else if (!strcmp(field, "last-delivered-id") && value->type == REDIS_REPLY_STRING)
                last = value->str;
        }
        stream_id safe;
        if (pending > 0 && name) {
            const char *argv[] = {"XPENDING", key, name};
            redisReply *p = redis_link_command(in->link, "XPENDING", 3, argv);
            usable = p && p->type == REDIS_REPLY_ARRAY && p->elements >= 2 && p->element[1]->type == REDIS_REPLY_STRING &&
                     parse_id(p->element[1]->str, &safe);
            if (p)
                freeReplyObject(p);
        } else {
            usable = parse_id(last, &safe);
            safe.seq++; /* everything up to the last delivered entry is acknowledged */
        }
        if (usable && id_less(safe, limit))
            limit = safe;
    }
    freeReplyObject(groups);
    if (!usable || (limit.ms == 0 && limit.seq == 0))
        return;
    char minid[64];
    snprintf(minid, sizeof minid, "%" PRIu64 "-%" PRIu64, limit.ms, limit.seq);
    const char *argv[] = {"XTRIM", key, "MINID", minid};
    redisReply *r = redis_link_command(in->link, "XTRIM", 4, argv);
    if (r)
        freeReplyObject(r);
}

/* ---- the round ---- */

long intake_step(intake *in, int block_ms, int64_t now_ms, intake_stats *stats, char *error, size_t error_size)
{
    redis_sigpipe_guard guard;
    redis_sigpipe_block(&guard);
    long taken = -1;
    entries e = {0};
    redisReply *reply = NULL;
    if (!redis_link_context(in->link) && redis_link_connect(in->link) < 0) {
        error_message_set(error, error_size, "%s", redis_link_error(in->link));
        goto out;
    }
    /* what this consumer read before and did not acknowledge (a crash) comes first */
    if (!in->pending_done) {
        reply = read_group(in, "0", 0);
        if (!reply || collect(in, reply, &e) < 0) {
            error_message_set(error, error_size, "%s", reply ? "intake: an unreadable reply" : redis_link_error(in->link));
            goto out;
        }
        if (e.count == 0)
            in->pending_done = true;
    }
    if (e.count == 0) {
        if (reply)
            freeReplyObject(reply);
        reply = read_group(in, ">", block_ms);
        if (!reply || collect(in, reply, &e) < 0) {
            error_message_set(error, error_size, "%s", reply ? "intake: an unreadable reply" : redis_link_error(in->link));
            goto out;
        }
    }
    if (e.count) {
        /* the flags first, so that a repeat of a flag in the same round finds its case */
        size_t flags_first = 0;
        for (size_t i = 0; i < e.count; i++)
            if (e.of_flags[i]) {
                intake_item t = e.items[i];
                e.items[i] = e.items[flags_first];
                e.items[flags_first] = t;
                char *id = e.ids[i];
                e.ids[i] = e.ids[flags_first];
                e.ids[flags_first] = id;
                bool f = e.of_flags[i];
                e.of_flags[i] = e.of_flags[flags_first];
                e.of_flags[flags_first] = f;
                flags_first++;
            }
        if (register_intake(in->reg, e.items, e.count, now_ms, stats, error, error_size) != REGISTER_OK)
            goto out;
        /* only after the commit */
        if (acknowledge(in, &e, true) < 0 || acknowledge(in, &e, false) < 0) {
            error_message_set(error, error_size, "%s", redis_link_error(in->link));
            goto out;
        }
    }
    taken = (long)e.count;
    char ignored[256];
    (void)register_publish(in->reg, publish_one, in, ignored, sizeof ignored);
    trim(in, in->flags, now_ms);
    trim(in, in->sightings, now_ms);
out:
    if (reply)
        freeReplyObject(reply);
    entries_free(&e);
    if (taken < 0)
        redis_link_disconnect(in->link);
    redis_sigpipe_restore(&guard);
    return taken;
}
