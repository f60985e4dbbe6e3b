-- Parameter selectors of ml.optim.group and muon_adamw: which parameters a group takes.
--   {1, 3}                  indices into the params array given to step
--   "matrix" / {"head", "bias"}   kinds of model:param_info() (passed as info =): entries
--                           {name =, kind =, shape = {rows, cols}}, kind one of "matrix" (a hidden
--                           weight), "head" (the output layer), "embedding" (a lookup table),
--                           "bias" (a 1 x out row)
--   function(i, p) -> bool  a predicate
local M = {}

local KINDS = { matrix = true, head = true, embedding = true, bias = true }

-- A selector's kind set ({matrix = true}) when it names kinds, else nil.
local function kind_set(sel)
  if type(sel) == "string" then return { [sel] = true } end
  if type(sel) == "table" and type(sel[1]) == "string" then
    local t = {}
    for _, k in ipairs(sel) do t[k] = true end
    return t
  end
end

-- Whether kind is among a kind selector's ("matrix" or {"matrix", "head"}).
function M.has_kind(sel, kind) return kind_set(sel)[kind] == true end

-- Check a selector (where: "group 2" ...); returns nil or an error message.
function M.check(sel, where)
  local kinds = kind_set(sel)
  if kinds then
    for _, k in ipairs(type(sel) == "table" and sel or { sel }) do
      if type(k) ~= "string" or not KINDS[k] then
        return ("%s: unknown parameter kind %s (kinds: bias, embedding, head, matrix)"):format(where, tostring(k))
      end
    end
    return nil
  end
  if type(sel) == "function" then return nil end
  if type(sel) ~= "table" then
    return ("%s: 'params' must be a list of indices, a kind name or list of kinds, or a function(i, p)"):format(where)
  end
  for _, i in ipairs(sel) do
    if math.type(i) ~= "integer" or i < 1 then return ("%s: parameter indices must be integers >= 1"):format(where) end
  end
end

-- The indices (in order) a selector picks out of params; info: model:param_info() or nil.
function M.pick(sel, params, info, where)
  local members = {}
  local kinds = kind_set(sel)
  if kinds then
    if type(info) ~= "table" then
      error(("%s selects kinds, which needs info = model:param_info()"):format(where), 0)
    end
    if #info ~= #params then
      error(("info lists %d parameters, but step got %d"):format(#info, #params), 0)
    end
    for i = 1, #params do
      local k = type(info[i]) == "table" and info[i].kind
      if not k then error(("info[%d].kind missing"):format(i), 0) end
      if kinds[k] then members[#members + 1] = i end
    end
  elseif type(sel) == "table" then
    for _, i in ipairs(sel) do
      if i > #params then error(("%s names parameter %d, but there are %d"):format(where, i, #params), 0) end
      members[#members + 1] = i
    end
  else
    for i = 1, #params do
      if sel(i, params[i]) then members[#members + 1] = i end
    end
  end
  return members
end

function M.describe(sel)
  if type(sel) == "string" then return ("params = %q"):format(sel) end
  if type(sel) == "function" then return "its params function" end
  local t = {}
  for i, v in ipairs(sel) do t[i] = type(v) == "string" and ("%q"):format(v) or tostring(v) end
  return "params = {" .. table.concat(t, ", ") .. "}"
end

-- The block views of matrix A (r x c) as a list: rows of size br, or columns of size bc.
local function blocks_of(A, blk, into)
  local r, c = A:rows(), A:cols()
  local n = 0
  if blk.rows then
    for i = 1, r, blk.rows do
      n = n + 1
      into[n] = A:view(i, 1, math.min(blk.rows, r - i + 1), c)
    end
  else
    for j = 1, c, blk.cols do
      n = n + 1
      into[n] = A:view(1, j, r, math.min(blk.cols, c - j + 1))
    end
  end
  return n
end

return M
