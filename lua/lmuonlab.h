/* Shared helpers of the Lua bindings (lua/l*.c), defined in lauxml.c. The core (core/) knows
 * nothing of Lua; these files turn its status codes into Lua errors that name the function. */
#ifndef MLUA_H
#define MLUA_H

#include <lua.h>
#include <lauxlib.h>
#include "error.h"
#include "matrix.h"
#include "coeffs.h"

#define MLUA_MATRIX "muonlab.matrix"

/* The matrix at stack index idx, or a "bad argument" error naming the function. */
ml_mat *mlua_checkmat(lua_State *L, int idx);
ml_mat *mlua_testmat(lua_State *L, int idx);
/* Push a new matrix userdata holding a cleared ml_mat; the caller fills it in. If the
 * caller then raises an error the userdata is simply collected (its __gc frees). */
ml_mat *mlua_newmat(lua_State *L);
/* Raise "<fname>: <last core error message>". Never returns. */
int mlua_core_error(lua_State *L, const char *fname);
/* The matrix at idx must be free of NaN/Inf: else "bad argument #idx to 'fname' (... contains NaN or Inf)". */
void mlua_checkfinite(lua_State *L, int idx, const ml_mat *m);

/* A matrix dimension argument: an integer >= 1, else a "bad argument" error. */
size_t mlua_checkdim(lua_State *L, int idx);

/* Option tables: opts at stack index idx may be nil or absent. Each getter raises
 * "bad argument #idx to 'fname' (option 'key': number expected, got string)". */
void mlua_checkopts(lua_State *L, int idx, const char *const allowed[]);
double mlua_optnumber(lua_State *L, int idx, const char *key, double def);
lua_Integer mlua_optinteger(lua_State *L, int idx, const char *key, lua_Integer def);
const char *mlua_optstring(lua_State *L, int idx, const char *key, const char *def);
int mlua_optboolean(lua_State *L, int idx, const char *key, int def);
/* dtype option ("float64" default, "float32"). */
ml_dtype mlua_optdtype(lua_State *L, int idx, ml_dtype def);
/* A named choice: opts[key] (or def; nothing when both are absent) through the core's parser
 * (ml_precond_parse, ml_sn_route_parse, ...) into *out; "option 'key': <its message>" otherwise. */
void mlua_optenum(lua_State *L, int idx, const char *key, const char *def, int (*parse)(const char *, void *),
                  void *out);
/* Matrix x at idx must have the shape and dtype of ref (argument refidx). */
void mlua_checklike(lua_State *L, int idx, const ml_mat *x, const ml_mat *ref, int refidx);
/* Schedule from a name, a list of per-step lists or one flat list at idx (lcoeffs.c). */
int mlua_toschedule(lua_State *L, int idx, int steps, ml_schedule *out);

/* Iteration traces (ltrace.c, core/tracer.h): a recorder owned by a new userdata on the stack,
 * and its records as a list of {step, time, <dist_name>, ...} (step 0, if any, as field precond). */
struct ml_tracer;
struct ml_tracer *mlua_newtrace(lua_State *L);
void mlua_pushtrace(lua_State *L, const struct ml_tracer *t, const char *dist_name);

/* Each binding file adds its functions to the module table at the top of the stack. */
void mlua_open_matrix(lua_State *L);   /* lmatrix.c: type, creators, arithmetic */
void mlua_open_linalg(lua_State *L);   /* llinalg.c: svd, polar, spectral, norms, rng */
void mlua_open_ns(lua_State *L);       /* lns.c: ns, ns_workspace, ns_plan, orth_error */
void mlua_open_coeffs(lua_State *L);   /* lcoeffs.c: coeffs, poly_map, poly_error */
void mlua_open_precision(lua_State *L); /* lprecision.c: round, round_scalar (bf16, fp16, ...) */
void mlua_open_io(lua_State *L);       /* lio.c: load, save (.npy and text files) */
void mlua_open_sweep(lua_State *L);    /* lsweep.c: append_line, lock_file (durable results rows) */
void mlua_open_threads(lua_State *L);  /* lthreads.c: set_threads, get_threads (ML_THREADS) */
void mlua_open_nn(lua_State *L);      /* lnn.c: the ml.nn table of layer kernels */
void mlua_open_data(lua_State *L);    /* ldata.c: load_idx, idx_header, corpus (text as byte ids) */
void mlua_open_optim(lua_State *L);    /* loptim.c: optimizer kernels */

/* Matrix methods defined outside lmatrix.c; lmatrix.c puts them in the matrix method table. */
extern const luaL_Reg mlua_optim_matrix_methods[];   /* loptim.c: row_sums, median, clip_, ... */

int luaopen_muonlab_core(lua_State *L);

#endif
