-- Plain-Lua matrices (tables of rows) for the optimizer specs' transcriptions: loops written
-- out, nothing of the library but ml.polar for the exact polar factor; and the fixed random
-- parameters and gradients those specs step with.
--   local R = dofile("tests/lua/plain_matrix.lua")
local ml = require "muonlab"

local R = {}
function R.new(r, c, v)
  local t = {}
  for i = 1, r do
    t[i] = {}
    for j = 1, c do t[i][j] = v or 0 end
  end
  return t
end
function R.map(A, f)
  local t = {}
  for i = 1, #A do
    t[i] = {}
    for j = 1, #A[1] do t[i][j] = f(A[i][j], i, j) end
  end
  return t
end
function R.zip(A, B, f) -- gradients for step s of parameter k, and the starting parameters: fixed random matrices
function R.grads_at(shapes, s)
  local g = {}
  for k, sh in ipairs(shapes) do g[k] = ml.randn(sh[1], sh[2], { seed = 100 * s + k }) end
  return g
end
function R.params_for(shapes)
  local p = {}
  for k, sh in ipairs(shapes) do p[k] = ml.randn(sh[1], sh[2], { seed = 7 + k }) end
  return p
end

return R.map(A, function(x, i, j) return f(x, B[i][j]) end) end
function R.lin(a, A, b, B) -- gradients for step s of parameter k, and the starting parameters: fixed random matrices
function R.grads_at(shapes, s)
  local g = {}
  for k, sh in ipairs(shapes) do g[k] = ml.randn(sh[1], sh[2], { seed = 100 * s + k }) end
  return g
end
function R.params_for(shapes)
  local p = {}
  for k, sh in ipairs(shapes) do p[k] = ml.randn(sh[1], sh[2], { seed = 7 + k }) end
  return p
end

return R.zip(A, B, function(x, y) return a * x + b * y end) end
function R.sum(A, f)
  local s = 0
  for i = 1, #A do for j = 1, #A[1] do s = s + (f and f(A[i][j]) or A[i][j]) end end
  return s
end
function R.fro(A) return math.sqrt(R.sum(A, function(x) return x * x end)) end
function R.dot(A, B)
  local s = 0
  for i = 1, #A do for j = 1, #A[1] do s = s + A[i][j] * B[i][j] end end
  return s
end
function R.polar(A) return ml.polar(ml.from_table(A)):totable() end
function R.copy(A) -- gradients for step s of parameter k, and the starting parameters: fixed random matrices
function R.grads_at(shapes, s)
  local g = {}
  for k, sh in ipairs(shapes) do g[k] = ml.randn(sh[1], sh[2], { seed = 100 * s + k }) end
  return g
end
function R.params_for(shapes)
  local p = {}
  for k, sh in ipairs(shapes) do p[k] = ml.randn(sh[1], sh[2], { seed = 7 + k }) end
  return p
end

return R.map(A, function(x) return x end) end
function R.scale(A, s) -- gradients for step s of parameter k, and the starting parameters: fixed random matrices
function R.grads_at(shapes, s)
  local g = {}
  for k, sh in ipairs(shapes) do g[k] = ml.randn(sh[1], sh[2], { seed = 100 * s + k }) end
  return g
end
function R.params_for(shapes)
  local p = {}
  for k, sh in ipairs(shapes) do p[k] = ml.randn(sh[1], sh[2], { seed = 7 + k }) end
  return p
end

return R.map(A, function(x) return s * x end) end
function R.t(A)
  local t = R.new(#A[1], #A)
  for i = 1, #A do for j = 1, #A[1] do t[j][i] = A[i][j] end end
  return t
end
function R.mm(A, B)
  local t = R.new(#A, #B[1])
  for i = 1, #A do
    for k = 1, #B do
      local a = A[i][k]
      for j = 1, #B[1] do t[i][j] = t[i][j] + a * B[k][j] end
    end
  end
  return t
end

-- the largest |M_ij - T_ij| of a matrix (or table) M and a table T
function R.maxdiff(M, T)
  local A = ml.ismatrix(M) and M:totable() or M
  local d = 0
  for i = 1, #A do for j = 1, #A[1] do d = math.max(d, math.abs(A[i][j] - T[i][j])) end end
  return d
end

-- gradients for step s of parameter k, and the starting parameters: fixed random matrices
function R.grads_at(shapes, s)
  local g = {}
  for k, sh in ipairs(shapes) do g[k] = ml.randn(sh[1], sh[2], { seed = 100 * s + k }) end
  return g
end
function R.params_for(shapes)
  local p = {}
  for k, sh in ipairs(shapes) do p[k] = ml.randn(sh[1], sh[2], { seed = 7 + k }) end
  return p
end

return R
