-- The steepest-descent family of seed 003 (Crawshaw, Modi, Liu, Gower, "An Exploration of
-- Non-Euclidean Gradient Descent: Muon and its Many Variants", arXiv 2510.09827; code
-- github.com/modichirag/GPT-opt). Parameters W = (W^1..W^L, theta): weight matrices with the
-- spectral norm (LMO polar(M), dual norm ||M||_nuc = <M, polar(M)>) and all other parameters
-- theta as one vector with a "backup" norm, weighted by rho = lr / lr_backup (= eta_m / eta_b):
--   backup "inf"     ||theta||_inf           LMO u = sign(m)                 dual ||m||_1
--          "adainf"  ||(sqrt(v)+eps)/|m| . theta||_inf   u = m/(sqrt(v)+eps)  dual sum m^2/(sqrt(v)+eps)
--          "ada2"    ||sqrt(sqrt(v)+eps) . theta||_2     u = a/delta, a = m/(sqrt(v)+eps),
--                                                        dual delta = sqrt(sum m^2/(sqrt(v)+eps))
-- The backup block's norm is rho ||theta|| under the max outer norm (MuonAdam's ||.||_muon) and
-- sqrt(rho) ||theta|| under l2 and hybrid (rho multiplies the squared norm, as in ||.||_MM), so
-- its dual is e_th = delta / w with w = rho or sqrt(rho). With e_l = ||M^l||_nuc, S = sum e_l:
--   outer "max"     ||W|| = max(max_l ||W^l||_2, block)        D = S + e_th,   f_l = 1,      f_th = 1
--         "l2"      ||W|| = sqrt(sum_l ||W^l||_2^2 + block^2)  D = sqrt(sum e_l^2 + e_th^2),
--                                                              f_l = e_l / D,  f_th = e_th / D
--         "hybrid"  ||W|| = sqrt((max_l ||W^l||_2)^2 + block^2)  D = sqrt(S^2 + e_th^2),
--                                                              f_l = S / D,    f_th = e_th / D
-- (D is the dual norm of the momentum, f the LMO's per-block scale.) The updates:
--   constrained  W^l -= eta f_l polar(M^l),      theta -= (eta / w) f_th u
--   regularized  W^l -= eta D f_l polar(M^l),    theta -= (eta / w) D f_th u
-- This reproduces the slides: MuonAdam = (constrained, max, adainf), theta -= eta_b m/(sqrt(v)+eps);
-- (regularized, max): W^l -= eta (sum_j ||M^j||_nuc) polar(M^l); (regularized, l2): W^l -= eta
-- ||M^l||_nuc polar(M^l); MuonMax = (regularized, hybrid, ada2): W^l -= eta S polar(M^l),
-- theta -= eta_b m/(sqrt(v)+eps) (as GPT-opt's code; the slide's m/sqrt(sqrt(v)+eps) is a typo:
-- the regularized step of the quadratic norm sum (sqrt(v)+eps) theta^2 divides by sqrt(v)+eps).
-- Momo (Schaipp et al., ICML 2024; slides "Momo for Muon"):
--   F_t = beta F_{t-1} + (1 - beta)(f_t - <g_t, w_t>),  F_1 = f_1 - <g_1, w_1>,  f~_t = F_t + <m_t, w_t>
--   eta' = min(eta, (f~_t - f*)_+ / D)   (constrained)   or   min(eta, (f~_t - f*)_+ / D^2)  (regularized)
-- replacing eta (and eta_b = eta / rho with it); f* = -math.huge gives eta' = eta exactly.
-- Stale dual norms (slides): the nuclear norms in D and f are the previous step's (the current
-- ones on the first step).
-- Moments as GPT-opt: M_1 = G_1, m_1 = g_1, v_1 = g_1^2 (no bias correction), then
-- M_t = beta M + (1 - beta) G, m_t = beta1 m + (1 - beta1) g, v_t = beta2 v + (1 - beta2) g^2.
-- Decoupled weight decay with the nominal rates: W *= 1 - eta lambda, theta *= 1 - eta_b lambda.
local ml = require "muonlab"
local base = require "muonlab.optim.base"
local options = require "muonlab.options"

