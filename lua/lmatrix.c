/* The matrix userdata: creation, element access, arithmetic metamethods. This file owns the
 * matrix type's method table; other binding files contribute methods through lists declared
 * in lmuonlab.h (mlua_optim_matrix_methods). The shared argument helpers are in lauxml.c. */
#include "lmuonlab.h"
#include "error.h"
#include "ops.h"
#include <math.h>
#include <string.h>
#include <time.h>

/* ---- creation ---------------------------------------------------------- */

static ml_mat *newmat_alloc(lua_State *L, const char *fname, size_t r, size_t c, ml_dtype t)
{
    ml_mat *m = mlua_newmat(L);
    if (ml_mat_alloc(m, r, c, t)) mlua_core_error(L, fname);
    return m;
}

static const mlua_opt dtype_only[] = {
    {"dtype", "a string", "\"float64\"", "element type: \"float64\" or \"float32\""}, {NULL},
};

/* matrix(rows, cols [, fill] [, {dtype=}]) */
static int l_matrix(lua_State *L)
{
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    int oi = lua_istable(L, 3) ? 3 : 4;
    double fill = oi == 4 ? luaL_optnumber(L, 3, 0.0) : 0.0;
    mlua_checkopts(L, oi, dtype_only);
    ml_mat *m = newmat_alloc(L, "matrix", r, c, mlua_optdtype(L, oi, ML_F64));
    if (fill != 0.0) ml_mat_fill(m, fill);
    return 1;
}

static int l_zeros(lua_State *L)
{
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, dtype_only);
    newmat_alloc(L, "zeros", r, c, mlua_optdtype(L, 3, ML_F64));
    return 1;
}

static int l_ones(lua_State *L)
{
    size_t r = mlua_checkdim(L, 1), c = mlua_checkdim(L, 2);
    mlua_checkopts(L, 3, dtype_only);
    ml_mat_fill(newmat_alloc(L, "ones", r, c, mlua_optdtype(L, 3, ML_F64)), 1.0);
    return 1;
}

/* eye(n [, m] [, {dtype=}]) */
static int l_eye(lua_State *L)
{
    size_t n = mlua_checkdim(L, 1);
    int oi = lua_istable(L, 2) || lua_isnoneornil(L, 2) ? 2 : 3;
    size_t m = oi == 3 ? mlua_checkdim(L, 2) : n;
    mlua_checkopts(L, oi, dtype_only);
    ml_mat_set_eye(newmat_alloc(L, "eye", n, m, mlua_optdtype(L, oi, ML_F64)));
    return 1;
}

/* from_table{{...}, {...}} (rows) or from_table{1, 2, 3} (a column) */
static int l_from_table(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    mlua_checkopts(L, 2, dtype_only);
    ml_dtype t = mlua_optdtype(L, 2, ML_F64);
    size_t r = (size_t)lua_rawlen(L, 1);
    luaL_argcheck(L, r >= 1, 1, "empty table (a matrix needs at least one row)");
    lua_rawgeti(L, 1, 1);
    int nested = lua_istable(L, -1);
    size_t c = nested ? (size_t)lua_rawlen(L, -1) : 1;
    lua_pop(L, 1);
    luaL_argcheck(L, c >= 1, 1, "empty first row");
    ml_mat *m = newmat_alloc(L, "from_table", r, c, t);
    for (size_t i = 0; i < r; i++) {
        lua_rawgeti(L, 1, (lua_Integer)i + 1);
        if (nested) {
            if (!lua_istable(L, -1))
                return luaL_argerror(L, 1, lua_pushfstring(L, "row %d is not a table", (int)i + 1));
            if ((size_t)lua_rawlen(L, -1) != c)
                return luaL_argerror(L, 1, lua_pushfstring(L, "row %d has %d entries, expected %d", (int)i + 1,
                                                           (int)lua_rawlen(L, -1), (int)c));
            for (size_t j = 0; j < c; j++) {
                lua_rawgeti(L, -1, (lua_Integer)j + 1);
                int ok;
                double v = lua_tonumberx(L, -1, &ok);
                if (!ok)
                    return luaL_argerror(L, 1, lua_pushfstring(L, "entry (%d, %d) is not a number", (int)i + 1,
                                                               (int)j + 1));
                ml_mat_set(m, i, j, v);
                lua_pop(L, 1);
            }
        } else {
            int ok;
            double v = lua_tonumberx(L, -1, &ok);
            if (!ok) return luaL_argerror(L, 1, lua_pushfstring(L, "entry %d is not a number", (int)i + 1));
            ml_mat_set(m, i, 0, v);
        }
        lua_pop(L, 1);
    }
    return 1;
}

