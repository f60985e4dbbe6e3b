/* Bindings of the optimizer kernels (core/optim_prims.h) and of the Newton-Schulz plan the
 * optimizers keep: every call writes into matrices the caller owns, so a training loop
 * allocates nothing after its first step.
 *   matrix methods (mlua_optim_matrix_methods; lmatrix.c registers them):
 *                   A:row_sums/row_means/row_sumsq/row_meansq([out]), the col_ versions,
 *                   A:median([work]), A:scale_rows_(v), A:scale_cols_(v), A:clip_(lo, hi),
 *                   A:sign_(), A:abs_(), A:sqrt_(), A:log1p_(), A:pow_(p [, shift])
 *   functions:      adam_moments_(m, v, g, b1, b2), adam_dir(dst, m, v, c1, c2, eps [, q]),
 *                   ns_plan(opts) -> plan; plan:run(out, G), plan:allocations() */
#include "lmuonlab.h"
#include "coeffs.h"
#include "error.h"
#include "ns.h"
#include "optim_prims.h"
#include <math.h>
#include <string.h>

#define NS_PLAN "muonlab.ns_plan"

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
    if (o->buf == a->buf) luaL_argerror(L, idx, "output shares storage with the matrix");
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

/* A:median([work]): work a float64 matrix with >= numel(A) entries (reused: no allocation). */
static int m_median(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    ml_mat *w;
    if (lua_isnoneornil(L, 2)) {
        w = mlua_newmat(L);
        if (ml_mat_alloc(w, a->rows * a->cols, 1, ML_F64)) mlua_core_error(L, "median");
    } else {
        w = mlua_checkmat(L, 2);
        luaL_argcheck(L, w->dtype == ML_F64 && ml_mat_is_contiguous(w) && w->rows * w->cols >= a->rows * a->cols, 2,
                      "workspace must be a contiguous float64 matrix with at least as many entries as the matrix");
        luaL_argcheck(L, w->buf != a->buf, 2, "workspace shares storage with the matrix");
    }
    double med;
    if (ml_optim_median(a, w, &med)) mlua_core_error(L, "median");
    lua_pushnumber(L, med);
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

static void check_like(lua_State *L, int idx, const ml_mat *x, const ml_mat *ref, int refidx)
{
    if (!ml_mat_same_shape(x, ref))
        luaL_argerror(L, idx, lua_pushfstring(L, "shape %d x %d does not match argument #%d (%d x %d)", (int)x->rows,
                                              (int)x->cols, refidx, (int)ref->rows, (int)ref->cols));
    if (x->dtype != ref->dtype)
        luaL_argerror(L, idx, lua_pushfstring(L, "dtype %s does not match argument #%d (%s)", ml_dtype_name(x->dtype),
                                              refidx, ml_dtype_name(ref->dtype)));
}

/* adam_moments_(m, v, g, b1, b2): m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2. Returns m, v. */
static int l_adam_moments_(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1), *v = mlua_checkmat(L, 2), *g = mlua_checkmat(L, 3);
    double b1 = checkfinite_num(L, 4), b2 = checkfinite_num(L, 5);
    check_like(L, 2, v, m, 1);
    check_like(L, 3, g, m, 1);
    luaL_argcheck(L, v->buf != m->buf, 2, "v shares storage with m");
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
    check_like(L, 2, m, d, 1);
    check_like(L, 3, v, d, 1);
    if (ml_optim_adam_dir(d, m, v, c1, c2, eps, q)) mlua_core_error(L, "adam_dir");
    lua_settop(L, 1);
    return 1;
}

/* ---- Newton-Schulz plan: schedule, options and workspace parsed and allocated once ---- */

typedef struct ns_plan {
    ml_schedule sch;
    ml_ns_opts o;
    ml_ns_work w;
} ns_plan;

static ns_plan *checkplan(lua_State *L, int idx) { return luaL_checkudata(L, idx, NS_PLAN); }

static int plan_gc(lua_State *L)
{
    ns_plan *p = checkplan(L, 1);
    ml_schedule_free(&p->sch);
    ml_ns_work_free(&p->w);
    return 0;
}

static void optenum(lua_State *L, int oi, const char *key, const char *def, int (*parse)(const char *, void *),
                    void *out, const char *choices)
{
    const char *s = mlua_optstring(L, oi, key, def);
    if (s && parse(s, out)) mlua_opterror(L, oi, key, choices);
}

static int parse_precond(const char *s, void *out) { return ml_precond_parse(s, out); }
static int parse_form(const char *s, void *out) { return ml_ns_form_parse(s, out); }
static int parse_precision(const char *s, void *out) { return ml_precision_parse(s, out); }

/* ns_plan{coeffs = "jordan", steps =, eps = 1e-7, precond = "frobenius", power_steps = 12,
 *         precision = (the input's), form = "direct", restart = 0} -> plan
 * The options of ml.ns, fixed once; plan:run(out, G) writes NS(G) into out. */
