#include "error.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static _Thread_local char errbuf[512];

int ml_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return code;
}

const char *ml_errmsg(void) { return errbuf; }

int ml_parse_choice(const char *what, const char *const names[], int n, const char *s, int *index)
{
    for (int i = 0; i < n; i++)
        if (!strcasecmp(s, names[i])) {
            *index = i;
            return ML_OK;
        }
    char list[256] = "";
    for (int i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", sep, names[i]);
    }
    return ml_error(ML_EINVAL, "unknown %s '%s'; expected %s", what, s, list);
}
