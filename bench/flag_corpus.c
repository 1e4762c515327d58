/* flag_corpus: see flag_corpus.h. */
#include "bench/flag_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/base/bytebuf.h"

static const char *const TITLES[] = {
    "Giày N.i.k.e Air Force 1 rep 1:1 hàng chuẩn full box, bảo hành keo 12 tháng",
    "Túi xách LV Neverfull siêu cấp like auth, da thật, tặng kèm hóa đơn",
    "Nước mắm Phú Quốc 40 độ đạm, chai 500ml, đóng chai tại Hải Dương",
    "Gạo ST25 giống chuẩn Sóc Trăng, bán lúa giống ST25 cho bà con gieo cấy",
    "Key Windows 11 Pro bản quyền vĩnh viễn giá rẻ, kích hoạt online",
    "Tài khoản Netflix Premium 4K dùng chung 1 tháng, bảo hành trọn gói",
};
static const char *const LOCATIONS[] = {"Quận 7, TP. Hồ Chí Minh", "Hà Nội", "tp hcm", "Lục Ngạn, Bắc Giang",
                                        "Thanh Hoá",  "Quảng Châu, Trung Quốc", "Cầu Giấy, Hà Nội", "",
                                        "Hải Dương",  "Bình Dương"};
static const char *const PLATFORMS[] = {"shopee", "lazada", "tiki", "facebook", "tiktok"};
static const char *const SEVERITIES[] = {"low", "medium", "high", "critical"};

int flag_corpus_build(flag_corpus *c, size_t count)
{
    memset(c, 0, sizeof *c);
    c->count = count;
    c->starts = malloc((count + 1) * sizeof *c->starts);
    c->rows = calloc(count, sizeof *c->rows);
    if (!c->starts || !c->rows)
        return -1;
    bytebuf all;
    bytebuf_init(&all, 0);
    unsigned long long state = 88172645463325252ULL;
    for (size_t i = 0; i < count; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        flag_row *r = &c->rows[i];
        r->platform = PLATFORMS[i % 5];
        r->title = TITLES[state % 6];
        r->location = LOCATIONS[(state >> 8) % 10];
        r->severity = SEVERITIES[(state >> 16) % 4];
        r->price = (double)(50 + (state >> 20) % 2000) * 1000;
        snprintf(r->listing_id, sizeof r->listing_id, "%zu", 1000000000 + i);
        snprintf(r->flag_id, sizeof r->flag_id, "%016llx", state);
        snprintf(r->case_id, sizeof r->case_id, "%016llx", state * 31 + i);
        snprintf(r->seller_id, sizeof r->seller_id, "%llu", 200000 + (state >> 24) % 50000);
        c->starts[i] = all.length;
        int hour = (int)(i / 60000 % 24), minute = (int)(i / 1000 % 60), second = (int)(i % 60);
        bytebuf_printf(&all,
                       "{\"flag_id\":\"%s\",\"listing\":{\"platform\":\"%s\",\"listing_id\":\"%s\",\"url\":"
                       "\"https://%s.example/p/%s\",\"title\":\"%s\",\"description\":\"Hàng đẹp, giao nhanh toàn "
                       "quốc, cam kết như hình, đổi trả trong 7 ngày nếu lỗi do nhà sản xuất. Liên hệ shop để "
                       "được tư vấn thêm.\",\"price\":%.0f,\"currency\":\"VND\",\"category\":\"fashion\","
                       "\"seller\":{\"id\":\"%s\",\"name\":\"Shop %s\",\"location\":\"%s\",\"official\":false}},",
                       r->flag_id, r->platform, r->listing_id, r->platform, r->listing_id, r->title, r->price,
                       r->seller_id, r->seller_id, r->location);
        bytebuf_printf(&all,
                       "\"rules\":[{\"id\":\"tm-nike\",\"kind\":\"trademark\",\"name\":\"Nike\",\"severity\":\"%s\","
                       "\"score\":3.5,\"goods_group\":\"consumer_goods\",\"reference_price\":2500000}],"
                       "\"hits\":[{\"rule\":\"tm-nike\",\"field\":\"title\",\"term\":\"nike\",\"start\":5,\"end\":14}],"
                       "\"signals\":[{\"rule\":\"tm-nike\",\"signal\":\"counterfeit_slang\",\"term\":\"rep 1:1\"}],"
                       "\"explain\":\"Nghi vi phạm nhãn hiệu \\\"Nike\\\": có cụm \\\"rep 1:1\\\".\","
                       "\"severity\":\"%s\",\"pack\":\"trademarks 1.0\",\"scan_id\":\"peak-20260507T010000Z\","
                       "\"evidence\":{\"url\":\"https://%s.example/p/%s\",\"fetched_at\":"
                       "\"2026-05-07T%02d:%02d:%02dZ\",\"http_status\":200,\"sha256\":"
                       "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}}",
                       r->severity, r->severity, r->platform, r->listing_id, hour, minute, second);
        if (all.overflow)
            return -1;
    }
    c->starts[count] = all.length;
    c->data = all.data;
    return 0;
}

void flag_corpus_free(flag_corpus *c)
{
    free(c->data);
    free(c->starts);
    free(c->rows);
}

const char *flag_corpus_doc(const flag_corpus *c, size_t i, size_t *length)
{
    *length = c->starts[i + 1] - c->starts[i];
    return c->data + c->starts[i];
}
