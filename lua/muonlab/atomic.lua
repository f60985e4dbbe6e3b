-- muonlab.atomic: replace a file in one step, so a reader (or a crash) sees the
-- old file or the new one, never half of one.
--
--   atomic.write(path, content)        content: a string, or function(f) that writes to f
--   local tmp = atomic.stage(path, content)   -- fresh temp file beside path
--   atomic.commit(tmp, path)           -- os.rename over path
--   atomic.discard(tmp)                -- give up on a staged file
--
-- The temp file lives in the target's directory (`<path>.tmp.<random>`) because
-- rename(2) is only atomic within one file system.

local M = {}

local fallback_counter = 0

-- Random suffix from /dev/urandom, not math.random: writing a file must never
-- advance the random stream of an experiment that seeded it.
local function suffix()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(6)
  if f then f:close() end
  if bytes and #bytes == 6 then
    return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
  end
  fallback_counter = fallback_counter + 1
  return string.format("%x%x%s", os.time(), fallback_counter, tostring({}):match("(%x+)$") or "")
end

function M.tmpname(path)
  assert(type(path) == "string", "atomic: path must be a string")
  return path .. ".tmp." .. suffix()
end

function M.discard(tmp)
  os.remove(tmp)
end

function M.stage(path, content)
  local kind = type(content)
  if kind ~= "string" and kind ~= "function" then
    error("atomic: content for '" .. tostring(path) .. "' must be a string or a function(file), got " .. kind, 2)
  end
  local tmp = M.tmpname(path)
  local f, err = io.open(tmp, "wb")
  if not f then
    error("atomic: cannot write '" .. path .. "': " .. err, 2)
  end
  local ok, werr = pcall(function()
    if kind == "function" then
      content(f)
    else
      local wok, e = f:write(content)
      if not wok then error(e, 0) end
    end
  end)
  -- close even after a failed write; a failed close (a late flush) is a failed write too
  local cok, cerr = f:close()
  if not ok or not cok then
    os.remove(tmp)
    error("atomic: cannot write '" .. path .. "': " .. tostring(ok and cerr or werr), 2)
  end
  return tmp
end

function M.commit(tmp, path)
  local ok, err = os.rename(tmp, path)
  if not ok then
    os.remove(tmp)
    error("atomic: cannot replace '" .. path .. "': " .. tostring(err), 2)
  end
  return path
end

function M.write(path, content)
  local ok, res = pcall(M.stage, path, content)
  if not ok then error(res, 2) end
  ok, res = pcall(M.commit, res, path)
  if not ok then error(res, 2) end
  return path
end

return M
