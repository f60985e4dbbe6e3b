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
local options = require "muonlab.options"

local SCHEMA = options.register("muon_update", {
  scale = { 1 / math.sqrt(2), "finite", "O = scale U_r V_r^T (1/sqrt(2) reproduces the seed's examples; 1: the polar factor)", show = "1/math.sqrt(2)" },
  method = { "polar", { "polar", "ns" }, "\"polar\" (exact, SVD) or \"ns\" (Newton-Schulz)" },
  coeffs = { "quintic", "coeffs", "NS schedule (method \"ns\")" },
  steps = { 5, "posint", "NS steps (method \"ns\")" },
})

local function bad(argn, msg) options.fail("muon_update", argn, msg, 3) end

return function(theta, grad, B_prev, mu, lr, opts)
  for i, m in ipairs { theta, grad, B_prev } do
    if not core.ismatrix(m) then bad(i, ("matrix expected, got %s"):format(type(m))) end
    if not m:isfinite() then bad(i, "matrix contains NaN or Inf") end  -- the NaN/Inf rule (lua/lfinite.c)
  end
  if type(mu) ~= "number" then bad(4, ("number expected, got %s"):format(type(mu))) end
  if type(lr) ~= "number" then bad(5, ("number expected, got %s"):format(type(lr))) end
  local o = options.check("muon_update", opts, SCHEMA, 6)
  local r, c = theta:shape()
  for i, m in ipairs { grad, B_prev } do
    local r2, c2 = m:shape()
    if r2 ~= r or c2 ~= c then bad(i + 1, ("shape %dx%d does not match theta's %dx%d"):format(r2, c2, r, c)) end
  end
  local scale = o.scale
  local B_new = B_prev * mu + grad
  local O
  if o.method == "polar" then
    O = core.polar(B_new)
  else
    O = core.ns(B_new, { coeffs = o.coeffs, steps = o.steps })
  end
  O:scale_(scale)
  local theta_new = theta - O * lr
  return theta_new, B_new, O
end