/* ---- methods ------------------------------------------------------------ */

static size_t checkindex(lua_State *L, int idx, size_t n)
{
    lua_Integer i = mlua_checkinteger(L, idx);
    if (i < 1 || (size_t)i > n)
        luaL_argerror(L, idx, lua_pushfstring(L, "index %d out of range 1..%d", (int)i, (int)n));
    return (size_t)(i - 1);
}

static int m_shape(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    lua_pushinteger(L, (lua_Integer)m->rows);
    lua_pushinteger(L, (lua_Integer)m->cols);
    return 2;
}

static int m_rows(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)mlua_checkmat(L, 1)->rows);
    return 1;
}

static int m_cols(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)mlua_checkmat(L, 1)->cols);
    return 1;
}

static int m_numel(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    lua_pushinteger(L, (lua_Integer)(m->rows * m->cols));
    return 1;
}

static int m_get(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    size_t i = checkindex(L, 2, m->rows), j = checkindex(L, 3, m->cols);
    lua_pushnumber(L, ml_mat_get(m, i, j));
    return 1;
}

static int m_set(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    size_t i = checkindex(L, 2, m->rows), j = checkindex(L, 3, m->cols);
    ml_mat_set(m, i, j, luaL_checknumber(L, 4));
    lua_settop(L, 1);
    return 1;
}

static int m_totable(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    lua_createtable(L, (int)m->rows, 0);
    for (size_t i = 0; i < m->rows; i++) {
        lua_createtable(L, (int)m->cols, 0);
        for (size_t j = 0; j < m->cols; j++) {
            lua_pushnumber(L, ml_mat_get(m, i, j));
            lua_rawseti(L, -2, (lua_Integer)j + 1);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* Entries in row-major order as one flat list. */
static int m_flat(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    lua_createtable(L, (int)(m->rows * m->cols), 0);
    lua_Integer k = 1;
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) {
            lua_pushnumber(L, ml_mat_get(m, i, j));
            lua_rawseti(L, -2, k++);
        }
    return 1;
}

static int m_t(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_transpose(o, m)) mlua_core_error(L, "t");
    return 1;
}

static int m_clone(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_clone(o, m, m->dtype)) mlua_core_error(L, "clone");
    return 1;
}

static int m_dtype(lua_State *L)
{
    lua_pushstring(L, ml_dtype_name(mlua_checkmat(L, 1)->dtype));
    return 1;
}

static int m_astype(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    ml_dtype t;
    if (ml_dtype_parse(luaL_checkstring(L, 2), &t)) luaL_argerror(L, 2, ml_errmsg());
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_clone(o, m, t)) mlua_core_error(L, "astype");
    return 1;
}

static int m_reshape(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    size_t r = mlua_checkdim(L, 2), c = mlua_checkdim(L, 3);
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_reshape(o, m, r, c)) mlua_core_error(L, "reshape");
    return 1;
}

/* A:view(i, j, rows, cols): a block sharing storage with A (1-based corner). */
static int m_view(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    lua_Integer i = mlua_checkinteger(L, 2), j = mlua_checkinteger(L, 3);
    lua_Integer r = mlua_checkinteger(L, 4), c = mlua_checkinteger(L, 5);
    luaL_argcheck(L, i >= 1, 2, "row index must be >= 1");
    luaL_argcheck(L, j >= 1, 3, "column index must be >= 1");
    luaL_argcheck(L, r >= 1, 4, "rows must be >= 1");
    luaL_argcheck(L, c >= 1, 5, "cols must be >= 1");
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_view(o, m, (size_t)i - 1, (size_t)j - 1, (size_t)r, (size_t)c)) mlua_core_error(L, "view");
    return 1;
}

static int m_fill(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    ml_mat_fill(m, luaL_checknumber(L, 2));
    lua_settop(L, 1);
    return 1;
}

