/* The argument-checking helpers every binding file shares (declared in lmuonlab.h): the role
 * lauxlib.c plays for Lua. Matrix userdata access, core errors as Lua errors, option tables. */
#define MLUA_AUXLIB_IMPL   /* this file defines the luaL_ replacements lmuonlab.h maps to */
#include "lmuonlab.h"
#include "error.h"
#include <string.h>

/* ---- argument errors that name the function (see lmuonlab.h) ------------------------- */

#define FUNCNAMES "muonlab.funcnames"

int mlua_argerror(lua_State *L, int arg, const char *extramsg)
{
    lua_Debug ar;
    if (!lua_getstack(L, 0, &ar)) return luaL_error(L, "bad argument #%d (%s)", arg, extramsg);
    lua_getinfo(L, "nf", &ar);
    if (ar.namewhat && strcmp(ar.namewhat, "method") == 0) {
        arg--;   /* do not count self */
        if (arg == 0) return luaL_error(L, "calling '%s' on bad self (%s)", ar.name, extramsg);
    }
    const char *name = ar.name;
    if (!name) {   /* called from C: the name the module gave it */
        lua_getfield(L, LUA_REGISTRYINDEX, FUNCNAMES);
        if (lua_istable(L, -1)) {
            lua_pushvalue(L, -2);
            lua_rawget(L, -2);
            name = lua_tostring(L, -1);
        }
        if (!name) name = "?";
    }
    return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, name, extramsg);
}

int mlua_typeerror(lua_State *L, int arg, const char *tname)
{
    const char *typearg;
    if (luaL_getmetafield(L, arg, "__name") == LUA_TSTRING)
        typearg = lua_tostring(L, -1);
    else if (lua_type(L, arg) == LUA_TLIGHTUSERDATA)
        typearg = "light userdata";
    else
        typearg = luaL_typename(L, arg);
    return mlua_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s", tname, typearg));
}

static void tag_error(lua_State *L, int arg, int tag) { mlua_typeerror(L, arg, lua_typename(L, tag)); }

lua_Number mlua_checknumber(lua_State *L, int arg)
{
    int isnum;
    lua_Number d = lua_tonumberx(L, arg, &isnum);
    if (!isnum) tag_error(L, arg, LUA_TNUMBER);
    return d;
}

lua_Number mlua_optnumber_arg(lua_State *L, int arg, lua_Number def)
{
    return lua_isnoneornil(L, arg) ? def : mlua_checknumber(L, arg);
}

/* Integers are numbers with an integral value (4 and 4.0), never strings ("4" is not a count:
 * issue 12 item 5): every count, index, dimension and seed argument comes here. */
lua_Integer mlua_checkinteger(lua_State *L, int arg)
{
    int isnum;
    lua_Integer d = lua_tointegerx(L, arg, &isnum);
    if (lua_type(L, arg) != LUA_TNUMBER)
        mlua_typeerror(L, arg, "integer");
    else if (!isnum)
        mlua_argerror(L, arg, "number has no integer representation");
    return d;
}

lua_Integer mlua_optinteger_arg(lua_State *L, int arg, lua_Integer def)
{
    return lua_isnoneornil(L, arg) ? def : mlua_checkinteger(L, arg);
}

const char *mlua_checklstring(lua_State *L, int arg, size_t *len)
{
    const char *s = lua_tolstring(L, arg, len);
    if (!s) tag_error(L, arg, LUA_TSTRING);
    return s;
}

const char *mlua_optlstring(lua_State *L, int arg, const char *def, size_t *len)
{
    if (lua_isnoneornil(L, arg)) {
        if (len) *len = def ? strlen(def) : 0;
        return def;
    }
    return mlua_checklstring(L, arg, len);
}

void *mlua_checkudata(lua_State *L, int arg, const char *tname)
{
    void *p = luaL_testudata(L, arg, tname);
    if (!p) mlua_typeerror(L, arg, tname);
    return p;
}

void mlua_checktype(lua_State *L, int arg, int t)
{
    if (lua_type(L, arg) != t) tag_error(L, arg, t);
}

