-- Shared by the specs that run study scripts in a child host (experiments_spec.lua,
-- optim_studies_spec.lua); load with dofile("tests/lua/study_helper.lua") from the repo root.
--   H.HOST          the host program ($MUONLAB_HOST or bin/muonlab)
--   H.sh(cmd)       runs cmd with stderr merged: exit status, output
--   H.slurp(path)   a file's bytes, or nil
--   H.count(rows, pred)
--   H.tempdir(setup, teardown)  registers (with the spec's busted setup/teardown: a dofile'd chunk
--                   does not see the spec's environment) a temp dir's creation and removal;
--                   returns a function giving its path
local H = {}

H.HOST = os.getenv("MUONLAB_HOST") or "bin/muonlab"

function H.sh(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
  local out = p:read("a")
  p:close()
  return tonumber(out:match("rc=(%d+)%s*$")), out
end

H.slurp = dofile("tests/lua/file_helper.lua").slurp

function H.count(rows, pred)
  local n = 0
  for _, r in ipairs(rows) do if pred(r) then n = n + 1 end end
  return n
end

function H.tempdir(setup, teardown)
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p '" .. dir .. "'"))
  end)
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)
  return function() return dir end
end

return H
