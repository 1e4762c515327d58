#include "rules/base/error_message.h"

#include <stdarg.h>
#include <stdio.h>

void error_message_set(char *error, size_t size, const char *format, ...)
{
    if (!error || !size)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(error, size, format, args);
    va_end(args);
}
