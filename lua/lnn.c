/* ml.nn: layer kernels for the models in lua/muonlab/models (core/nn.h). All write into
 * matrices the caller owns, so a training loop allocates nothing per step. Labels, token ids
 * and row indices are 0-based integers stored in matrices; `first` positions are 1-based.
 * Shapes, dtypes, labels and ids are checked; NaN/Inf in activations are not an error here
 * (a diverging run must report a NaN loss, not stop a learning-rate sweep). */
#include "lmuonlab.h"
#include "attention.h"
#include "nn.h"
#include "norm.h"
#include "ops.h"
#include <math.h>

/* Core messages start with the kernel's name: "linear_forward: output must be ...". */
static int nn_error(lua_State *L) { return luaL_error(L, "nn.%s", ml_errmsg()); }

static ml_mat *optmat(lua_State *L, int idx) { return lua_isnoneornil(L, idx) ? NULL : mlua_checkmat(L, idx); }

/* The output at argument `out` must not share storage with the matrix at `in` (issue 12 item 3:
 * a kernel writing its output while reading an overlapping input would return a wrong answer).
 * Elementwise kernels may run in place on the identical view. Absent (nil) arguments pass. */
static void distinct(lua_State *L, int out, int in, int elementwise)
{
    ml_mat *o = mlua_testmat(L, out), *i = mlua_testmat(L, in);
    if (o && i && (elementwise ? ml_mat_overlap(o, i) : ml_mat_shares(o, i)))
        luaL_argerror(L, in, lua_pushfstring(L, "shares storage with the output (argument #%d)%s", out,
                                             elementwise ? " other than as the same view" : ""));
}

