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

#include "sink.h"

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

#endif
