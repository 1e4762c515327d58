/* Bytes as lower-case hexadecimal: see hex.h. */
#include "rules/base/hex.h"

void hex_encode(const void *bytes, size_t count, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = bytes;
    for (size_t i = 0; i < count; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * count] = '\0';
}
