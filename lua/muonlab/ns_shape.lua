-- ns_shape(shape[, rule]) -> rows, cols: how a parameter with more than two dimensions is seen as
-- the matrix that Newton-Schulz orthogonalises (optax's `weight_dimension_numbers`).
--   "conv" (default)  out × (in·kh·kw): the first axis is the output axis, the rest are flattened
--                     (KellerJordan/Muon's `g.view(len(g), -1)` for PyTorch conv weights)
--   "last"            (d1·…·d_{k-1}) × d_k: the last axis is the output axis (flax/optax kernels
--                     stored as (…, in, out))
--   function(shape)   returns rows, cols; checked: positive integers with rows·cols = numel
-- Use with a row-major reshape: G:reshape(ml.ns_shape({64, 32, 3, 3})) is 64 × 288.
local function numel(shape)
  local n = 1
  for _, d in ipairs(shape) do n = n * d end
  return n
end

local function check_shape(shape)
  if type(shape) ~= "table" or #shape < 1 then
    error("bad argument #1 to 'ns_shape' (list of dimensions expected)", 3)
  end
  for i, d in ipairs(shape) do
    if math.type(d) ~= "integer" or d < 1 then
      error(string.format("bad argument #1 to 'ns_shape' (dimension %d must be a positive integer, got %s)",
        i, tostring(d)), 3)
    end
  end
end

local rules = {
  conv = function(shape)
    local cols = 1
    for i = 2, #shape do cols = cols * shape[i] end
    return shape[1], cols
  end,
  last = function(shape)
    local rows = 1
    for i = 1, #shape - 1 do rows = rows * shape[i] end
    return rows, shape[#shape]
  end,
}

return function(shape, rule)
  check_shape(shape)
  rule = rule or "conv"
  local f = rules[rule] or (type(rule) == "function" and rule)
  if not f then
    error(string.format("bad argument #2 to 'ns_shape' (rule must be \"conv\", \"last\" or a function, got %s)",
      type(rule) == "string" and ("'" .. rule .. "'") or type(rule)), 2)
  end
  local r, c = f(shape)
  if math.type(r) ~= "integer" or math.type(c) ~= "integer" or r < 1 or c < 1 or r * c ~= numel(shape) then
    error(string.format("ns_shape: the rule returned %s × %s for %d elements (positive integers with rows·cols = numel expected)",
      tostring(r), tostring(c), numel(shape)), 2)
  end
  return r, c
end
