-- muonlab.repl: tab completion for bin/muonlab's REPL (lua/main.c calls complete on Tab).
--
--   complete("ml.ey")  --> {"ml.eye("}         a field of a table reached by a dotted path
--   complete("A:sh")   --> {"A:shape("}        a method (function) of a value, through __index
--   complete("pri")    --> {"print("}          a global name or a Lua keyword
--
-- A function completes with "(", a table with "."; nothing is called while completing except
-- a table's __index (how ml's lazily loaded modules appear), and a metatable's __keys table
-- lists names that __index would produce (see muonlab/init.lua).

local M = {}

local KEYWORDS = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
  "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
}

-- v[name] the way Lua would find it, without calling __index functions of non-tables
local function field(v, name)
  if type(v) == "table" then
    local ok, r = pcall(function() return v[name] end)
    return ok and r or nil
  end
  local mt = getmetatable(v)
  local index = type(mt) == "table" and rawget(mt, "__index")
  return type(index) == "table" and index[name] or nil
end

-- Every string key reachable from v: its own (tables), its metatables' __index tables and __keys.
local function keys(v, out, depth)
  out = out or {}
  depth = depth or 0
  if depth > 8 then return out end
  if type(v) == "table" then
    for k in next, v do out[k] = true end
  end
  local mt = getmetatable(v)
  if type(mt) == "table" then
    local extra = rawget(mt, "__keys")
    if type(extra) == "table" then for k in pairs(extra) do out[k] = true end end
    local index = rawget(mt, "__index")
    if type(index) == "table" then keys(index, out, depth + 1) end
  end
  return out
end

local function suffix(v)
  if type(v) == "function" then return "(" end
  if type(v) == "table" then return "." end
  return ""
end

-- Candidates that complete `word` (the text before the cursor back to a space or operator),
-- sorted, each the whole word as it would read after completion.
function M.complete(word, env)
  env = env or _G
  local out = {}
  local path, sep, partial = word:match("^([%a_][%w_%.]*)([%.:])([%a_]?[%w_]*)$")
  if path then
    local v = env
    for name in path:gmatch("[^.]+") do
      v = field(v, name)
      if v == nil then return out end
    end
    for k in pairs(keys(v)) do
      if type(k) == "string" and k:match("^[%a_][%w_]*$") and k:sub(1, #partial) == partial
         and not k:match("^__") then
        local value = field(v, k)
        if sep == "." or type(value) == "function" then out[#out + 1] = path .. sep .. k .. suffix(value) end
      end
    end
  elseif word:match("^[%a_]?[%w_]*$") then
    for k in pairs(keys(env)) do
      if type(k) == "string" and k:sub(1, #word) == word and k:match("^[%a_][%w_]*$") then
        out[#out + 1] = k .. suffix(rawget(env, k))
      end
    end
    for _, k in ipairs(KEYWORDS) do
      if k:sub(1, #word) == word then out[#out + 1] = k end
    end
  end
  table.sort(out)
  return out
end

return M