local Steepest = {
  name = "steepest",
  fixed = { ns_eps = true, momo = true, choose = true, info = true },
  spec = base.merge(base.ns_spec, {
    lr = { 1e-2, "pos", "η_m, the matrix blocks' rate" },             -- eta_m (slides: Muon LR 1e-2 for the constrained max rows)
    lr_backup = { 1e-3, "pos", "η_b, the backup block's rate (ρ = η_m/η_b)" },      -- eta_b ("Other LR" 1e-3)
    mode = { "constrained", { "constrained", "regularized" }, "\"constrained\" (LMO step) or \"regularized\" (step × dual norm)" },
    outer = { "max", { "max", "l2", "hybrid" }, "outer norm over blocks: \"max\", \"l2\" or \"hybrid\"" },
    backup = { "adainf", { "inf", "adainf", "ada2" }, "backup norm of the non-matrix vector: \"inf\", \"adainf\" or \"ada2\"" },
    beta = { 0.95, "unit", "matrix momentum β" },          -- GPT-opt defaults: momentum 0.95, betas (0.95, 0.95), eps 1e-8
    beta1 = { 0.95, "unit", "backup first-moment EMA β₁" },
    beta2 = { 0.95, "unit", "backup second-moment EMA β₂" },
    eps = { 1e-8, "nonneg", "ε of the ada backups" },
    ns_eps = { 1e-7, "nonneg", "NS normaliser ε" },
    momo = { false, "boolean", "Momo step sizes (needs the loss in step, beta1 == beta)" },
    f_star = { 0, "fstar", "Momo's loss lower bound f* (-math.huge: Momo off)" },          -- Momo's lower bound (GPT-opt truncate_loss, Momo lb: 0)
    stale = { false, "boolean", "use the previous step's nuclear norms" },
    weight_decay = { 0, "nonneg", "decoupled weight decay λ" },
    choose = { nil, "function", "choose(i, p) -> \"matrix\" or \"backup\" (overrides info)" },     -- choose(i, p) -> "matrix" | "backup"
    info = { nil, "table", "model:param_info(): kind \"matrix\" → matrix block, others backup (a selector: see ml.help(\"param_info\"))" },          -- model:param_info(): kind "matrix" -> matrix, others backup
  }),
}
Steepest.spec.ns_coeffs = { "polar_express", "coeffs", base.ns_spec.ns_coeffs[3] }   -- GPT-opt's default polar method

function Steepest:validate()
  local hp = self.hp
  if hp.momo and hp.beta1 ~= hp.beta then
    base.fail(self.label, ("option 'momo': needs beta1 == beta (the loss model averages with the momentum's weights), got %g and %g")
      :format(hp.beta1, hp.beta))
  end
end

function Steepest:setup()
  self.orth = base.orthogonalizer(self.hp, self.hp.ns_eps)
  self.needs_loss = self.hp.momo
end

function Steepest:init_state(i, p)
  local kind
  if self.hp.choose then
    kind = self.hp.choose(i, p)
    if kind ~= "matrix" and kind ~= "backup" then
      error(("%s: choose(%d, p) must return \"matrix\" or \"backup\", got %s"):format(self.label, i, tostring(kind)), 0)
    end
  else
    local k = self.hp.info and self.hp.info[i] and self.hp.info[i].kind
    if self.hp.info and not k then error(("%s: info[%d].kind missing"):format(self.label, i), 0) end
    kind = (p:rows() > 1 and p:cols() > 1 and (k == nil or k == "matrix")) and "matrix" or "backup"
  end
  if kind == "matrix" then return { kind = kind, M = base.zeros_like(p) } end
  local st = { kind = kind, m = base.zeros_like(p) }
  if self.hp.backup ~= "inf" then st.v = base.zeros_like(p) end
  return st
end