/* the rest of this file raises through the versions above, like every binding */
#define luaL_argerror mlua_argerror
#define luaL_checkudata mlua_checkudata
#define luaL_checkinteger mlua_checkinteger
#define luaL_checktype mlua_checktype

/* registry[FUNCNAMES][f] = name for every C function of table t (at the top of the stack) */
static void name_table(lua_State *L, int depth)
{
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_iscfunction(L, -1)) {
            lua_getfield(L, LUA_REGISTRYINDEX, FUNCNAMES);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -4);
            lua_rawset(L, -3);
            lua_pop(L, 1);
        } else if (depth > 0 && lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1)) {
            name_table(L, depth - 1);
        }
        lua_pop(L, 1);
    }
}

void mlua_name_functions(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, FUNCNAMES);
    lua_pop(L, 1);
    /* methods of every muonlab type: the __index tables of the registry's "muonlab.*" metatables */
    lua_pushnil(L);
    while (lua_next(L, LUA_REGISTRYINDEX)) {
        if (lua_type(L, -2) == LUA_TSTRING && !strncmp(lua_tostring(L, -2), "muonlab.", 8) && lua_istable(L, -1)) {
            if (lua_getfield(L, -1, "__index") == LUA_TTABLE) name_table(L, 0);
            lua_pop(L, 1);
            name_table(L, 0);   /* metamethods such as __tostring keep their own names */
        }
        lua_pop(L, 1);
    }
    /* then the module's functions and one level of subtables (ml.nn): a function that is also
     * a method (matmul and A:mm) is named as the module function */
    lua_pushvalue(L, idx);
    name_table(L, 1);
    lua_pop(L, 1);
}

ml_mat *mlua_testmat(lua_State *L, int idx) { return luaL_testudata(L, idx, MLUA_MATRIX); }

ml_mat *mlua_checkmat(lua_State *L, int idx)
{
    ml_mat *m = mlua_checkudata(L, idx, MLUA_MATRIX);
    if (!m->buf) mlua_argerror(L, idx, "matrix has been closed");
    return m;
}

ml_mat *mlua_newmat(lua_State *L)
{
    /* The collector sees only the small userdata, not the matrix storage behind it, so a
     * loop that drops matrices to the GC would let storage pile up: advance the collector
     * by the storage allocated since the previous matrix was created. */
    static _Thread_local size_t seen;
    size_t now = ml_mat_bytes_allocated();
    if (now - seen >= 64 * 1024) {
        lua_gc(L, LUA_GCSTEP, (int)((now - seen) / 1024 > 1 << 30 ? 1 << 30 : (now - seen) / 1024));
        seen = now;
    }
    ml_mat *m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, MLUA_MATRIX);
    return m;
}

int mlua_core_error(lua_State *L, const char *fname) { return luaL_error(L, "%s: %s", fname, ml_errmsg()); }

void mlua_checkfinite(lua_State *L, int idx, const ml_mat *m)
{
    if (!ml_mat_all_finite(m)) mlua_argerror(L, idx, "matrix contains NaN or Inf");
}

/* Whether the value at vi has the type an option spec names: the type text is one of
 * "a number", "an integer", "a string", "a boolean", "a table", "a function",
 * "a string or a table", "a muonlab.<type>" (a userdata, checked further by the binding). */
static int type_ok(lua_State *L, int vi, const char *type)
{
    int t = lua_type(L, vi);
    if (strstr(type, "integer") && t == LUA_TNUMBER) {
        if (lua_isinteger(L, vi)) return 1;
        lua_Number x = lua_tonumber(L, vi);
        return x == (lua_Number)(lua_Integer)x && x >= -9.2e18 && x <= 9.2e18;
    }
    return (strstr(type, "number") && t == LUA_TNUMBER) || (strstr(type, "string") && t == LUA_TSTRING) ||
           (strstr(type, "boolean") && t == LUA_TBOOLEAN) || (strstr(type, "table") && t == LUA_TTABLE) ||
           (strstr(type, "function") && t == LUA_TFUNCTION) || (strstr(type, "muonlab.") && t == LUA_TUSERDATA);
}

