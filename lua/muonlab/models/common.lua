-- Shared pieces of the models: option checking, the parameter list interface, buffers cached
-- per batch size. Every model is a table with
--   model:params()              list of matrices (updated in place by an optimizer)
--   model:grads()               list of matrices in the same order (the buffers loss_grad fills)
--   model:param_info()          list of {name =, kind =, shape = {r, c}} in the same order;
--                               kind: "matrix" (a hidden weight), "head" (the last layer),
--                               "embedding" (a lookup table), "bias" (a 1 x out row)
--   model:loss_grad(...)        loss (a number) and the grads list, filled in place
--   model:loss(...)             loss only
--   model:state() / model:set_state(s)   copies of the parameters, and restoring them
local core = require "muonlab.core"

local M = {}

-- check(fname, opts, allowed): opts a table (or nil) whose keys are all in allowed (a set).
function M.check_opts(fname, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(("bad argument #1 to '%s' (options table expected, got %s)"):format(fname, type(opts)), 3)
  end
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for n in pairs(allowed) do names[#names + 1] = n end
      table.sort(names)
      error(("bad argument #1 to '%s' (unknown option '%s'; expected one of: %s)")
        :format(fname, tostring(k), table.concat(names, ", ")), 3)
    end
  end
  return opts
end

local function bad_opt(fname, key, what, v)
  error(("bad argument #1 to '%s' (option '%s': %s, got %s)"):format(fname, key, what, tostring(v)), 4)
end

-- Typed option getters (errors at the caller of the model constructor).
function M.int(fname, opts, key, def, lo)
  local v = opts[key]
  if v == nil then return def end
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v) and v == v and math.abs(v) < 2^53) then
    bad_opt(fname, key, "integer expected", v)
  end
  v = math.tointeger(v)
  if lo and v < lo then bad_opt(fname, key, ("must be >= %d"):format(lo), v) end
  return v
end

function M.num(fname, opts, key, def, lo, strict)
  local v = opts[key]
  if v == nil then return def end
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then bad_opt(fname, key, "finite number expected", v) end
  if lo and (v < lo or (strict and v == lo)) then bad_opt(fname, key, ("must be %s %g"):format(strict and ">" or ">=", lo), v) end
  return v
end

function M.choice(fname, opts, key, def, choices)
  local v = opts[key]
  if v == nil then return def end
  for _, c in ipairs(choices) do if v == c then return v end end
  bad_opt(fname, key, "one of " .. table.concat(choices, ", ") .. " expected", v)
end

function M.dtype(fname, opts)
  return M.choice(fname, opts, "dtype", "float64", { "float64", "float32" })
end

-- Argument checks of loss_grad & co. (level 3: the caller of the model method).
function M.check_matrix(fname, argn, X, cols, dtype, what)
  if not core.ismatrix(X) then
    error(("bad argument #%d to '%s' (%s: matrix expected, got %s)"):format(argn, fname, what, type(X)), 3)
  end
  if cols and X:cols() ~= cols then
    error(("bad argument #%d to '%s' (%s must have %d columns, got %d x %d)")
      :format(argn, fname, what, cols, X:rows(), X:cols()), 3)
  end
  if dtype and X:dtype() ~= dtype then
    error(("bad argument #%d to '%s' (%s must be %s like the model, got %s)")
      :format(argn, fname, what, dtype, X:dtype()), 3)
  end
end

function M.check_labels(fname, argn, y, B)
  if not core.ismatrix(y) then
    error(("bad argument #%d to '%s' (labels: matrix expected, got %s)"):format(argn, fname, type(y)), 3)
  end
  if (y:rows() ~= 1 and y:cols() ~= 1) or y:rows() * y:cols() ~= B then
    error(("bad argument #%d to '%s' (labels must be a vector of %d entries, got %d x %d)")
      :format(argn, fname, B, y:rows(), y:cols()), 3)
  end
end

-- The parameter-list interface, mixed into every model class.
local Base = {}
M.Base = Base

function Base:params() return self._params end
function Base:grads() return self._grads end
function Base:param_info() return self._info end

function Base:num_params()
  local n = 0
  for _, p in ipairs(self._params) do n = n + p:rows() * p:cols() end
  return n
end

function Base:state()
  local s = {}
  for i, p in ipairs(self._params) do s[i] = p:clone() end
  return s
end

function Base:set_state(s)
  if type(s) ~= "table" or #s ~= #self._params then
    error(("bad argument #1 to 'set_state' (a list of %d matrices expected)"):format(#self._params), 2)
  end
  for i, p in ipairs(self._params) do p:copy_(s[i]) end
end

-- Register parameter `p` (with its gradient buffer) under a name and a kind.
function Base:_add(name, kind, p)
  self._params[#self._params + 1] = p
  self._grads[#self._grads + 1] = core.zeros(p:rows(), p:cols(), { dtype = p:dtype() })
  self._info[#self._info + 1] = { name = name, kind = kind, shape = { p:rows(), p:cols() } }
  return #self._params
end

function M.new_model(class, name)
  local self = setmetatable({ name = name, _params = {}, _grads = {}, _info = {} }, class)
  return self
end

function M.class(name)
  local C = {}
  C.__index = C
  C.__name = "muonlab.model." .. name
  C.__tostring = function(self)
    local shapes = {}
    for i, info in ipairs(self._info) do
      shapes[i] = ("%s %dx%d"):format(info.name, info.shape[1], info.shape[2])
    end
    return ("%s (%d parameters: %s)"):format(self.name or name, self:num_params(), table.concat(shapes, ", "))
  end
  for k, v in pairs(Base) do C[k] = v end
  return C
end

-- Buffers of one batch size, created on first use and reused (a training loop with a fixed
-- batch size allocates once; evaluation in chunks adds one set per distinct chunk size).
function M.buffers(cache, B, make)
  local b = cache[B]
  if not b then
    b = make(B)
    cache[B] = b
  end
  return b
end

return M
