-- muonlab.atomic: replace a file in one step, so a reader (or a crash) sees the old file or
-- the new one, never half of one. A thin layer over the core's one atomic-write path
-- (core/files.h: unique temporary beside the target, fsync, rename, fsync of the directory;
-- a symbolic link is written through, a FIFO or device refused, the file's mode kept).
--
--   atomic.write(path, content)        content: a string, or function(f) that calls f:write(...)
--   local tmp = atomic.stage(path, content)   -- a fresh temporary beside path
--   atomic.commit(tmp, path)           -- fsync tmp, rename it over path, fsync the directory
--   atomic.discard(tmp)                -- give up on a staged file
--   atomic.tmpname(path)               -- an empty staged file for another program to fill
local core = require "muonlab.core"

local M = {}

-- A string, or what function(f) wrote through f:write.
local function text_of(path, content)
  local kind = type(content)
  if kind == "string" then return content end
  if kind ~= "function" then
    error("atomic: content for '" .. tostring(path) .. "' must be a string or a function(file), got " .. kind, 3)
  end
  local parts = {}
  local f = {}
  function f.write(self, ...)
    for i = 1, select("#", ...) do
      local v = select(i, ...)
      if type(v) ~= "string" and type(v) ~= "number" then error("atomic: write of a " .. type(v), 2) end
      parts[#parts + 1] = tostring(v)
    end
    return self
  end
  local ok, err = pcall(content, f)
  if not ok then error("atomic: cannot write '" .. path .. "': " .. tostring(err), 3) end
  return table.concat(parts)
end

local function core_call(fn, what, path, ...)
  local ok, err = pcall(fn, ...)
  if not ok then error(("atomic: cannot %s '%s': %s"):format(what, path, tostring(err)), 3) end
  return err
end

function M.tmpname(path)
  assert(type(path) == "string", "atomic: path must be a string")
  return core_call(core.stage_file, "write", path, path, "")
end

function M.discard(tmp)
  os.remove(tmp)   -- only ever our own temporary
end

function M.stage(path, content)
  return core_call(core.stage_file, "write", path, path, text_of(path, content))
end

function M.commit(tmp, path)
  local ok, err = pcall(core.commit_file, tmp, path)
  if not ok then
    os.remove(tmp)
    error("atomic: cannot replace '" .. path .. "': " .. tostring(err), 2)
  end
  return path
end

function M.write(path, content)
  core_call(core.write_file, "write", path, path, text_of(path, content))
  return path
end

return M
