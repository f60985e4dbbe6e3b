-- Shared by the specs that make scratch files (files_spec.lua, sweep_hardening_spec.lua); load
-- with dofile("tests/lua/file_helper.lua") from the repo root and call teardown(H.cleanup).
local ml = require "muonlab"

local H = {}
local dirs = {}

-- a fresh directory under $TMPDIR, removed by H.cleanup
function H.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  ml.mkdir(p)
  dirs[#dirs + 1] = p
  return p
end

function H.cleanup()
  for _, d in ipairs(dirs) do os.execute("rm -rf " .. H.q(d)) end
  dirs = {}
end

function H.q(s) return "'" .. s:gsub("'", [['\'']]) .. "'" end

-- output and exit status of a shell command, "rc=N" on the last line
function H.sh(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
  local o = p:read("a")
  p:close()
  return o
end

function H.slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function H.spit(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- the message of an error fn(...) must raise
function H.errmsg(fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected an error")
  return tostring(e)
end

return H
