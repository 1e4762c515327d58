/* price: see price.h. */
#include "scanner/extract/price.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_GROUPS 24
#define MAX_INTEGER_DIGITS 15
#define MAX_AMOUNT 1e15
#define MAX_AMOUNTS_PER_FIELD 64
#define CURRENCY_LOOKAROUND 3 /* spaces between an amount and its currency */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ascii_letter(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* A letter starts at p: ASCII, Latin with diacritics (U+00C0..U+024F) or
 * Vietnamese (U+1E00..U+1EFF). Punctuation like "–" or "₫" is not. */
static bool letter_at(const char *p)
{
    unsigned char c = (unsigned char)*p;
    if (is_ascii_letter(c))
        return true;
    if (c >= 0xC3 && c <= 0xC9)
        return true;
    return c == 0xE1 && ((unsigned char)p[1] == 0xB8 || (unsigned char)p[1] == 0xB9 ||
                         (unsigned char)p[1] == 0xBA || (unsigned char)p[1] == 0xBB);
}

/* The length of a space at p: ' ', U+00A0, U+2009, U+202F; else 0. */
static size_t space_at(const char *p)
{
    if (*p == ' ' || *p == '\t')
        return 1;
    if (!strncmp(p, "\xc2\xa0", 2))
        return 2;
    if (!strncmp(p, "\xe2\x80\x89", 3) || !strncmp(p, "\xe2\x80\xaf", 3))
        return 3;
    return 0;
}

static const char *skip_spaces(const char *p, int at_most)
{
    size_t n;
    while (at_most-- > 0 && (n = space_at(p)))
        p += n;
    return p;
}

/* ---- currencies ------------------------------------------------------------------ */

enum { T_EXACT = 0, T_CI = 1, T_DOLLAR = 2, T_YEN = 4 };

typedef struct token {
    const char *text;
    size_t length;     /* strlen(text): these are looked up several times per listing */
    const char *code;
    int flags;
} token;

#define TOKEN(text, code, flags) {text, sizeof text - 1, code, flags}

/* Longer spellings first where one is a prefix of another ("US$" before
 * "$" is not needed: matching picks the longest). */
