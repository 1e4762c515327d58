/* Reading the quantity a listing sells (quantity.h). Words are read in the
 * main normalized view (folded ASCII: "viên" is "vien", "1,7 kg" is "1 7
 * kg"); the original text tells a decimal separator from a space and
 * finds the '/' of "12tr/kg". */
#include "rules/quantity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 4096          /* words read per field: a seller's essay is not a pack size */
#define MAX_MULTIPLIER 1000.0   /* "combo 3", "thùng 24 lon": more is a model number, not a pack */

typedef struct unit_word {
    const char *word;           /* folded */
    quantity_dimension dimension;
    double factor;              /* in base amounts */
} unit_word;

/* Words of a measure. "mg" is left out on purpose: "viên 500mg" is a dose, not what is sold. */
static const unit_word measures[] = {
    {"g", QUANTITY_MASS, 1},        {"gr", QUANTITY_MASS, 1},         {"gram", QUANTITY_MASS, 1},
    {"grams", QUANTITY_MASS, 1},    {"gam", QUANTITY_MASS, 1},        {"kg", QUANTITY_MASS, 1000},
    {"kgs", QUANTITY_MASS, 1000},   {"kilo", QUANTITY_MASS, 1000},    {"kilogram", QUANTITY_MASS, 1000},
    {"ky", QUANTITY_MASS, 1000},    {"lang", QUANTITY_MASS, 100},     {"ml", QUANTITY_VOLUME, 1},
    {"l", QUANTITY_VOLUME, 1000},   {"lit", QUANTITY_VOLUME, 1000},   {"litre", QUANTITY_VOLUME, 1000},
    {"liter", QUANTITY_VOLUME, 1000}, {"thang", QUANTITY_MONTHS, 1},  {"month", QUANTITY_MONTHS, 1},
    {"months", QUANTITY_MONTHS, 1}, {"nam", QUANTITY_MONTHS, 12},     {"year", QUANTITY_MONTHS, 12},
    {"years", QUANTITY_MONTHS, 12}, {"yr", QUANTITY_MONTHS, 12},
};

/* Pieces of one kind, each folded to one noun. */
static const struct {
    const char *word, *noun;
} pieces[] = {
    {"vien", "vien"}, {"capsule", "vien"}, {"capsules", "vien"}, {"tablet", "vien"}, {"tablets", "vien"},
    {"goi", "goi"}, {"sachet", "goi"}, {"sachets", "goi"}, {"ong", "ong"}, {"mieng", "mieng"},
    {"tui", "tui"}, {"pcs", "cai"}, {"pc", "cai"}, {"cai", "cai"}, {"chiec", "cai"},
    /* razor cartridges ("vỉ 8 lưỡi"): their own noun, so only a "N lưỡi" or "pack of N" unit reads them */
    {"luoi", "luoi"},
    /* filter cartridges ("hộp 6 lõi"); "lỗi" and "lời" fold the same, so the same holds */
    {"loi", "loi"},
};

/* Containers and packs: "6 lon", "2 hộp", "10 vỉ" multiply what follows. */
static const char *const containers[] = {"lon", "hop", "chai", "hu", "lo", "tuyp", "vi", "thung", "binh", "can",
                                         "loc", "bich", "bao", "doi", "cap", "set", "combo", "bo", "cuon", "pack",
                                         "packs", "box", "boxes", "bottles", "bottle", "cans", "ket", "khay", NULL};
/* Words before a count: "combo 3", "set 2", "bộ 3", "lốc 4", "pack 6". */
static const char *const pack_words[] = {"combo", "set", "bo", "loc", "pack", NULL};
/* ... and these when the count ends its clause: "thùng 24", "két 20.", not "thùng rác 2 ngăn", "khay 3 ngăn" */
static const char *const case_words[] = {"thung", "ket", "khay", NULL};
/* Words before a duration that is a promise: "bảo hành 12 tháng", "bh 6 tháng", "đổi trả", "warranty". */
static const char *const warranty[] = {"hanh", "bh", "tra", "warranty", "guarantee", NULL};
/* Money suffixes of a "12tr/kg", "89k/tháng" notation. */
static const struct {
    const char *word;
    double factor;
} money[] = {{"k", 1e3}, {"nghin", 1e3}, {"ngan", 1e3}, {"tr", 1e6}, {"trieu", 1e6}, {"cu", 1e6},
             {"d", 1}, {"vnd", 1}, {"dong", 1}};