/* Levenshtein distance of two short strings (a suggestion for a misspelt option). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
    if (la >= 64 || lb >= 64) return 99;
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < d) d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
            cur[j] = d;
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

/* k is the key's text; a key that is not a string is shown unquoted (unknown option 7), as
 * lua/muonlab/options.lua shows it, and an integer key (a list given for named options) says so. */
static int unknown_option(lua_State *L, int idx, const mlua_opt spec[], int n, const char *k, int is_string,
                          int is_integer)
{
    luaL_Buffer b;
    const char *best = NULL;
    size_t bestd = 3;
    for (int i = 0; is_string && i < n; i++) {
        size_t d = edit_distance(k, spec[i].name);
        if (d < bestd || (d == bestd && best && strcmp(spec[i].name, best) < 0)) best = spec[i].name, bestd = d;
    }
    const char **names = lua_newuserdatauv(L, (size_t)n * sizeof *names, 0);
    for (int i = 0; i < n; i++) {   /* sorted, as the Lua side lists them */
        int j = i;
        while (j > 0 && strcmp(names[j - 1], spec[i].name) > 0) names[j] = names[j - 1], j--;
        names[j] = spec[i].name;
    }
    luaL_buffinit(L, &b);
    lua_pushfstring(L, is_string ? "unknown option '%s' (" : "unknown option %s (", k);
    luaL_addvalue(&b);
    if (best) {
        lua_pushfstring(L, "did you mean '%s'? ", best);
        luaL_addvalue(&b);
    }
    if (is_integer) luaL_addstring(&b, "options are named, {name = value}, not a list; ");
    luaL_addstring(&b, "expected one of:");
    for (int i = 0; i < n; i++) {
        luaL_addstring(&b, i ? ", " : " ");
        luaL_addstring(&b, names[i]);
    }
    luaL_addstring(&b, ")");
    luaL_pushresult(&b);
    return mlua_argerror(L, idx, lua_tostring(L, -1));
}

/* opts[key] (pushed) as the "got" of an option error: the type name when the type is wrong,
 * else the value (strings quoted), as lua/muonlab/options.lua shows it. */
static const char *got_text(lua_State *L, int vi, int show_value)
{
    int t = lua_type(L, vi);
    if (!show_value || (t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN)) return luaL_typename(L, vi);
    if (t == LUA_TSTRING) return lua_pushfstring(L, "\"%s\"", lua_tostring(L, vi));
    return luaL_tolstring(L, vi, NULL);
}

/* The option at key -2, value -1: 0 if fine, -1 if the key is unknown, -2 if the value has the
 * wrong type (*at: its index in spec). */
static int option_status(lua_State *L, const mlua_opt spec[], int n, int *at)
{
    if (lua_type(L, -2) != LUA_TSTRING) return -1;
    const char *k = lua_tostring(L, -2);
    int i = 0;
    while (i < n && strcmp(spec[i].name, k)) i++;
    if (i == n) return -1;
    *at = i;
    return type_ok(L, -1, spec[i].type) ? 0 : -2;
}

/* Of several offending keys the least is reported (an unknown key before a wrong value; numbers,
 * then other non-strings, then strings, each in order: lua/muonlab/options.lua's check and
 * key_before), not the first lua_next gives, so one script raises one message from run to run. */
static int key_before(lua_State *L, int a, int b)
{
    int sa = lua_type(L, a) == LUA_TSTRING, sb = lua_type(L, b) == LUA_TSTRING;
    if (sa != sb) return sb;
    if (sa) return strcmp(lua_tostring(L, a), lua_tostring(L, b)) < 0;
    int na = lua_type(L, a) == LUA_TNUMBER, nb = lua_type(L, b) == LUA_TNUMBER;
    if (na != nb) return na;
    return na && lua_compare(L, a, b, LUA_OPLT);
}

