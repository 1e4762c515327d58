/* report_pdf: placeholder replaced below. */
#include "scanner/report/report.h"
#include "rules/base/error_message.h"
report_error report_write_pdf(const report_figures *f, const char *path, bool vi, char *error, size_t error_size)
{
    (void)f, (void)path, (void)vi;
    error_message_set(error, error_size, "pdf: not yet");
    return REPORT_ERROR_WRITE;
}
