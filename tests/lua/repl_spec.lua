-- The REPL of bin/muonlab (lua/main.c): chunks piped through `muonlab -i` (no terminal needed),
-- the completion candidates (muonlab/repl.lua), the matrix's printed form (muonlab/show.lua),
-- and, when tmux is installed, a session on a real terminal: readline editing, history and Tab.
local ml = require "muonlab"
local H = dofile("tests/lua/study_helper.lua")
local HOST, sh, slurp = H.HOST, H.sh, H.slurp
local tmp = H.tempdir(setup, teardown)

local write = require("muonlab.atomic").write

-- Feeds `input` to `muonlab -i` on stdin; returns exit status and stdout+stderr.
local function repl(input)
  local path = tmp() .. "/input.lua"
  write(path, input)
  local rc, out = sh(("%s -i < '%s'"):format(HOST, path))
  return rc, (out:gsub("rc=%d+%s*$", ""))   -- sh appends the status line
end

describe("REPL on piped input", function()
  it("prints `=expr` and bare expressions, and runs statements", function()
    local rc, out = repl("=1+1\n2*21\nx = 5\nx\n='a', nil, 3\n")
    assert(rc == 0, out)
    assert.equal("muonlab 0.1 (Lua 5.4.4)\n2\n42\n5\na\tnil\t3\n", out:gsub("%(Lua [%d.]+%)", "(Lua 5.4.4)"))
  end)

  it("prints a matrix as its aligned table", function()
    local _, out = repl("ml.eye(3)\n")
    assert.truthy(out:find("muonlab.matrix 3x3 float64\n  1  0  0\n  0  1  0\n  0  0  1\n", 1, true), out)
  end)

  it("reports an error line and goes on with the next", function()
    local rc, out = repl("error('boom')\n=1+2\nnosuch.field\n=4\n")
    assert(rc == 0, out)
    assert.truthy(out:find("stdin:1: boom", 1, true), out)
    assert.truthy(out:find("\n3\n", 1, true), out)
    assert.truthy(out:find("attempt to index a nil value (global 'nosuch')", 1, true), out)
    assert.truthy(out:find("\n4\n$"), out)
  end)

  it("continues an incomplete chunk over lines (a multi-line function)", function()
    local _, out = repl("function f(x)\n  local y = x * 2\n  return y\nend\n=f(21)\nt = {\n1,\n2 }\n=#t\n")
    assert.truthy(out:find("\n42\n2\n$"), out)
  end)

  it("never loads a line as a binary chunk (an arrow key's ESC without line editing)", function()
    local _, out = repl("\27[A\n=7\n\27LuaS\n=8\n")
    assert.falsy(out:find("truncated", 1, true), out)
    assert.truthy(out:find("attempt to load a binary chunk (mode is 't')", 1, true), out)
    assert.truthy(out:find("\n7\n", 1, true) and out:find("\n8\n$"), out)
  end)

  it("says so when the input ends inside a chunk", function()
    local _, out = repl("x =\n")
    assert.truthy(out:find("unfinished chunk at end of input", 1, true), out)
  end)

  it("reads a line longer than any buffer whole", function()
    local _, out = repl("=#'" .. string.rep("x", 20000) .. "'\n")
    assert.truthy(out:find("\n20000\n$"), out)
  end)
end)

