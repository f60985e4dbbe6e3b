/* Data files from Lua (core/data.h): load_idx, idx_header, and the corpus userdata of the
 * character-level language model (corpus, corpus_string). */
#include "lmuonlab.h"
#include "data.h"
#include <math.h>
#include <string.h>

#define MLUA_CORPUS "muonlab.corpus"
#define MLUA_WINDOWS "muonlab.windows"

typedef struct {
    ml_corpus c;
    ml_rng rng;
} lcorpus;

/* Core messages read "idx: <path>: <what>"; name the Lua function instead. */
static int idx_error(lua_State *L, const char *fname)
{
    const char *msg = ml_errmsg();
    if (!strncmp(msg, "idx: ", 5)) msg += 5;
    return luaL_error(L, "%s: %s", fname, msg);
}

static void push_info(lua_State *L, const ml_idx_info *info)
{
    lua_createtable(L, 0, 2);
    lua_pushstring(L, ml_idx_type_name(info->type));
    lua_setfield(L, -2, "type");
    lua_createtable(L, info->ndim, 0);
    for (int d = 0; d < info->ndim; d++) {
        lua_pushinteger(L, (lua_Integer)info->dims[d]);
        lua_rawseti(L, -2, d + 1);
    }
    lua_setfield(L, -2, "dims");
}

static const mlua_opt load_idx_opts[] = {
    {"dtype", "a string", "\"float64\"", "element type: \"float64\" or \"float32\""},
    {"scale", "a number", "1", "value = raw * scale + shift (1/255 maps bytes to [0, 1])"},
    {"shift", "a number", "0", "added after scaling"},
    {"limit", "an integer", "0", "first n items only (0: the whole file)"},
    {NULL},
};

/* load_idx(path[, {dtype=, scale=1, shift=0, limit=}]) -> matrix (items x elements per item), info {type=, dims=} */
static int l_load_idx(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    mlua_checkopts(L, 2, load_idx_opts);
    ml_dtype t = mlua_optdtype(L, 2, ML_F64);
    double scale = mlua_optnumber(L, 2, "scale", 1.0), shift = mlua_optnumber(L, 2, "shift", 0.0);
    lua_Integer limit = mlua_optinteger(L, 2, "limit", 0);
    if (limit < 0) mlua_opterror(L, 2, "limit", "an integer >= 0");
    if (!isfinite(scale)) mlua_opterror(L, 2, "scale", "a finite number");
    if (!isfinite(shift)) mlua_opterror(L, 2, "shift", "a finite number");
    ml_idx_info info;
    ml_mat *m = mlua_newmat(L);
    if (ml_idx_load(m, path, t, scale, shift, (size_t)limit, &info)) return idx_error(L, "load_idx");
    push_info(L, &info);
    return 2;
}

/* idx_header(path) -> {type=, dims=} without reading the data */
static int l_idx_header(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    ml_idx_info info;
    if (ml_idx_header(path, &info)) return idx_error(L, "idx_header");
    push_info(L, &info);
    return 1;
}

/* ---- corpus -------------------------------------------------------------------------------- */

static lcorpus *checkcorpus(lua_State *L, int idx)
{
    lcorpus *c = luaL_checkudata(L, idx, MLUA_CORPUS);
    if (!c->c.ids) luaL_argerror(L, idx, "corpus has been freed");
    return c;
}

static lcorpus *newcorpus(lua_State *L, lua_Integer seed)
{
    lcorpus *c = lua_newuserdatauv(L, sizeof *c, 0);
    memset(c, 0, sizeof *c);
    ml_rng_seed(&c->rng, (uint64_t)seed);
    luaL_setmetatable(L, MLUA_CORPUS);
    return c;
}

static const mlua_opt corpus_opts[] = {
    {"fortune", "a boolean", "false", "fortune files: drop the '%' separator lines"},
    {"seed", "an integer", "1", "seed of corpus:batch's random windows"},
    {NULL},
};

