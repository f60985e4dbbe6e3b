/* bin/muonlab: a stand-alone Lua 5.4 interpreter with the muonlab module preloaded.
 * It behaves like the stock `lua` program (script and `arg`, -e, -i, -v, -, a REPL)
 * and makes the module available as the global `ml` as well as `require "muonlab"`. */
#include "lmuonlab.h"
#include "blas_core.h"
#include <lualib.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef ML_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

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

/* Ctrl-C while Lua code runs raises "interrupted!" at the next Lua instruction (as lua.c does);
 * a second Ctrl-C, or one inside a long C call, ends the program. */
static lua_State *running_L;

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

static void on_sigint(int sig)
{
    signal(sig, SIG_DFL);
    lua_sethook(running_L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    running_L = L;
    signal(SIGINT, on_sigint);
    int status = lua_pcall(L, narg, nres, base);
    signal(SIGINT, SIG_DFL);
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

/* ---- REPL ----------------------------------------------------------------
 * Like lua5.4's: each line is tried as `return <line>` first (so a bare expression prints),
 * then as a statement, continued with ">> " while the chunk ends in "<eof>"; `=expr` is
 * `return expr`. Lines load in text mode only: input starting with ESC (an arrow key on a
 * terminal without line editing) must not be taken for a binary chunk. On a terminal, GNU
 * readline gives line editing, history in ~/.muonlab_history ($MUONLAB_HISTORY; "" keeps none)
 * and tab completion of names (muonlab.repl.complete). Results print through `print`, so a
 * matrix shows as muonlab.show formats it. */

#define HISTORY_LINES 1000   /* entries kept in the history file */

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

#ifdef ML_READLINE
static lua_State *completion_L;   /* the REPL's state, idle while readline runs */
static char history_file[PATH_MAX];

/* readline's generator: on state 0 ask muonlab.repl.complete(text) for the candidates (kept in
 * the registry), then hand them out one per call; readline frees what it gets. */
static char *completion_next(const char *text, int state)
{
    lua_State *L = completion_L;
    static lua_Integer next, count;
    if (state == 0) {
        next = 1;
        count = 0;
        lua_getglobal(L, "require");
        lua_pushliteral(L, "muonlab.repl");
        if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) {
            lua_getfield(L, -1, "complete");
            lua_pushstring(L, text);
            if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) {
                count = (lua_Integer)lua_rawlen(L, -1);
                lua_setfield(L, LUA_REGISTRYINDEX, "muonlab.repl.candidates");
            } else
                lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (next > count) return NULL;
    lua_getfield(L, LUA_REGISTRYINDEX, "muonlab.repl.candidates");
    lua_rawgeti(L, -1, next++);
    const char *s = lua_tostring(L, -1);
    char *match = s ? strdup(s) : NULL;
    lua_pop(L, 2);
    return match;
}

/* Ctrl-C at the prompt drops the line being typed and gives a fresh prompt. Readline catches
 * the signal, restores the terminal and re-raises it to this handler before carrying on. */
static void on_prompt_sigint(int sig)
{
    rl_replace_line("", 0);
    rl_crlf();
    rl_on_new_line();
    rl_redisplay();
}

static char **completion(const char *text, int start, int end)
{
    rl_attempted_completion_over = 1;   /* no file names */
    rl_completion_append_character = '\0';   /* reset by readline before every completion */
    return rl_completion_matches(text, completion_next);
}

static void history_open(lua_State *L)
{
    completion_L = L;
    rl_readline_name = "muonlab";
    rl_attempted_completion_function = completion;
    /* '.' and ':' stay inside a word, so "ml.ey" and "A:sh" complete as a whole */
    rl_completer_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^#~[]";
    rl_basic_quote_characters = "";
    history_comment_char = '#';     /* timestamps ("#<time>" lines) delimit the entries, */
    history_write_timestamps = 1;   /* so a multi-line chunk comes back as one entry */
    history_multiline_entries = 1;
    using_history();
    stifle_history(HISTORY_LINES);
    const char *env = getenv("MUONLAB_HISTORY"), *home = getenv("HOME");
    history_file[0] = 0;
    if (env)
        snprintf(history_file, sizeof history_file, "%s", env);
    else if (home && *home)
        snprintf(history_file, sizeof history_file, "%s/.muonlab_history", home);
    if (history_file[0]) read_history(history_file);
}

static void history_close(void)
{
    if (history_file[0]) write_history(history_file);   /* the stifled list: at most HISTORY_LINES entries */
    clear_history();
}

static void history_save(const char *chunk)
{
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (*chunk && !(last && !strcmp(last->line, chunk))) add_history(chunk);
}
#endif

/* One line without its newline on the Lua stack, or 0 at end of input. Readline on a
 * terminal (when built with it), fgets otherwise; a line longer than the buffer is read whole. */
static int push_line(lua_State *L, const char *prompt, int tty)
{
#ifdef ML_READLINE
    if (tty) {
        void (*previous)(int) = signal(SIGINT, on_prompt_sigint);
        char *line = readline(prompt);
        signal(SIGINT, previous);
        if (!line) return 0;
        lua_pushstring(L, line);
        free(line);
        return 1;
    }
#endif
    if (tty) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    char buf[1024];
    int got = 0;
    while (fgets(buf, sizeof buf, stdin)) {
        got = 1;
        size_t len = strlen(buf);
        int eol = len && buf[len - 1] == '\n';
        luaL_addlstring(&b, buf, len - eol);
        if (eol) break;
    }
    luaL_pushresult(&b);
    if (!got) lua_pop(L, 1);
    return got;
}

/* Reads and compiles one chunk; leaves the function (or an error message) on top. Returns the
 * load status, or -1 at end of input. */
static int load_chunk(lua_State *L, int tty)
{
    if (!push_line(L, "> ", tty)) return -1;
    int typed = lua_gettop(L);   /* the text as typed, for the history */
    const char *line = lua_tostring(L, typed);
    if (line[0] == '=')   /* "=expr", as in lua5.4's REPL */
        lua_pushfstring(L, "return %s", line + 1);
    else
        lua_pushvalue(L, typed);
    int base = typed + 1;   /* the chunk read so far */
    const char *ret = lua_pushfstring(L, "return %s", lua_tostring(L, base));
    int status = luaL_loadbufferx(L, ret, strlen(ret), "=stdin", "t");
    if (status == LUA_OK) {
        lua_remove(L, -2);
    } else {
        lua_pop(L, 2);
        for (;;) {
            size_t l;
            const char *chunk = lua_tolstring(L, base, &l);
            status = luaL_loadbufferx(L, chunk, l, "=stdin", "t");
            if (!incomplete(L, status)) break;
            if (!push_line(L, ">> ", tty)) {
                lua_pushliteral(L, "stdin: unfinished chunk at end of input");
                status = LUA_ERRSYNTAX;
                break;
            }
            lua_pushfstring(L, "%s\n%s", lua_tostring(L, base), lua_tostring(L, -1));
            lua_replace(L, base);
            lua_pushfstring(L, "%s\n%s", lua_tostring(L, typed), lua_tostring(L, -1));
            lua_replace(L, typed);
            lua_pop(L, 1);
        }
    }
#ifdef ML_READLINE
    if (tty) history_save(lua_tostring(L, typed));
#endif
    lua_remove(L, base);
    lua_remove(L, typed);
    return status;
}

static void print_results(lua_State *L)
{
    int n = lua_gettop(L);
    if (n == 0) return;
    lua_getglobal(L, "print");
    lua_insert(L, 1);
    if (lua_pcall(L, n, 0, 0) != LUA_OK) {
        fprintf(stderr, "error calling 'print' (%s)\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}

static void repl(lua_State *L)
{
    int tty = isatty(0);
    if (tty) printf("%s (%s)  type Lua; `ml` is the module, ml.help() lists it\n", ML_VERSION, LUA_RELEASE);
#ifdef ML_READLINE
    if (tty) history_open(L);
#endif
    int status;
    lua_settop(L, 0);
    while ((status = load_chunk(L, tty)) != -1) {
        if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
        if (status == LUA_OK)
            print_results(L);
        else {
            fflush(stdout);   /* keep the order of results and errors when both go to one file */
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            fflush(stderr);
        }
        lua_settop(L, 0);
    }
#ifdef ML_READLINE
    if (tty) history_close();
#endif
    if (tty) fputc('\n', stdout);
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
    ml_blas_core_reexec(argv);   /* OpenBLAS kernels that use this CPU's AVX2/AVX-512, when it fell back */
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
