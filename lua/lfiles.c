/* Files from Lua (core/files.h): the one atomic-write path every writer uses, directories
 * without a shell, and the file-name check of every binding that takes a path.
 *   ml.write_file(path, data)            atomic, durable replacement (lua/muonlab/atomic.lua)
 *   ml.stage_file(path, data) -> tmp     a unique temporary beside path, for another program
 *   ml.commit_file(tmp, path)            fsync tmp, rename it over path, fsync the directory
 *   ml.mkdir(path[, {parents = false}])  mkdir(2); parents: also the missing parents, and an
 *                                        existing directory is fine (mkdir -p)
 *   ml.remove(path[, {recursive = false}]) unlink/rmdir; recursive: the whole tree (rm -rf
 *                                        without a shell; links removed, never followed)
 *   ml.resolve_path(path) -> string      symbolic links of the last component followed, the
 *                                        directory canonical: one string per file */
#include "lmuonlab.h"
#include "files.h"

static int l_write_file(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    size_t n;
    const char *data = luaL_checklstring(L, 2, &n);
    if (ml_atomic_write(path, data, n)) return mlua_core_error(L, "write_file");
    return 0;
}

static int l_stage_file(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    size_t n;
    const char *data = luaL_optlstring(L, 2, "", &n);
    char tmp[ML_PATH_MAX];
    if (ml_atomic_stage(path, data, n, tmp, sizeof tmp)) return mlua_core_error(L, "stage_file");
    lua_pushstring(L, tmp);
    return 1;
}

static int l_commit_file(lua_State *L)
{
    const char *tmp = mlua_checkpath(L, 1);
    const char *path = mlua_checkpath(L, 2);
    if (ml_atomic_commit_file(tmp, path)) return mlua_core_error(L, "commit_file");
    return 0;
}

static const mlua_opt mkdir_opts[] = {
    {"parents", "a boolean", "false", "also create missing parents; an existing directory is fine (mkdir -p)"},
    {NULL},
};

static int l_mkdir(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    mlua_checkopts(L, 2, mkdir_opts);
    if (ml_mkdir(path, mlua_optboolean(L, 2, "parents", 0))) return mlua_core_error(L, "mkdir");
    return 0;
}

static const mlua_opt remove_opts[] = {
    {"recursive", "a boolean", "false", "also a directory and everything below it (symbolic links are removed, never followed)"},
    {NULL},
};

static int l_remove(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    mlua_checkopts(L, 2, remove_opts);
    if (ml_remove(path, mlua_optboolean(L, 2, "recursive", 0))) return mlua_core_error(L, "remove");
    return 0;
}

static int l_resolve_path(lua_State *L)
{
    const char *path = mlua_checkpath(L, 1);
    char out[ML_PATH_MAX];
    if (ml_file_resolve(path, out, sizeof out)) return mlua_core_error(L, "resolve_path");
    lua_pushstring(L, out);
    return 1;
}

static const luaL_Reg functions[] = {
    {"write_file", l_write_file}, {"stage_file", l_stage_file}, {"commit_file", l_commit_file},
    {"mkdir", l_mkdir}, {"remove", l_remove}, {"resolve_path", l_resolve_path}, {NULL, NULL},
};

void mlua_open_files(lua_State *L)
{
    luaL_setfuncs(L, functions, 0);
    mlua_register_opts(L, "mkdir", mkdir_opts);
    mlua_register_opts(L, "remove", remove_opts);
}