void mlua_checkopts_n(lua_State *L, int idx, const mlua_opt spec[], int n)
{
    if (lua_isnoneornil(L, idx)) return;
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx))
        mlua_argerror(L, idx, lua_pushfstring(L, "table expected, got %s", luaL_typename(L, idx)));
    lua_pushnil(L);   /* the least offending key so far, and its status */
    int bad = lua_gettop(L), bad_status = 0, bad_at = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int at = 0, st = option_status(L, spec, n, &at);   /* an unknown key (-1) outranks a wrong value (-2) */
        if (st < 0 && (!bad_status || st > bad_status || (st == bad_status && key_before(L, -2, bad)))) {
            lua_pushvalue(L, -2);
            lua_replace(L, bad);
            bad_status = st, bad_at = at;
        }
        lua_pop(L, 1);
    }
    if (!bad_status) {
        lua_pop(L, 1);
        return;
    }
    lua_pushvalue(L, bad);
    lua_rawget(L, idx);   /* key at -2 (bad), value at -1 */
    if (bad_status == -1)
        unknown_option(L, idx, spec, n, luaL_tolstring(L, bad, NULL), lua_type(L, bad) == LUA_TSTRING,
                       lua_isinteger(L, bad));
    mlua_argerror(L, idx, lua_pushfstring(L, "option '%s': %s expected, got %s", spec[bad_at].name, spec[bad_at].type,
                                          got_text(L, -1, 0)));
}

void mlua_checkopts(lua_State *L, int idx, const mlua_opt spec[])
{
    int n = 0;
    while (spec[n].name) n++;
    mlua_checkopts_n(L, idx, spec, n);
}

int mlua_opterror(lua_State *L, int idx, const char *key, const char *expected)
{
    if (lua_type(L, idx) == LUA_TTABLE)
        lua_getfield(L, idx, key);
    else
        lua_pushnil(L);
    return mlua_argerror(L, idx, lua_pushfstring(L, "option '%s': %s expected, got %s", key, expected,
                                                 got_text(L, -1, 1)));
}

#define OPTSPECS "muonlab.optspecs"

void mlua_register_opts_n(lua_State *L, const char *fname, const mlua_opt spec[], int n)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, OPTSPECS);
    lua_createtable(L, 2, 0);
    lua_pushlightuserdata(L, (void *)spec);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, n);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, fname);
    lua_pop(L, 1);
}

void mlua_register_opts(lua_State *L, const char *fname, const mlua_opt spec[])
{
    int n = 0;
    while (spec[n].name) n++;
    mlua_register_opts_n(L, fname, spec, n);
}

/* core._optspec() -> {fname = {{name =, type =, default =, doc =}, ...}, ...}: every binding's
 * option spec, in its order, for ml.help (lua/muonlab/help.lua). */
int mlua_optspec(lua_State *L)
{
    lua_newtable(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, OPTSPECS);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_rawgeti(L, -1, 1);
        const mlua_opt *spec = lua_touserdata(L, -1);
        lua_rawgeti(L, -2, 2);
        int n = (int)lua_tointeger(L, -1);
        lua_pop(L, 3);
        lua_newtable(L);
        for (int i = 0; i < n; i++) {
            lua_createtable(L, 0, 4);
            lua_pushstring(L, spec[i].name);
            lua_setfield(L, -2, "name");
            lua_pushstring(L, spec[i].type);
            lua_setfield(L, -2, "type");
            lua_pushstring(L, spec[i].def);
            lua_setfield(L, -2, "default");
            lua_pushstring(L, spec[i].doc);
            lua_setfield(L, -2, "doc");
            lua_rawseti(L, -2, i + 1);
        }
        lua_pushvalue(L, -2);   /* the name */
        lua_insert(L, -2);
        lua_settable(L, -5);
    }
    lua_pop(L, 1);
    return 1;
}

/* Push opts[key] (nil when opts is absent); returns its type. */
static int getopt_(lua_State *L, int idx, const char *key)
{
    if (lua_type(L, idx) != LUA_TTABLE) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_getfield(L, idx, key);
}

static int opt_type_error(lua_State *L, int idx, const char *key, const char *expected)
{
    const char *msg = lua_pushfstring(L, "option '%s': %s expected, got %s", key, expected, got_text(L, -1, 0));
    return mlua_argerror(L, idx, msg);
}