static const token tokens[] = {
    TOKEN("₫", "VND", T_EXACT), TOKEN("VND", "VND", T_CI), TOKEN("VNĐ", "VND", T_EXACT),
    TOKEN("vnđ", "VND", T_EXACT), TOKEN("Vnđ", "VND", T_EXACT), TOKEN("đồng", "VND", T_EXACT),
    TOKEN("Đồng", "VND", T_EXACT), TOKEN("đ", "VND", T_EXACT), TOKEN("Đ", "VND", T_EXACT),
    TOKEN("dong", "VND", T_CI), TOKEN("US$", "USD", T_EXACT), TOKEN("USD", "USD", T_CI),
    TOKEN("S$", "SGD", T_EXACT), TOKEN("SGD", "SGD", T_CI), TOKEN("A$", "AUD", T_EXACT),
    TOKEN("AU$", "AUD", T_EXACT), TOKEN("AUD", "AUD", T_CI), TOKEN("C$", "CAD", T_EXACT),
    TOKEN("CA$", "CAD", T_EXACT), TOKEN("CAD", "CAD", T_CI), TOKEN("HK$", "HKD", T_EXACT),
    TOKEN("HKD", "HKD", T_CI), TOKEN("NT$", "TWD", T_EXACT), TOKEN("NTD", "TWD", T_CI),
    TOKEN("TWD", "TWD", T_CI), TOKEN("NZ$", "NZD", T_EXACT), TOKEN("NZD", "NZD", T_CI),
    TOKEN("R$", "BRL", T_EXACT), TOKEN("BRL", "BRL", T_CI), TOKEN("MX$", "MXN", T_EXACT),
    TOKEN("MXN", "MXN", T_CI), TOKEN("$", "USD", T_DOLLAR), TOKEN("＄", "USD", T_DOLLAR),
    TOKEN("€", "EUR", T_EXACT), TOKEN("EUR", "EUR", T_CI), TOKEN("£", "GBP", T_EXACT),
    TOKEN("GBP", "GBP", T_CI), TOKEN("JP¥", "JPY", T_EXACT), TOKEN("円", "JPY", T_EXACT),
    TOKEN("JPY", "JPY", T_CI), TOKEN("CN¥", "CNY", T_EXACT), TOKEN("RMB", "CNY", T_CI),
    TOKEN("元", "CNY", T_EXACT), TOKEN("CNY", "CNY", T_CI), TOKEN("¥", "", T_YEN),
    TOKEN("￥", "", T_YEN), TOKEN("₩", "KRW", T_EXACT), TOKEN("원", "KRW", T_EXACT),
    TOKEN("KRW", "KRW", T_CI), TOKEN("฿", "THB", T_EXACT), TOKEN("บาท", "THB", T_EXACT),
    TOKEN("THB", "THB", T_CI), TOKEN("₹", "INR", T_EXACT), TOKEN("INR", "INR", T_CI),
    TOKEN("Rp", "IDR", T_EXACT), TOKEN("IDR", "IDR", T_CI), TOKEN("RM", "MYR", T_EXACT),
    TOKEN("MYR", "MYR", T_CI), TOKEN("₱", "PHP", T_EXACT), TOKEN("PHP", "PHP", T_EXACT),
    TOKEN("CHF", "CHF", T_CI), TOKEN("₽", "RUB", T_EXACT), TOKEN("RUB", "RUB", T_CI),
    TOKEN("RUR", "RUB", T_CI), TOKEN("zł", "PLN", T_EXACT), TOKEN("PLN", "PLN", T_CI),
    TOKEN("₺", "TRY", T_EXACT), TOKEN("TRY", "TRY", T_EXACT), TOKEN("៛", "KHR", T_EXACT),
    TOKEN("KHR", "KHR", T_CI), TOKEN("₭", "LAK", T_EXACT), TOKEN("LAK", "LAK", T_CI),
    TOKEN("MMK", "MMK", T_CI), TOKEN("₪", "ILS", T_EXACT), TOKEN("ILS", "ILS", T_CI),
    TOKEN("SEK", "SEK", T_CI), TOKEN("NOK", "NOK", T_CI), TOKEN("DKK", "DKK", T_CI),
    TOKEN("HUF", "HUF", T_CI), TOKEN("CZK", "CZK", T_CI), TOKEN("AED", "AED", T_CI),
    TOKEN("SAR", "SAR", T_CI), TOKEN("ZAR", "ZAR", T_CI), TOKEN("₦", "NGN", T_EXACT),
    TOKEN("NGN", "NGN", T_CI),
};

static const struct {
    const char region[3];
    const char *dollar;
} dollars[] = {{"sg", "SGD"}, {"au", "AUD"}, {"ca", "CAD"}, {"hk", "HKD"}, {"tw", "TWD"},
               {"nz", "NZD"}, {"br", "BRL"}, {"mx", "MXN"}};

/* The code a token stands for with this region hint; "" when ambiguous. */
static const char *token_code(const token *t, const char *region)
{
    if (t->flags & T_DOLLAR) {
        for (size_t i = 0; region && i < sizeof dollars / sizeof *dollars; i++)
            if (!strcmp(region, dollars[i].region))
                return dollars[i].dollar;
        return "USD";
    }
    if (t->flags & T_YEN) {
        if (region && !strcmp(region, "cn"))
            return "CNY";
        if (region && !strcmp(region, "jp"))
            return "JPY";
        return "";
    }
    return t->code;
}

/* Whether token t is written at p (inside text starting at `start`),
 * standing alone: a spelling in letters is not part of a longer word. */
static bool token_at(const token *t, const char *start, const char *p)
{
    size_t n = t->length;
    if ((t->flags & T_CI) ? strncasecmp(p, t->text, n) : strncmp(p, t->text, n))
        return false;
    bool letters_first = letter_at(t->text), letters_last = letter_at(t->text + n - 1) ||
                                                            ((unsigned char)t->text[n - 1] >= 0x80 && letter_at(t->text));
    if (letters_first && p > start && is_ascii_letter((unsigned char)p[-1]))
        return false;
    if (letters_last && letter_at(p + n))
        return false;
    return true;
}