/* A:copy_(B): A <- B (shapes equal; dtypes may differ). */
static int m_copy_(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1), *b = mlua_checkmat(L, 2);
    if (ml_mat_copy(a, b)) mlua_core_error(L, "copy_");
    lua_settop(L, 1);
    return 1;
}

/* A:add_(B [, alpha]): A <- A + alpha*B in place. */
static int m_add_(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1), *b = mlua_checkmat(L, 2);
    if (ml_axpy(a, luaL_optnumber(L, 3, 1.0), b)) mlua_core_error(L, "add_");
    lua_settop(L, 1);
    return 1;
}

/* A:axpby_(a, X, b, Y): A <- a*X + b*Y in place. */
static int m_axpby_(lua_State *L)
{
    ml_mat *z = mlua_checkmat(L, 1);
    double a = luaL_checknumber(L, 2);
    ml_mat *x = mlua_checkmat(L, 3);
    double b = luaL_checknumber(L, 4);
    ml_mat *y = mlua_checkmat(L, 5);
    if (ml_axpby(z, a, x, b, y)) mlua_core_error(L, "axpby_");
    lua_settop(L, 1);
    return 1;
}

static int m_scale_(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    ml_scale(a, luaL_checknumber(L, 2));
    lua_settop(L, 1);
    return 1;
}

/* A:mul_(B): A <- A .* B in place. */
static int m_mul_(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1), *b = mlua_checkmat(L, 2);
    if (ml_hadamard(a, a, b)) mlua_core_error(L, "mul_");
    lua_settop(L, 1);
    return 1;
}

static int m_isfinite(lua_State *L)
{
    lua_pushboolean(L, ml_mat_all_finite(mlua_checkmat(L, 1)));
    return 1;
}

static int m_sum(lua_State *L)
{
    ml_mat *m = mlua_checkmat(L, 1);
    double s = 0;
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) s += ml_mat_get(m, i, j);
    lua_pushnumber(L, s);
    return 1;
}

static int m_close(lua_State *L)
{
    ml_mat *m = luaL_checkudata(L, 1, MLUA_MATRIX);
    ml_mat_free(m);
    return 0;
}

/* The header line "muonlab.matrix RxC dtype"; the Lua library (muonlab/show.lua) adds the
 * entries below it when it installs the matrix's printed form. */
static int m_tostring(lua_State *L)
{
    ml_mat *m = luaL_checkudata(L, 1, MLUA_MATRIX);
    if (!m->buf)
        lua_pushliteral(L, "muonlab.matrix (closed)");
    else
        lua_pushfstring(L, "muonlab.matrix %dx%d %s", (int)m->rows, (int)m->cols, ml_dtype_name(m->dtype));
    return 1;
}

/* ---- arithmetic metamethods -------------------------------------------- */

static ml_mat *binary_result(lua_State *L, const char *op, ml_mat *a, ml_mat *b)
{
    if (!ml_mat_same_shape(a, b))
        luaL_error(L, "%s: shape mismatch (%dx%d and %dx%d)", op, (int)a->rows, (int)a->cols, (int)b->rows,
                   (int)b->cols);
    if (a->dtype != b->dtype)
        luaL_error(L, "%s: dtype mismatch (%s and %s; convert with :astype())", op, ml_dtype_name(a->dtype),
                   ml_dtype_name(b->dtype));
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_alloc(o, a->rows, a->cols, a->dtype)) mlua_core_error(L, op);
    return o;
}

static int arith(lua_State *L, const char *op, double sign)
{
    ml_mat *a = mlua_testmat(L, 1), *b = mlua_testmat(L, 2);
    if (a && b) {
        ml_mat *o = binary_result(L, op, a, b);
        ml_axpby(o, 1.0, a, sign, b);
        return 1;
    }
    /* matrix +/- scalar, scalar +/- matrix */
    int mi = a ? 1 : 2;
    ml_mat *m = a ? a : b;
    if (!m) return luaL_error(L, "%s: expected a matrix operand", op);
    if (!m->buf) return luaL_error(L, "%s: matrix has been closed", op);
    double s = luaL_checknumber(L, a ? 2 : 1);
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_clone(o, m, m->dtype)) mlua_core_error(L, op);
    if (mi == 2 && sign < 0) ml_scale(o, -1.0);   /* s - M = -M + s */
    double add = mi == 1 ? sign * s : s;
    for (size_t i = 0; i < o->rows; i++)
        for (size_t j = 0; j < o->cols; j++) ml_mat_set(o, i, j, ml_mat_get(o, i, j) + add);
    return 1;
}