/* corpus(path[, {fortune = false, seed = 1}]): a file or a directory's files as byte ids */
static int l_corpus(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    mlua_checkopts(L, 2, corpus_opts);
    int fortune = mlua_optboolean(L, 2, "fortune", 0);
    lcorpus *c = newcorpus(L, mlua_optinteger(L, 2, "seed", 1));
    if (ml_corpus_load(&c->c, path, fortune ? ML_CORPUS_FORTUNE : 0)) return luaL_error(L, "%s", ml_errmsg());
    return 1;
}

/* corpus_string(text[, {seed = 1, vocab = string}]): vocab lists the bytes in id order
 * (another corpus's vocab(), so both share ids); default: the bytes present */
static const mlua_opt corpus_string_opts[] = {
    {"seed", "an integer", "1", "seed of corpus:batch's random windows"},
    {"vocab", "a string", "the bytes present", "the bytes in id order (another corpus's vocab(), so both share ids)"},
    {NULL},
};

static int l_corpus_string(lua_State *L)
{
    size_t n, nv = 0;
    const char *s = luaL_checklstring(L, 1, &n);
    mlua_checkopts(L, 2, corpus_string_opts);
    luaL_argcheck(L, n > 0, 1, "empty text");
    const char *vocab = mlua_optstring(L, 2, "vocab", NULL);
    if (vocab) {
        lua_getfield(L, 2, "vocab");
        nv = lua_rawlen(L, -1);
        lua_pop(L, 1);
        if (nv < 1 || nv > 256) mlua_opterror(L, 2, "vocab", "a string of 1..256 distinct bytes");
    }
    lcorpus *c = newcorpus(L, mlua_optinteger(L, 2, "seed", 1));
    if (ml_corpus_from_bytes(&c->c, (const unsigned char *)s, n, (const unsigned char *)vocab, (int)nv))
        return luaL_error(L, "corpus_string: %s", ml_errmsg() + (strncmp(ml_errmsg(), "corpus: ", 8) ? 0 : 8));
    return 1;
}

static int c_gc(lua_State *L)
{
    lcorpus *c = luaL_checkudata(L, 1, MLUA_CORPUS);
    ml_corpus_free(&c->c);
    return 0;
}

static int c_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)checkcorpus(L, 1)->c.n);
    return 1;
}

static int c_vocab_size(lua_State *L)
{
    lua_pushinteger(L, checkcorpus(L, 1)->c.vocab_size);
    return 1;
}

/* vocab() -> string whose byte id+1 is the character of token id */
static int c_vocab(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    lua_pushlstring(L, (const char *)c->c.vocab, (size_t)c->c.vocab_size);
    return 1;
}

/* slice(i, j[, {seed=}]) -> a new corpus of tokens i..j (1-based, inclusive) with the same vocabulary */
static const mlua_opt seed_only[] = {{"seed", "an integer", "1", "seed of the new corpus's random windows"}, {NULL}};

static int c_slice(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2), j = luaL_checkinteger(L, 3);
    mlua_checkopts(L, 4, seed_only);
    luaL_argcheck(L, i >= 1 && (size_t)i <= c->c.n, 2, "start outside the corpus");
    luaL_argcheck(L, j >= i && (size_t)j <= c->c.n, 3, "end outside start..size");
    lcorpus *s = newcorpus(L, mlua_optinteger(L, 4, "seed", 1));
    if (ml_corpus_slice(&s->c, &c->c, (size_t)(i - 1), (size_t)(j - i + 1))) return luaL_error(L, "slice: %s", ml_errmsg());
    return 1;
}

/* batch(X, y[, first, stride = 1]): next-token windows; random starts when first is absent */
static int c_batch(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    ml_mat *X = mlua_checkmat(L, 2), *y = mlua_checkmat(L, 3);
    int rc;
    if (lua_isnoneornil(L, 4)) {
        rc = ml_corpus_batch(&c->c, X, y, &c->rng, 0, 0);
    } else {
        lua_Integer first = mlua_checkinteger(L, 4), stride = mlua_optinteger_arg(L, 5, 1);
        luaL_argcheck(L, first >= 1, 4, "position must be >= 1");
        luaL_argcheck(L, stride >= 0, 5, "stride must be >= 0");
        rc = ml_corpus_batch(&c->c, X, y, NULL, (size_t)(first - 1), (size_t)stride);
    }
    if (rc) return luaL_error(L, "%s", ml_errmsg());
    return 0;
}

