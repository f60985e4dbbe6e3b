/* The file primitives the sweep runner (lua/muonlab/sweep.lua) needs and Lua's io lacks:
 *   ml.append_line(path, line)  one complete line, one write(2), fsync (core/appendfile.h)
 *   ml.lock_file(path)          an exclusive lock object, or nil and a message when held */
#include "lmuonlab.h"
#include "appendfile.h"
#include <string.h>

#define MLUA_FILELOCK "muonlab.filelock"

typedef struct {
    int fd;
} filelock;

/* append_line(path, line): line must not contain a newline except a final one (added if missing). */
static int l_append_line(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    size_t len;
    const char *line = luaL_checklstring(L, 2, &len);
    size_t body = len && line[len - 1] == '\n' ? len - 1 : len;
    luaL_argcheck(L, memchr(line, '\n', body) == NULL && memchr(line, '\r', body) == NULL, 2,
                  "line must not contain a newline");
    luaL_argcheck(L, memchr(line, '\0', len) == NULL, 2, "line must not contain a NUL byte");
    if (body == len) {
        lua_pushlstring(L, line, len);
        lua_pushliteral(L, "\n");
        lua_concat(L, 2);
        line = lua_tolstring(L, -1, &len);
    }
    if (ml_appendfile_write(path, line, len)) return mlua_core_error(L, "append_line");
    lua_pushboolean(L, 1);
    return 1;
}

/* lock_file(path) -> lock (with :unlock(), also on __gc/__close), or nil, message. */
static int l_lock_file(lua_State *L)
{
    mlua_checkpath(L, 1);
    lua_settop(L, 1);
    filelock *k = lua_newuserdatauv(L, sizeof *k, 1);
    k->fd = -1;
    luaL_setmetatable(L, MLUA_FILELOCK);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);   /* the path, for unlock */
    int rc = ml_appendfile_lock(lua_tostring(L, 1), &k->fd);
    if (rc == ML_EINVAL) {
        lua_pushnil(L);
        lua_pushstring(L, ml_errmsg());
        return 2;
    }
    if (rc) return mlua_core_error(L, "lock_file");
    return 1;
}

static int lock_unlock(lua_State *L)
{
    filelock *k = luaL_checkudata(L, 1, MLUA_FILELOCK);
    if (k->fd >= 0) {
        lua_getiuservalue(L, 1, 1);
        ml_appendfile_unlock(lua_tostring(L, -1), k->fd);
        k->fd = -1;
    }
    return 0;
}

static int lock_tostring(lua_State *L)
{
    filelock *k = luaL_checkudata(L, 1, MLUA_FILELOCK);
    lua_getiuservalue(L, 1, 1);
    lua_pushfstring(L, "muonlab.filelock %s (%s)", lua_tostring(L, -1), k->fd >= 0 ? "held" : "released");
    return 1;
}

static const luaL_Reg lock_meta[] = {
    {"__gc", lock_unlock}, {"__close", lock_unlock}, {"__tostring", lock_tostring}, {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"append_line", l_append_line}, {"lock_file", l_lock_file}, {NULL, NULL},
};

void mlua_open_sweep(lua_State *L)
{
    if (luaL_newmetatable(L, MLUA_FILELOCK)) {
        luaL_setfuncs(L, lock_meta, 0);
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, lock_unlock);
        lua_setfield(L, -2, "unlock");
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
}
