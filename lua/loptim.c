/* Bindings of the optimizer kernels (core/optim_prims.h): every call writes into matrices the
 * caller owns, so a training loop allocates nothing after its first step (the Newton-Schulz
 * plan the optimizers keep, ml.ns_plan, is in lns.c).
 *   matrix methods (mlua_optim_matrix_methods; lmatrix.c registers them):
 *                   A:row_sums/row_means/row_sumsq/row_meansq([out]), the col_ versions,
 *                   A:median([work]), A:scale_rows_(v), A:scale_cols_(v), A:clip_(lo, hi),
 *                   A:sign_(), A:abs_(), A:sqrt_(), A:log1p_(), A:pow_(p [, shift]),
 *                   A:quantile(q [, work]), A:topk_(k [, work]), A:cosh_([a]), A:natural_()
 *   functions:      adam_moments_(m, v, g, b1, b2), adam_dir(dst, m, v, c1, c2, eps [, q]),
 *                   momentum_(mu, g, beta [, out, a, b]) */
#include "lmuonlab.h"
#include "error.h"
#include "optim_prims.h"
#include <math.h>

static double checkfinite_num(lua_State *L, int idx)
{
    double x = luaL_checknumber(L, idx);
    luaL_argcheck(L, isfinite(x), idx, "number must be finite");
    return x;
}

/* ---- reductions ---- */

/* The output at idx (checked, shape included) or a new matrix in A's dtype. */
static ml_mat *reduce_out(lua_State *L, int idx, const char *fname, const ml_mat *a, int per_row)
{
    size_t r = per_row ? a->rows : 1, c = per_row ? 1 : a->cols;
    if (lua_isnoneornil(L, idx)) {
        ml_mat *o = mlua_newmat(L);
        if (ml_mat_alloc(o, r, c, a->dtype)) mlua_core_error(L, fname);
        return o;
    }
    ml_mat *o = mlua_checkmat(L, idx);
    if (o->rows != r || o->cols != c)
        luaL_argerror(L, idx, lua_pushfstring(L, "output must be %d x %d, got %d x %d", (int)r, (int)c,
                                              (int)o->rows, (int)o->cols));
    lua_pushvalue(L, idx);
    return o;
}

static int reduce(lua_State *L, const char *fname, int per_row, int square, int mean)
{
    ml_mat *a = mlua_checkmat(L, 1);
    ml_mat *o = reduce_out(L, 2, fname, a, per_row);
    if (ml_optim_reduce(o, a, per_row, square, mean)) mlua_core_error(L, fname);
    return 1;
}

static int m_row_sums(lua_State *L) { return reduce(L, "row_sums", 1, 0, 0); }
static int m_row_means(lua_State *L) { return reduce(L, "row_means", 1, 0, 1); }
static int m_row_sumsq(lua_State *L) { return reduce(L, "row_sumsq", 1, 1, 0); }
static int m_row_meansq(lua_State *L) { return reduce(L, "row_meansq", 1, 1, 1); }
static int m_col_sums(lua_State *L) { return reduce(L, "col_sums", 0, 0, 0); }
static int m_col_means(lua_State *L) { return reduce(L, "col_means", 0, 0, 1); }
static int m_col_sumsq(lua_State *L) { return reduce(L, "col_sumsq", 0, 1, 0); }
static int m_col_meansq(lua_State *L) { return reduce(L, "col_meansq", 0, 1, 1); }

/* The workspace at idx for a selection over A's entries: a float64 matrix with >= numel(A)
 * entries (reused: no allocation), or a new one when absent (left on the stack). */
static ml_mat *select_work(lua_State *L, int idx, const ml_mat *a, const char *fname)
{
    if (lua_isnoneornil(L, idx)) {
        ml_mat *w = mlua_newmat(L);
        if (ml_mat_alloc(w, a->rows * a->cols, 1, ML_F64)) mlua_core_error(L, fname);
        return w;
    }
    ml_mat *w = mlua_checkmat(L, idx);
    luaL_argcheck(L, w->dtype == ML_F64 && ml_mat_is_contiguous(w) && w->rows * w->cols >= a->rows * a->cols, idx,
                  "workspace must be a contiguous float64 matrix with at least as many entries as the matrix");
    luaL_argcheck(L, w->buf != a->buf, idx, "workspace shares storage with the matrix");
    return w;
}

