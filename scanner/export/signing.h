/* signing: the department's Ed25519 key pair (libsodium) that signs
 * evidence packages (docs/evidence.md, "Keys").
 *
 * Files: the secret key is one line "lscan-ed25519-secret BASE64(64 bytes)"
 * (mode 0600), the public key one line "lscan-ed25519-public BASE64(32
 * bytes)". The fingerprint is the first 16 bytes of SHA-256 of the public
 * key, as hex in groups of four ("3f2a 9c01 ..."), short enough to read
 * aloud over the phone. Functions are thread-safe (no shared state). */
#ifndef LSCAN_SIGNING_H
#define LSCAN_SIGNING_H

#include <stdbool.h>
#include <stddef.h>

typedef enum signing_error {
    SIGNING_OK = 0,
    SIGNING_ERROR_IO,         /* a key file cannot be read or written */
    SIGNING_ERROR_FORMAT,     /* not a key file of this kind */
    SIGNING_ERROR_EXISTS,     /* the key file is there already (never overwritten) */
    SIGNING_ERROR_CRYPTO,     /* libsodium failed to start */
    SIGNING_ERROR_BAD_SIGNATURE
} signing_error;

const char *signing_strerror(signing_error e);

#define SIGNING_PUBLIC_BYTES 32
#define SIGNING_SECRET_BYTES 64
#define SIGNING_SIGNATURE_BYTES 64
#define SIGNING_FINGERPRINT_SIZE 40   /* "xxxx xxxx ... xxxx" and a NUL */

/* Makes a key pair and writes SECRET_PATH (0600, refused when it exists)
 * and PUBLIC_PATH. */
signing_error signing_generate(const char *secret_path, const char *public_path, char fingerprint[SIGNING_FINGERPRINT_SIZE],
                               char *detail, size_t detail_size);
signing_error signing_read_secret(const char *path, unsigned char secret[SIGNING_SECRET_BYTES], char *detail,
                                  size_t detail_size);
/* A public key from its file, or from the text "lscan-ed25519-public B64" or plain base64. */
signing_error signing_read_public(const char *path_or_text, unsigned char public_key[SIGNING_PUBLIC_BYTES],
                                  char *detail, size_t detail_size);
void signing_public_of(const unsigned char secret[SIGNING_SECRET_BYTES], unsigned char public_key[SIGNING_PUBLIC_BYTES]);
void signing_fingerprint(const unsigned char public_key[SIGNING_PUBLIC_BYTES], char out[SIGNING_FINGERPRINT_SIZE]);

/* Detached signature of message, base64 (out at least 89 bytes). */
signing_error signing_sign(const unsigned char secret[SIGNING_SECRET_BYTES], const void *message, size_t length,
                           char *signature_b64, size_t size);
/* SIGNING_OK when signature_b64 is public_key's signature of message. */
signing_error signing_check(const unsigned char public_key[SIGNING_PUBLIC_BYTES], const void *message, size_t length,
                            const char *signature_b64);

/* Base64 (standard alphabet, padded) of bytes (libsodium's). */
void signing_base64(const unsigned char *bytes, size_t length, char *out, size_t size);
/* Decodes base64 into exactly `length` bytes: 0, or -1. */
int signing_unbase64(const char *text, unsigned char *out, size_t length);

#endif
