/* province: see province.h. */
#include "rules/text/province.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The 34 provincial units after 1 July 2025 (11 unchanged, 23 formed by
 * merging), each with the pre-merger provinces it took in. */
static const struct {
    const char *name;
    const char *absorbed[3];
} provinces[PROVINCE_COUNT] = {
    {"Hà Nội", {NULL}},                 {"Huế", {"Thừa Thiên Huế"}},       {"Lai Châu", {NULL}},
    {"Điện Biên", {NULL}},              {"Sơn La", {NULL}},                 {"Lạng Sơn", {NULL}},
    {"Quảng Ninh", {NULL}},             {"Thanh Hóa", {NULL}},              {"Nghệ An", {NULL}},
    {"Hà Tĩnh", {NULL}},                {"Cao Bằng", {NULL}},               {"Tuyên Quang", {"Hà Giang"}},
    {"Lào Cai", {"Yên Bái"}},           {"Thái Nguyên", {"Bắc Kạn"}},       {"Phú Thọ", {"Vĩnh Phúc", "Hòa Bình"}},
    {"Bắc Ninh", {"Bắc Giang"}},        {"Hưng Yên", {"Thái Bình"}},        {"Hải Phòng", {"Hải Dương"}},
    {"Ninh Bình", {"Hà Nam", "Nam Định"}}, {"Quảng Trị", {"Quảng Bình"}},   {"Đà Nẵng", {"Quảng Nam"}},
    {"Quảng Ngãi", {"Kon Tum"}},        {"Gia Lai", {"Bình Định"}},         {"Khánh Hòa", {"Ninh Thuận"}},
    {"Lâm Đồng", {"Đắk Nông", "Bình Thuận"}}, {"Đắk Lắk", {"Phú Yên"}},
    {"TP. Hồ Chí Minh", {"Bình Dương", "Bà Rịa - Vũng Tàu"}}, {"Đồng Nai", {"Bình Phước"}},
    {"Tây Ninh", {"Long An"}},          {"Cần Thơ", {"Sóc Trăng", "Hậu Giang"}},
    {"Vĩnh Long", {"Bến Tre", "Trà Vinh"}}, {"Đồng Tháp", {"Tiền Giang"}}, {"Cà Mau", {"Bạc Liêu"}},
    {"An Giang", {"Kiên Giang"}},
};

/* Other names people write, and places inside a province that sellers give
 * as their location (big-city districts, well-known towns); each maps to a
 * post-merger province by its name. */
