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

/* Argument errors name a function as the user knows it, 'svd', also when it is called from C
 * (pcall(ml.svd, x)), where lauxlib would search package.loaded and say 'muonlab.core.svd' or
 * 'muonlab.svd': the bindings' luaL_argerror and the luaL_check/opt functions that raise through
 * it are lauxml.c's versions, which fall back to the name the module registered the function
 * under (mlua_name_functions). Same messages otherwise. */
int mlua_argerror(lua_State *L, int arg, const char *extramsg);
int mlua_typeerror(lua_State *L, int arg, const char *tname);
lua_Number mlua_checknumber(lua_State *L, int arg);
lua_Number mlua_optnumber_arg(lua_State *L, int arg, lua_Number def);
lua_Integer mlua_checkinteger(lua_State *L, int arg);
lua_Integer mlua_optinteger_arg(lua_State *L, int arg, lua_Integer def);
const char *mlua_checklstring(lua_State *L, int arg, size_t *len);
const char *mlua_optlstring(lua_State *L, int arg, const char *def, size_t *len);
void *mlua_checkudata(lua_State *L, int arg, const char *tname);
void mlua_checktype(lua_State *L, int arg, int t);
/* Record the names of the C functions in the module table at idx, its subtables (ml.nn) and
 * the method tables of every muonlab type, for the fallback above. */
void mlua_name_functions(lua_State *L, int idx);
#ifndef MLUA_AUXLIB_IMPL
#define luaL_argerror mlua_argerror
#define luaL_typeerror mlua_typeerror
#define luaL_checknumber mlua_checknumber
#define luaL_optnumber mlua_optnumber_arg
#define luaL_checkinteger mlua_checkinteger
#define luaL_optinteger mlua_optinteger_arg
#define luaL_checklstring mlua_checklstring
#define luaL_optlstring mlua_optlstring
#define luaL_checkudata mlua_checkudata
#define luaL_checktype mlua_checktype
#endif

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

/* A file name argument: a string without NUL bytes, not empty; every binding
 * that takes a path uses it, so "a.npy\0/etc/passwd" is an error, never "a.npy". */
const char *mlua_checkpath(lua_State *L, int idx);

/* A matrix dimension argument: an integer >= 1, else a "bad argument" error. */
size_t mlua_checkdim(lua_State *L, int idx);

/* One option of a binding: its name, the type it takes ("a number", "an integer", "a string",
 * "a boolean", "a table", "a string or a table", "a muonlab.<type>"), its default and meaning as
 * ml.help prints them. The same array checks the call (mlua_checkopts) and, registered with
 * mlua_register_opts, feeds ml.help (core._optspec()): the two cannot disagree. Ends with {NULL}. */
typedef struct {
    const char *name, *type, *def, *doc;
} mlua_opt;

/* Option tables: opts at stack index idx may be nil or absent. Unknown keys and values of the
 * wrong type raise, in the format lua/muonlab/options.lua shares:
 *   bad argument #2 to 'ns' (unknown option 'stpes' (did you mean 'steps'? expected one of: ...))
 *   bad argument #2 to 'ns' (option 'steps': an integer expected, got string)
 * mlua_checkopts_n accepts the first n entries of spec only. */
void mlua_checkopts(lua_State *L, int idx, const mlua_opt spec[]);
void mlua_checkopts_n(lua_State *L, int idx, const mlua_opt spec[], int n);
/* A value out of range: "bad argument #idx to 'fname' (option 'key': <expected> expected, got <value>)". */
int mlua_opterror(lua_State *L, int idx, const char *key, const char *expected);
/* Record fname's options for ml.help; core._optspec() (mlua_optspec) returns them all. */
void mlua_register_opts(lua_State *L, const char *fname, const mlua_opt spec[]);
void mlua_register_opts_n(lua_State *L, const char *fname, const mlua_opt spec[], int n);   /* the first n */
int mlua_optspec(lua_State *L);
/* Typed getters (types were checked by mlua_checkopts; these apply defaults). */
double mlua_optnumber(lua_State *L, int idx, const char *key, double def);
lua_Integer mlua_optinteger(lua_State *L, int idx, const char *key, lua_Integer def);
const char *mlua_optstring(lua_State *L, int idx, const char *key, const char *def);
int mlua_optboolean(lua_State *L, int idx, const char *key, int def);
/* dtype option ("float64" default, "float32"). */
ml_dtype mlua_optdtype(lua_State *L, int idx, ml_dtype def);
/* A named choice: opts[key] (or def; nothing when both are absent) through the core's parser
 * (ml_precond_parse, ml_sn_route_parse, ...) into *out; otherwise the option error
 * "option 'key': one of "a", "b" expected, got "c"" with the list the parser names. */
void mlua_optenum(lua_State *L, int idx, const char *key, const char *def, int (*parse)(const char *, void *),
                  void *out);
/* Matrix x at idx must have the shape and dtype of ref (argument refidx). */
void mlua_checklike(lua_State *L, int idx, const ml_mat *x, const ml_mat *ref, int refidx);
/* Schedule from a name, a list of per-step lists or one flat list at idx (lcoeffs.c). */
int mlua_toschedule(lua_State *L, int idx, int steps, double safety, ml_schedule *out);
double mlua_optsafety(lua_State *L, int oi);   /* option safety: a finite number >= 1, default 1.01 */
ml_schedule *mlua_newschedule(lua_State *L);   /* lns.c: held by a workspace pushed on the stack */

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
void mlua_open_files(lua_State *L);    /* lfiles.c: write_file, stage_file, commit_file, mkdir, resolve_path */
void mlua_open_sweep(lua_State *L);    /* lsweep.c: append_line, lock_file (durable results rows) */
void mlua_open_threads(lua_State *L);  /* lthreads.c: set_threads, get_threads (ML_THREADS) */
void mlua_open_nn(lua_State *L);      /* lnn.c: the ml.nn table of layer kernels */
void mlua_open_data(lua_State *L);    /* ldata.c: load_idx, idx_header, corpus (text as byte ids) */
void mlua_guard_finite(lua_State *L);  /* lfinite.c: the NaN/Inf rule, applied after every open */
void mlua_open_optim(lua_State *L);    /* loptim.c: optimizer kernels */

/* Matrix methods defined outside lmatrix.c; lmatrix.c puts them in the matrix method table. */
extern const luaL_Reg mlua_optim_matrix_methods[];   /* loptim.c: row_sums, median, clip_, ... */

int luaopen_muonlab_core(lua_State *L);

#endif
