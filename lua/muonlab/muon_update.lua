-- The worked Muon update of seed 002:
--   B_new     = mu * B_prev + grad                     (momentum accumulation)
--   O         = scale * U_r V_r^T,  U_r S_r V_r^T = svd(B_new) without its zero singular values
--   theta_new = theta - lr * O
-- The seed's three worked examples are reproduced to 4 decimals only with scale = 1/sqrt(2):
-- every singular value of their printed O is 1/sqrt(2) (a fully converged iteration whose
-- fixed point is 1/sqrt(2)), although the seed's prose says O^T O ~ I. So the default
-- scale is 1/sqrt(2) to match the examples; pass {scale = 1} for the true polar factor,
-- which is what ml.polar and ml.ns converge to. `method = "ns"` uses a Newton-Schulz
-- schedule instead of the exact SVD polar factor (5 quintic steps by default, like the seed's prose).
local core = require "muonlab.core"

local allowed = { scale = true, method = true, coeffs = true, steps = true }

return function(theta, grad, B_prev, mu, lr, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("muon_update: bad argument #6 (options table expected)", 2) end
  for k in pairs(opts) do
    if not allowed[k] then error(("muon_update: unknown option '%s'"):format(tostring(k)), 2) end
  end
  for i, m in ipairs { theta, grad, B_prev } do
    if not core.ismatrix(m) then
      error(("muon_update: bad argument #%d (matrix expected, got %s)"):format(i, type(m)), 2)
    end
    if not m:isfinite() then  -- the NaN/Inf rule (lua/lfinite.c)
      error(("muon_update: bad argument #%d (matrix contains NaN or Inf)"):format(i), 2)
    end
  end
  if type(mu) ~= "number" then error("muon_update: bad argument #4 (mu: number expected)", 2) end
  if type(lr) ~= "number" then error("muon_update: bad argument #5 (lr: number expected)", 2) end
  local r, c = theta:shape()
  for i, m in ipairs { grad, B_prev } do
    local r2, c2 = m:shape()
    if r2 ~= r or c2 ~= c then
      error(("muon_update: bad argument #%d (shape %dx%d does not match theta's %dx%d)"):format(i + 1, r2, c2, r, c), 2)
    end
  end
  local scale = opts.scale or 1 / math.sqrt(2)
  local B_new = B_prev * mu + grad
  local O
  local method = opts.method or "polar"
  if method == "polar" then
    O = core.polar(B_new)
  elseif method == "ns" then
    O = core.ns(B_new, { coeffs = opts.coeffs or "quintic", steps = opts.steps or 5 })
  else
    error(("muon_update: unknown method '%s' (expected polar or ns)"):format(tostring(method)), 2)
  end
  O:scale_(scale)
  local theta_new = theta - O * lr
  return theta_new, B_new, O
end