static bool is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && !memcmp(s, word, n);
}

static bool in(const char *s, size_t n, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (is(s, n, words[i]))
            return true;
    return false;
}

static const unit_word *measure_word(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof measures / sizeof *measures; i++)
        if (is(s, n, measures[i].word))
            return &measures[i];
    return NULL;
}

static const char *piece_noun(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++)
        if (is(s, n, pieces[i].word))
            return pieces[i].noun;
    return NULL;
}

int price_unit_parse(const char *text, price_unit *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return -1;
    /* fold the few marked words a pack may write */
    static const struct {
        const char *marked, *folded;
    } folds[] = {{"tháng", "thang"}, {"năm", "nam"}, {"viên", "vien"}, {"gói", "goi"}, {"ống", "ong"},
                 {"miếng", "mieng"}, {"túi", "tui"}, {"cái", "cai"}, {"chiếc", "chiec"}, {"lít", "lit"},
                 {"lạng", "lang"}, {"ký", "ky"}, {"lưỡi", "luoi"},
                 {"lõi", "loi"}};
    char lower[64], buf[64];
    size_t n = 0;
    if (strlen(text) >= sizeof lower)
        return -1;
    for (size_t i = 0; text[i]; i++) /* ASCII case first: "Tháng" is "tháng" */
        lower[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] - 'A' + 'a') : text[i];
    lower[strlen(text)] = '\0';
    for (const char *p = lower; *p && n + 1 < sizeof buf;) {
        bool folded = false;
        for (size_t i = 0; i < sizeof folds / sizeof *folds && !folded; i++) {
            size_t m = strlen(folds[i].marked);
            if (!strncmp(p, folds[i].marked, m) && n + strlen(folds[i].folded) + 1 < sizeof buf) {
                memcpy(buf + n, folds[i].folded, strlen(folds[i].folded));
                n += strlen(folds[i].folded);
                p += m;
                folded = true;
            }
        }
        if (!folded)
            buf[n++] = *p++;
    }
    buf[n] = '\0';
    const char *p = buf;
    while (*p == ' ')
        p++;
    bool any_piece = !strncmp(p, "pack of ", 8);
    if (any_piece)
        p += 8;
    else if (!strncmp(p, "per ", 4))
        p += 4;
    char *end;
    double amount = 1;
    if (*p >= '0' && *p <= '9') {
        amount = strtod(p, &end);
        p = end;
    }
    while (*p == ' ')
        p++;
    size_t word = strcspn(p, " ");
    if (p[word] != '\0' || !(amount > 0) || amount > 1e7)
        return -1;
    if (any_piece && word == 0) {
        *out = (price_unit){QUANTITY_COUNT, amount, ""};
        return 0;
    }
    if (!any_piece && (is(p, word, "item") || is(p, word, "items"))) {
        if (amount != 1)
            return -1;
        *out = (price_unit){QUANTITY_ITEM, 1, ""};
        return 0;
    }
    const unit_word *m = any_piece ? NULL : measure_word(p, word);
    if (m) {
        *out = (price_unit){m->dimension, amount * m->factor, ""};
        return 0;
    }
    const char *noun = piece_noun(p, word);
    if (noun) {
        *out = (price_unit){QUANTITY_COUNT, amount, ""};
        if (!any_piece)
            snprintf(out->noun, sizeof out->noun, "%s", noun);
        return 0;
    }
    return -1;
}

static const char *base_name(const price_unit *unit)
{
    switch (unit->dimension) {
    case QUANTITY_MASS: return "g";
    case QUANTITY_VOLUME: return "ml";
    case QUANTITY_MONTHS: return "month";
    case QUANTITY_COUNT: return unit->noun[0] ? unit->noun : "pieces";
    default: return "item";
    }
}

void price_unit_describe(const price_unit *unit, char *buf, size_t size)
{
    if (unit->dimension == QUANTITY_NONE || unit->dimension == QUANTITY_ITEM)
        snprintf(buf, size, "item");
    else
        snprintf(buf, size, "%g %s", unit->amount, base_name(unit));
}

typedef struct word {
    const char *s;
    size_t n;                   /* the whole word in the view */
    uint32_t start, end;        /* original span */
} word;

/* The number at the start of word w (joined with the next word across a
 * single '.' or ',' in the original: "1.7kg", "1,7 kg", "1.000 g", and
 * with more groups of three after '.': "3.800.000"); the
 * rest of the word after the digits is its suffix. Returns how many words
 * the number used (0: not a number). */
