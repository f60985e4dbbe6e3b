/* Shared helpers of the Lua bindings (lua/l*.c). The core (core/) knows nothing of Lua;
 * these files turn its status codes into Lua errors that name the function. */
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

/* A file name argument: a string without NUL bytes, not empty (lfiles.c); every binding
 * that takes a path uses it, so "a.npy\0/etc/passwd" is an error, never "a.npy". */
const char *mlua_checkpath(lua_State *L, int idx);

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
/* Schedule from a name, a list of per-step lists or one flat list at idx (lcoeffs.c). */
int mlua_toschedule(lua_State *L, int idx, int steps, ml_schedule *out);

/* Each binding file adds its functions to the module table at the top of the stack. */
void mlua_open_matrix(lua_State *L);   /* lmatrix.c: type, creators, arithmetic */
void mlua_open_linalg(lua_State *L);   /* llinalg.c: svd, polar, spectral, norms, rng */
void mlua_open_ns(lua_State *L);       /* lns.c: ns, coeffs, orth_error */
void mlua_open_coeffs(lua_State *L);   /* lcoeffs.c: coeffs, poly_map, poly_error */
void mlua_open_precision(lua_State *L); /* lprecision.c: round, round_scalar (bf16, fp16, ...) */
void mlua_open_io(lua_State *L);       /* lio.c: load, save (.npy and text files) */
void mlua_open_files(lua_State *L);    /* lfiles.c: write_file, stage_file, commit_file, mkdir, resolve_path */
void mlua_open_sweep(lua_State *L);    /* lsweep.c: append_line, lock_file (durable results rows) */
void mlua_open_threads(lua_State *L);  /* lthreads.c: set_threads, get_threads (ML_THREADS) */
void mlua_open_nn(lua_State *L);      /* lnn.c: the ml.nn table of layer kernels */
void mlua_open_data(lua_State *L);    /* ldata.c: load_idx, idx_header, corpus (text as byte ids) */
void mlua_open_optim(lua_State *L);    /* loptim.c: optimizer kernels, ns_plan (after matrix) */

int luaopen_muonlab_core(lua_State *L);

#endif