/* A:median([work]) */
static int m_median(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    ml_mat *w = select_work(L, 2, a, "median");
    double med;
    if (ml_optim_median(a, w, &med)) mlua_core_error(L, "median");
    lua_pushnumber(L, med);
    return 1;
}

/* A:quantile(q [, work]): linear interpolation at position q (n - 1), as numpy and torch */
static int m_quantile(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    double q = luaL_checknumber(L, 2);
    luaL_argcheck(L, q >= 0 && q <= 1, 2, "quantile must be in [0, 1]");
    ml_mat *w = select_work(L, 3, a, "quantile");
    double v;
    if (ml_optim_quantile(a, w, q, &v)) mlua_core_error(L, "quantile");
    lua_pushnumber(L, v);
    return 1;
}

/* A:topk_(k [, work]): keep the k largest |A_ij| (ties in row-major order), zero the rest */
static int m_topk_(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    lua_Integer k = luaL_checkinteger(L, 2);
    luaL_argcheck(L, k >= 1 && (size_t)k <= a->rows * a->cols, 2, "k must be in 1..numel");
    ml_mat *w = select_work(L, 3, a, "topk_");
    if (ml_optim_topk(a, (size_t)k, w)) mlua_core_error(L, "topk_");
    lua_settop(L, 1);
    return 1;
}

/* ---- in-place broadcasts and maps (return A) ---- */

static int scale(lua_State *L, const char *fname, int per_row)
{
    ml_mat *a = mlua_checkmat(L, 1), *v = mlua_checkmat(L, 2);
    size_t k = per_row ? a->rows : a->cols;
    if ((v->rows != 1 && v->cols != 1) || v->rows * v->cols != k)
        luaL_argerror(L, 2, lua_pushfstring(L, "vector with %d entries expected (k x 1 or 1 x k), got %d x %d", (int)k,
                                            (int)v->rows, (int)v->cols));
    if (ml_optim_scale(a, v, per_row)) mlua_core_error(L, fname);
    lua_settop(L, 1);
    return 1;
}

static int m_scale_rows_(lua_State *L) { return scale(L, "scale_rows_", 1); }
static int m_scale_cols_(lua_State *L) { return scale(L, "scale_cols_", 0); }

static int map(lua_State *L, const char *fname, ml_map_op op, double a, double b)
{
    ml_mat *m = mlua_checkmat(L, 1);
    if (ml_optim_map(m, op, a, b)) mlua_core_error(L, fname);
    lua_settop(L, 1);
    return 1;
}

static int m_sign_(lua_State *L) { return map(L, "sign_", ML_MAP_SIGN, 0, 0); }
static int m_abs_(lua_State *L) { return map(L, "abs_", ML_MAP_ABS, 0, 0); }
static int m_sqrt_(lua_State *L) { return map(L, "sqrt_", ML_MAP_SQRT, 0, 0); }
static int m_log1p_(lua_State *L) { return map(L, "log1p_", ML_MAP_LOG1P, 0, 0); }
static int m_natural_(lua_State *L) { return map(L, "natural_", ML_MAP_NATURAL, 0, 0); }

/* A:cosh_([a = 1]): A <- cosh(a A) */
static int m_cosh_(lua_State *L) { return map(L, "cosh_", ML_MAP_COSH, luaL_opt(L, checkfinite_num, 2, 1.0), 0); }

/* A:pow_(p [, shift]): A <- (A + shift)^p */
static int m_pow_(lua_State *L)
{
    double p = checkfinite_num(L, 2);
    double shift = luaL_opt(L, checkfinite_num, 3, 0.0);
    return map(L, "pow_", ML_MAP_POW, p, shift);
}

/* A:clip_(lo, hi); lo may be -math.huge, hi math.huge */
static int m_clip_(lua_State *L)
{
    double lo = luaL_checknumber(L, 2), hi = luaL_checknumber(L, 3);
    luaL_argcheck(L, !isnan(lo), 2, "bound is NaN");
    luaL_argcheck(L, !isnan(hi), 3, "bound is NaN");
    luaL_argcheck(L, lo <= hi, 3, "upper bound is below the lower bound");
    return map(L, "clip_", ML_MAP_CLIP, lo, hi);
}

/* ---- fused Adam ---- */