static size_t read_number(const word *words, size_t count, size_t w, const char *original, size_t original_length,
                          double *value, const char **suffix, size_t *suffix_length)
{
    const word *a = &words[w];
    size_t digits = 0;
    while (digits < a->n && a->s[digits] >= '0' && a->s[digits] <= '9')
        digits++;
    if (!digits || digits > 9)
        return 0;
    double v = 0;
    for (size_t i = 0; i < digits; i++)
        v = v * 10 + (a->s[i] - '0');
    *value = v;
    *suffix = a->s + digits;
    *suffix_length = a->n - digits;
    if (digits < a->n || w + 1 >= count)
        return 1;
    const word *b = &words[w + 1];
    size_t frac = 0;
    while (frac < b->n && b->s[frac] >= '0' && b->s[frac] <= '9')
        frac++;
    if (!frac || frac > 6 || b->start != a->end + 1 || a->end >= original_length)
        return 1;
    char sep = original[a->end];
    if (sep != '.' && sep != ',')
        return 1;
    double f = 0;
    for (size_t i = 0; i < frac; i++)
        f = f * 10 + (b->s[i] - '0');
    if (sep == '.' && frac == 3) {
        *value = v * 1000 + f;           /* "1.000 g", "120.000/kg": thousands */
        /* more groups of three: "3.800.000/kg" */
        size_t used = 2;
        while (frac == b->n && w + used < count && used < 5) {
            const word *c = &words[w + used];
            size_t k = 0;
            while (k < c->n && k < 4 && c->s[k] >= '0' && c->s[k] <= '9')
                k++;
            if (k != 3 || c->start != b->end + 1 || b->end >= original_length || original[b->end] != '.')
                break;
            *value = *value * 1000 + (double)((c->s[0] - '0') * 100 + (c->s[1] - '0') * 10 + (c->s[2] - '0'));
            b = c;
            frac = 3;
            used++;
        }
        *suffix = b->s + frac;
        *suffix_length = b->n - frac;
        return used;
    }
    *value = v + f / pow(10, (double)frac);
    *suffix = b->s + frac;
    *suffix_length = b->n - frac;
    return 2;
}

static bool slash_between(const char *original, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        if (original[i] == '/')
            return true;
    return false;
}

/* Only clause punctuation (or '+') between two words: the second opens a clause. */
static bool clause_start(const char *original, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        if (original[i] && strchr(".,;:!?()[]+|\n", original[i]))
            return true;
    return false;
}

