/* bin/muonlab: a stand-alone Lua 5.4 interpreter with the muonlab module preloaded.
 * It behaves like the stock `lua` program (script and `arg`, -e, -i, -v, -, a REPL)
 * and makes the module available as the global `ml` as well as `require "muonlab"`. */
#include "lmuonlab.h"
#include <lualib.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ML_VERSION "muonlab 0.1"

static const char *progname = "muonlab";

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [options] [script [args]]\n"
            "Available options are:\n"
            "  -e stat   execute string 'stat'\n"
            "  -i        enter interactive mode after executing 'script'\n"
            "  -l mod    require library 'mod' into global 'mod'\n"
            "  -v        show version information\n"
            "  --help    show this help\n"
            "  --        stop handling options\n"
            "  -         stop handling options and execute stdin\n"
            "The module is preloaded: `ml` is a global, and require \"muonlab\" returns it.\n",
            progname);
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, narg, nres, base);
    lua_remove(L, base);
    return status;
}

static int report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
        fflush(stderr);
        lua_pop(L, 1);
    }
    return status;
}

/* package.path gets the Lua library that sits beside the program: <bin>/../lua (source
 * tree) and <bin>/../share/lua/5.4 (installed), ahead of the default path. */
static void set_paths(lua_State *L)
{
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = 0;
    snprintf(dir, sizeof dir, "%s", dirname(exe));
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/../lua/?.lua;%s/../lua/?/init.lua;%s/../share/lua/5.4/?.lua;%s/../share/lua/5.4/?/init.lua;%s",
                    dir, dir, dir, dir, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 2);
}

static int open_muonlab(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_muonlab_core);
    lua_setfield(L, -2, "muonlab.core");
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "muonlab");
    int status = docall(L, 1, 1);
    if (status != LUA_OK) return report(L, status);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "ml");
    lua_setglobal(L, "muonlab");
    return LUA_OK;
}

static void create_arg_table(lua_State *L, char **argv, int argc, int script)
{
    lua_createtable(L, argc - script, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int run_script(lua_State *L, char **argv, int argc, int script)
{
    const char *fname = argv[script];
    if (!strcmp(fname, "-") && strcmp(argv[script - 1], "--")) fname = NULL;   /* stdin */
    int status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        int n = argc - script - 1;
        luaL_checkstack(L, n + 3, "too many arguments to script");
        for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
        status = docall(L, n, LUA_MULTRET);
    }
    return report(L, status);
}

static int dostring(lua_State *L, const char *s, const char *name)
{
    int status = luaL_loadbuffer(L, s, strlen(s), name);
    if (status == LUA_OK) status = docall(L, 0, 0);
    return report(L, status);
}

static int dolibrary(lua_State *L, const char *name)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, name);
    int status = docall(L, 1, 1);
    if (status == LUA_OK) lua_setglobal(L, name);
    return report(L, status);
}

/* ---- REPL ---------------------------------------------------------------- */

static int incomplete(lua_State *L, int status)
{
    if (status == LUA_ERRSYNTAX) {
        size_t lmsg;
        const char *msg = lua_tolstring(L, -1, &lmsg);
        if (lmsg >= 5 && !strcmp(msg + lmsg - 5, "<eof>")) {
            lua_pop(L, 1);
            return 1;
        }
    }
    return 0;
}

static int readline_(char *buf, size_t n, const char *prompt)
{
    if (isatty(0)) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
    return fgets(buf, (int)n, stdin) != NULL;
}

static void print_results(lua_State *L)
{
    int n = lua_gettop(L);
    if (n == 0) return;
    lua_getglobal(L, "print");
    lua_insert(L, 1);
    if (lua_pcall(L, n, 0, 0) != LUA_OK) report(L, LUA_ERRRUN);
}

