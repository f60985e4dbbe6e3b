-- Block views of parameters: one matrix handed to an optimizer as row (or column) blocks, views
-- that share its storage, each orthogonalized (and given its own state) separately. Used by
-- ml.optim.group's `blocks` and by the `split` option of every Newton-Schulz optimizer
-- (per-head orthogonalization of a fused QKV matrix: Dion `split_sizes`, gram-newton-schulz
-- `param_split_fn`, "Muon Split").
--   blk = {rows = r}            row blocks of r rows (the last may be shorter)
--       | {cols = c}            column blocks of c columns
--       | {rows = {r1, r2, …}}  row blocks of the given sizes (they must add up to the rows)
--       | {cols = {c1, c2, …}}
local M = {}

-- nil when blk is a valid block spec, else what is wrong with it
function M.invalid(blk)
  if type(blk) ~= "table" then return "a table {rows = r} or {cols = c} expected" end
  local n = blk.rows or blk.cols
  if (blk.rows and blk.cols) or n == nil then return "exactly one of rows, cols expected" end
  for k in pairs(blk) do
    if k ~= "rows" and k ~= "cols" then return ("unknown field '%s' (known: rows, cols)"):format(tostring(k)) end
  end
  if type(n) == "table" then
    if #n == 0 then return "an empty list of block sizes" end
    for _, s in ipairs(n) do
      if math.type(s) ~= "integer" or s < 1 then return "block sizes must be positive integers" end
    end
    return nil
  end
  if math.type(n) ~= "integer" or n < 1 then return "the block size must be a positive integer" end
  return nil
end

-- nil when blk fits an r x c matrix, else why not (a list of sizes must add up to the side)
function M.misfit(blk, r, c)
  local n, side = blk.rows or blk.cols, blk.rows and r or c
  if type(n) ~= "table" then return nil end
  local sum = 0
  for _, s in ipairs(n) do sum = sum + s end
  if sum ~= side then
    return ("block sizes add up to %d, the matrix has %d %s"):format(sum, side, blk.rows and "rows" or "columns")
  end
  return nil
end

-- The block views of A (r x c) into the list `into` (from 1); returns their number.
function M.views(A, blk, into)
  local r, c = A:rows(), A:cols()
  local sizes, side = blk.rows or blk.cols, blk.rows and r or c
  local n, at = 0, 1
  while at <= side do
    local s = type(sizes) == "table" and sizes[n + 1] or sizes
    s = math.min(s, side - at + 1)
    n = n + 1
    into[n] = blk.rows and A:view(at, 1, s, c) or A:view(1, at, r, s)
    at = at + s
  end
  return n
end

-- The views of A kept in cache[key]: made when A first arrives and remade only when another
-- matrix arrives under the same key (parameters are the same matrices every step, and a model
-- that reuses its gradient buffers does the same for gradients: nothing is allocated per step).
-- A spec that does not fit A is an error naming `who`.
function M.cached(cache, key, A, blk, who)
  local v = cache[key]
  if not v or v.src ~= A then
    local bad = M.invalid(blk) or M.misfit(blk, A:rows(), A:cols())
    if bad then error(("%s: blocks of parameter %d: %s"):format(who, key, bad), 0) end
    v = { src = A }
    M.views(A, blk, v)
    cache[key] = v
  end
  return v
end

-- Expand params/grads into the block lists P, G (reused tables) with origin[j] = the index of the
-- parameter block j comes from. blocks_for(i, p) -> a block spec or nil (the whole matrix), asked
-- once per parameter index.
-- Returns the number of entries; errors name `who`.
function M.expand(x, params, grads, blocks_for, who)
  x.P, x.G, x.origin, x.pcache, x.gcache = x.P or {}, x.G or {}, x.origin or {}, x.pcache or {}, x.gcache or {}
  local n = 0
  x.spec = x.spec or {}
  for i = 1, #params do
    local blk = x.spec[i]   -- asked once per parameter (false: whole), so a spec table is made once
    if blk == nil then
      blk = blocks_for(i, params[i]) or false
      x.spec[i] = blk
    end
    if blk then
      local pv, gv = M.cached(x.pcache, i, params[i], blk, who), M.cached(x.gcache, i, grads[i], blk, who)
      for b = 1, #pv do
        n = n + 1
        x.P[n], x.G[n], x.origin[n] = pv[b], gv[b], i
      end
    else
      n = n + 1
      x.P[n], x.G[n], x.origin[n] = params[i], grads[i], i
    end
  end
  for j = n + 1, #x.P do x.P[j], x.G[j], x.origin[j] = nil, nil, nil end
  return n
end

return M