static const struct {
    const char *alias, *province;
} aliases[] = {
    {"Hồ Chí Minh", "TP. Hồ Chí Minh"}, {"TP HCM", "TP. Hồ Chí Minh"}, {"TPHCM", "TP. Hồ Chí Minh"},
    {"HCM", "TP. Hồ Chí Minh"},         {"Sài Gòn", "TP. Hồ Chí Minh"}, {"Saigon", "TP. Hồ Chí Minh"},
    {"SG", "TP. Hồ Chí Minh"},          {"Thủ Đức", "TP. Hồ Chí Minh"}, {"Gò Vấp", "TP. Hồ Chí Minh"},
    {"Bình Thạnh", "TP. Hồ Chí Minh"},  {"Tân Bình", "TP. Hồ Chí Minh"}, {"Tân Phú", "TP. Hồ Chí Minh"},
    {"Phú Nhuận", "TP. Hồ Chí Minh"},   {"Bình Tân", "TP. Hồ Chí Minh"}, {"Củ Chi", "TP. Hồ Chí Minh"},
    {"Hóc Môn", "TP. Hồ Chí Minh"},     {"Nhà Bè", "TP. Hồ Chí Minh"},  {"Cần Giờ", "TP. Hồ Chí Minh"},
    {"Vũng Tàu", "TP. Hồ Chí Minh"},    {"Bà Rịa", "TP. Hồ Chí Minh"},  {"BRVT", "TP. Hồ Chí Minh"},
    {"Thủ Dầu Một", "TP. Hồ Chí Minh"}, {"Dĩ An", "TP. Hồ Chí Minh"},   {"Thuận An", "TP. Hồ Chí Minh"},
    {"HN", "Hà Nội"},                   {"Hanoi", "Hà Nội"},            {"Ba Đình", "Hà Nội"},
    {"Hoàn Kiếm", "Hà Nội"},            {"Đống Đa", "Hà Nội"},          {"Hai Bà Trưng", "Hà Nội"},
    {"Cầu Giấy", "Hà Nội"},             {"Thanh Xuân", "Hà Nội"},       {"Hoàng Mai", "Hà Nội"},
    {"Long Biên", "Hà Nội"},            {"Hà Đông", "Hà Nội"},          {"Nam Từ Liêm", "Hà Nội"},
    {"Bắc Từ Liêm", "Hà Nội"},          {"Tây Hồ", "Hà Nội"},           {"Gia Lâm", "Hà Nội"},
    {"Đông Anh", "Hà Nội"},             {"Sóc Sơn", "Hà Nội"},          {"Danang", "Đà Nẵng"},
    {"Hội An", "Đà Nẵng"},              {"Tam Kỳ", "Đà Nẵng"},          {"Hue", "Huế"},
    {"Biên Hòa", "Đồng Nai"},           {"Nha Trang", "Khánh Hòa"},     {"Đà Lạt", "Lâm Đồng"},
    {"Phan Thiết", "Lâm Đồng"},         {"Buôn Ma Thuột", "Đắk Lắk"},   {"Buôn Mê Thuột", "Đắk Lắk"},
    {"Tuy Hòa", "Đắk Lắk"},             {"Quy Nhơn", "Gia Lai"},        {"Pleiku", "Gia Lai"},
    {"Phú Quốc", "An Giang"},           {"Rạch Giá", "An Giang"},       {"Long Xuyên", "An Giang"},
    {"Mỹ Tho", "Đồng Tháp"},            {"Cao Lãnh", "Đồng Tháp"},      {"Tân An", "Tây Ninh"},
    {"Vĩnh Yên", "Phú Thọ"},            {"Việt Trì", "Phú Thọ"},        {"Lục Ngạn", "Bắc Ninh"},
    {"Từ Sơn", "Bắc Ninh"},             {"Móng Cái", "Quảng Ninh"},     {"Hạ Long", "Quảng Ninh"},
    {"Mộc Châu", "Sơn La"},             {"Sa Pa", "Lào Cai"},           {"Sapa", "Lào Cai"},
    {"Vinh", "Nghệ An"},                {"Đồng Hới", "Quảng Trị"},      {"Rạch Giá", "An Giang"},
    {"Sóc Trăng", "Cần Thơ"},           {"Bạc Liêu", "Cà Mau"},         {"Thái Bình", "Hưng Yên"},
};

/* Places outside Vietnam sellers give (Chinese border trade above all). */
static const char *const abroad[] = {
    "Trung Quốc", "China", "Quảng Châu", "Guangzhou", "Thâm Quyến", "Shenzhen", "Nghĩa Ô", "Yiwu", "Hồng Kông",
    "Hong Kong", "Đài Loan", "Taiwan", "Hàn Quốc", "Korea", "Seoul", "Nhật Bản", "Japan", "Thái Lan", "Thailand",
    "Bangkok", "Hoa Kỳ", "USA", "United States", "Singapore", "Malaysia", "Indonesia", "Philippines", "Campuchia",
    "Cambodia", "Lào", "Laos", "Pháp", "France", "Germany", "Anh Quốc", "UK", "Úc", "Australia",
    "nước ngoài", "quốc tế", "overseas", "hàng nội địa Trung",
    /* since 2026.12.9: more countries and the Chinese provinces and border towns goods come through; only names
     * that fold onto no common word ("Ba Lan" is also "ba lần", "Áo" a shirt, "Đức" and "Nga" given names:
     * their longer or English forms only) */
    "Mỹ", "nước Mỹ", "America", "Liên bang Nga", "nước Nga", "Russia", "Ấn Độ", "India", "Italy", "Italia",
    "nước Ý", "nước Đức", "CHLB Đức", "Canada", "New Zealand", "Hà Lan", "Netherlands", "Holland", "Thụy Sĩ",
    "Switzerland", "Thụy Điển", "Sweden", "Tây Ban Nha", "Spain", "Bồ Đào Nha", "Portugal", "Poland", "Nam Phi",
    "Brazil", "Chile", "Argentina", "Mexico", "Peru", "Myanmar", "Miến Điện", "Pakistan", "Bangladesh", "Dubai",
    "UAE", "Thổ Nhĩ Kỳ", "Turkey", "Scotland", "Ireland", "England", "Châu Âu", "Europe", "Triều Tiên", "Mông Cổ",
    "Nepal", "Sri Lanka", "Macau", "Ma Cao", "Đài Bắc", "Taipei", "Tokyo", "Osaka", "Busan", "Hokkaido",
    "Quảng Đông", "Quảng Tây", "Vân Nam", "Phúc Kiến", "Chiết Giang", "Thượng Hải", "Shanghai", "Bắc Kinh",
    "Beijing", "Hàng Châu", "Bằng Tường", "Hà Khẩu", "Côn Minh",
    /* since 2026.12.15: Egypt (oranges) and Africa's cashew exporters */
    "Ai Cập", "Egypt", "Châu Phi", "Africa", "Nigeria", "Bờ Biển Ngà", "Ivory Coast", "Ghana", "Tanzania",
    "Mozambique"};