/* The bytes a token may begin with and end with (both cases for the
 * T_CI ones): most bytes of a text start and end none, and the scans below
 * try every token at every byte. Built once (token_bytes_once). */
static bool token_first[256], token_last[256];
static pthread_once_t token_bytes_once = PTHREAD_ONCE_INIT;

static void build_token_bytes(void)
{
    for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++) {
        unsigned char first = (unsigned char)tokens[i].text[0];
        unsigned char last = (unsigned char)tokens[i].text[tokens[i].length - 1];
        token_first[first] = token_last[last] = true;
        if (tokens[i].flags & T_CI) {
            token_first[(unsigned char)tolower(first)] = token_first[(unsigned char)toupper(first)] = true;
            token_last[(unsigned char)tolower(last)] = token_last[(unsigned char)toupper(last)] = true;
        }
    }
}

/* The longest token written at p; its length (0: none) and code. */
static size_t currency_at(const char *start, const char *p, const char *region, const char **code)
{
    pthread_once(&token_bytes_once, build_token_bytes);
    if (!token_first[(unsigned char)*p])
        return 0;
    size_t best = 0;
    for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++) {
        size_t n = tokens[i].length;
        if (n > best && token_at(&tokens[i], start, p)) {
            best = n;
            *code = token_code(&tokens[i], region);
        }
    }
    return best;
}

/* The longest token that ends right at `end`. */
static size_t currency_before(const char *start, const char *end, const char *region, const char **code)
{
    pthread_once(&token_bytes_once, build_token_bytes);
    if (end == start || !token_last[(unsigned char)end[-1]])
        return 0;
    size_t best = 0;
    for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++) {
        size_t n = tokens[i].length;
        if (n > best && (size_t)(end - start) >= n && token_at(&tokens[i], start, end - n)) {
            best = n;
            *code = token_code(&tokens[i], region);
        }
    }
    return best;
}

/* currency_normalize for a trimmed word of 1..16 bytes. */
static bool currency_word(const char *word, size_t n, const char *region, char out[4])
{
    const char *code = NULL;
    size_t length = currency_at(word, word, region, &code);
    if (length == n && code && *code) {
        memcpy(out, code, 4);
        return true;
    }
    if (n == 3 && is_ascii_letter((unsigned char)word[0]) && is_ascii_letter((unsigned char)word[1]) &&
        is_ascii_letter((unsigned char)word[2])) {
        for (int i = 0; i < 3; i++)
            out[i] = (char)(word[i] & ~0x20);
        out[3] = '\0';
        return true;
    }
    return false;
}

bool currency_normalize(const char *text, const char *region, char out[4])
{
    if (!text)
        return false;
    const char *p = skip_spaces(text, 8);
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (!n || n > 16)
        return false;
    char word[17];
    memcpy(word, p, n);
    word[n] = '\0';
    /* every item of a page names the same currency: the last answer, per thread */
    static _Thread_local struct {
        char word[17], region[3], code[4];
        bool known;
    } last;
    const char *r = region ? region : "";
    bool memo = strlen(r) < sizeof last.region; /* a country code; anything longer is not remembered */
    if (memo && !strcmp(word, last.word) && !strcmp(r, last.region)) {
        if (last.known)
            memcpy(out, last.code, 4);
        return last.known;
    }
    char code[4] = "";
    bool known = currency_word(word, n, region, code);
    if (memo) {
        memcpy(last.word, word, n + 1);
        memcpy(last.region, r, strlen(r) + 1);
        memcpy(last.code, code, 4);
        last.known = known;
    }
    if (known)
        memcpy(out, code, 4);
    return known;
}