static int m_add(lua_State *L) { return arith(L, "add", 1.0); }
static int m_sub(lua_State *L) { return arith(L, "sub", -1.0); }

static int m_unm(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_clone(o, a, a->dtype)) mlua_core_error(L, "unm");
    ml_scale(o, -1.0);
    return 1;
}

static int m_mul(lua_State *L)
{
    ml_mat *a = mlua_testmat(L, 1), *b = mlua_testmat(L, 2);
    if (a && b)
        return luaL_error(L, "mul: '*' of two matrices is ambiguous; use ml.matmul(A, B) or A:mm(B) for the "
                             "matrix product and ml.hadamard(A, B) for the elementwise one");
    ml_mat *m = a ? a : b;
    if (!m) return luaL_error(L, "mul: expected a matrix operand");
    double s = luaL_checknumber(L, a ? 2 : 1);
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_clone(o, m, m->dtype)) mlua_core_error(L, "mul");
    ml_scale(o, s);
    return 1;
}

static int m_div(lua_State *L)
{
    ml_mat *a = mlua_testmat(L, 1);
    if (!a || mlua_testmat(L, 2)) return luaL_error(L, "div: only matrix / number is defined");
    double s = luaL_checknumber(L, 2);
    ml_mat *o = mlua_newmat(L);
    if (ml_mat_clone(o, a, a->dtype)) mlua_core_error(L, "div");
    ml_scale(o, 1.0 / s);
    return 1;
}

/* ---- products ---------------------------------------------------------- */

static const mlua_opt matmul_opts[] = {
    {"ta", "a boolean", "false", "use A transposed"},
    {"tb", "a boolean", "false", "use B transposed"},
    {NULL},
};

/* matmul(A, B [, {ta=, tb=}]) -> op(A) op(B) */
static int l_matmul(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1), *b = mlua_checkmat(L, 2);
    mlua_checkopts(L, 3, matmul_opts);
    int ta = mlua_optboolean(L, 3, "ta", 0), tb = mlua_optboolean(L, 3, "tb", 0);
    size_t m = ta ? a->cols : a->rows, k = ta ? a->rows : a->cols;
    size_t kb = tb ? b->cols : b->rows, n = tb ? b->rows : b->cols;
    if (k != kb)
        return luaL_error(L, "matmul: inner dimensions differ (%dx%d times %dx%d)", (int)m, (int)k, (int)kb, (int)n);
    if (a->dtype != b->dtype)
        return luaL_error(L, "matmul: dtype mismatch (%s and %s)", ml_dtype_name(a->dtype), ml_dtype_name(b->dtype));
    ml_mat *o = newmat_alloc(L, "matmul", m, n, a->dtype);
    if (ml_gemm(o, 1.0, a, ta ? ML_TRANS : ML_NOTRANS, b, tb ? ML_TRANS : ML_NOTRANS, 0.0))
        mlua_core_error(L, "matmul");
    return 1;
}

static const mlua_opt gram_opts[] = {
    {"side", "a string", "\"rows\"", "\"rows\": A A^T; \"cols\": A^T A"}, {NULL},
};

/* gram(A [, {side = "rows" | "cols"}]) -> A A^T (default) or A^T A, via syrk */
static int l_gram(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    mlua_checkopts(L, 2, gram_opts);
    const char *side = mlua_optstring(L, 2, "side", "rows");
    int cols = !strcmp(side, "cols");
    if (!cols && strcmp(side, "rows")) mlua_opterror(L, 2, "side", "one of \"rows\", \"cols\"");
    size_t n = cols ? a->cols : a->rows;
    ml_mat *o = newmat_alloc(L, "gram", n, n, a->dtype);
    if (ml_syrk(o, 1.0, a, cols ? ML_TRANS : ML_NOTRANS, 0.0)) mlua_core_error(L, "gram");
    return 1;
}

