-- The file half of the fuzzer (issue 12 items 7, 8, 11): loaders and writers against every
-- kind of file a user or an attacker can put at a path -- FIFOs, devices, directories,
-- symbolic links (to those, dangling, in a loop), headers promising more than the file holds
-- (plain and gzip'd), random bytes -- and two writers replacing one file while it is read.
-- Called by fuzz.lua after its random API calls: require-free, returns
--   function(ml, tmp, R, findings, calls)
-- and appends a line to `findings` for each property that fails:
--   * every call returns or raises a string error, within 5 s (a FIFO never blocks a loader,
--     /dev/zero is never read to the end, a promised 16 GB is never allocated first);
--   * a writer never replaces a FIFO, device or directory, and leaves no temporary behind;
--   * a load of a non-regular file fails, naming what it is;
--   * with two concurrent writers every successful load is one of the two written matrices.
return function(ml, tmp, R, findings, calls)
  local csv = require "muonlab.csv"
  local atomic = require "muonlab.atomic"
  local dir = tmp .. "/files"
  ml.mkdir(dir, { parents = true })
  local function q(s) return "'" .. s:gsub("'", [['\'']]) .. "'" end
  local function sh(cmd)
    local p = io.popen(cmd .. " 2>/dev/null")
    local o = p:read("a")
    p:close()
    return o
  end
  local function kind(path) return (sh("stat -c %F " .. q(path)):gsub("%s+$", "")) end
  local function pick(t) return t[R(#t)] end
  local function put(name, bytes)
    local f = assert(io.open(dir .. "/" .. name, "wb"))
    f:write(bytes)
    f:close()
    return dir .. "/" .. name
  end
  local function npy(shape, ndata)
    local h = ("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }"):format(shape)
    h = h .. (" "):rep(63 - (10 + #h) % 64) .. "\n"
    return "\x93NUMPY\x01\x00" .. string.pack("<I2", #h) .. h .. ("\0"):rep(ndata)
  end
  local function idx(dims, ndata)
    local s = "\0\0\8" .. string.char(#dims)
    for _, d in ipairs(dims) do s = s .. string.pack(">I4", d) end
    return s .. ("\1"):rep(ndata)
  end

  -- the kinds of input
  local special = {}   -- path -> what `stat -c %F` must still say afterwards
  local fifo = dir .. "/fifo.npy"
  os.execute("mkfifo " .. q(fifo))
  special[fifo] = "fifo"
  os.execute("cd " .. q(dir) .. " && ln -s fifo.npy to_fifo.npy && ln -s nowhere/x.npy dangling.npy"
    .. " && ln -s loop_b loop_a && ln -s loop_a loop_b && mkdir sub.npy")
  special[dir .. "/sub.npy"] = "directory"
  special["/dev/null"] = "character special file"
  local inputs = { fifo, dir .. "/to_fifo.npy", dir .. "/dangling.npy", dir .. "/loop_a", dir .. "/sub.npy",
    "/dev/zero", "/dev/null", dir .. "/missing" }
  local function random_input()
    local c = R(6)
    if c <= 2 then return pick(inputs) end
    if c == 3 then   -- an .npy header promising up to 2^31 doubles, with a few bytes
      local n = pick { 1, 3, 1000, 2 ^ 20, 2 ^ 31 - 1, 2 ^ 31, 2 ^ 40 }
      return put("h" .. R(20) .. ".npy", npy(("(%d, %d)"):format(math.tointeger(n) or 1, R(3)), R(0, 40)))
    end
    if c == 4 then   -- an idx header, plain or gzip'd
      local dims = { pick { 1, 5, 32768, 65535, 4294967295 }, pick { 1, 2, 65536 } }
      local p = put("h" .. R(20) .. ".idx", idx(dims, R(0, 40)))
      if R(2) == 1 then os.execute("gzip -f " .. q(p)); p = p .. ".gz" end
      return p
    end
    if c == 5 then   -- random bytes under a loader's favourite names
      local t = {}
      for i = 1, R(0, 200) do t[i] = string.char(R(0, 255)) end
      return put("r" .. R(10) .. pick { ".npy", ".txt", ".csv", ".idx" }, table.concat(t))
    end
    return put("good.txt", "1 2\n3 4\n")
  end

  local loaders = {
    load = function(p) return ml.load(p) end,
    load_idx = function(p) return ml.load_idx(p, { limit = R(0, 3) }) end,
    idx_header = function(p) return ml.idx_header(p) end,
    corpus = function(p) return ml.corpus(p) end,
  }
  local writers = {
    save = function(p) return ml.save(p, ml.eye(2)) end,
    write_file = function(p) return ml.write_file(p, "x\n") end,
    atomic = function(p) return atomic.write(p, "x\n") end,
    csv = function(p) return csv.write(p, { "a" }, { { a = 1 } }) end,
    append_line = function(p) return ml.append_line(p, "x") end,
  }
  local lnames, wnames = {}, {}
  for k in pairs(loaders) do lnames[#lnames + 1] = k end
  for k in pairs(writers) do wnames[#wnames + 1] = k end
  table.sort(lnames)
  table.sort(wnames)

  local function call(label, fn, arg)
    local t0 = ml.now()
    local ok, e = pcall(fn, arg)
    local dt = ml.now() - t0
    if not ok and type(e) ~= "string" then
      findings[#findings + 1] = ("files: %s(%q) raised a %s"):format(label, arg, type(e))
    end
    if dt > 5 then findings[#findings + 1] = ("files: %s(%q) took %.1f s"):format(label, arg, dt) end
    return ok, e
  end

  local nload, nwrite = 0, 0
  for _ = 1, calls do
    if R(2) == 1 then
      local name, p = pick(lnames), random_input()
      local ok, e = call(name, loaders[name], p)
      nload = nload + 1
      local k = special[p] or (p == "/dev/zero" and "character special file")
      if k and (ok or not tostring(e):find(k == "fifo" and "FIFO" or k == "directory" and "directory"
        or "device", 1, true)) then
        findings[#findings + 1] = ("files: %s(%q) on a %s: %s"):format(name, p, k, ok and "returned" or e)
      end
    else
      local name = pick(wnames)
      local p = R(3) == 1 and dir .. "/out" .. R(5) .. pick { ".npy", ".txt", ".csv" } or pick(inputs)
      if p == "/dev/zero" then p = "/dev/null" end
      if name == "append_line" and (p:find("^/dev/") or p:find("fifo")) then p = dir .. "/lines.txt" end
      call(name, writers[name], p)
      nwrite = nwrite + 1
    end
  end
  for p, k in pairs(special) do
    if kind(p) ~= k then findings[#findings + 1] = ("files: %s is now a %s, not a %s"):format(p, kind(p), k) end
  end
  local temps = sh("ls -a " .. q(dir) .. " | grep -c '%.tmp%.'"):match("%d+")
  if temps and temps ~= "0" then findings[#findings + 1] = ("files: %s temporaries left in %s"):format(temps, dir) end

  -- two writers (in separate PID namespaces when unshare works) and this process reading
  local host = arg and arg[-1]
  local raced = "skipped (no host path)"
  if host then
    local ns = sh("unshare --pid --fork sh -c 'echo $$'") == "1\n" and "unshare --pid --fork " or ""
    local target, script = dir .. "/race.npy", dir .. "/writer.lua"
    ml.write_file(script, [[
local target, which, done = ...
local A = which == "a" and ml.ones(16, 16) or ml.matrix(10, 30, 2)
local ok, err = pcall(function() for _ = 1, 200 do ml.save(target, A) end end)
ml.write_file(done, ok and "ok" or tostring(err))
]])
    ml.save(target, ml.ones(16, 16))
    for _, w in ipairs { "a", "b" } do
      os.execute(("%s%s %s %s %s %s >%s 2>&1 &"):format(ns, q(host), q(script), q(target), w, q(dir .. "/done." .. w),
        q(dir .. "/log." .. w)))
    end
    local loads, bad, t0 = 0, 0, ml.now()
    local function exists(p) local f = io.open(p) if f then f:close() end return f ~= nil end
    local function said(w)
      local f = io.open(dir .. "/done." .. w)
      local s = f and f:read("a")
      if f then f:close() end
      return s
    end
    local function gave_up(w) local x = said(w) return x ~= nil and x ~= "ok" end
    while not (exists(dir .. "/done.a") and exists(dir .. "/done.b")) and not gave_up("a") and not gave_up("b")
      and ml.now() - t0 < 60 do
      local ok, M = pcall(ml.load, target)
      loads = loads + 1
      local r, c = 0, 0
      if ok then r, c = M:shape() end
      if not ok or not ((r == 16 and c == 16) or (r == 10 and c == 30)) then bad = bad + 1 end
      if R(4) == 1 then call("load", loaders.load, random_input()) end
    end
    if said("a") ~= "ok" or said("b") ~= "ok" then
      findings[#findings + 1] = ("files: the concurrent writers did not finish: %s / %s"):format(tostring(said("a")),
        tostring(said("b")))
    elseif bad > 0 then
      findings[#findings + 1] = ("files: %d of %d loads during concurrent writes failed"):format(bad, loads)
    end
    raced = ("%d loads while two writers%s replaced the file"):format(loads, ns ~= "" and " in separate PID namespaces"
      or " (one PID namespace: unshare does not work here)")
  end
  print(("fuzz: files: %d loads and %d writes on FIFOs, devices, directories, links and broken headers; %s")
    :format(nload, nwrite, raced))
end
