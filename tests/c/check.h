/* A plain C test runner: TEST(name) registers a test at load time; CHECK* record
 * failures with file, line and the numbers that differ. The runner (runner.c)
 * prints one line per failure and ends with "N passed, N failed". */
#ifndef ML_CHECK_H
#define ML_CHECK_H

#include <math.h>
#include <stdio.h>

void ml_test_register(const char *name, void (*fn)(void));
void ml_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                         \
    static void name(void);                                                \
    __attribute__((constructor)) static void register_##name(void)         \
    {                                                                      \
        ml_test_register(#name, name);                                     \
    }                                                                      \
    static void name(void)

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) ml_test_fail(__FILE__, __LINE__, "%s", #cond);        \
    } while (0)

/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol)                                              \
    do {                                                                   \
        double a_ = (a), b_ = (b), t_ = (tol);                             \
        if (!(fabs(a_ - b_) <= t_))                                        \
            ml_test_fail(__FILE__, __LINE__, "%s = %.17g, %s = %.17g, |diff| = %.3g > %.3g", \
                         #a, a_, #b, b_, fabs(a_ - b_), t_);               \
    } while (0)

/* |a - b| <= rtol * |b| */
#define CHECK_REL(a, b, rtol)                                              \
    do {                                                                   \
        double a_ = (a), b_ = (b), t_ = (rtol);                            \
        if (!(fabs(a_ - b_) <= t_ * fabs(b_)))                             \
            ml_test_fail(__FILE__, __LINE__, "%s = %.17g, %s = %.17g, rel diff = %.3g > %.3g", \
                         #a, a_, #b, b_, fabs(a_ - b_) / fabs(b_), t_);    \
    } while (0)

/* A core call that must succeed. */
#define CHECK_OK(call)                                                     \
    do {                                                                   \
        int rc_ = (call);                                                  \
        if (rc_ != 0) ml_test_fail(__FILE__, __LINE__, "%s failed (%d): %s", #call, rc_, ml_errmsg()); \
    } while (0)

#endif