bool quantity_read(const normalized_text *view, const char *original, size_t original_length, const price_unit *unit,
                   quantity_found *out)
{
    memset(out, 0, sizeof *out);
    if (!view || !view->length || !original || unit->dimension == QUANTITY_NONE)
        return false;
    word words[256];
    size_t count = 0;
    /* words in windows of 256, enough for a title; a description is read to MAX_WORDS */
    double multiplier = 1;
    char multiplied[32] = "";
    uint32_t multiplied_start = 0, multiplied_end = 0; /* where the pack counts were read */
    /* the first measure found ("bao 40kg"); a price per unit stated later in
     * the field ("17k/kg") still wins: it says what the price is for */
    quantity_found measure;
    bool have_measure = false;
    size_t at = 0, total = 0;
    while (at < view->length && total < MAX_WORDS) {
        count = 0;
        while (at < view->length && count < sizeof words / sizeof *words) {
            size_t e = at;
            while (e < view->length && view->text[e] != ' ')
                e++;
            if (e > at)
                words[count++] = (word){view->text + at, e - at, view->source_start[at], view->source_end[e - 1]};
            at = e + 1;
        }
        total += count;
        for (size_t w = 0; w < count; w++) {
            double v;
            const char *suffix;
            size_t sn;
            const word *x = &words[w];
            /* "x2", "2x": a multiplier */
            if (!have_measure && x->n >= 2 && x->n <= 4 && (x->s[0] == 'x' || x->s[x->n - 1] == 'x')) {
                const char *d = x->s[0] == 'x' ? x->s + 1 : x->s;
                size_t dn = x->n - 1, k = 0;
                while (k < dn && d[k] >= '0' && d[k] <= '9')
                    k++;
                if (k == dn) {
                    double m = atof(d);
                    if (m > 1 && m <= MAX_MULTIPLIER) {
                        multiplier *= m;
                        snprintf(multiplied, sizeof multiplied, "%g × ", multiplier);
                        if (multiplier == m)
                            multiplied_start = x->start;
                        multiplied_end = x->end;
                    }
                    continue;
                }
            }
            size_t used = read_number(words, count, w, original, original_length, &v, &suffix, &sn);
            if (!used || !(v > 0))
                continue;
            size_t next = w + used;
            const char *unit_s = suffix;
            size_t unit_n = sn;
            bool unit_is_next = false;
            if (!sn && next < count) {
                unit_s = words[next].s;
                unit_n = words[next].n;
                unit_is_next = true;
            }
            const unit_word *m = unit_n ? measure_word(unit_s, unit_n) : NULL;
            const char *noun = unit_n && !m ? piece_noun(unit_s, unit_n) : NULL;
            uint32_t end = unit_is_next ? words[next].end : words[next - 1].end;
            /* "120.000/kg", "17.000 / kg": the unit after a slash makes the number a rate, never 120,000 kg */
            bool slashed_unit = unit_is_next && m && slash_between(original, words[next - 1].end, words[next].start);
            /* "12tr/kg", "89k/tháng", "120.000/kg": a price per unit */
            if (((!m && !noun) || slashed_unit) && next < count &&
                (unit->dimension == QUANTITY_MASS || unit->dimension == QUANTITY_VOLUME ||
                 unit->dimension == QUANTITY_MONTHS)) {
                double factor = 0, price = v;
                size_t last = next - 1; /* the price's last word: the slash follows it */
                for (size_t i = 0; i < sizeof money / sizeof *money && sn; i++)
                    if (is(suffix, sn, money[i].word))
                        factor = money[i].factor;
                /* "1tr2/kg": millions, then one digit of hundred thousands */
                if (!factor && sn == 3 && suffix[0] == 't' && suffix[1] == 'r' && suffix[2] >= '0' && suffix[2] <= '9') {
                    price = v * 1e6 + (suffix[2] - '0') * 1e5;
                    factor = 1;
                }
                /* "79 nghìn/tháng", "12 triệu/kg", "150 k/kg": the money word apart from the number */
                for (size_t i = 0; i < sizeof money / sizeof *money && !sn && next + 1 < count; i++)
                    if (is(words[next].s, words[next].n, money[i].word) &&
                        !slash_between(original, words[next - 1].end, words[next].start)) {
                        factor = money[i].factor;
                        last = next;
                    }
                if (!sn && !factor && v >= 1000)
                    factor = 1;
                const word *after = &words[last + 1];
                const unit_word *per = measure_word(after->s, after->n);
                if (factor > 0 && per && per->dimension == unit->dimension &&
                    slash_between(original, words[last].end, after->start)) {
                    out->found = true;
                    out->per_unit_price = true;
                    out->price = price * factor;
                    out->amount = per->factor;
                    out->start = x->start;
                    out->end = after->end;
                    snprintf(out->text, sizeof out->text, "%.0f per %g %s", out->price, per->factor, base_name(unit));
                    return true;
                }
            }
            if (slashed_unit || have_measure)
                continue;
            /* "5G", "4G" written in capitals on the number: a generation
             * or a network (Similac 5G, a 4G router), not grams */
            if (m && m->dimension == QUANTITY_MASS && !unit_is_next && sn == 1 && v <= 6 && v == (double)(int)v &&
                words[next - 1].end > 0 && words[next - 1].end <= original_length && original[words[next - 1].end - 1] == 'G')
                continue;
            bool is_measure = (m && m->dimension == unit->dimension) ||
                              (noun && unit->dimension == QUANTITY_COUNT && (!unit->noun[0] || !strcmp(unit->noun, noun)));
            /* "bảo hành 12 tháng", "đổi trả 7 ngày", "warranty 2 years": a promise, not what is sold */
            if (is_measure && m && m->dimension == QUANTITY_MONTHS && w > 0 &&
                (in(words[w - 1].s, words[w - 1].n, warranty) ||
                 (w > 1 && in(words[w - 2].s, words[w - 2].n, warranty))))
                continue;
            if (is_measure && unit->dimension != QUANTITY_ITEM) {
                double amount = v * (m ? m->factor : 1);
                if (amount > 1e9)
                    continue;
                memset(&measure, 0, sizeof measure);
                measure.found = true;
                measure.amount = amount * multiplier;
                measure.start = x->start;
                measure.end = end;
                if (multiplier > 1)
                    snprintf(measure.text, sizeof measure.text, "%s%g %s = %g %s", multiplied, amount,
                             base_name(unit), measure.amount, base_name(unit));
                else
                    snprintf(measure.text, sizeof measure.text, "%g %s", amount, base_name(unit));
                have_measure = true;
                continue;
            }
            /* "6 lon" counts cans after a pack word ("thùng 6 lon", "combo 3 lon", "hộp 10 vỉ"), at the start of
             * a sentence ("3 lon 800g."), or before "x" ("2 hộp x 100 viên"); after a name it is part of the
             * name ("Lộc Trời 28 bao 1kg", "Thiên ưu 8 túi", "NPK 20-20-15 bao") */
            /* ... or per a bigger container ("24 lon/thùng", "30 gói/thùng") */
            /* small pieces weighed as a whole: "hộp 30 viên 375g", "gói 10 miếng 200g", "hộp 12 cái 396g" give
             * the box's weight, not each piece's (a packet or a vial does carry its own: "hộp 10 gói 75g") */
            bool whole_weight = noun && (unit->dimension == QUANTITY_MASS || unit->dimension == QUANTITY_VOLUME) &&
                                (!strcmp(noun, "vien") || !strcmp(noun, "mieng") || !strcmp(noun, "cai"));
            bool container = unit_n && (in(unit_s, unit_n, containers) || (noun && !whole_weight)) &&
                             (w == 0 || in(words[w - 1].s, words[w - 1].n, containers) ||
                              clause_start(original, words[w - 1].end, x->start) ||
                              (unit_is_next && next + 1 < count && is(words[next + 1].s, words[next + 1].n, "x")) ||
                              (unit_is_next && next + 1 < count && in(words[next + 1].s, words[next + 1].n, containers) &&
                               slash_between(original, words[next].end, words[next + 1].start)));
            bool packed = w > 0 && !sn && !m &&
                          (in(words[w - 1].s, words[w - 1].n, pack_words) ||
                           (in(words[w - 1].s, words[w - 1].n, case_words) &&
                            (next >= count || clause_start(original, words[next - 1].end, words[next].start))));
            bool times = !sn && next < count && is(words[next].s, words[next].n, "x") && !m;
            if ((container || packed || times) && v == floor(v) && v > 1 && v <= MAX_MULTIPLIER) {
                multiplier *= v;
                snprintf(multiplied, sizeof multiplied, "%g × ", multiplier);
                if (multiplier == v)
                    multiplied_start = x->start;
                multiplied_end = end;
                if (unit->dimension == QUANTITY_ITEM) {
                    out->found = true;
                    out->amount = multiplier;
                    out->start = out->start ? out->start : x->start;
                    out->end = end;
                    snprintf(out->text, sizeof out->text, "%g items", multiplier);
                }
            }
        }
    }
    if (have_measure)
        *out = measure;
    /* a "pack of N" unit counts any piece: a multipack with no piece count ("set 4", "combo 3 hộp") is that many
     * pieces. A unit of named pieces ("120 viên") does not guess: "hộp 10 vỉ" says nothing of its tablets */
    else if (!out->found && unit->dimension == QUANTITY_COUNT && !unit->noun[0] && multiplier > 1) {
        out->found = true;
        out->amount = multiplier;
        out->start = multiplied_start;
        out->end = multiplied_end;
        snprintf(out->text, sizeof out->text, "%g pieces", multiplier);
    }
    return out->found;
}