static int l_ns_plan(lua_State *L)
{
    mlua_checkopts_n(L, 1, mlua_ns_opts, NS_PLAN_OPTS);
    ns_plan *p = lua_newuserdatauv(L, sizeof *p, 0);
    memset(p, 0, sizeof *p);
    ml_ns_work_init(&p->w);
    luaL_setmetatable(L, NS_PLAN);   /* from here on __gc frees whatever is allocated */
    ml_ns_opts_default(&p->o);
    lua_Integer steps = mlua_optinteger(L, 1, "steps", 0);
    if (steps < 0 || steps > 1000) mlua_opterror(L, 1, "steps", "an integer in 1..1000");
    p->o.eps = mlua_optnumber(L, 1, "eps", p->o.eps);
    if (!(p->o.eps >= 0 && isfinite(p->o.eps))) mlua_opterror(L, 1, "eps", "a finite number >= 0");
    optenum(L, 1, "precond", "frobenius", parse_precond, &p->o.precond, "one of \"frobenius\", \"spectral\", \"aol\", \"schatten\", \"none\"");
    optenum(L, 1, "form", "direct", parse_form, &p->o.form, "one of \"direct\", \"gram\"");
    ml_precision prec;
    if (mlua_optstring(L, 1, "precision", NULL)) {
        optenum(L, 1, "precision", NULL, parse_precision, &prec, "one of \"fp64\", \"fp32\", \"bf16\", \"fp16\"");
        p->o.precision = (int)prec;
    } else {
        p->o.precision = ML_NS_PRECISION_AUTO;
    }
    lua_Integer ps = mlua_optinteger(L, 1, "power_steps", ML_NS_POWER_STEPS);
    if (ps < 1 || ps > ML_NS_MAX_POWER_STEPS) mlua_opterror(L, 1, "power_steps", "an integer in 1..64");
    p->o.power_steps = (int)ps;
    lua_Integer restart = mlua_optinteger(L, 1, "restart", 0);
    if (restart < 0 || restart > 1000) mlua_opterror(L, 1, "restart", "an integer in 0..1000");
    p->o.restart = (int)restart;
    if (lua_istable(L, 1))
        lua_getfield(L, 1, "coeffs");
    else
        lua_pushnil(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushliteral(L, "jordan");
    }
    ml_schedule tmp;
    mlua_toschedule(L, -1, (int)steps, &tmp);   /* raises before allocating */
    p->sch = tmp;
    lua_pop(L, 1);
    return 1;
}

/* plan:run(out, G) -> out: out <- NS(G), out of G's shape and dtype, not sharing its storage. */
static int plan_run(lua_State *L)
{
    ns_plan *p = checkplan(L, 1);
    ml_mat *out = mlua_checkmat(L, 2), *g = mlua_checkmat(L, 3);
    check_like(L, 2, out, g, 3);
    luaL_argcheck(L, out->buf != g->buf, 2, "output shares storage with the input");
    luaL_argcheck(L, out->buf->refs == 1 && out->data == out->buf->data && ml_mat_is_contiguous(out), 2,
                  "output must be a matrix that owns its storage (not a view, no views of it)");
    if (ml_ns(out, g, &p->sch, &p->o, &p->w)) mlua_core_error(L, "run");
    lua_settop(L, 2);
    return 1;
}

static int plan_allocations(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)checkplan(L, 1)->w.allocs);
    return 1;
}

static int plan_steps(lua_State *L)
{
    lua_pushinteger(L, checkplan(L, 1)->sch.steps);
    return 1;
}

static int plan_tostring(lua_State *L)
{
    ns_plan *p = checkplan(L, 1);
    lua_pushfstring(L, "ns_plan(%d steps, %s, %d allocations)", p->sch.steps, ml_precond_name(p->o.precond),
                    (int)p->w.allocs);
    return 1;
}

const luaL_Reg mlua_optim_matrix_methods[] = {
    {"row_sums", m_row_sums},       {"row_means", m_row_means},   {"row_sumsq", m_row_sumsq},
    {"row_meansq", m_row_meansq},   {"col_sums", m_col_sums},     {"col_means", m_col_means},
    {"col_sumsq", m_col_sumsq},     {"col_meansq", m_col_meansq}, {"median", m_median},
    {"scale_rows_", m_scale_rows_}, {"scale_cols_", m_scale_cols_}, {"clip_", m_clip_},
    {"sign_", m_sign_},             {"abs_", m_abs_},             {"sqrt_", m_sqrt_},
    {"log1p_", m_log1p_},           {"pow_", m_pow_},             {NULL, NULL},
};

static const luaL_Reg plan_methods[] = {
    {"run", plan_run}, {"allocations", plan_allocations}, {"steps", plan_steps}, {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"adam_moments_", l_adam_moments_}, {"adam_dir", l_adam_dir}, {"ns_plan", l_ns_plan}, {NULL, NULL},
};

void mlua_open_optim(lua_State *L)
{
    if (luaL_newmetatable(L, NS_PLAN)) {
        lua_pushcfunction(L, plan_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, plan_tostring);
        lua_setfield(L, -2, "__tostring");
        luaL_newlib(L, plan_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
    mlua_register_opts_n(L, "ns_plan", mlua_ns_opts, NS_PLAN_OPTS);
}