static void repl(lua_State *L)
{
    char line[8192];
    const char *old = progname;
    progname = NULL;
    if (isatty(0)) printf("%s (%s)  type Lua; `ml` is the module, ml.help() lists it\n", ML_VERSION, LUA_RELEASE);
    while (readline_(line, sizeof line, "> ")) {
        lua_settop(L, 0);
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = 0;
        /* First try the line as an expression, then as a statement (continued while incomplete). */
        const char *ret = lua_pushfstring(L, "return %s", line);
        int status = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
        if (status == LUA_OK) {
            lua_remove(L, -2);
        } else {
            lua_pop(L, 2);
            lua_pushstring(L, line);   /* index 1: the chunk read so far */
            for (;;) {
                size_t l;
                const char *chunk = lua_tolstring(L, 1, &l);
                status = luaL_loadbuffer(L, chunk, l, "=stdin");
                if (!incomplete(L, status)) break;
                if (!readline_(line, sizeof line, ">> ")) {
                    lua_pushliteral(L, "stdin: unfinished chunk at end of input");
                    status = LUA_ERRSYNTAX;
                    break;
                }
                len = strlen(line);
                if (len && line[len - 1] == '\n') line[--len] = 0;
                lua_pushfstring(L, "%s\n%s", lua_tostring(L, 1), line);
                lua_replace(L, 1);
            }
            lua_remove(L, 1);
        }
        if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
        if (status == LUA_OK)
            print_results(L);
        else {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    lua_settop(L, 0);
    if (isatty(0)) fputc('\n', stdout);
    progname = old;
}

/* `muonlab merge OUT ...`: the sweep shard merger, require("muonlab.merge").main(args). */
static int run_merge(lua_State *L, char **argv, int argc)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "muonlab.merge");
    int status = docall(L, 1, 1);
    if (status != LUA_OK) return report(L, status) == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
    lua_getfield(L, -1, "main");
    lua_createtable(L, argc - 2, 0);
    for (int i = 2; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    status = docall(L, 1, 1);
    if (status != LUA_OK) return report(L, status) == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
    return (int)lua_tointeger(L, -1);
}

int main(int argc, char **argv)
{
    if (argv[0] && argv[0][0]) progname = argv[0];
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "%s: cannot create Lua state: not enough memory\n", progname);
        return EXIT_FAILURE;
    }
    luaL_openlibs(L);
    set_paths(L);
    if (argc >= 2 && !strcmp(argv[1], "merge")) {
        int rc = open_muonlab(L) == LUA_OK ? run_merge(L, argv, argc) : EXIT_FAILURE;
        lua_close(L);
        return rc;
    }

    /* Options first: find where the script name is. */
    int script = 0, interactive = 0, version = 0, has_e = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !strcmp(a, "-")) {
            script = i;
            break;
        }
        if (!strcmp(a, "--")) {
            script = i + 1 < argc ? i + 1 : 0;
            break;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            lua_close(L);
            return EXIT_SUCCESS;
        }
        if (!strcmp(a, "-i"))
            interactive = version = 1;
        else if (!strcmp(a, "-v"))
            version = 1;
        else if (!strcmp(a, "-e") || !strcmp(a, "-l")) {
            has_e |= a[1] == 'e';
            if (++i >= argc) {
                fprintf(stderr, "%s: '%s' needs argument\n", progname, a);
                usage();
                lua_close(L);
                return EXIT_FAILURE;
            }
        } else {
            fprintf(stderr, "%s: unrecognized option '%s'\n", progname, a);
            usage();
            lua_close(L);
            return EXIT_FAILURE;
        }
    }
    if (version) printf("%s (%s)\n", ML_VERSION, LUA_RELEASE);
    create_arg_table(L, argv, argc, script ? script : argc);
    int status = open_muonlab(L);
    for (int i = 1; status == LUA_OK && i < (script ? script : argc); i++) {
        if (!strcmp(argv[i], "-e")) status = dostring(L, argv[++i], "=(command line)");
        else if (!strcmp(argv[i], "-l")) status = dolibrary(L, argv[++i]);
    }
    if (status == LUA_OK && script) status = run_script(L, argv, argc, script);
    if (status == LUA_OK && (interactive || (!script && !has_e && !(version && !interactive)))) {
        if (interactive || isatty(0))
            repl(L);
        else
            status = run_script(L, (char *[]){argv[0], "-", NULL}, 2, 1);
    }
    lua_close(L);
    return status == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