/* ---- stated genuine price ---- */

/* Folded cues of a genuine price; "gia hang" needs the tilde of "hãng" in the original. */
static const char *const genuine_price_cues[] = {"gia chinh hang", "gia niem yet", "gia store", "gia hang", "gia auth",
                                                 "gia cong ty", "gia retail", NULL};

/* An amount of money at original[at..length): "3.500.000đ", "3.500.000 VND", "3tr5", "3,5 triệu", "1200k",
 * "3500000"; a bare number below 1000 is none. Returns VND or 0. */
static bool ascii_digit(const char *s, size_t length, size_t i) { return i < length && s[i] >= '0' && s[i] <= '9'; }

static double read_money(const char *original, size_t length, size_t at)
{
    size_t i = at;
    for (size_t skipped = 0; i < length && skipped < 12 && !ascii_digit(original, length, i); i++, skipped++)
        if (strchr(".;!?\n\r", original[i]))
            return 0; /* the clause ended before any number */
    if (!ascii_digit(original, length, i))
        return 0;
    double value = 0;
    size_t digits = 0;
    bool grouped = false;
    for (;;) {
        while (ascii_digit(original, length, i) && digits < 12) {
            value = value * 10 + (original[i] - '0');
            i++;
            digits++;
        }
        /* "3.500.000", "3,500,000": a separator then exactly three digits */
        if (i < length && (original[i] == '.' || original[i] == ',') && ascii_digit(original, length, i + 1) &&
            ascii_digit(original, length, i + 2) && ascii_digit(original, length, i + 3) &&
            !ascii_digit(original, length, i + 4) && digits < 12) {
            grouped = true;
            i++;
            continue;
        }
        break;
    }
    /* "3,5 triệu", "1.2tr": one or two decimals */
    if (!grouped && i < length && (original[i] == '.' || original[i] == ',') && ascii_digit(original, length, i + 1) &&
        !ascii_digit(original, length, i + 3)) {
        double scale = 10;
        for (i++; ascii_digit(original, length, i); i++, scale *= 10)
            value += (original[i] - '0') / scale;
    }
    size_t j = i;
    while (j < length && original[j] == ' ')
        j++;
    char suffix[16];
    size_t n = 0;
    while (j + n < length && n + 1 < sizeof suffix &&
           ((unsigned char)original[j + n] >= 0x80 || (original[j + n] >= 'a' && original[j + n] <= 'z') ||
            (original[j + n] >= 'A' && original[j + n] <= 'Z'))) {
        char c = original[j + n];
        suffix[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    suffix[n] = '\0';
    static const struct {
        const char *word;
        double factor;
    } units[] = {{"k", 1e3},     {"nghìn", 1e3}, {"ngàn", 1e3}, {"nghin", 1e3}, {"ngan", 1e3}, {"tr", 1e6},
                 {"triệu", 1e6}, {"trieu", 1e6}, {"củ", 1e6},   {"cu", 1e6},    {"đ", 1},      {"d", 1},
                 {"vnd", 1},     {"vnđ", 1},     {"đồng", 1},   {"dong", 1},    {"₫", 1}};
    double factor = 0;
    for (size_t u = 0; u < sizeof units / sizeof *units && n; u++)
        if (!strcmp(suffix, units[u].word))
            factor = units[u].factor;
    if (factor == 1e6 && ascii_digit(original, length, j + n)) { /* "3tr5" is 3.5 million, "3tr500" too */
        double scale = 10;
        for (size_t k = j + n; ascii_digit(original, length, k) && scale <= 1000; k++, scale *= 10)
            value += (original[k] - '0') / scale;
    }
    if (!n && value >= 1000)
        factor = 1; /* a bare "3500000" */
    double vnd = value * factor;
    return vnd >= 1000 && vnd < 1e12 ? vnd : 0;
}

/* Whether original[from, to) holds "ã" or "Ã" (NFC) or a combining tilde (NFD). */
static bool has_tilde(const char *original, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i + 1 < to; i++)
        if (((unsigned char)original[i] == 0xC3 && ((unsigned char)original[i + 1] == 0xA3 ||
                                                    (unsigned char)original[i + 1] == 0x83)) ||
            ((unsigned char)original[i] == 0xCC && (unsigned char)original[i + 1] == 0x83))
            return true;
    return false;
}

double stated_genuine_price(const normalized_text *view, const char *original, size_t original_length)
{
    if (!view || !view->length || !original)
        return 0;
    for (size_t at = 0; at < view->length; at++) {
        /* the cues start with "gia ": jump to the next one */
        const char *next = memmem(view->text + at, view->length - at, "gia ", 4);
        if (!next)
            break;
        at = (size_t)(next - view->text);
        if (at > 0 && view->text[at - 1] != ' ')
            continue;
        for (size_t c = 0; genuine_price_cues[c]; c++) {
            size_t n = strlen(genuine_price_cues[c]);
            if (at + n > view->length || memcmp(view->text + at, genuine_price_cues[c], n) ||
                (at + n < view->length && view->text[at + n] != ' '))
                continue;
            uint32_t end = view->source_end[at + n - 1];
            if (!strcmp(genuine_price_cues[c], "gia hang") && !has_tilde(original, view->source_start[at + 4], end))
                continue;
            double vnd = end <= original_length ? read_money(original, original_length, end) : 0;
            if (vnd > 0)
                return vnd;
        }
    }
    return 0;
}