/* linear_forward(Y, X, W[, b]): Y = X W^T + b */
static int l_linear_forward(lua_State *L)
{
    ml_mat *Y = mlua_checkmat(L, 1), *X = mlua_checkmat(L, 2), *W = mlua_checkmat(L, 3), *b = optmat(L, 4);
    for (int i = 2; i <= 4; i++) distinct(L, 1, i, 0);
    if (ml_nn_linear_forward(Y, X, W, b)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* linear_backward(dX|nil, dW|nil, db|nil, dY, X, W[, accumulate]) */
static int l_linear_backward(lua_State *L)
{
    ml_mat *dX = optmat(L, 1), *dW = optmat(L, 2), *db = optmat(L, 3);
    ml_mat *dY = mlua_checkmat(L, 4), *X = mlua_checkmat(L, 5), *W = mlua_checkmat(L, 6);
    for (int o = 1; o <= 3; o++)
        for (int i = o + 1; i <= 6; i++) distinct(L, o, i, 0);
    if (ml_nn_linear_backward(dX, dW, db, dY, X, W, lua_toboolean(L, 7))) return nn_error(L);
    return 0;
}

/* bias_add(Y, b): Y[i,:] += b */
static int l_bias_add(lua_State *L)
{
    ml_mat *Y = mlua_checkmat(L, 1), *b = mlua_checkmat(L, 2);
    distinct(L, 1, 2, 1);
    if (ml_nn_bias_add(Y, b)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* bias_backward(db, dY[, beta = 0]): db = beta db + column sums of dY */
static int l_bias_backward(lua_State *L)
{
    ml_mat *db = mlua_checkmat(L, 1), *dY = mlua_checkmat(L, 2);
    distinct(L, 1, 2, 0);
    if (ml_nn_bias_backward(db, dY, luaL_optnumber(L, 3, 0.0))) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

typedef int (*unary_fn)(ml_mat *, const ml_mat *);
typedef int (*backward_fn)(ml_mat *, const ml_mat *, const ml_mat *);

static int unary(lua_State *L, unary_fn f)
{
    ml_mat *Y = mlua_checkmat(L, 1), *X = mlua_checkmat(L, 2);
    distinct(L, 1, 2, f != ml_nn_softmax);   /* softmax reads a whole row: no in-place */
    if (f(Y, X)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

static int backward(lua_State *L, backward_fn f)
{
    ml_mat *dX = mlua_checkmat(L, 1), *dY = mlua_checkmat(L, 2), *X = mlua_checkmat(L, 3);
    distinct(L, 1, 2, 1);
    distinct(L, 1, 3, 1);
    if (f(dX, dY, X)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

static int l_relu_forward(lua_State *L) { return unary(L, ml_nn_relu_forward); }
static int l_relu_backward(lua_State *L) { return backward(L, ml_nn_relu_backward); }
/* gelu_forward(Y, X[, Tk]): Tk keeps tanh(u) for gelu_backward(dX, dY, X[, Tk]) */
static int l_gelu_forward(lua_State *L)
{
    ml_mat *Y = mlua_checkmat(L, 1), *X = mlua_checkmat(L, 2), *Tk = optmat(L, 3);
    if (ml_nn_gelu_forward_keep(Y, Tk, X)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

static int l_gelu_backward(lua_State *L)
{
    ml_mat *dX = mlua_checkmat(L, 1), *dY = mlua_checkmat(L, 2), *X = mlua_checkmat(L, 3), *Tk = optmat(L, 4);
    if (ml_nn_gelu_backward_kept(dX, dY, X, Tk)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}
static int l_relu2_forward(lua_State *L) { return unary(L, ml_nn_relu2_forward); }
static int l_relu2_backward(lua_State *L) { return backward(L, ml_nn_relu2_backward); }
static int l_softmax(lua_State *L) { return unary(L, ml_nn_softmax); }

static int l_gelu(lua_State *L)
{
    lua_pushnumber(L, ml_nn_gelu(luaL_checknumber(L, 1)));
    return 1;
}

static int l_gelu_grad(lua_State *L)
{
    lua_pushnumber(L, ml_nn_gelu_grad(luaL_checknumber(L, 1)));
    return 1;
}

/* softmax_ce(Z, y[, dZ]) -> mean loss, number of correct argmaxes; dZ = (softmax - onehot)/B */
static int l_softmax_ce(lua_State *L)
{
    ml_mat *Z = mlua_checkmat(L, 1), *y = mlua_checkmat(L, 2), *dZ = optmat(L, 3);
    distinct(L, 3, 1, 0);
    distinct(L, 3, 2, 0);
    double loss;
    size_t correct;
    if (ml_nn_softmax_ce(&loss, &correct, dZ, Z, y)) return nn_error(L);
    lua_pushnumber(L, loss);
    lua_pushinteger(L, (lua_Integer)correct);
    return 2;
}

/* argmax(idx, Z): idx[i] = 0-based column of the first maximum of row i */
static int l_argmax(lua_State *L)
{
    ml_mat *idx = mlua_checkmat(L, 1), *Z = mlua_checkmat(L, 2);
    distinct(L, 1, 2, 0);
    if (ml_nn_argmax(idx, Z)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* count_correct(Z, y) -> number of rows whose argmax is the label */
static int l_count_correct(lua_State *L)
{
    ml_mat *Z = mlua_checkmat(L, 1), *y = mlua_checkmat(L, 2);
    size_t c;
    if (ml_nn_count_correct(&c, Z, y)) return nn_error(L);
    lua_pushinteger(L, (lua_Integer)c);
    return 1;
}

/* embed_forward(E, ids, C) */
static int l_embed_forward(lua_State *L)
{
    ml_mat *E = mlua_checkmat(L, 1), *ids = mlua_checkmat(L, 2), *C = mlua_checkmat(L, 3);
    distinct(L, 1, 2, 0);
    distinct(L, 1, 3, 0);
    if (ml_nn_embed_forward(E, ids, C)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* embed_backward(dC, dE, ids[, accumulate]) */
static int l_embed_backward(lua_State *L)
{
    ml_mat *dC = mlua_checkmat(L, 1), *dE = mlua_checkmat(L, 2), *ids = mlua_checkmat(L, 3);
    distinct(L, 1, 2, 0);
    distinct(L, 1, 3, 0);
    if (ml_nn_embed_backward(dC, dE, ids, lua_toboolean(L, 4))) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* tokpos_forward(X, ids, wte, wpe): X[b*T + t] = wte[ids[b,t]] + wpe[t] */
static int l_tokpos_forward(lua_State *L)
{
    ml_mat *X = mlua_checkmat(L, 1), *ids = mlua_checkmat(L, 2), *wte = mlua_checkmat(L, 3), *wpe = mlua_checkmat(L, 4);
    if (ml_nn_tokpos_forward(X, ids, wte, wpe)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* tokpos_backward(dwte|nil, dwpe|nil, dX, ids[, accumulate]) */
static int l_tokpos_backward(lua_State *L)
{
    ml_mat *dwte = optmat(L, 1), *dwpe = optmat(L, 2), *dX = mlua_checkmat(L, 3), *ids = mlua_checkmat(L, 4);
    if (ml_nn_tokpos_backward(dwte, dwpe, dX, ids, lua_toboolean(L, 5))) return nn_error(L);
    return 0;
}

/* layernorm_forward(Y, stats, X, w, b) / rmsnorm_forward(Y, stats, X, w): stats N x 2 float64 */
static int l_layernorm_forward(lua_State *L)
{
    ml_mat *Y = mlua_checkmat(L, 1), *st = mlua_checkmat(L, 2), *X = mlua_checkmat(L, 3);
    ml_mat *w = mlua_checkmat(L, 4), *b = mlua_checkmat(L, 5);
    if (ml_nn_layernorm_forward(Y, st, X, w, b)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

static int l_rmsnorm_forward(lua_State *L)
{
    ml_mat *Y = mlua_checkmat(L, 1), *st = mlua_checkmat(L, 2), *X = mlua_checkmat(L, 3), *w = mlua_checkmat(L, 4);
    if (ml_nn_rmsnorm_forward(Y, st, X, w)) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* layernorm_backward(dX|nil, dw|nil, db|nil, dY, X, w, stats[, accumulate]) */
static int l_layernorm_backward(lua_State *L)
{
    ml_mat *dX = optmat(L, 1), *dw = optmat(L, 2), *db = optmat(L, 3);
    ml_mat *dY = mlua_checkmat(L, 4), *X = mlua_checkmat(L, 5), *w = mlua_checkmat(L, 6), *st = mlua_checkmat(L, 7);
    if (ml_nn_layernorm_backward(dX, dw, db, dY, X, w, st, lua_toboolean(L, 8))) return nn_error(L);
    return 0;
}

/* rmsnorm_backward(dX|nil, dw|nil, dY, X, w, stats[, accumulate]) */
static int l_rmsnorm_backward(lua_State *L)
{
    ml_mat *dX = optmat(L, 1), *dw = optmat(L, 2);
    ml_mat *dY = mlua_checkmat(L, 3), *X = mlua_checkmat(L, 4), *w = mlua_checkmat(L, 5), *st = mlua_checkmat(L, 6);
    if (ml_nn_rmsnorm_backward(dX, dw, dY, X, w, st, lua_toboolean(L, 7))) return nn_error(L);
    return 0;
}

static size_t checkcount(lua_State *L, int idx)
{
    lua_Integer n = luaL_checkinteger(L, idx);
    luaL_argcheck(L, n >= 1 && n <= (1 << 30), idx, "must be in 1..2^30");
    return (size_t)n;
}

/* attention_forward(out, P, maxlogit|nil, qkv, B, H): causal multi-head self-attention */
static int l_attention_forward(lua_State *L)
{
    ml_mat *out = mlua_checkmat(L, 1), *P = mlua_checkmat(L, 2), *m = optmat(L, 3), *qkv = mlua_checkmat(L, 4);
    if (ml_attn_forward(out, P, m, qkv, checkcount(L, 5), checkcount(L, 6))) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* attention_backward(dqkv, dP, dout, P, qkv, B, H) */
static int l_attention_backward(lua_State *L)
{
    ml_mat *dqkv = mlua_checkmat(L, 1), *dP = mlua_checkmat(L, 2), *dout = mlua_checkmat(L, 3);
    ml_mat *P = mlua_checkmat(L, 4), *qkv = mlua_checkmat(L, 5);
    if (ml_attn_backward(dqkv, dP, dout, P, qkv, checkcount(L, 6), checkcount(L, 7))) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* gather_rows(dst, src, perm[, first = 1]): dst row r = src row perm[first + r - 1] (0-based row numbers) */
static int l_gather_rows(lua_State *L)
{
    ml_mat *dst = mlua_checkmat(L, 1), *src = mlua_checkmat(L, 2), *idx = mlua_checkmat(L, 3);
    distinct(L, 1, 2, 0);
    distinct(L, 1, 3, 0);
    lua_Integer first = mlua_optinteger_arg(L, 4, 1);
    luaL_argcheck(L, first >= 1, 4, "position must be >= 1");
    if (ml_nn_gather_rows(dst, src, idx, (size_t)(first - 1))) return nn_error(L);
    lua_settop(L, 1);
    return 1;
}

/* affine_(X, a, c): X = a X + c */
static int l_affine_(lua_State *L)
{
    ml_mat *X = mlua_checkmat(L, 1);
    ml_nn_affine(X, luaL_checknumber(L, 2), luaL_checknumber(L, 3));
    lua_settop(L, 1);
    return 1;
}

/* randperm(n[, seed = 1]) -> n x 1 float64 matrix of 0..n-1 shuffled; randperm(P, seed) shuffles P's entries */
static int l_randperm(lua_State *L)
{
    ml_rng r;
    ml_rng_seed(&r, (uint64_t)mlua_optinteger_arg(L, 2, 1));
    ml_mat *P = mlua_testmat(L, 1);
    if (P) {
        P = mlua_checkmat(L, 1);
        lua_settop(L, 1);
    } else {
        lua_Integer n = mlua_checkinteger(L, 1);
        luaL_argcheck(L, n >= 1 && (uint64_t)n <= ML_MAX_ELEMS, 1, "length must be in 1..2^31 - 1");
        P = mlua_newmat(L);
        if (ml_mat_alloc(P, (size_t)n, 1, ML_F64)) return mlua_core_error(L, "nn.randperm");
    }
    if (ml_nn_randperm(P, &r)) return nn_error(L);
    return 1;
}

/* gemm(C, A, B[, ta, tb, alpha = 1, beta = 0]): C = alpha op(A) op(B) + beta C, no allocation */
static int l_gemm(lua_State *L)
{
    ml_mat *C = mlua_checkmat(L, 1), *A = mlua_checkmat(L, 2), *B = mlua_checkmat(L, 3);
    int ta = lua_toboolean(L, 4), tb = lua_toboolean(L, 5);
    double alpha = luaL_optnumber(L, 6, 1.0), beta = luaL_optnumber(L, 7, 0.0);
    luaL_argcheck(L, C->buf != A->buf, 2, "shares storage with the result");
    luaL_argcheck(L, C->buf != B->buf, 3, "shares storage with the result");
    if (ml_gemm(C, alpha, A, ta ? ML_TRANS : ML_NOTRANS, B, tb ? ML_TRANS : ML_NOTRANS, beta))
        return luaL_error(L, "nn.gemm: %s", ml_errmsg());
    lua_settop(L, 1);
    return 1;
}

static const luaL_Reg nn_functions[] = {
    {"linear_forward", l_linear_forward}, {"linear_backward", l_linear_backward},
    {"bias_add", l_bias_add},             {"bias_backward", l_bias_backward},
    {"relu_forward", l_relu_forward},     {"relu_backward", l_relu_backward},
    {"gelu_forward", l_gelu_forward},     {"gelu_backward", l_gelu_backward},
    {"gelu", l_gelu},                     {"gelu_grad", l_gelu_grad},
    {"relu2_forward", l_relu2_forward},   {"relu2_backward", l_relu2_backward},
    {"tokpos_forward", l_tokpos_forward}, {"tokpos_backward", l_tokpos_backward},
    {"layernorm_forward", l_layernorm_forward}, {"layernorm_backward", l_layernorm_backward},
    {"rmsnorm_forward", l_rmsnorm_forward}, {"rmsnorm_backward", l_rmsnorm_backward},
    {"attention_forward", l_attention_forward}, {"attention_backward", l_attention_backward},
    {"softmax_ce", l_softmax_ce},         {"softmax", l_softmax},
    {"argmax", l_argmax},                 {"count_correct", l_count_correct},
    {"embed_forward", l_embed_forward},   {"embed_backward", l_embed_backward},
    {"gather_rows", l_gather_rows},       {"affine_", l_affine_},
    {"randperm", l_randperm},             {"gemm", l_gemm},
    {NULL, NULL},
};

void mlua_open_nn(lua_State *L)
{
    luaL_newlib(L, nn_functions);
    lua_setfield(L, -2, "nn");
}