static int l_hadamard(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1), *b = mlua_checkmat(L, 2);
    ml_mat *o = binary_result(L, "hadamard", a, b);
    ml_hadamard(o, a, b);
    return 1;
}

/* A number computed from finite input: a result beyond the double range is an error, not inf. */
static int push_result(lua_State *L, const char *fname, double v)
{
    if (!isfinite(v)) return luaL_error(L, "%s: the result is beyond the double range (%f)", fname, v);
    lua_pushnumber(L, v);
    return 1;
}

static int l_trace(lua_State *L) { return push_result(L, "trace", ml_trace(mlua_checkmat(L, 1))); }

static int l_dot(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1), *b = mlua_checkmat(L, 2);
    double d;
    if (ml_dot(a, b, &d)) mlua_core_error(L, "dot");
    return push_result(L, "dot", d);
}

/* norm(A [, kind]) with kind "fro" (default), "spectral" (or 2), "nuclear", "max" */
static int l_norm(lua_State *L)
{
    ml_mat *a = mlua_checkmat(L, 1);
    const char *kind = lua_type(L, 2) == LUA_TNUMBER && lua_tonumber(L, 2) == 2 ? "spectral" : luaL_optstring(L, 2, "fro");
    double v;
    if (!strcmp(kind, "fro"))
        v = ml_norm_fro(a);
    else if (!strcmp(kind, "max"))
        v = ml_norm_maxabs(a);
    else if (!strcmp(kind, "spectral") || !strcmp(kind, "nuclear")) {
        if ((kind[0] == 's' ? ml_norm_spectral(a, &v) : ml_norm_nuclear(a, &v))) mlua_core_error(L, "norm");
    } else
        return luaL_argerror(L, 2, lua_pushfstring(L, "unknown norm '%s' (expected fro, spectral, nuclear or max)", kind));
    return push_result(L, "norm", v);
}

static int l_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec);
    return 1;
}

static int l_ismatrix(lua_State *L)
{
    lua_pushboolean(L, mlua_testmat(L, 1) != NULL);
    return 1;
}

static const luaL_Reg methods[] = {
    {"shape", m_shape},     {"rows", m_rows},       {"cols", m_cols},         {"numel", m_numel},
    {"get", m_get},         {"set", m_set},         {"totable", m_totable},   {"flat", m_flat},
    {"t", m_t},             {"clone", m_clone},     {"dtype", m_dtype},       {"astype", m_astype},
    {"reshape", m_reshape}, {"view", m_view},       {"fill", m_fill},         {"copy_", m_copy_},
    {"add_", m_add_},       {"axpby_", m_axpby_},   {"scale_", m_scale_},     {"mul_", m_mul_},
    {"isfinite", m_isfinite}, {"sum", m_sum},       {"mm", l_matmul},         {"norm", l_norm},
    {"trace", l_trace},     {"dot", l_dot},         {"gram", l_gram},         {"close", m_close},
    {NULL, NULL},
};

static const luaL_Reg metamethods[] = {
    {"__gc", m_close},   {"__close", m_close}, {"__tostring", m_tostring}, {"__add", m_add},
    {"__sub", m_sub},    {"__unm", m_unm},     {"__mul", m_mul},           {"__div", m_div},
    {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"matrix", l_matrix},   {"zeros", l_zeros},       {"ones", l_ones},       {"eye", l_eye},
    {"from_table", l_from_table}, {"matmul", l_matmul}, {"gram", l_gram},     {"hadamard", l_hadamard},
    {"trace", l_trace},     {"dot", l_dot},           {"norm", l_norm},       {"now", l_now},
    {"ismatrix", l_ismatrix},
    {NULL, NULL},
};

void mlua_open_matrix(lua_State *L)
{
    if (luaL_newmetatable(L, MLUA_MATRIX)) {
        luaL_setfuncs(L, metamethods, 0);
        luaL_newlib(L, methods);
        luaL_setfuncs(L, mlua_optim_matrix_methods, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
    static const char *const creators[] = {"matrix", "zeros", "ones", "eye", "from_table", NULL};
    for (int i = 0; creators[i]; i++) mlua_register_opts(L, creators[i], dtype_only);
    mlua_register_opts(L, "matmul", matmul_opts);
    mlua_register_opts(L, "gram", gram_opts);
}