/* ---- window sampler: a corpus, its own generator and the two batch matrices, made once ------ */

typedef struct {
    ml_rng rng;
    size_t B, T;   /* kept here: the caller can close X or Y, and tostring still answers */
} lwindows;   /* user values: 1 the corpus, 2 X, 3 Y */

/* windows(B, T[, {seed = 1, dtype = "float64"}]) -> a sampler whose next() fills X, Y (B x T)
 * with B random contiguous windows, Y = X shifted by one token */
static const mlua_opt windows_opts[] = {
    {"seed", "an integer", "1", "seed of the sampler's own generator"},
    {"dtype", "a string", "\"float64\"", "element type of X and Y"},
    {NULL},
};

static int c_windows(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    size_t B = mlua_checkdim(L, 2), T = mlua_checkdim(L, 3);
    mlua_checkopts(L, 4, windows_opts);
    lua_Integer seed = mlua_optinteger(L, 4, "seed", 1);
    ml_dtype t = mlua_optdtype(L, 4, ML_F64);
    if (c->c.n <= T)
        return luaL_argerror(L, 3, lua_pushfstring(L, "a window of %d tokens and its targets need %d tokens, the corpus has %d",
                                                   (int)T, (int)T + 1, (int)c->c.n));
    lwindows *w = lua_newuserdatauv(L, sizeof *w, 3);
    ml_rng_seed(&w->rng, (uint64_t)seed);
    w->B = B, w->T = T;
    luaL_setmetatable(L, MLUA_WINDOWS);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    for (int k = 2; k <= 3; k++) {
        ml_mat *m = mlua_newmat(L);
        if (ml_mat_alloc(m, B, T, t)) return mlua_core_error(L, "windows");
        lua_setiuservalue(L, -2, k);
    }
    return 1;
}

/* next() -> X, Y: the same two matrices every call, refilled (no allocation) */
static int w_next(lua_State *L)
{
    lwindows *w = luaL_checkudata(L, 1, MLUA_WINDOWS);
    lua_getiuservalue(L, 1, 1);
    lcorpus *c = lua_touserdata(L, -1);
    if (!c->c.ids) return luaL_error(L, "windows:next: the corpus has been freed");
    ml_mat *xy[2];
    for (int k = 0; k < 2; k++) {
        lua_getiuservalue(L, 1, 2 + k);
        xy[k] = mlua_testmat(L, -1);
        if (!xy[k] || !xy[k]->buf)
            return luaL_error(L, "windows:next: the %s matrix it returns has been closed by the caller; make a new sampler",
                              k ? "target (Y)" : "input (X)");
    }
    if (ml_corpus_batch(&c->c, xy[0], xy[1], &w->rng, 0, 0)) return luaL_error(L, "windows:next: %s", ml_errmsg());
    return 2;
}

/* seed(s): restart the sampler's generator */
static int w_seed(lua_State *L)
{
    lwindows *w = luaL_checkudata(L, 1, MLUA_WINDOWS);
    ml_rng_seed(&w->rng, (uint64_t)mlua_checkinteger(L, 2));
    return 0;
}

/* corpus() -> the corpus it samples from */
static int w_corpus(lua_State *L)
{
    luaL_checkudata(L, 1, MLUA_WINDOWS);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int w_tostring(lua_State *L)
{
    lwindows *w = luaL_checkudata(L, 1, MLUA_WINDOWS);
    lua_pushfstring(L, "muonlab.windows (%d windows of %d tokens)", (int)w->B, (int)w->T);
    return 1;
}

static const luaL_Reg windows_methods[] = {
    {"next", w_next}, {"seed", w_seed}, {"corpus", w_corpus}, {NULL, NULL},
};

/* seed(s): restart the generator of random windows */
static int c_seed(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    ml_rng_seed(&c->rng, (uint64_t)mlua_checkinteger(L, 2));
    return 0;
}

/* text(i, j) -> the characters of tokens i..j */
static int c_text(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    lua_Integer i = mlua_optinteger_arg(L, 2, 1), j = mlua_optinteger_arg(L, 3, (lua_Integer)c->c.n);
    luaL_argcheck(L, i >= 1 && (size_t)i <= c->c.n, 2, "start outside the corpus");
    luaL_argcheck(L, j >= i - 1 && (size_t)j <= c->c.n, 3, "end outside start..size");
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)(j - i + 1));
    for (lua_Integer k = i; k <= j; k++) p[k - i] = (char)c->c.vocab[c->c.ids[k - 1]];
    luaL_pushresultsize(&b, (size_t)(j - i + 1));
    return 1;
}