bool price_region(const char *url, char out[3])
{
    if (!url)
        return false;
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t n = strcspn(host, ":/?#");
    if (!n || host[n - 1] == '.')
        return false;
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (host[i] == '.')
            dot = host + i;
    if (!dot || host + n - dot != 3 || !is_ascii_letter((unsigned char)dot[1]) ||
        !is_ascii_letter((unsigned char)dot[2]))
        return false;
    out[0] = (char)(dot[1] | 0x20);
    out[1] = (char)(dot[2] | 0x20);
    out[2] = '\0';
    return true;
}

/* ---- amounts --------------------------------------------------------------------- */

typedef struct amount {
    double value;        /* with its multiplier */
    double multiplier;   /* 1 when none */
    bool multiplied, vietnamese;
    const char *end;
} amount;

/* The length of a separator at p and its kind ('.', ',', ' ' for spaces
 * and apostrophes); 0 when none. */
static size_t separator_at(const char *p, char *kind)
{
    if (*p == '.' || *p == ',') {
        *kind = *p;
        return 1;
    }
    if (*p == '\'') {
        *kind = ' ';
        return 1;
    }
    if (!strncmp(p, "\xe2\x80\x99", 3)) { /* ’ */
        *kind = ' ';
        return 3;
    }
    size_t n = space_at(p);
    if (n && *p != '\t') {
        *kind = ' ';
        return n;
    }
    return 0;
}

static size_t digit_run(const char *p)
{
    size_t n = 0;
    while (is_digit(p[n]))
        n++;
    return n;
}

/* Case-insensitive ASCII words and exact Vietnamese ones after an amount. */
static const char *after_word(const char *p, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(words[i]);
        if (!strncasecmp(p, words[i], n) && !letter_at(p + n))
            return p + n;
    }
    return NULL;
}

/* Reads the number starting at s (a digit), then its multiplier. False
 * when it is not an amount (bad grouping, too many digits, overflow). */