describe("REPL completion (muonlab.repl.complete)", function()
  local complete = require("muonlab.repl").complete

  it("completes ml. names, a function with '(' and a table with '.'", function()
    assert.same({ "ml.eye(" }, complete("ml.ey"))
    local all = complete("ml.")
    local set = {}
    for _, c in ipairs(all) do set[c] = true end
    assert.truthy(set["ml.svd("] and set["ml.ns("] and set["ml.version"], table.concat(all, " "))
    -- the lazily loaded modules are offered before they are loaded (ml's __keys)
    assert.truthy(set["ml.optim("] or set["ml.optim."], table.concat(all, " "))
    assert.truthy(set["ml.plot("], table.concat(all, " "))
    assert.same({ "string.format(" }, complete("string.form"))
  end)

  it("completes matrix methods after ':' (functions only)", function()
    local env = { A = ml.eye(2), t = { n = 1, f = function() end } }
    assert.same({ "A:shape(" }, complete("A:sh", env))
    assert.same({ "A:t(", "A:topk_(", "A:totable(", "A:trace(" }, complete("A:t", env))
    assert.same({ "t:f(" }, complete("t:", env))
    assert.same({ "t.f(", "t.n" }, complete("t.", env))
  end)

  it("completes globals and keywords, and nothing for unknown paths", function()
    assert.same({ "print(" }, complete("prin"))
    assert.same({ "while" }, complete("whi"))
    assert.same({}, complete("nosuch.x"))
    assert.same({}, complete("ml.eye.x"))
    assert.same({}, complete("1.5"))
  end)
end)

describe("matrix printing (muonlab.show)", function()
  local function widths(s)
    local w = {}
    for line in s:gmatch("[^\n]+") do w[#w + 1] = utf8.len(line) end
    return w
  end

  it("prints small matrices whole, in one format per table", function()
    assert.equal("muonlab.matrix 2x3 float64\n  1  -2  30\n  4   5   6", tostring(ml.from_table { { 1, -2, 30 }, { 4, 5, 6 } }))
    assert.equal("muonlab.matrix 2x2 float64\n  1.500  -2.000\n  0.001   4.000",
                 tostring(ml.from_table { { 1.5, -2 }, { 1e-3, 4 } }))
    assert.equal("muonlab.matrix 2x2 float32\n  1.000e+10  1.500e+00\n        nan       -inf",
                 tostring(ml.from_table({ { 1e10, 1.5 }, { 0 / 0, -1 / 0 } }, { dtype = "float32" })))
    assert.equal("muonlab.matrix 1x2 float64\n  0  0", tostring(ml.zeros(1, 2) * -1))   -- no "-0"
  end)

  it("shows head and tail rows and columns of a large matrix, aligned", function()
    local A = ml.randn(100, 200, { seed = 3 })
    local s = tostring(A)
    local lines = {}
    for line in s:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal("muonlab.matrix 100x200 float64", lines[1])
    assert.equal(1 + 5 + 1 + 5, #lines)   -- header, 5 head rows, the "…" row, 5 tail rows
    local w = widths(s)
    for i = 3, #w do assert.equal(w[2], w[i], s) end   -- every table row equally wide
    -- the last row shows row 100: its first and last entries as formatted
    local first, last = lines[#lines]:match("^%s*(%S+).*%s(%S+)$")
    local decimals = #first:match("%.(%d+)$")
    assert.equal(string.format("%." .. decimals .. "f", A:get(100, 1)), first)
    assert.equal(string.format("%." .. decimals .. "f", A:get(100, 200)), last)
    assert.equal(4 + 1 + 4, select(2, lines[2]:gsub("%S+", "")))   -- 4 head columns, "…", 4 tail
    assert.truthy(lines[7]:find("^%s*…"))
  end)

  it("ml.show takes limits and checks its arguments", function()
    local out = {}
    local saved = _G.print
    _G.print = function(s) out[#out + 1] = s end
    local ok, err = pcall(ml.show, ml.eye(6), { rows = 4, edge = 1, cols = 2, edge_cols = 1 })
    _G.print = saved
    assert(ok, err)
    assert.equal("muonlab.matrix 6x6 float64\n  1  …  0\n  …  …  …\n  0  …  1", out[1])
    assert.has_error(function() ml.show({}) end, "bad argument #1 to 'show' (muonlab.matrix expected, got table)")
    assert.has_error(function() ml.show(ml.eye(2), { digits = 0 }) end,
      "bad argument #2 to 'show' (option 'digits': an integer in 1..17 expected, got 0)")
    assert.has_error(function() ml.show(ml.eye(2), { colz = 3 }) end,
      "bad argument #2 to 'show' (unknown option 'colz' (did you mean 'cols'? expected one of: cols, digits, edge, edge_cols, rows))")
    assert.has_error(function() ml.show(ml.eye(2), 3) end, "bad argument #2 to 'show' (table expected, got number)")
    local ok2, err2 = pcall(function() ml.show(ml.eye(2), { rows = "x" }) end)
    assert.is_false(ok2)
    assert.matches("^[^:]*repl_spec%.lua:%d+: bad argument #2 to 'show' %(option 'rows': an integer >= 0 expected, got string%)$", err2)
    local help = require("muonlab.help").text("show")   -- rendered from show.schema
    assert.truthy(help:find("edge_cols%s+an integer >= 0; default 4"))
    local A = ml.eye(2)
    A:close()
    assert.equal("muonlab.matrix (closed)", tostring(A))
  end)
end)

-- A terminal session through tmux: keys go in with send-keys, the screen comes back with
-- capture-pane; each step waits (up to 10 s) for what it expects.
describe("REPL on a terminal (tmux)", function()
  local have_tmux = os.execute("command -v tmux >/dev/null 2>&1") == true

  it("edits lines, recalls history across sessions, completes with Tab", function()
    if not have_tmux then pending("tmux not installed: the terminal REPL test is skipped") return end
    local sock, hist = tmp() .. "/tmux.sock", tmp() .. "/history"
    local function tmux(args)
      local rc, out = sh(("tmux -S '%s' %s"):format(sock, args))
      return rc, (out:gsub("rc=%d+%s*$", ""))
    end
    finally(function() tmux("kill-server") end)   -- also when a step fails
    local function screen() return (select(2, tmux("capture-pane -p")):gsub("%s+$", "")) end
    local function wait_for(pattern)
      for _ = 1, 200 do
        local s = screen()
        if s:find(pattern) then return s end
        os.execute("sleep 0.05")
      end
      error("timed out waiting for " .. pattern .. " on the screen:\n" .. screen())
    end
    local function start()
      local rc, out = tmux(("new-session -d -x 100 -y 30 \"env MUONLAB_HISTORY='%s' %s\""):format(hist, HOST))
      assert(rc == 0, "tmux new-session failed: " .. out)
      wait_for("\n>$")
    end
    local function stop()
      tmux("send-keys C-d")
      for _ = 1, 200 do
        if tmux("has-session") ~= 0 then return end
        os.execute("sleep 0.05")
      end
      tmux("kill-server")
      error("the REPL did not end on Ctrl-D")
    end
    -- 1100 old entries: the file is cut to the last 1000 when the session ends
    local old = {}
    for i = 1, 1100 do old[#old + 1] = "#1\nold_" .. i end
    write(hist, table.concat(old, "\n") .. "\n")

    start()
    tmux("send-keys '=1+1' Enter")
    wait_for("\n2\n>$")
    tmux("send-keys 'ml.ey' Tab")                        -- completes to ml.eye(
    wait_for("> ml%.eye%($")
    tmux("send-keys '2)' Enter")
    wait_for("  0  1\n>$")
    tmux("send-keys '=10' Left Left '2' End '+3' Enter")  -- arrows move inside the line: =210+3
    wait_for("\n213\n>$")
    for _, line in ipairs { "function g(x)", "return -x", "end" } do   -- -l: "end" is not the End key
      tmux("send-keys -l '" .. line .. "'")
      tmux("send-keys Enter")
    end
    wait_for(">> end\n>$")
    tmux("send-keys Up Up Enter")                         -- recalls =210+3
    wait_for("=210%+3\n213\n>$")
    stop()

    local saved = slurp(hist)
    assert.truthy(saved:find("function g%(x%)\nreturn %-x\nend\n"), saved)   -- one multi-line entry
    local entries = select(2, saved:gsub("#%d+\n", ""))
    assert.equal(1000, entries)
    assert.falsy(saved:find("old_100\n", 1, true))
    assert.truthy(saved:find("old_1100\n", 1, true))

    start()                                               -- a new session sees the old history
    tmux("send-keys Up Up Enter")
    wait_for("end\n>$")
    tmux("send-keys '=g(5)' Enter")
    wait_for("\n%-5\n>$")
    tmux("send-keys '\27[A'")                             -- a raw ESC sequence is a key, never a chunk
    tmux("send-keys C-u '=6' Enter")
    local s = wait_for("\n6\n>$")
    assert.falsy(s:find("binary", 1, true), s)
    stop()
  end)
end)
