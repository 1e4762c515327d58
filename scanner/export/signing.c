/* signing: see signing.h. */
#include "scanner/export/signing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "rules/base/error_message.h"

#define SECRET_TAG "lscan-ed25519-secret "
#define PUBLIC_TAG "lscan-ed25519-public "
#define DETAIL(...) error_message_set(detail, detail_size, __VA_ARGS__)

const char *signing_strerror(signing_error e)
{
    switch (e) {
    case SIGNING_OK: return "ok";
    case SIGNING_ERROR_IO: return "cannot read or write the key file";
    case SIGNING_ERROR_FORMAT: return "not an lscan key";
    case SIGNING_ERROR_EXISTS: return "the key file exists already";
    case SIGNING_ERROR_CRYPTO: return "libsodium could not start";
    case SIGNING_ERROR_BAD_SIGNATURE: return "the signature does not match";
    }
    return "unknown error";
}

void signing_base64(const unsigned char *bytes, size_t length, char *out, size_t size)
{
    if (size < sodium_base64_ENCODED_LEN(length, sodium_base64_VARIANT_ORIGINAL)) {
        if (size)
            out[0] = '\0';
        return;
    }
    sodium_bin2base64(out, size, bytes, length, sodium_base64_VARIANT_ORIGINAL);
}

int signing_unbase64(const char *text, unsigned char *out, size_t length)
{
    size_t got = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, length, text, strlen(text), " \t\r\n", &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    while (end && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    return got == length && end && !*end ? 0 : -1;
}

void signing_fingerprint(const unsigned char public_key[SIGNING_PUBLIC_BYTES], char out[SIGNING_FINGERPRINT_SIZE])
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(public_key, SIGNING_PUBLIC_BYTES, digest, &n, EVP_sha256(), NULL);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        o += (size_t)snprintf(out + o, SIGNING_FINGERPRINT_SIZE - o, "%02x", digest[i]);
        if (i % 2 == 1 && i < 15)
            out[o++] = ' ';
    }
    out[o] = '\0';
}

void signing_public_of(const unsigned char secret[SIGNING_SECRET_BYTES], unsigned char public_key[SIGNING_PUBLIC_BYTES])
{
    crypto_sign_ed25519_sk_to_pk(public_key, secret);
}

static signing_error write_line(const char *path, const char *line, mode_t mode, bool exclusive, char *detail,
                                size_t detail_size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), mode);
    if (fd < 0) {
        if (errno == EEXIST) {
            DETAIL("%s exists already: a key is never overwritten (move it away first)", path);
            return SIGNING_ERROR_EXISTS;
        }
        DETAIL("%s: %s", path, strerror(errno));
        return SIGNING_ERROR_IO;
    }
    size_t length = strlen(line);
    bool ok = write(fd, line, length) == (ssize_t)length && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok) {
        DETAIL("%s: %s", path, strerror(saved));
        return SIGNING_ERROR_IO;
    }
    return SIGNING_OK;
}

signing_error signing_generate(const char *secret_path, const char *public_path, char fingerprint[SIGNING_FINGERPRINT_SIZE],
                               char *detail, size_t detail_size)
{
    if (sodium_init() < 0) {
        DETAIL("libsodium could not start");
        return SIGNING_ERROR_CRYPTO;
    }
    unsigned char pk[SIGNING_PUBLIC_BYTES], sk[SIGNING_SECRET_BYTES];
    crypto_sign_keypair(pk, sk);
    char b64[128], line[256];
    signing_base64(sk, sizeof sk, b64, sizeof b64);
    snprintf(line, sizeof line, SECRET_TAG "%s\n", b64);
    sodium_memzero(sk, sizeof sk);
    signing_error e = write_line(secret_path, line, 0600, true, detail, detail_size);
    sodium_memzero(line, sizeof line);
    sodium_memzero(b64, sizeof b64);
    if (e != SIGNING_OK)
        return e;
    signing_base64(pk, sizeof pk, b64, sizeof b64);
    snprintf(line, sizeof line, PUBLIC_TAG "%s\n", b64);
    e = write_line(public_path, line, 0644, false, detail, detail_size);
    signing_fingerprint(pk, fingerprint);
    return e;
}

static signing_error read_tagged(const char *path, const char *tag, unsigned char *out, size_t length, char *detail,
                                 size_t detail_size)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        DETAIL("%s: %s", path, strerror(errno));
        return SIGNING_ERROR_IO;
    }
    char line[512];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    signing_error e = SIGNING_OK;
    if (!got || strncmp(line, tag, strlen(tag)) || signing_unbase64(line + strlen(tag), out, length) < 0) {
        DETAIL("%s: not an lscan key file (a line \"%s...\")", path, tag);
        e = SIGNING_ERROR_FORMAT;
    }
    sodium_memzero(line, sizeof line);
    return e;
}

signing_error signing_read_secret(const char *path, unsigned char secret[SIGNING_SECRET_BYTES], char *detail,
                                  size_t detail_size)
{
    if (sodium_init() < 0)
        return SIGNING_ERROR_CRYPTO;
    return read_tagged(path, SECRET_TAG, secret, SIGNING_SECRET_BYTES, detail, detail_size);
}

signing_error signing_read_public(const char *path_or_text, unsigned char public_key[SIGNING_PUBLIC_BYTES],
                                  char *detail, size_t detail_size)
{
    if (sodium_init() < 0)
        return SIGNING_ERROR_CRYPTO;
    if (!strncmp(path_or_text, PUBLIC_TAG, strlen(PUBLIC_TAG)))
        return signing_unbase64(path_or_text + strlen(PUBLIC_TAG), public_key, SIGNING_PUBLIC_BYTES) == 0
                   ? SIGNING_OK
                   : SIGNING_ERROR_FORMAT;
    if (access(path_or_text, R_OK) == 0)
        return read_tagged(path_or_text, PUBLIC_TAG, public_key, SIGNING_PUBLIC_BYTES, detail, detail_size);
    if (signing_unbase64(path_or_text, public_key, SIGNING_PUBLIC_BYTES) == 0)
        return SIGNING_OK;
    DETAIL("%s: neither a public key file nor a key", path_or_text);
    return SIGNING_ERROR_FORMAT;
}

signing_error signing_sign(const unsigned char secret[SIGNING_SECRET_BYTES], const void *message, size_t length,
                           char *signature_b64, size_t size)
{
    if (sodium_init() < 0)
        return SIGNING_ERROR_CRYPTO;
    unsigned char signature[SIGNING_SIGNATURE_BYTES];
    crypto_sign_detached(signature, NULL, message, length, secret);
    signing_base64(signature, sizeof signature, signature_b64, size);
    return SIGNING_OK;
}

signing_error signing_check(const unsigned char public_key[SIGNING_PUBLIC_BYTES], const void *message, size_t length,
                            const char *signature_b64)
{
    if (sodium_init() < 0)
        return SIGNING_ERROR_CRYPTO;
    unsigned char signature[SIGNING_SIGNATURE_BYTES];
    if (!signature_b64 || signing_unbase64(signature_b64, signature, sizeof signature) < 0)
        return SIGNING_ERROR_BAD_SIGNATURE;
    return crypto_sign_verify_detached(signature, message, length, public_key) == 0 ? SIGNING_OK
                                                                                   : SIGNING_ERROR_BAD_SIGNATURE;
}
