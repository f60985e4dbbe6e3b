/* Error reporting for the muonlab core, GSL style: a routine that fails returns
 * a negative status and leaves a message here; the core never prints or exits. */
#ifndef ML_ERROR_H
#define ML_ERROR_H

enum { ML_OK = 0, ML_EINVAL = -1, ML_ENOMEM = -2, ML_ENUM = -3, ML_EIO = -4 };

/* Record a printf-style message and return `code` (so callers can `return ml_error(...)`). */
int ml_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message of the last failure in this thread. */
const char *ml_errmsg(void);

/* A name among n choices (case-insensitive) into *index, else ML_EINVAL with the message
 * "unknown <what> '<s>'; expected a, b or c": the one parser behind ml_precond_parse,
 * ml_sn_route_parse, ml_polar_method_parse, ... */
int ml_parse_choice(const char *what, const char *const names[], int n, const char *s, int *index);

#endif
