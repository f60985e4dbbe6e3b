#include "error.h"
#include <stdarg.h>
#include <stdio.h>

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
