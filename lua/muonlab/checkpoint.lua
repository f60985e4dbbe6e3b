-- muonlab.checkpoint: a folder holding a table of matrices and plain values (model parameters,
-- an optimizer's state_dict, counters). Every matrix goes to its own .npy file through ml.save
-- (dtype kept), everything else to state.lua as a Lua table literal that refers to the files.
-- A save writes <dir>.tmp and renames it over <dir>, so an interrupted save leaves the previous
-- checkpoint whole.
--   local checkpoint = require "muonlab.checkpoint"
--   checkpoint.save("ckpt/gpt", {step = 100, params = model:params(), opt = opt:state_dict()})
--   local t = checkpoint.load("ckpt/gpt")    -- nil, message when there is none
-- Values: numbers (NaN and ±inf included), strings, booleans, matrices and tables of them
-- (string or integer keys, no cycles); anything else is an error naming its key path.
local ml = require "muonlab"

local M = {}

local function num(v)
  if v ~= v then return "0/0" end
  if v == math.huge then return "1/0" end
  if v == -math.huge then return "-1/0" end
  if math.type(v) == "integer" then return ("%d"):format(v) end
  return ("%.17g"):format(v)
end

-- Lua source of v; matrices saved into dir as m<k>.npy
local function serialize(v, dir, files, path, seen)
  local t = type(v)
  if t == "number" then return num(v) end
  if t == "string" then return ("%q"):format(v) end
  if t == "boolean" then return tostring(v) end
  if ml.ismatrix(v) then
    files.n = files.n + 1
    local name = ("m%d.npy"):format(files.n)
    ml.save(dir .. "/" .. name, v)
    return ("{__npy = %q}"):format(name)
  end
  if t ~= "table" then error(("checkpoint.save: %s is a %s (numbers, strings, booleans, matrices and tables only)")
    :format(path, t), 0) end
  if seen[v] then error(("checkpoint.save: %s refers back to an enclosing table"):format(path), 0) end
  seen[v] = true
  local keys = {}
  for k in pairs(v) do
    if type(k) ~= "string" and math.type(k) ~= "integer" then
      error(("checkpoint.save: %s has a key of type %s"):format(path, type(k)), 0)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  local parts = {}
  for _, k in ipairs(keys) do
    local ks = type(k) == "string" and ("[%q]"):format(k) or ("[%d]"):format(k)
    parts[#parts + 1] = ks .. " = " .. serialize(v[k], dir, files, path .. (type(k) == "string" and "." .. k or "[" .. k .. "]"), seen)
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- save(dir, t): t a table as described above
function M.save(dir, t)
  if type(dir) ~= "string" or dir == "" then error("bad argument #1 to 'checkpoint.save' (directory name expected)", 2) end
  if type(t) ~= "table" then error("bad argument #2 to 'checkpoint.save' (table expected)", 2) end
  if dir:find("\0", 1, true) then error("bad argument #1 to 'checkpoint.save' (name contains a NUL byte)", 2) end
  local tmp = dir .. ".tmp"
  ml.remove(tmp, { recursive = true })
  local made, merr = pcall(ml.mkdir, tmp, { parents = true })   -- no shell
  if not made then error(("checkpoint.save: cannot create %s: %s"):format(tmp, tostring(merr)), 2) end
  local ok, src = pcall(serialize, t, tmp, { n = 0 }, "checkpoint", {})
  if not ok then
    ml.remove(tmp, { recursive = true })
    error(src, 2)
  end
  ml.write_file(tmp .. "/state.lua", "return " .. src .. "\n")   -- fsync'ed like the .npy files
  local old = dir .. ".old"
  ml.remove(old, { recursive = true })
  os.rename(dir, old)   -- fails harmlessly when there is no previous checkpoint
  local moved, why = os.rename(tmp, dir)
  if not moved then error(("checkpoint.save: cannot rename %s to %s: %s"):format(tmp, dir, tostring(why)), 2) end
  ml.remove(old, { recursive = true })
end

local function restore(v, dir)
  if type(v) ~= "table" then return v end
  if v.__npy then return (ml.load(dir .. "/" .. v.__npy)) end
  for k, x in pairs(v) do v[k] = restore(x, dir) end
  return v
end

-- load(dir) -> the saved table (matrices loaded), or nil and a message when dir holds none
function M.load(dir)
  if type(dir) ~= "string" then error("bad argument #1 to 'checkpoint.load' (directory name expected)", 2) end
  local f = io.open(dir .. "/state.lua", "rb")
  if not f then return nil, ("no checkpoint in %s"):format(dir) end
  local src = f:read("a")
  f:close()
  local chunk, err = load(src, "=" .. dir .. "/state.lua", "t", {})
  if not chunk then error(("checkpoint.load: %s"):format(err), 2) end
  local ok, t = pcall(chunk)
  if not ok or type(t) ~= "table" then error(("checkpoint.load: %s/state.lua does not return a table"):format(dir), 2) end
  return restore(t, dir)
end

return M
