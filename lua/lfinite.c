/* The NaN/Inf rule of the Lua API, in one place (README "NaN and Inf", issue 12 item 4).
 *
 * Every function and method that computes from matrices (products, norms, trace, dot, reductions,
 * decompositions, Newton-Schulz, the spectral maps, the metrics, poly_map, the optimizer kernels)
 * checks the matrix and number arguments it reads and raises
 *   bad argument #k to 'fn' (matrix contains NaN or Inf)
 * before computing. Element access, creators, copies, views, astype/round, save, the arithmetic
 * operators, the in-place elementwise methods (fill, add_, axpby_, scale_, mul_, scale_rows_,
 * clip_, sign_, ...) and the ml.nn layer kernels propagate IEEE values (a diverging training run
 * shows as a NaN loss). The lists below are that rule: mlua_guard_finite wraps each listed C
 * function so that the check runs before the function itself, in the same call frame (errors
 * still name the function as called). From finite inputs, a matrix result holding Inf or NaN
 * (an overflowing product: ml.hadamard of two 1e300 entries) is an error too, raised by the same
 * wrapper after the call (own_result_rule names the exceptions). */
#include "lmuonlab.h"
#include <math.h>
#include <string.h>

typedef struct guarded {
    const char *name;
    const char *args;   /* the argument positions read as input, "12" = #1 and #2 */
} guarded;

static const guarded functions[] = {
    {"matmul", "12"},        {"gram", "1"},         {"hadamard", "12"},     {"trace", "1"},
    {"dot", "12"},           {"norm", "1"},         {"svd", "1"},           {"singular_values", "1"},
    {"polar", "1"},          {"spectral", "1"},     {"ns", "1"},            {"orth_error", "1"},
    {"polar_distance", "12"}, {"poly_map", "2"},    {"adam_moments_", "123"}, {"adam_dir", "23"},
    {"qr", "1"},             {"spectral_clip", "1"}, {NULL, NULL},
};

static const guarded matrix_methods[] = {
    {"mm", "12"},         {"norm", "1"},       {"trace", "1"},       {"dot", "12"},        {"gram", "1"},
    {"sum", "1"},         {"row_sums", "1"},   {"row_means", "1"},   {"row_sumsq", "1"},   {"row_meansq", "1"},
    {"col_sums", "1"},    {"col_means", "1"},  {"col_sumsq", "1"},   {"col_meansq", "1"},  {"median", "1"},
    {"quantile", "12"},   {NULL, NULL},
};

static const guarded plan_methods[] = {{"run", "3"}, {NULL, NULL}};

/* Functions whose result the wrapper leaves alone: ns and plan:run raise on a non-finite result
 * themselves (no second pass over it), poly_map reports +-inf where a composed map overflows (its
 * documented answer, issue 13 item 6). */
static int own_result_rule(const char *name)
{
    return !strcmp(name, "ns") || !strcmp(name, "run") || !strcmp(name, "poly_map");
}

static int guard(lua_State *L)
{
    lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
    for (const char *a = lua_tostring(L, lua_upvalueindex(2)); *a; a++) {
        int k = *a - '0';
        ml_mat *m = mlua_testmat(L, k);
        if (m && m->buf) mlua_checkfinite(L, k, m);
        if (lua_type(L, k) == LUA_TNUMBER && !isfinite(lua_tonumber(L, k))) luaL_argerror(L, k, "number is NaN or Inf");
    }
    int n = f(L);
    if (lua_toboolean(L, lua_upvalueindex(3))) return n;
    for (int i = lua_gettop(L) - n + 1; i <= lua_gettop(L); i++) {
        ml_mat *m = mlua_testmat(L, i);
        if (m && m->buf && !ml_mat_all_finite(m))
            luaL_error(L, "%s: the result is beyond the %s range (finite inputs gave Inf or NaN)",
                       lua_tostring(L, lua_upvalueindex(4)), ml_dtype_name(m->dtype));
    }
    return n;
}

/* Wrap table[name] for every entry of list; the table is at the top of the stack. A listed name
 * that is not a C function of the table is a programming error, reported when the module loads. */
static void wrap(lua_State *L, const guarded *list, const char *where)
{
    for (const guarded *g = list; g->name; g++) {
        lua_getfield(L, -1, g->name);
        if (!lua_iscfunction(L, -1) || lua_getupvalue(L, -1, 1)) {
            luaL_error(L, "muonlab: the NaN/Inf rule lists %s.%s, which is not a plain C function", where, g->name);
        }
        lua_pushstring(L, g->args);
        lua_pushboolean(L, own_result_rule(g->name));
        lua_pushstring(L, g->name);
        lua_pushcclosure(L, guard, 4);
        lua_setfield(L, -2, g->name);
    }
}

/* Apply the rule to the module table at the top of the stack (after every mlua_open_*). */
void mlua_guard_finite(lua_State *L)
{
    wrap(L, functions, "muonlab");
    const struct {
        const char *type;
        const guarded *list;
    } types[] = {{MLUA_MATRIX, matrix_methods}, {"muonlab.ns_workspace", plan_methods}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (luaL_getmetatable(L, types[i].type) == LUA_TTABLE && lua_getfield(L, -1, "__index") == LUA_TTABLE) {
            wrap(L, types[i].list, types[i].type);
            lua_pop(L, 1);
        } else {
            luaL_error(L, "muonlab: the NaN/Inf rule lists methods of %s, which has no method table", types[i].type);
        }
        lua_pop(L, 1);
    }
}