/* Words that hold a place's name without naming it: "mỹ phẩm" (cosmetics) is not the United States. The
 * longest name wins (lookup_padded), so these keep "Mỹ" from reading them; a place named as well still counts
 * when its name is longer ("mỹ phẩm Hàn Quốc"). Places of Vietnam that start with "Mỹ" go with their province. */
static const char *const not_places[] = {"mỹ phẩm", "thẩm mỹ", "mỹ nghệ", "mỹ thuật", "hoàn mỹ", "mỹ mãn", "mỹ vị",
                                         "mỹ ký", "mỹ nhân", "mỹ lệ", "mỹ miều", "mỹ quan", "mỹ học", "mỹ dung",
                                         /* a commune or hamlet of Vietnam ("xã Mỹ Hòa", 2026.12.15) */
                                         "xã mỹ", "ấp mỹ", "thôn mỹ"};
static const struct {
    const char *alias, *province;
} vietnamese_my[] = {
    {"Mỹ Hào", "Hưng Yên"},  {"Mỹ Đức", "Hà Nội"},  {"Mỹ Đình", "Hà Nội"},    {"Mỹ Xuyên", "Cần Thơ"},
    {"Mỹ Tú", "Cần Thơ"},    {"Mỹ Lộc", "Ninh Bình"}, {"Mỹ Sơn", "Đà Nẵng"}, {"Mỹ Khê", "Đà Nẵng"},
    {"Mỹ Phước", "TP. Hồ Chí Minh"}, {"Mỹ Lai", "Quảng Ngãi"}, {"Mỹ Thuận", "Vĩnh Long"}};

typedef struct gazetteer_entry {
    char *padded;          /* " normalized name " */
    size_t length;
    const char *province;  /* a name of provinces[], or PROVINCE_ABROAD */
} gazetteer_entry;

struct province_table {
    const normalizer *normalizer;
    gazetteer_entry *entries;
    size_t count;
};

const char *province_name(size_t i)
{
    return i < PROVINCE_COUNT ? provinces[i].name : NULL;
}

const char *province_after_merger(const char *name)
{
    for (size_t i = 0; name && i < PROVINCE_COUNT; i++) {
        if (!strcmp(provinces[i].name, name))
            return provinces[i].name;
        for (size_t k = 0; k < 3 && provinces[i].absorbed[k]; k++)
            if (!strcmp(provinces[i].absorbed[k], name))
                return provinces[i].name;
    }
    return NULL;
}