/* adam_moments_(m, v, g, b1, b2): m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2. Returns m, v. */
static int l_adam_moments_(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1), *v = mlua_checkmat(L, 2), *g = mlua_checkmat(L, 3);
    double b1 = checkfinite_num(L, 4), b2 = checkfinite_num(L, 5);
    mlua_checklike(L, 2, v, m, 1);
    mlua_checklike(L, 3, g, m, 1);
    luaL_argcheck(L, !ml_mat_shares(v, m), 2, "v shares storage with m (both are outputs)");
    if (ml_optim_adam_moments(m, v, g, b1, b2)) mlua_core_error(L, "adam_moments_");
    lua_settop(L, 2);
    return 2;
}

/* adam_dir(dst, m, v, c1, c2, eps [, q = 1]): dst <- (m/c1) / (sqrt(v/c2) + eps)^q. Returns dst. */
static int l_adam_dir(lua_State *L)
{
    ml_mat *d = mlua_checkmat(L, 1), *m = mlua_checkmat(L, 2), *v = mlua_checkmat(L, 3);
    double c1 = checkfinite_num(L, 4), c2 = checkfinite_num(L, 5), eps = checkfinite_num(L, 6);
    double q = luaL_opt(L, checkfinite_num, 7, 1.0);
    luaL_argcheck(L, c1 > 0, 4, "c1 must be > 0");
    luaL_argcheck(L, c2 > 0, 5, "c2 must be > 0");
    luaL_argcheck(L, eps >= 0, 6, "eps must be >= 0");
    mlua_checklike(L, 2, m, d, 1);
    mlua_checklike(L, 3, v, d, 1);
    if (ml_optim_adam_dir(d, m, v, c1, c2, eps, q)) mlua_core_error(L, "adam_dir");
    lua_settop(L, 1);
    return 1;
}

/* momentum_(mu, g, beta [, out, a, b]): mu <- beta mu + (1-beta) g, then out <- a mu + b g.
 * Returns mu (and out). Elementwise like axpby_: NaN/Inf propagate. */
static int l_momentum_(lua_State *L)
{
    ml_mat *mu = mlua_checkmat(L, 1), *g = mlua_checkmat(L, 2);
    double beta = checkfinite_num(L, 3);
    mlua_checklike(L, 2, g, mu, 1);
    luaL_argcheck(L, !ml_mat_shares(g, mu), 2, "the gradient shares storage with the momentum");
    ml_mat *out = lua_isnoneornil(L, 4) ? NULL : mlua_checkmat(L, 4);
    double a = 0, b = 0;
    if (out) {
        a = checkfinite_num(L, 5);
        b = checkfinite_num(L, 6);
        mlua_checklike(L, 4, out, mu, 1);
        luaL_argcheck(L, !ml_mat_shares(out, mu) && !ml_mat_shares(out, g), 4,
                      "the output shares storage with the momentum or the gradient");
    }
    if (ml_optim_momentum(mu, out, g, beta, a, b)) mlua_core_error(L, "momentum_");
    lua_settop(L, out ? 4 : 1);
    if (out) lua_remove(L, 2), lua_remove(L, 2);
    return out ? 2 : 1;
}

const luaL_Reg mlua_optim_matrix_methods[] = {
    {"row_sums", m_row_sums},       {"row_means", m_row_means},   {"row_sumsq", m_row_sumsq},
    {"row_meansq", m_row_meansq},   {"col_sums", m_col_sums},     {"col_means", m_col_means},
    {"col_sumsq", m_col_sumsq},     {"col_meansq", m_col_meansq}, {"median", m_median},
    {"scale_rows_", m_scale_rows_}, {"scale_cols_", m_scale_cols_}, {"clip_", m_clip_},
    {"sign_", m_sign_},             {"abs_", m_abs_},             {"sqrt_", m_sqrt_},
    {"log1p_", m_log1p_},           {"pow_", m_pow_},             {"quantile", m_quantile},
    {"topk_", m_topk_},             {"cosh_", m_cosh_},           {"natural_", m_natural_},
    {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"adam_moments_", l_adam_moments_}, {"adam_dir", l_adam_dir}, {"momentum_", l_momentum_}, {NULL, NULL},
};

void mlua_open_optim(lua_State *L)
{
    luaL_setfuncs(L, functions, 0);
}