function Steepest:update(params, grads, loss)
  local hp, first, g = self.hp, self.t == 1, self.global
  local beta, b1, b2 = hp.beta, hp.beta1, hp.beta2
  local n = #params

  -- pass 1: moments, and the inner products of the loss model
  local gw, mw = 0, 0
  for i = 1, n do
    local p, gr, st = params[i], grads[i], self.state[i]
    local m
    if st.kind == "matrix" then
      m = st.M
      -- M_1 = G_1;  M_t = beta M_{t-1} + (1 - beta) G_t
      if first then m:copy_(gr) else m:axpby_(beta, m, 1 - beta, gr) end
    else
      m = st.m
      if first then
        -- m_1 = g_1, v_1 = g_1^2
        m:copy_(gr)
        if st.v then st.v:copy_(gr):mul_(gr) end
      elseif st.v then
        -- m_t = beta1 m + (1 - beta1) g;  v_t = beta2 v + (1 - beta2) g^2
        ml.adam_moments_(m, st.v, gr, b1, b2)
      else
        m:axpby_(b1, m, 1 - b1, gr)
      end
    end
    if hp.momo then
      gw = gw + ml.dot(gr, p)
      mw = mw + ml.dot(m, p)
    end
  end

  -- pass 2: LMOs and dual norms: e_l = <M^l, polar(M^l)>, backup <m, u>
  g.nuc = g.nuc or {}
  g.es = g.es or {}   -- the blocks' e_l (kept: no allocation per step)
  local S, es, ne, acc, has_backup = 0, g.es, 0, 0, false
  for i = 1, n do
    local st, w = self.state[i], base.work(self, i)
    if st.kind == "matrix" then
      w.O = w.O or base.zeros_like(params[i])
      self.orth(w.O, st.M)
      local d = ml.dot(st.M, w.O)
      -- stale: the previous step's nuclear norm (the current one on the first step)
      local e = (hp.stale and g.nuc[i]) or d
      g.nuc[i] = d
      w.e = e
      S, ne = S + e, ne + 1
      es[ne] = e
    else
      has_backup = true
      w.u = w.u or base.zeros_like(params[i])
      if hp.backup == "inf" then
        -- u = sign(m), <m, u> = ||m||_1
        w.u:copy_(st.m):sign_()
      else
        -- u = m / (sqrt(v) + eps), <m, u> = sum m^2 / (sqrt(v) + eps)
        ml.adam_dir(w.u, st.m, st.v, 1, 1, hp.eps)
      end
      acc = acc + ml.dot(st.m, w.u)
    end
  end
  -- delta: the backup dual norm; e_th = delta / w its block's
  local delta = hp.backup == "ada2" and math.sqrt(acc) or acc
  local rho = hp.lr / hp.lr_backup
  local wgt = hp.outer == "max" and rho or math.sqrt(rho)
  local eth = has_backup and delta / wgt or 0

  -- D and the per-block factors f
  local D, fmat, fth
  if hp.outer == "max" then
    D, fmat, fth = S + eth, 1, 1
  elseif hp.outer == "l2" then
    es[ne + 1] = eth
    D = base.hypot(es, ne + 1)
    fmat, fth = nil, D > 0 and eth / D or 0   -- f_l = e_l / D, per matrix below
  else
    es[1], es[2] = S, eth
    D = base.hypot(es, 2)
    fmat, fth = D > 0 and S / D or 0, D > 0 and eth / D or 0
  end

  -- Momo: eta' = min(eta, (f~ - f*)_+ / D) or / D^2
  local eta = hp.lr
  local reg = hp.mode == "regularized"
  if hp.momo then
    local u = loss - gw
    -- F_t = beta F_{t-1} + (1 - beta)(f_t - <g_t, w_t>)
    g.F = first and u or beta * g.F + (1 - beta) * u
    -- f~_t = F_t + <m_t, w_t>
    g.ftilde = g.F + mw
    if hp.f_star > -math.huge and D > 0 then
      local gap = math.max(0, g.ftilde - hp.f_star)
      eta = math.min(eta, reg and gap / (D * D) or gap / D)
    end
    g.eta = eta
  end
  local scale = reg and D or 1

  -- pass 3: the updates
  local dm, db = 1 - hp.lr * hp.weight_decay, 1 - hp.lr_backup * hp.weight_decay
  for i = 1, n do
    local p, st, w = params[i], self.state[i], self.work[i]
    if st.kind == "matrix" then
      local f = fmat
      -- l2: f_l = e_l / D
      if not f then f = D > 0 and w.e / D or 0 end
      -- W^l <- W^l - eta (D) f_l polar(M^l)
      p:axpby_(dm, p, -eta * scale * f, w.O)
    else
      local c = eta * scale * fth / wgt
      -- ada2: u = a / delta
      if hp.backup == "ada2" then c = delta > 0 and c / delta or 0 end
      -- theta <- theta - (eta / w)(D) f_th u
      p:axpby_(db, p, -c, w.u)
    end
  end
end

local ctor = base.class(Steepest)

-- Named points of the grid (seed 003's tables). Their default learning rates are the tables'
-- best for GPT-2 small on FineWeb (Muon LR, Other LR); the grid fields are fixed.
local presets = {
  scion = { { mode = "constrained", outer = "max", backup = "inf" }, { lr = 1e-2, lr_backup = 1e-3 } },
  muonadam = { { mode = "constrained", outer = "max", backup = "adainf" }, { lr = 1e-2, lr_backup = 1e-3 } },
  polargrad = { { mode = "regularized", outer = "l2", backup = "ada2" }, { lr = 1e-1, lr_backup = 1e-3 } },
  muonmax = { { mode = "regularized", outer = "hybrid", backup = "ada2" }, { lr = 1e-3, lr_backup = 1e-3 } },
  scion_momo = { { mode = "constrained", outer = "max", backup = "inf", momo = true }, { lr = 1e-2, lr_backup = 1e-3 } },
  muon_momo = { { mode = "constrained", outer = "max", backup = "adainf", momo = true }, { lr = 3e-2, lr_backup = 3e-3 } },
  polargrad_momo = { { mode = "regularized", outer = "l2", backup = "ada2", momo = true }, { lr = 3, lr_backup = 3e-2 } },
  muonmax_momo = { { mode = "regularized", outer = "hybrid", backup = "ada2", momo = true }, { lr = 1e-2, lr_backup = 1e-2 } },
}

local M = { steepest = ctor, presets = presets }
for name, pr in pairs(presets) do
  local fixed, lrs = pr[1], pr[2]
  -- the preset's options for ml.help: steepest's, without the fixed ones, with its rates
  local spec = {}
  for k, e in pairs(Steepest.spec) do
    if fixed[k] == nil then
      spec[k] = e
      if lrs[k] ~= nil then spec[k] = { lrs[k], e[2], e[3] } end
    end
  end
  options.register(name, spec)
  M[name] = function(opts)
    if opts ~= nil and type(opts) ~= "table" then options.fail(name, 1, "table expected, got " .. type(opts), 2) end
    opts = opts or {}
    for _, k in ipairs(options.names(fixed)) do
      if opts[k] ~= nil then options.fail(name, 1, ("option '%s': fixed by the preset (use ml.optim.steepest)"):format(k), 2) end
    end
    return ctor(base.merge(base.merge(lrs, opts), fixed), name)
  end
end
return M