double mlua_optnumber(lua_State *L, int idx, const char *key, double def)
{
    int t = getopt_(L, idx, key);
    double v = def;
    if (t == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    else if (t != LUA_TNIL)
        opt_type_error(L, idx, key, "a number");
    lua_pop(L, 1);
    return v;
}

lua_Integer mlua_optinteger(lua_State *L, int idx, const char *key, lua_Integer def)
{
    int t = getopt_(L, idx, key);
    lua_Integer v = def;
    if (t != LUA_TNIL) {
        int isint;
        v = lua_tointegerx(L, -1, &isint);
        if (!isint || t != LUA_TNUMBER) opt_type_error(L, idx, key, "an integer");
    }
    lua_pop(L, 1);
    return v;
}

const char *mlua_optstring(lua_State *L, int idx, const char *key, const char *def)
{
    int t = getopt_(L, idx, key);
    const char *v = def;
    if (t == LUA_TSTRING)
        v = lua_tostring(L, -1);   /* the string stays referenced by the opts table */
    else if (t != LUA_TNIL)
        opt_type_error(L, idx, key, "a string");
    lua_pop(L, 1);
    return v;
}

int mlua_optboolean(lua_State *L, int idx, const char *key, int def)
{
    int t = getopt_(L, idx, key);
    int v = def;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        opt_type_error(L, idx, key, "a boolean");
    lua_pop(L, 1);
    return v;
}

ml_dtype mlua_optdtype(lua_State *L, int idx, ml_dtype def)
{
    const char *s = mlua_optstring(L, idx, "dtype", NULL);
    ml_dtype t = def;
    if (s && ml_dtype_parse(s, &t)) mlua_opterror(L, idx, "dtype", "one of \"float64\", \"float32\"");
    return t;
}

size_t mlua_checkdim(lua_State *L, int idx)
{
    lua_Integer n = mlua_checkinteger(L, idx);
    luaL_argcheck(L, n >= 1, idx, "dimension must be a positive integer");
    return (size_t)n;
}

void mlua_optenum(lua_State *L, int idx, const char *key, const char *def, int (*parse)(const char *, void *),
                  void *out)
{
    const char *s = mlua_optstring(L, idx, key, def);
    if (!s || !parse(s, out)) return;
    /* the core's parsers say "unknown <what> '<s>'; expected a, b or c" (ml_parse_choice):
     * the list becomes the option error's one of "a", "b", "c" */
    const char *msg = ml_errmsg(), *list = strstr(msg, "; expected ");
    if (!list) luaL_argerror(L, idx, lua_pushfstring(L, "option '%s': %s", key, msg));
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "one of \"");
    for (const char *p = list + strlen("; expected "); *p; p++) {
        if (!strncmp(p, ", ", 2) || !strncmp(p, " or ", 4)) {
            luaL_addstring(&b, "\", \"");
            p += p[0] == ',' ? 1 : 3;
        } else {
            luaL_addchar(&b, *p);
        }
    }
    luaL_addchar(&b, '"');
    luaL_pushresult(&b);
    mlua_opterror(L, idx, key, lua_tostring(L, -1));
}

void mlua_checklike(lua_State *L, int idx, const ml_mat *x, const ml_mat *ref, int refidx)
{
    if (!ml_mat_same_shape(x, ref))
        luaL_argerror(L, idx, lua_pushfstring(L, "shape %d x %d does not match argument #%d (%d x %d)", (int)x->rows,
                                              (int)x->cols, refidx, (int)ref->rows, (int)ref->cols));
    if (x->dtype != ref->dtype)
        luaL_argerror(L, idx, lua_pushfstring(L, "dtype %s does not match argument #%d (%s)", ml_dtype_name(x->dtype),
                                              refidx, ml_dtype_name(ref->dtype)));
}

/* ---- file names ---------------------------------------------------------------------- */

const char *mlua_checkpath(lua_State *L, int idx)
{
    size_t n;
    const char *path = luaL_checklstring(L, idx, &n);
    if (memchr(path, '\0', n)) luaL_argerror(L, idx, "file name contains a NUL byte");
    if (n == 0) luaL_argerror(L, idx, "empty file name");
    return path;
}