static bool read_amount(const char *s, amount *a)
{
    const char *group[MAX_GROUPS];
    size_t length[MAX_GROUPS];
    char sep[MAX_GROUPS]; /* sep[i]: the separator before group i (i >= 1) */
    size_t count = 0;
    const char *end = s;
    for (int allow_spaces = 1; allow_spaces >= 0; allow_spaces--) {
        const char *p = s;
        count = 0;
        bool mixed = false;
        group[0] = p;
        length[0] = digit_run(p);
        p += length[0];
        count = 1;
        for (;;) {
            char kind;
            size_t n = separator_at(p, &kind);
            if (!n || !is_digit(p[n]))
                break;
            size_t run = digit_run(p + n);
            if (kind == ' ' && (!allow_spaces || run != 3))
                break;
            if (count == MAX_GROUPS)
                return false;
            if (kind != ' ' && run == 3 && count > 1 && sep[count - 1] == ' ')
                mixed = true;
            sep[count] = kind;
            group[count] = p + n;
            length[count] = run;
            count++;
            p += n + run;
        }
        end = p;
        /* "42 100.000": a size then a price; spaces do not group here */
        bool spaced = false;
        for (size_t i = 1; i < count; i++)
            spaced |= sep[i] == ' ';
        bool three_after_mark = false;
        for (size_t i = 1; i < count; i++)
            three_after_mark |= sep[i] != ' ' && length[i] == 3;
        if (!(spaced && (mixed || three_after_mark)))
            break;
    }
    size_t dots = 0, commas = 0, spaces = 0;
    for (size_t i = 1; i < count; i++) {
        dots += sep[i] == '.';
        commas += sep[i] == ',';
        spaces += sep[i] == ' ';
    }
    /* which group (index) the decimal mark precedes; 0: none */
    size_t decimal = 0;
    if (dots && commas) {
        decimal = count - 1;
        char mark = sep[decimal];
        if (mark == ' ' || (mark == '.' ? dots : commas) != 1)
            return false;
    } else if (dots + commas == 1) {
        size_t at = 0;
        for (size_t i = 1; i < count; i++)
            if (sep[i] != ' ')
                at = i;
        bool thousands = length[at] == 3 && !spaces && length[0] <= 3 && !(length[0] == 1 && group[0][0] == '0') &&
                         at == count - 1;
        if (!thousands) {
            if (at != count - 1)
                return false; /* "1,5 000" */
            decimal = at;
        }
    }
    size_t integer_groups = decimal ? decimal : count;
    if (integer_groups > 1) { /* grouped: 1-3 digits first, then threes (or twos in lakh grouping) */
        if (length[0] > 3)
            return false;
        for (size_t i = 1; i < integer_groups; i++)
            if (length[i] != 3 && !(length[i] == 2 && i + 1 < integer_groups))
                return false;
    }
    char digits[64];
    size_t d = 0, significant = 0;
    for (size_t i = 0; i < integer_groups; i++)
        for (size_t k = 0; k < length[i]; k++) {
            if (significant || group[i][k] != '0')
                significant++;
            if (significant > MAX_INTEGER_DIGITS)
                return false;
            if (significant)
                digits[d++] = group[i][k];
        }
    if (!d)
        digits[d++] = '0';
    if (decimal) {
        digits[d++] = '.';
        for (size_t k = 0; k < length[decimal] && k < 20; k++)
            digits[d++] = group[decimal][k];
    }
    digits[d] = '\0';
    double value = strtod(digits, NULL);
    const char *p = end;
    /* an exponent ("1.5e6", "1e400" from a JSON string) */
    if ((*p == 'e' || *p == 'E') && (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
        char *after;
        long exponent = strtol(p + 1, &after, 10);
        if (exponent > 30 || exponent < -30)
            return false;
        value *= pow(10, (double)exponent);
        p = after;
    }
    /* a multiplier */
    static const char *const millions[] = {"triệu", "Triệu", "TRIỆU", "trieu"};
    static const char *const billions[] = {"tỷ", "Tỷ", "TỶ", "tỉ", "Tỉ"};
    static const char *const thousands_words[] = {"nghìn", "Nghìn", "NGHÌN", "ngàn", "Ngàn", "NGÀN"};
    const char *u = skip_spaces(p, CURRENCY_LOOKAROUND);
    const char *w;
    a->multiplier = 1;
    a->multiplied = a->vietnamese = false;
    if ((w = after_word(u, millions, sizeof millions / sizeof *millions))) {
        a->multiplier = 1e6, a->vietnamese = true, p = w;
    } else if ((w = after_word(u, billions, sizeof billions / sizeof *billions))) {
        a->multiplier = 1e9, a->vietnamese = true, p = w;
    } else if ((w = after_word(u, thousands_words, sizeof thousands_words / sizeof *thousands_words))) {
        a->multiplier = 1e3, a->vietnamese = true, p = w;
    } else if ((u[0] == 't' || u[0] == 'T') && (u[1] == 'r' || u[1] == 'R') && !letter_at(u + 2)) {
        /* "2tr5": the digits after "tr" are the fraction of the million */
        const char *f = u + 2;
        double fraction = 0, scale = 1;
        if (u == p && !decimal) { /* written together: "2tr5"; "2 tr 5" is not one amount */
            while (is_digit(*f) && scale < 1e6) {
                fraction = fraction * 10 + (*f - '0');
                scale *= 10;
                f++;
            }
            if (is_digit(*f))
                return false;
        }
        value += fraction / scale;
        a->multiplier = 1e6, a->vietnamese = true, p = f;
    } else if ((u[0] == 'k' || u[0] == 'K') && !letter_at(u + 1)) {
        a->multiplier = 1e3, p = u + 1;
    }
    a->multiplied = a->multiplier != 1;
    value *= a->multiplier;
    if (!isfinite(value) || value < 0 || value > MAX_AMOUNT)
        return false;
    a->value = value;
    a->end = p;
    return true;
}

/* A minus sign right before p that is not a range's dash ("-5", "−5"). */
static bool negative_at(const char *start, const char *p)
{
    const char *m = NULL;
    if (p > start && p[-1] == '-')
        m = p - 1;
    else if (p - start >= 3 && !strncmp(p - 3, "\xe2\x88\x92", 3))
        m = p - 3;
    if (!m)
        return false;
    const char *q = m;
    while (q > start && (q[-1] == ' '))
        q--;
    /* after a digit or a currency sign ("100.000-200.000", "$5-$10"): a range */
    if (q > start && (is_digit(q[-1]) || q[-1] == 'k' || q[-1] == 'K'))
        return false;
    return true;
}

/* A range's dash or word at p: its length, else 0. */
static size_t range_mark_at(const char *p)
{
    if (*p == '-' || *p == '~')
        return 1;
    if (!strncmp(p, "\xe2\x80\x93", 3) || !strncmp(p, "\xe2\x80\x94", 3) || !strncmp(p, "\xef\xbd\x9e", 3))
        return 3;
    static const char *const words[] = {"đến", "Đến", "to", "den", "tới"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t n = strlen(words[i]);
        if (!strncasecmp(p, words[i], n) && !letter_at(p + n))
            return n;
    }
    return 0;
}

/* Reads the price at p (a digit) inside text: its amount or range and the
 * currency written around it. *unit: a currency or a multiplier was
 * written. Returns the end, or NULL when p starts no amount. */
static const char *read_price_at(const char *text, const char *p, const char *region, price_reading *out, bool *unit)
{
    amount a;
    if (!read_amount(p, &a))
        return NULL;
    memset(out, 0, sizeof *out);
    const char *code = NULL;
    /* before: "$179.99", "VND 2.000.000", "US$ 5" */
    const char *b = p;
    for (int i = 0; i < CURRENCY_LOOKAROUND && b > text && (b[-1] == ' ' || (b - text >= 2 && !strncmp(b - 2, "\xc2\xa0", 2)));
         i++)
        b -= b[-1] == ' ' ? 1 : 2;
    size_t before = currency_before(text, b, region, &code);
    if (before && negative_at(text, b - before)) /* "-$5" */
        return NULL;
    const char *end = a.end;
    const char *after = skip_spaces(end, CURRENCY_LOOKAROUND);
    const char *after_code = NULL;
    size_t n = currency_at(text, after, region, &after_code);
    if (n) {
        code = code && *code ? code : after_code;
        end = after + n;
    }
    double low = a.value, high = a.value;
    /* a range: "100.000 - 200.000đ", "100-200k", "$5 - $10", "từ 1 đến 2 triệu" */
    const char *r = skip_spaces(end, CURRENCY_LOOKAROUND);
    size_t mark = range_mark_at(r);
    if (mark) {
        const char *q = skip_spaces(r + mark, CURRENCY_LOOKAROUND);
        const char *second_code = NULL;
        size_t sn = currency_at(text, q, region, &second_code);
        q = skip_spaces(q + sn, CURRENCY_LOOKAROUND);
        amount b2;
        /* "100-200k": the multiplier is the range's; a second amount below
         * the first is no range ("1.200.000đ - 2 cái") */
        double candidate = a.value;
        if (is_digit(*q) && read_amount(q, &b2) && !a.multiplied && b2.multiplied && a.value < b2.value / b2.multiplier)
            candidate = a.value * b2.multiplier;
        if (is_digit(*q) && read_amount(q, &b2) && b2.value >= candidate) {
            low = candidate;
            a.vietnamese |= b2.vietnamese;
            a.multiplied |= b2.multiplied;
            high = b2.value;
            end = b2.end;
            const char *tail = skip_spaces(end, CURRENCY_LOOKAROUND);
            const char *tail_code = NULL;
            size_t tn = currency_at(text, tail, region, &tail_code);
            if (tn)
                end = tail + tn;
            if (!code || !*code)
                code = sn && second_code && *second_code ? second_code : tail_code;
            n |= tn | sn;
        }
    }
    out->amount = low;
    out->high = high;
    out->vietnamese = a.vietnamese;
    if (code && *code)
        memcpy(out->currency, code, 4);
    else if (a.vietnamese)
        memcpy(out->currency, "VND", 4);
    *unit = a.multiplied || (code != NULL) || n;
    return end;
}

/* The next digit at or after p that starts a number: not inside one
 * ("1.2.3"), nor inside a word ("X5", "2tr5") unless after a currency
 * ("Rp15.000"). */
static const char *next_number(const char *text, const char *p, const char *region)
{
    for (; *p; p++) {
        if (!is_digit(*p))
            continue;
        if (p > text && (is_digit(p[-1]) || ((p[-1] == '.' || p[-1] == ',') && p - 1 > text && is_digit(p[-2]))))
            continue;
        const char *code;
        if (p > text && is_ascii_letter((unsigned char)p[-1]) && !currency_before(text, p, region, &code))
            continue;
        return p;
    }
    return NULL;
}

/* Past a run of digits and separators that was no amount ("1.2.3.4"). */
static const char *skip_run(const char *p)
{
    while (is_digit(*p) || ((*p == '.' || *p == ',') && is_digit(p[1])))
        p++;
    return p;
}

bool price_read(const char *text, const char *region, price_reading *out)
{
    if (!text)
        return false;
    price_reading first, reading;
    bool have_first = false;
    int tries = 0;
    for (const char *p = next_number(text, text, region); p && tries < MAX_AMOUNTS_PER_FIELD; tries++) {
        bool unit = false;
        const char *end = negative_at(text, p) ? NULL : read_price_at(text, p, region, &reading, &unit);
        if (!end) {
            p = next_number(text, skip_run(p), region);
            continue;
        }
        if (reading.currency[0]) { /* the first amount with its currency written next to it */
            if (out)
                *out = reading;
            return true;
        }
        if (!have_first) {
            first = reading;
            have_first = true;
        }
        p = next_number(text, end > p ? end : p + 1, region);
    }
    if (!have_first)
        return false;
    /* a currency written elsewhere in the field ("Giá (VND): 2.000.000") */
    for (const char *p = text; *p && p - text < 4096; p++) {
        const char *code = NULL;
        size_t n = currency_at(text, p, region, &code);
        if (n && code && *code) {
            memcpy(first.currency, code, 4);
            break;
        }
        if (n)
            p += n - 1;
    }
    if (out)
        *out = first;
    return true;
}

static bool good_caption_price(const price_reading *r)
{
    bool vnd_or_none = !r->currency[0] || !strcmp(r->currency, "VND");
    return !vnd_or_none || r->amount >= 1000;
}

bool price_find_in_text(const char *text, const char *region, price_reading *out)
{
    if (!text)
        return false;
    price_reading r;
    bool unit;
    /* after "giá" first (any case, with or without its mark) */
    static const char *const labels[] = {"giá", "Giá", "GIÁ", "gia ", "Gia ", "GIA "};
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        for (const char *at = strstr(text, labels[k]); at; at = strstr(at + 1, labels[k])) {
            if (at > text && letter_at(at - 1))
                continue;
            const char *p = at + strlen(labels[k]);
            for (int skip = 0; *p && skip < 24 && !is_digit(*p) && *p != '\n'; skip++)
                p++;
            if (!is_digit(*p) || negative_at(text, p) || !read_price_at(text, p, region, &r, &unit))
                continue;
            if (!r.currency[0])
                memcpy(r.currency, "VND", 4);
            r.vietnamese = true;
            if (good_caption_price(&r)) {
                if (out)
                    *out = r;
                return true;
            }
        }
    }
    /* else an amount with a money unit */
    int tries = 0;
    for (const char *p = next_number(text, text, region); p && tries < 4096; tries++) {
        const char *end = negative_at(text, p) ? NULL : read_price_at(text, p, region, &r, &unit);
        if (!end) {
            p = next_number(text, skip_run(p), region);
            continue;
        }
        if ((unit || r.amount >= 1e6) && good_caption_price(&r)) {
            if (out)
                *out = r;
            return true;
        }
        p = next_number(text, end > p ? end : p + 1, region);
    }
    return false;
}

bool price_parse(const char *text, double *value)
{
    price_reading r;
    if (!price_read(text, NULL, &r))
        return false;
    if (value)
        *value = r.amount;
    return true;
}

bool price_find(const char *text, double *value)
{
    price_reading r;
    if (!price_find_in_text(text, NULL, &r))
        return false;
    if (value)
        *value = r.amount;
    return true;
}
