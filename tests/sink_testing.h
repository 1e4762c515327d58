/* sink_testing: the flags and Redis queries the sink and spool tests share.
 * static inline: each test file takes what it uses. */
#ifndef LSCAN_SINK_TESTING_H
#define LSCAN_SINK_TESTING_H

#include <cJSON.h>
#include <criterion/criterion.h>
#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/output/sink.h"

static inline void flag_id_of(unsigned i, char out[17])
{
    snprintf(out, 17, "%016llx", 0x9e3779b97f4a7c15ull * (i + 1ull));
}

/* A flag record (contracts/records.md) for listing i; caller frees. NULL on
 * failure, without an assertion (a forked child uses it too). */
static inline char *flag_json_of(unsigned i)
{
    char id[17], listing_id[32];
    flag_id_of(i, id);
    snprintf(listing_id, sizeof listing_id, "%u", 1000000u + i);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "flag_id", id);
    cJSON *l = cJSON_AddObjectToObject(f, "listing");
    cJSON_AddStringToObject(l, "platform", "shopee");
    cJSON_AddStringToObject(l, "listing_id", listing_id);
    cJSON_AddStringToObject(l, "url", "https://shopee.example/p/1");
    cJSON_AddStringToObject(l, "title", "Giày N.i.k.e Air Force 1 rep 1:1 \"hàng chuẩn\"");
    cJSON_AddNumberToObject(l, "price", 150000);
    cJSON_AddStringToObject(f, "explain", "Tên thương hiệu Nike kèm \"rep 1:1\", giá thấp bất thường.");
    cJSON_AddStringToObject(f, "severity", "high");
    char *json = cJSON_PrintUnformatted(f);
    cJSON_Delete(f);
    return json;
}

/* Pushes flags [from, to) and asserts each was accepted. */
static inline void push_range(redis_sink *s, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i++) {
        char id[17];
        flag_id_of(i, id);
        char *json = flag_json_of(i);
        cr_assert_not_null(json);
        cr_assert_eq(sink_push(s, id, json, strlen(json)), 0, "push %u: %s", i, sink_error(s));
        free(json);
    }
}

static inline redisReply *run(redisContext *c, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    cr_assert_not_null(r, "redis command %s failed: %s", argv[0], c->errstr);
    cr_assert_neq(r->type, REDIS_REPLY_ERROR, "%s: %s", argv[0], r->str);
    return r;
}

static inline long long integer_of(redisContext *c, int argc, const char **argv)
{
    redisReply *r = run(c, argc, argv);
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s: not an integer reply", argv[0]);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* The value of field `name` in a stream entry's field list, or NULL. */
static inline const char *field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (!strcmp(fields->element[i]->str, name))
            return fields->element[i + 1]->str;
    return NULL;
}

/* Every entry of the stream has flag_id and a JSON flag carrying the same id,
 * and the ids are exactly flags [0, expected), each once. */
static inline void check_stream_exactly(redisContext *c, const char *key, unsigned expected)
{
    const char *argv[] = {"XRANGE", key, "-", "+"};
    redisReply *r = run(c, 4, argv);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, expected, "stream %s has %zu entries, expected %u", key, r->elements, expected);
    unsigned char *seen = calloc(expected + 1, 1);
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *fields = r->element[i]->element[1];
        cr_assert_eq(fields->elements, 4, "entry %zu: expected 2 fields (flag_id, flag)", i);
        const char *id = field(fields, "flag_id");
        const char *flag = field(fields, "flag");
        cr_assert_not_null(id, "entry %zu has no flag_id", i);
        cr_assert_not_null(flag, "entry %zu has no flag", i);
        cJSON *json = cJSON_Parse(flag);
        cr_assert_not_null(json, "entry %zu: flag is not JSON", i);
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(json, "flag_id")), id);
        cJSON_Delete(json);
        unsigned index = 0;
        for (; index < expected; index++) {
            char want[17];
            flag_id_of(index, want);
            if (!strcmp(want, id))
                break;
        }
        cr_assert_lt(index, expected, "unexpected flag id %s", id);
        cr_assert_eq(seen[index], 0, "flag %s is in the stream twice", id);
        seen[index] = 1;
    }
    free(seen);
    freeReplyObject(r);
}

#endif
