/* mail: sending the plans' reports by e-mail (docs/reports.md, "By e-mail")
 * through libcurl's SMTP, to the addresses of a small YAML file:
 *
 *   smtp: smtps://mail.example.gov.vn:465     # or smtp://HOST:587 (STARTTLS)
 *   from: lscan@skhcn.example.gov.vn
 *   to: [thanhtra@skhcn.example.gov.vn, ...]  # at most MAIL_MAX_RECIPIENTS
 *   username: lscan                            # optional
 *   password_env: LSCAN_SMTP_PASSWORD          # the password is read from this variable, never from the file
 *   tls: required                              # required (default) | none (only to a loopback server)
 *   timeout: 60                                # seconds for the whole message
 *   subject_prefix: "[lscan]"
 *
 * The message is MIME built by libcurl (curl_mime): a UTF-8 text part and
 * the report files as base64 attachments. Only smtp:// and smtps:// are
 * allowed, and TLS is required unless the server is on the loopback
 * interface (a relay on the same machine), so a password never crosses a
 * network in clear.
 *
 * Library code: nothing here prints. Thread-safety: a loaded config is
 * immutable and may be shared; mail_send is reentrant (its own curl handle). */
#ifndef LSCAN_MAIL_H
#define LSCAN_MAIL_H

#include <stddef.h>
#include <stdint.h>

#define MAIL_MAX_RECIPIENTS 50
#define MAIL_MAX_ATTACHMENT_BYTES (50u << 20) /* per file: a report, not an archive */

typedef enum mail_error {
    MAIL_OK = 0,
    MAIL_ERROR_CONFIG,   /* the config file is unreadable or wrong (the message names the line) */
    MAIL_ERROR_FILE,     /* an attachment cannot be read or is too big */
    MAIL_ERROR_SEND,     /* the SMTP server refused or could not be reached (the message says what it answered) */
    MAIL_ERROR_MEMORY
} mail_error;

/* A short English phrase for the error; static. */
const char *mail_strerror(mail_error e);

typedef struct mail_config mail_config;

/* Reads the YAML config at `path` into *out (the caller's, freed with
 * mail_config_destroy). Every mistake is named in `error` (file:line:col).
 * The password variable is read here, so a missing one is an error now,
 * not after the reports are made. */
mail_error mail_config_load(const char *path, mail_config **out, char *error, size_t error_size);
/* Frees the config (and wipes the password); NULL is a no-op. */
void mail_config_destroy(mail_config *c);
/* The recipients, for messages and the sent-marker: "a@x, b@y" (owned by the config). */
const char *mail_config_recipients(const mail_config *c);

typedef struct mail_attachment {
    const char *path;          /* the file to attach */
    const char *name;          /* its file name in the message (no folders) */
    const char *content_type;  /* e.g. "application/pdf" */
} mail_attachment;

typedef struct mail_message {
    const char *subject;       /* UTF-8; encoded (RFC 2047) here; the config's prefix goes first */
    const char *body;          /* UTF-8 plain text */
    const mail_attachment *attachments;
    size_t attachment_count;
    int64_t date_ms;           /* the Date: header (UTC ms) */
} mail_message;

/* Sends one message to every recipient of the config. MAIL_ERROR_SEND with
 * curl's reason and the server's last answer when the server refuses or
 * cannot be reached. */
mail_error mail_send(const mail_config *c, const mail_message *m, char *error, size_t error_size);

#endif