static int add(province_table *t, size_t *capacity, const char *name, const char *province)
{
    char *n = normalize_string(t->normalizer, name);
    if (!n)
        return -1;
    if (!*n) {
        free(n);
        return 0;
    }
    if (t->count == *capacity) {
        size_t bigger = *capacity ? *capacity * 2 : 256;
        gazetteer_entry *grown = realloc(t->entries, bigger * sizeof *grown);
        if (!grown) {
            free(n);
            return -1;
        }
        t->entries = grown;
        *capacity = bigger;
    }
    size_t length = strlen(n);
    char *padded = malloc(length + 3);
    if (!padded) {
        free(n);
        return -1;
    }
    padded[0] = ' ';
    memcpy(padded + 1, n, length);
    padded[length + 1] = ' ';
    padded[length + 2] = '\0';
    free(n);
    t->entries[t->count++] = (gazetteer_entry){padded, length + 2, province};
    return 0;
}

int province_table_create(const normalizer *n, province_table **out)
{
    *out = NULL;
    province_table *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->normalizer = n;
    size_t capacity = 0;
    int rc = 0;
    for (size_t i = 0; i < PROVINCE_COUNT && rc == 0; i++) {
        rc |= add(t, &capacity, provinces[i].name, provinces[i].name);
        for (size_t k = 0; k < 3 && provinces[i].absorbed[k] && rc == 0; k++)
            rc |= add(t, &capacity, provinces[i].absorbed[k], provinces[i].name);
    }
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases && rc == 0; i++)
        rc |= add(t, &capacity, aliases[i].alias, province_after_merger(aliases[i].province));
    for (size_t i = 0; i < sizeof abroad / sizeof *abroad && rc == 0; i++)
        rc |= add(t, &capacity, abroad[i], PROVINCE_ABROAD);
    for (size_t i = 0; i < sizeof not_places / sizeof *not_places && rc == 0; i++)
        rc |= add(t, &capacity, not_places[i], PROVINCE_UNKNOWN);
    for (size_t i = 0; i < sizeof vietnamese_my / sizeof *vietnamese_my && rc == 0; i++)
        rc |= add(t, &capacity, vietnamese_my[i].alias, province_after_merger(vietnamese_my[i].province));
    if (rc) {
        province_table_destroy(t);
        return -1;
    }
    *out = t;
    return 0;
}

void province_table_destroy(province_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++)
        free(t->entries[i].padded);
    free(t->entries);
    free(t);
}

/* The province of the longest gazetteer name in `padded` (normalized text
 * with a space on each side, `length` bytes before padding), the first of
 * equally long ones. */
static const char *lookup_padded(const province_table *t, const char *padded, size_t length)
{
    const char *found = PROVINCE_UNKNOWN;
    size_t best_length = 0, best_at = (size_t)-1;
    for (size_t i = 0; i < t->count; i++) {
        const gazetteer_entry *e = &t->entries[i];
        const char *at = e->length <= length + 2 ? strstr(padded, e->padded) : NULL;
        if (!at)
            continue;
        size_t where = (size_t)(at - padded);
        if (e->length > best_length || (e->length == best_length && where < best_at)) {
            best_length = e->length;
            best_at = where;
            found = e->province;
        }
    }
    return found;
}

/* Writes " TEXT \0" into out (length + 3 bytes). */
static void pad(char *out, const char *text, size_t length)
{
    out[0] = ' ';
    memcpy(out + 1, text, length);
    out[length + 1] = ' ';
    out[length + 2] = '\0';
}

const char *province_of_normalized(const province_table *t, const char *normalized, size_t length)
{
    char padded[256 + 3];
    if (!t || !normalized || !length || length > 256)
        return PROVINCE_UNKNOWN;
    pad(padded, normalized, length);
    return lookup_padded(t, padded, length);
}

const char *province_of(const province_table *t, const char *location)
{
    if (!t || !location || !*location || strlen(location) > 4096)
        return PROVINCE_UNKNOWN;
    char *n = normalize_string(t->normalizer, location);
    if (!n)
        return PROVINCE_UNKNOWN;
    size_t length = strlen(n);
    char *padded = malloc(length + 3);
    const char *found = PROVINCE_UNKNOWN;
    if (padded) {
        pad(padded, n, length);
        found = lookup_padded(t, padded, length);
        free(padded);
    }
    free(n);
    return found;
}
