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

-- Options go through muonlab.options (one checker for the library); the dtype every model
-- and data set takes:
M.DTYPE = { "float64", "dtype", "element type, \"float64\" (like ml.matrix) or \"float32\" (half the memory and time)" }

-- Argument checks of loss_grad & co.; level as error()'s counted from the caller of the
-- check_* (default 2: the caller of the function calling check_*, the user's line).
function M.check_matrix(fname, argn, X, cols, dtype, what, level)
  level = (level or 2) + 1
  if not core.ismatrix(X) then
    error(("bad argument #%d to '%s' (%s: matrix expected, got %s)"):format(argn, fname, what, type(X)), level)
  end
  if cols and X:cols() ~= cols then
    error(("bad argument #%d to '%s' (%s must have %d columns, got %d x %d)")
      :format(argn, fname, what, cols, X:rows(), X:cols()), level)
  end
  if dtype and X:dtype() ~= dtype then
    error(("bad argument #%d to '%s' (%s are %s but the model is %s: build the model with dtype = %q or convert with X:astype(%q))")
      :format(argn, fname, what, X:dtype(), dtype, X:dtype(), dtype), level)
  end
end

function M.check_labels(fname, argn, y, B, level)
  level = (level or 2) + 1
  if not core.ismatrix(y) then
    error(("bad argument #%d to '%s' (labels: matrix expected, got %s)"):format(argn, fname, type(y)), level)
  end
  if (y:rows() ~= 1 and y:cols() ~= 1) or y:rows() * y:cols() ~= B then
    error(("bad argument #%d to '%s' (labels must be a vector of %d entries, got %d x %d)")
      :format(argn, fname, B, y:rows(), y:cols()), level)
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