/* decode(ids) -> string; ids a matrix (row-major order) or a table of 0-based token ids */
static int c_decode(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    ml_mat *m = mlua_testmat(L, 2);
    if (m) {
        m = mlua_checkmat(L, 2);
        for (size_t i = 0; i < m->rows; i++)
            for (size_t j = 0; j < m->cols; j++) {
                double v = ml_mat_get(m, i, j);
                if (!(v >= 0 && v < c->c.vocab_size && v == (lua_Integer)v))
                    return luaL_argerror(L, 2, lua_pushfstring(L, "token id %f is not in 0..%d", v, c->c.vocab_size - 1));
                luaL_addchar(&b, (char)c->c.vocab[(int)v]);
            }
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_Integer n = luaL_len(L, 2);
        for (lua_Integer k = 1; k <= n; k++) {
            lua_geti(L, 2, k);
            int isint;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (!isint || v < 0 || v >= c->c.vocab_size)
                return luaL_argerror(L, 2, lua_pushfstring(L, "entry %d is not a token id in 0..%d", (int)k,
                                                           c->c.vocab_size - 1));
            luaL_addchar(&b, (char)c->c.vocab[v]);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

/* encode(s) -> table of 0-based token ids (characters outside the vocabulary are an error) */
static int c_encode(lua_State *L)
{
    lcorpus *c = checkcorpus(L, 1);
    size_t n;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 2, &n);
    lua_createtable(L, (int)n, 0);
    for (size_t k = 0; k < n; k++) {
        if (c->c.index[s[k]] < 0)
            return luaL_argerror(L, 2, lua_pushfstring(L, "byte %d at position %d is not in the vocabulary", s[k], (int)k + 1));
        lua_pushinteger(L, c->c.index[s[k]]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 1;
}

static int c_tostring(lua_State *L)
{
    lcorpus *c = luaL_checkudata(L, 1, MLUA_CORPUS);
    lua_pushfstring(L, "muonlab.corpus (%d tokens, vocabulary %d)", (int)c->c.n, c->c.vocab_size);
    return 1;
}

static const luaL_Reg corpus_methods[] = {
    {"size", c_len},   {"vocab_size", c_vocab_size}, {"vocab", c_vocab}, {"slice", c_slice},
    {"batch", c_batch}, {"seed", c_seed},            {"text", c_text},   {"decode", c_decode},
    {"encode", c_encode}, {"windows", c_windows}, {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"load_idx", l_load_idx},
    {"idx_header", l_idx_header},
    {"corpus", l_corpus},
    {"corpus_string", l_corpus_string},
    {NULL, NULL},
};

void mlua_open_data(lua_State *L)
{
    if (luaL_newmetatable(L, MLUA_CORPUS)) {
        luaL_newlib(L, corpus_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, c_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, c_gc);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, c_len);
        lua_setfield(L, -2, "__len");
        lua_pushcfunction(L, c_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, MLUA_WINDOWS)) {
        luaL_newlib(L, windows_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, w_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
    mlua_register_opts(L, "load_idx", load_idx_opts);
    mlua_register_opts(L, "corpus", corpus_opts);
    mlua_register_opts(L, "corpus_string", corpus_string_opts);
    mlua_register_opts(L, "corpus:slice", seed_only);
    mlua_register_opts(L, "corpus:windows", windows_opts);
}
