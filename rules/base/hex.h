/* hex: bytes as lower-case hexadecimal (digests, ids). */
#ifndef LSCAN_HEX_H
#define LSCAN_HEX_H

#include <stddef.h>

/* Writes the 2 * count lower-case hex digits of bytes[0..count) and a NUL
 * into out (2 * count + 1 bytes). A table lookup per nibble: a page's
 * SHA-256 was 32 snprintf calls. Pure; thread-safe. */
void hex_encode(const void *bytes, size_t count, char *out);

#endif
