/* Filling a caller's error buffer: how every module says why it failed. */
#ifndef LSCAN_ERROR_MESSAGE_H
#define LSCAN_ERROR_MESSAGE_H

#include <stddef.h>

/* Formats the message into error[0..size), cut to fit and always terminated;
 * does nothing when error is NULL or size is 0. Thread-safe: it writes only
 * the caller's buffer. */
void error_message_set(char *error, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
