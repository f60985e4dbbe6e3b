-- ml.optim: each optimizer's steps on tiny matrices against a direct transcription of its
-- equations written here with plain Lua loops over tables (and the exact polar factor
-- ml.polar, or an SVD for Psi_p); Muon with the exact polar factor against a fully converged
-- Newton-Schulz; save/restore; bad hyperparameters; a 200-step ill-conditioned least-squares
-- run for every optimizer; no allocation per step. The steepest-descent family (seed 003) has
-- its own file, optim_steepest_spec.lua.
--
-- Tolerance of the transcriptions, 1e-12: both sides do the same arithmetic in a different
-- order (a few ulps each, on entries of size <= ~10) and the polar factor of inputs that differ
-- by rounding differs by about cond * 1e-16 (cond <= 100 for these random 3x2 / 2x4 matrices).
local ml = require "muonlab"

local TOL = 1e-12

-- ---- plain-Lua reference helpers (tables of rows) ----
local R = dofile("tests/lua/plain_matrix.lua")
local maxdiff = R.maxdiff

local grads_at, params_for = R.grads_at, R.params_for

-- Run `steps` steps of opt and of ref (a function(refparams, refgrads, t) updating tables) and
-- return the largest difference.
local function compare(opt, ref, shapes, steps, loss)
  local P = params_for(shapes)
  local T = {}
  for k = 1, #P do T[k] = P[k]:totable() end
  local worst = 0
  for s = 1, steps do
    local G = grads_at(shapes, s)
    local GT = {}
    for k = 1, #G do GT[k] = G[k]:totable() end
    opt:step(P, G, loss and loss(s))
    ref(T, GT, s)
    for k = 1, #P do worst = math.max(worst, maxdiff(P[k], T[k])) end
  end
  return worst
end

local SHAPES = { { 3, 2 }, { 2, 4 } }

describe("optim: single steps against transcriptions", function()
  it("sgd: momentum, dampening, Nesterov, weight decay (torch.optim.SGD)", function()
    for _, o in ipairs {
      { lr = 0.1 },
      { lr = 0.1, momentum = 0.9, dampening = 0.1, weight_decay = 0.01 },
      { lr = 0.05, momentum = 0.8, nesterov = true, weight_decay = 0.1 },
    } do
      local mu, tau, wd = o.momentum or 0, o.dampening or 0, o.weight_decay or 0
      local buf = {}
      local function ref(T, G, t)
        for k = 1, #T do
          local d = R.lin(1, G[k], wd, T[k])                       -- g + lambda theta
          if mu ~= 0 then
            buf[k] = t == 1 and R.copy(d) or R.lin(mu, buf[k], 1 - tau, d)
            d = o.nesterov and R.lin(1, d, mu, buf[k]) or buf[k]
          end
          T[k] = R.lin(1, T[k], -o.lr, d)
        end
      end
      assert.is_true(compare(ml.optim.sgd(o), ref, SHAPES, 3) < TOL)
    end
  end)

  it("adamw: bias-corrected moments, decoupled decay (torch.optim.AdamW)", function()
    local o = { lr = 0.01, beta1 = 0.8, beta2 = 0.9, eps = 1e-3, weight_decay = 0.1 }
    local m, v = {}, {}
    local function ref(T, G, t)
      for k = 1, #T do
        m[k] = R.lin(o.beta1, m[k] or R.new(#T[k], #T[k][1]), 1 - o.beta1, G[k])
        v[k] = R.lin(o.beta2, v[k] or R.new(#T[k], #T[k][1]), 1 - o.beta2, R.map(G[k], function(x) return x * x end))
        local c1, c2 = 1 - o.beta1 ^ t, 1 - o.beta2 ^ t
        T[k] = R.map(T[k], function(x, i, j)
          x = x - o.lr * o.weight_decay * x
          return x - o.lr * (m[k][i][j] / c1) / (math.sqrt(v[k][i][j] / c2) + o.eps)
        end)
      end
    end
    assert.is_true(compare(ml.optim.adamw(o), ref, SHAPES, 3) < TOL)
  end)

  it("muon: optax's nesterov / bias correction, adaptive, shape scales, weight decay", function()
    for _, o in ipairs {
      { lr = 0.1, nesterov = false, scale = "none" },
      { lr = 0.1, beta = 0.9, nesterov = true, scale = "sqrt_ratio", weight_decay = 0.1 },
      { lr = 0.05, adaptive = true, scale = "moonlight" },
      { lr = 0.05, adaptive = true, nesterov = false, scale = 3 },
    } do
      o.orthogonalize = "polar"
      local b, mu = o.beta or 0.95, {}
      local function ref(T, G, t)
        for k = 1, #T do
          local r, c = #T[k], #T[k][1]
          mu[k] = R.lin(b, mu[k] or R.new(r, c), 1 - b, G[k])
          local mhat = o.nesterov == false and R.lin(1 / (1 - b ^ t), mu[k], 0, mu[k])
            or R.lin(b / (1 - b ^ (t + 1)), mu[k], (1 - b) / (1 - b ^ t), G[k])
          local O = R.polar(mhat)
          local a = o.adaptive and R.dot(mhat, O) or 1
          local s = ({ none = 1, sqrt_ratio = math.sqrt(math.max(1, r / c)),
                       moonlight = 0.2 * math.sqrt(math.max(r, c)) })[o.scale] or o.scale
          local wd = o.weight_decay or 0
          T[k] = R.map(T[k], function(x, i, j) return x - o.lr * (s * a * O[i][j] + wd * x) end)
        end
      end
      assert.is_true(compare(ml.optim.muon(o), ref, SHAPES, 3) < TOL)
    end
  end)

  it("trasmuon: every line of seed 000's update, and each switch off in turn", function()
    local function median(list)
      table.sort(list)
      local n = #list
      return n % 2 == 1 and list[(n + 1) / 2] or (list[n / 2] + list[n / 2 + 1]) / 2
    end
    local variants = {
      {},
      { momentum_norm = false }, { row_scale = false }, { damping = false }, { rms_calibration = false },
      { alpha = 5, c_min = 0.3, ref_beta = 0.5, weight_decay = 0.1 },
    }
    for _, sw in ipairs(variants) do
      local o = { lr = 0.01, beta1 = 0.9, beta2 = 0.8, eps = 1e-8, alpha = 1, c_min = 0.1, ref_beta = 0.95,
                  weight_decay = 0, orthogonalize = "polar" }
      for k, v in pairs(sw) do o[k] = v end
      local on = function(k) return o[k] ~= false end
      local m, vrow, Eref = {}, {}, {}
      local function ref(T, G)
        for k = 1, #T do
          local dout, din = #T[k], #T[k][1]
          local sq = math.sqrt(dout * din)
          m[k] = R.lin(o.beta1, m[k] or R.new(dout, din), 1 - o.beta1, G[k])              -- m_t
          local mt = m[k]
          if on("momentum_norm") then
            local nrm = R.fro(m[k]) / sq + o.eps
            mt = R.map(m[k], function(x) return x / nrm end)                             -- mt_t
          end
          local O = R.polar(mt)                                                          -- O_t
          if on("row_scale") then
            vrow[k] = vrow[k] or {}
            for i = 1, dout do
              local s = 0
              for j = 1, din do s = s + O[i][j] ^ 2 end
              vrow[k][i] = o.beta2 * (vrow[k][i] or 0) + (1 - o.beta2) * s / din         -- v_t^row
            end
            O = R.map(O, function(x, i) return x / math.sqrt(vrow[k][i] + o.eps) end)    -- O_base
          end
          local etahat = on("rms_calibration") and o.lr * sq / (R.fro(O) + o.eps) or o.lr
          local c = {}
          for j = 1, din do c[j] = 1 end
          if on("damping") then
            local E = {}
            for j = 1, din do
              E[j] = 0
              for i = 1, dout do E[j] = E[j] + m[k][i][j] ^ 2 end                        -- E_{t,j}
            end
            local med = median({ table.unpack(E) })
            Eref[k] = Eref[k] and o.ref_beta * Eref[k] + (1 - o.ref_beta) * med or med
            for j = 1, din do
              local r = E[j] / (Eref[k] + o.eps)                                          -- r_{t,j}
              c[j] = math.min(1, math.max(o.c_min, 1 / (1 + o.alpha * math.log(1 + r))))  -- c_{t,j}
            end
          end
          T[k] = R.map(T[k], function(x, i, j)
            return (1 - o.lr * o.weight_decay) * x - etahat * O[i][j] * c[j]
          end)
        end
      end
      local d = compare(ml.optim.trasmuon(o), ref, { { 3, 2 }, { 2, 4 }, { 4, 5 } }, 3)
      assert.is_true(d < TOL, ("%s: %g"):format(next(sw) or "all on", d))
    end
  end)

  it("trasmuon's damping shrinks a column whose energy spikes", function()
    local opt = ml.optim.trasmuon { lr = 0.01, row_scale = false, rms_calibration = false, orthogonalize = "polar" }
    local W = ml.zeros(6, 5)
    for s = 1, 3 do opt:step({ W }, { ml.randn(6, 5, { seed = s }) }) end
    local G = ml.randn(6, 5, { seed = 9 })
    for i = 1, 6 do G:set(i, 2, 100 * G:get(i, 2)) end   -- an outlier column
    opt:step({ W }, { G })
    local c = opt.work[1].c
    assert.is_true(c:get(1, 2) < 0.3 and c:get(1, 2) >= 0.1)
    for _, j in ipairs { 1, 3, 4, 5 } do assert.is_true(c:get(1, j) > c:get(1, 2)) end
  end)

  it("normuon: arXiv 2510.05491 Algorithm 1 (and its Nesterov variant)", function()
    for _, nest in ipairs { false, true } do
      local o = { lr = 0.01, beta1 = 0.9, beta2 = 0.8, eps = 1e-8, weight_decay = 0.1, nesterov = nest,
                  orthogonalize = "polar" }
      local M, v = {}, {}
      local function ref(T, G)
        for k = 1, #T do
          local r, c = #T[k], #T[k][1]
          M[k] = R.lin(o.beta1, M[k] or R.new(r, c), 1 - o.beta1, G[k])
          local O = R.polar(nest and R.lin(o.beta1, M[k], 1 - o.beta1, G[k]) or M[k])
          v[k] = v[k] or {}
          for i = 1, r do
            local s = 0
            for j = 1, c do s = s + O[i][j] ^ 2 end
            v[k][i] = o.beta2 * (v[k][i] or 0) + (1 - o.beta2) * s / c
          end
          local Oh = R.map(O, function(x, i) return x / (math.sqrt(v[k][i]) + o.eps) end)
          local etahat = 0.2 * o.lr * math.sqrt(r * c) / R.fro(Oh)
          T[k] = R.map(T[k], function(x, i, j) return x - o.lr * o.weight_decay * x - etahat * Oh[i][j] end)
        end
      end
      assert.is_true(compare(ml.optim.normuon(o), ref, SHAPES, 3) < TOL)
    end
  end)

  it("adago: arXiv 2509.02981's accumulated clipped gradient norms", function()
    -- gamma 2: the random 3x2 / 2x4 gradients have norms 1.5 .. 4, so some steps clip
    local o = { lr = 0.1, beta = 0.9, gamma = 2, eps = 1e-3, v0 = 0.5, orthogonalize = "polar" }
    local m, v2 = {}, {}
    local function ref(T, G)
      for k = 1, #T do
        m[k] = R.lin(o.beta, m[k] or R.new(#T[k], #T[k][1]), 1 - o.beta, G[k])
        local gn = math.min(R.fro(G[k]), o.gamma)
        v2[k] = (v2[k] or o.v0 ^ 2) + gn * gn
        local alpha = math.max(o.eps, o.lr * gn / math.sqrt(v2[k]))
        local O = R.polar(m[k])
        T[k] = R.lin(1, T[k], -alpha, O)
      end
    end
    assert.is_true(compare(ml.optim.adago(o), ref, SHAPES, 4) < TOL)
  end)

  it("spectral: U Sigma^p V^T of the momentum or of the Adam update, through an SVD", function()
    -- the reference Psi_p from ml.svd's factors, multiplied out here
    local function psi(X, p)
      local r, c = #X, #X[1]
      if p == 1 or r == 1 or c == 1 then return X end
      local U, s, V = ml.svd(ml.from_table(X))
      U, s, V = U:totable(), s:totable(), V:totable()
      local Y = R.new(r, c)
      for i = 1, r do
        for j = 1, c do
          local acc = 0
          for l = 1, #s do acc = acc + U[i][l] * s[l][1] ^ p * V[j][l] end
          Y[i][j] = acc
        end
      end
      if p == 0 then Y = R.map(Y, function(x) return x * math.sqrt(math.max(1, r / c)) end) end
      return Y
    end
    for _, p in ipairs { 0, 0.25, 0.5, 1 } do
      -- momentum base, with Nesterov and decay
      local o = { lr = 0.05, p = p, momentum = 0.9, nesterov = true, weight_decay = 0.1 }
      local B = {}
      local function refm(T, G, t)
        for k = 1, #T do
          B[k] = t == 1 and R.copy(G[k]) or R.lin(0.9, B[k], 1, G[k])
          local U = R.lin(1, G[k], 0.9, B[k])
          local P = psi(U, p)
          T[k] = R.map(T[k], function(x, i, j) return (1 - 0.05 * 0.1) * x - 0.05 * P[i][j] end)
        end
      end
      local shapes = { { 3, 2 }, { 2, 4 }, { 1, 3 } }
      assert.is_true(compare(ml.optim.spectral(o), refm, shapes, 3) < TOL, "momentum, p = " .. p)
      -- Adam base
      local oa = { lr = 0.05, p = p, base = "adam", beta1 = 0.8, beta2 = 0.9, eps = 1e-3, weight_decay = 0.1 }
      local m, v = {}, {}
      local function refa(T, G, t)
        for k = 1, #T do
          local r, c = #T[k], #T[k][1]
          m[k] = R.lin(0.8, m[k] or R.new(r, c), 0.2, G[k])
          v[k] = R.lin(0.9, v[k] or R.new(r, c), 0.1, R.map(G[k], function(x) return x * x end))
          local Rn = R.map(m[k], function(x, i, j)
            return (x / (1 - 0.8 ^ t)) / (math.sqrt(v[k][i][j] / (1 - 0.9 ^ t)) + 1e-3)
          end)
          local P = psi(Rn, p)
          T[k] = R.map(T[k], function(x, i, j) return x - 0.05 * 0.1 * x - 0.05 * P[i][j] end)
        end
      end
      assert.is_true(compare(ml.optim.spectral(oa), refa, shapes, 3) < TOL, "adam, p = " .. p)
    end
  end)

  it("spectral: the coupled Newton route agrees with the SVD route", function()
    -- without the shift and with 30 steps the iteration has converged on these well-conditioned
    -- 8x5 momenta (ml.spectral's own spec: < 1e-12 per map); 1e-10 over three steps
    for _, p in ipairs { 0, 0.25, 0.5 } do
      local a = ml.optim.spectral { lr = 0.05, p = p }
      local b = ml.optim.spectral { lr = 0.05, p = p, method = "newton", newton = { steps = 30, shift = 0, shift_abs = 0 } }
      local P1, P2 = { ml.randn(8, 5, { seed = 1 }) }, { ml.randn(8, 5, { seed = 1 }) }
      for s = 1, 3 do
        local G = ml.randn(8, 5, { seed = 10 + s })
        a:step(P1, { G })
        b:step(P2, { G })
      end
      assert.is_true((P1[1] - P2[1]):norm("max") < 1e-10, "p = " .. p)
    end
  end)
end)

describe("optim: muon", function()
  it("with orthogonalize = 'polar' equals a fully converged Newton-Schulz (quintic, 30 steps)", function()
    -- the quintic Pade iteration converges quadratically-plus: after 30 steps on these
    -- (cond < 100) momenta it is at the polar factor to rounding (~1e-15); 1e-10 over 5 steps
    for _, shape in ipairs { { 6, 4 }, { 4, 9 } } do
      local a = ml.optim.muon { lr = 0.05, orthogonalize = "polar", adaptive = true }
      local b = ml.optim.muon { lr = 0.05, ns_coeffs = "quintic", ns_steps = 30, eps = 0, adaptive = true }
      local P1 = { ml.randn(shape[1], shape[2], { seed = 3 }) }
      local P2 = { P1[1]:clone() }
      for s = 1, 5 do
        local G = ml.randn(shape[1], shape[2], { seed = 40 + s })
        a:step(P1, { G })
        b:step(P2, { G })
      end
      assert.is_true((P1[1] - P2[1]):norm("max") < 1e-10)
    end
  end)

  it("passes the NS options through (per-step coefficient lists, preconditioning, precision)", function()
    local G = ml.randn(5, 7, { seed = 2 })
    local sched = { { 3.4445, -4.775, 2.0315 }, { 3, -3.2, 1.2 }, { 1.875, -1.25, 0.375 } }
    local opt = ml.optim.muon { lr = 1, beta = 0, nesterov = false, scale = "none", ns_coeffs = sched,
                                preconditioning = "spectral", ns_precision = "bf16", eps = 1e-7 }
    local W = ml.zeros(5, 7)
    opt:step({ W }, { G })
    local want = ml.ns(G, { coeffs = sched, precond = "spectral", precision = "bf16", eps = 1e-7 })
    assert.are.equal(0, (W + want):norm("max"))   -- W = -O exactly: the same iteration
  end)
end)

describe("optim: groups", function()
  it("selects parameters by kind (a name or a list) through info, and names a group that selects nothing", function()
    local model = ml.models.mlp { sizes = { 6, 5, 4, 3 } }   -- W1 b1 W2 b2 W3 b3: matrix bias matrix bias head bias
    local info = model:param_info()
    local P, G = model:params(), {}
    for i, p in ipairs(P) do G[i] = ml.rand(p:rows(), p:cols(), { seed = i }) end
    local m, a = ml.optim.sgd { lr = 0.1 }, ml.optim.sgd { lr = 0.01 }
    local opt = ml.optim.group { info = info, { params = "matrix", opt = m }, { params = { "head", "bias" }, opt = a } }
    local before = {}
    for i, p in ipairs(P) do before[i] = p:clone() end
    opt:step(P, G)
    assert.are.same({ 1, 3 }, opt.groups[1].members)
    assert.are.same({ 2, 4, 5, 6 }, opt.groups[2].members)
    for i, p in ipairs(P) do
      local lr = (i == 1 or i == 3) and 0.1 or 0.01
      assert.is_true((before[i] - p - G[i] * lr):norm("max") < 1e-15, "parameter " .. i)
    end
    local function err(f) local ok, e = pcall(f) assert.is_false(ok) return tostring(e) end
    assert.matches("group: group 2 (adamw side) (params = \"embedding\") selects no parameter", err(function()
      ml.optim.group { info = info, { params = { "matrix", "head", "bias" }, opt = ml.optim.sgd {} },
        { name = "adamw side", params = "embedding", opt = ml.optim.sgd {} } }:step(P, G)
    end), 1, true)
    assert.matches("group: group 1 (params = \"matrix\") selects no parameter", err(function()
      ml.optim.group { info = { { name = "b", kind = "bias", shape = { 1, 3 } } }, { params = "matrix", opt = ml.optim.sgd {} },
        { params = function() return true end, opt = ml.optim.sgd {} } }:step({ ml.zeros(1, 3) }, { ml.zeros(1, 3) })
    end), 1, true)
    assert.matches("bad argument #1 to 'group' (option '[1].params': unknown parameter kind matrices", err(function()
      ml.optim.group { info = info, { params = "matrices", opt = ml.optim.sgd {} } }
    end), 1, true)
    assert.matches("group 1 selects kinds, which needs info = model:param_info()", err(function()
      ml.optim.group { { params = "matrix", opt = ml.optim.sgd {} } }:step(P, G)
    end), 1, true)
    -- muon_adamw: a rule that sends nothing to Muon is an error naming the Muon side
    assert.matches("group 1 (muon)", err(function()
      ml.optim.muon_adamw { info = info, choose = "embedding" }:step(P, G)
    end), 1, true)
    -- every optimizer that reads param_info takes info =
    for _, name in ipairs { "muon", "muon_adamw", "steepest", "scion", "normuon", "trasmuon", "adago" } do
      assert.has_no_error(function() ml.optim[name] { info = info } end, name)
    end
  end)

  it("muon_adamw sends hidden matrices to Muon and the rest to AdamW (rule, exclude, choose)", function()
    local shapes = { { 4, 3 }, { 1, 3 }, { 5, 3 }, { 3, 1 } }
    local function run(opt, ms, as)
      local P = params_for(shapes)
      local Q = params_for(shapes)
      for s = 1, 3 do
        local G = grads_at(shapes, s)
        opt:step(P, G)
        local mp, mg, ap, ag = {}, {}, {}, {}
        for _, i in ipairs(ms) do mp[#mp + 1], mg[#mg + 1] = Q[i], G[i] end
        for _, i in ipairs(as) do ap[#ap + 1], ag[#ag + 1] = Q[i], G[i] end
        if #mp > 0 then opt.muon_ref:step(mp, mg) end
        if #ap > 0 then opt.adamw_ref:step(ap, ag) end
      end
      for k = 1, #P do assert.are.equal(0, (P[k] - Q[k]):norm("max")) end
    end
    local mo, ao = { lr = 0.05 }, { lr = 0.01 }
    local function make(extra)
      local o = { muon = mo, adamw = ao }
      for k, v in pairs(extra or {}) do o[k] = v end
      local opt = ml.optim.muon_adamw(o)
      opt.muon_ref = ml.optim.muon(mo)
      -- MuonWithAuxAdam's class defaults for the Adam groups (KellerJordan/Muon)
      opt.adamw_ref = ml.optim.adamw { lr = 0.01, beta1 = 0.9, beta2 = 0.95, eps = 1e-10, weight_decay = 0 }
      return opt
    end
    run(make(), { 1, 3 }, { 2, 4 })
    run(make { exclude = { 3 } }, { 1 }, { 2, 3, 4 })
    run(make { choose = function(i) return i == 2 and "muon" or "adamw" end }, { 2 }, { 1, 3, 4 })
    run(make { info = { { kind = "matrix" }, { kind = "bias" }, { kind = "head" }, { kind = "matrix" } } }, { 1 }, { 2, 3, 4 })
    local info = { { kind = "matrix" }, { kind = "bias" }, { kind = "head" }, { kind = "embedding" } }
    run(make { info = info, choose = "head" }, { 3 }, { 1, 2, 4 })
    run(make { info = info, choose = { "matrix", "head", "embedding" } }, { 1, 3, 4 }, { 2 })
  end)

  it("blocks hand row blocks of a parameter to the optimizer as separate matrices", function()
    local W = ml.randn(6, 4, { seed = 1 })
    local parts = { W:view(1, 1, 2, 4):clone(), W:view(3, 1, 2, 4):clone(), W:view(5, 1, 2, 4):clone() }
    local g = ml.optim.group { { params = { 1 }, opt = ml.optim.muon { lr = 0.1 }, blocks = { rows = 2 } } }
    local ref = ml.optim.muon { lr = 0.1 }
    for s = 1, 3 do
      local G = ml.randn(6, 4, { seed = 20 + s })
      g:step({ W }, { G })
      ref:step(parts, { G:view(1, 1, 2, 4), G:view(3, 1, 2, 4), G:view(5, 1, 2, 4) })
    end
    for b = 1, 3 do assert.are.equal(0, (W:view(2 * b - 1, 1, 2, 4) - parts[b]):norm("max")) end
  end)

  it("checks that every parameter is in exactly one group", function()
    local P, G = params_for(SHAPES), grads_at(SHAPES, 1)
    local g1 = ml.optim.group { { params = { 1 }, opt = ml.optim.sgd {} } }
    assert.has_error(function() g1:step(P, G) end, "group: parameter 2 is in no group")
    local g2 = ml.optim.group { { params = { 1, 2 }, opt = ml.optim.sgd {} }, { params = { 2 }, opt = ml.optim.adamw {} } }
    assert.has_error(function() g2:step(P, G) end, "group: parameter 2 is in groups 1 and 2")
    assert.has_error(function() ml.optim.group { { params = { 1 }, opt = 3 } } end)
    assert.has_error(function() ml.optim.group { { params = { 1 }, opt = ml.optim.sgd {}, blocks = { rows = 0 } } } end)
  end)
end)

-- Every optimizer with a setting that exercises its state; the steepest family too.
local ALL = {
  { "sgd", { lr = 0.05, momentum = 0.9, nesterov = true } },
  { "adamw", { lr = 0.01 } },
  { "muon", { lr = 0.05, adaptive = true } },
  { "muon_adamw", { muon = { lr = 0.05 }, adamw = { lr = 0.01 } } },
  { "trasmuon", { lr = 0.01 } },
  { "normuon", { lr = 0.01 } },
  { "adago", { lr = 0.05 } },
  { "spectral", { lr = 0.05, p = 0.5 } },
  { "spectral", { lr = 0.05, p = 0.25, base = "adam" } },
  { "scion", {} },
  { "muonadam", {} },
  { "polargrad", { lr = 0.05 } },
  { "muonmax", { stale = true } },
  { "muon_momo", { f_star = 0.5 } },
  { "muonmax_momo", { f_star = 0, stale = true } },
  { "steepest", { mode = "regularized", outer = "l2", backup = "inf", lr = 1e-2 } },
}

describe("optim: state_dict", function()
  local shapes = { { 4, 3 }, { 1, 3 }, { 3, 5 } }
  local function loss(s) return 2 + 1 / s end
  for _, case in ipairs(ALL) do
    local name, o = case[1], case[2]
    it(name .. ": save after 3 steps, restore into a fresh optimizer: the same 3 next steps bit for bit", function()
      local P = params_for(shapes)
      local opt = ml.optim[name](o)
      for s = 1, 3 do opt:step(P, grads_at(shapes, s), loss(s)) end
      local sd = opt:state_dict()
      local snap = {}
      for k = 1, #P do snap[k] = P[k]:clone() end
      for s = 4, 6 do opt:step(P, grads_at(shapes, s), loss(s)) end
      local fresh = ml.optim[name](o)
      fresh:load_state_dict(sd)
      for s = 4, 6 do fresh:step(snap, grads_at(shapes, s), loss(s)) end
      for k = 1, #P do
        local a, b = P[k]:totable(), snap[k]:totable()
        for i = 1, #a do for j = 1, #a[1] do assert.are.equal(a[i][j], b[i][j]) end end
      end
      -- the saved table is a copy: continuing did not change it
      local again = ml.optim[name](o)
      again:load_state_dict(sd)
      assert.are.equal(3, sd.step or sd.groups[1].step)
    end)
  end
end)

describe("optim: 200 steps of ill-conditioned least squares", function()
  -- minimise 1/2 ||A W + 1 b^T - B||_F^2 over W (8x6) and b (1x6), A 20x8 with condition 100:
  -- every optimizer must bring the loss below half its starting value (rates picked once for
  -- this problem; the point is a working update, not a comparison).
  local A = ml.spectrum(20, 8, { cond = 100, seed = 1 })
  local B = A:mm(ml.randn(8, 6, { seed = 2 })) + ml.randn(20, 6, { seed = 3, std = 0.01 })
  local ones = ml.ones(20, 1)
  local Rb = ml.zeros(20, 6)
  local function lossgrad(W, b)
    local Rm = A:mm(W)
    Rm:add_(ml.matmul(ones, b), 1):add_(B, -1)
    return 0.5 * Rm:norm() ^ 2, ml.matmul(A, Rm, { ta = true }), Rm:col_sums()
  end
  local rates = {
    sgd = { lr = 0.01, momentum = 0.9 }, adamw = { lr = 0.05, weight_decay = 0 }, muon = { lr = 0.05 },
    trasmuon = { lr = 0.05 }, normuon = { lr = 0.05 }, adago = { lr = 0.1, gamma = 10 }, spectral = { lr = 0.05 },
    muon_adamw = { muon = { lr = 0.05 }, adamw = { lr = 0.05 } }, steepest = {},
    -- no attention here: a model whose qk_clip never clips (optim_attention_spec tests the clip)
    muonclip = { lr = 0.05, weight_decay = 0, model = { qk_clip = function() return 0 end } },
    scion = {}, muonadam = {}, polargrad = {}, muonmax = { lr = 0.01 },
    scion_momo = {}, muon_momo = {}, polargrad_momo = {}, muonmax_momo = {},
    torch_muon = { lr = 0.05, weight_decay = 0 }, adamuon = { lr = 0.05, weight_decay = 0 },
    root = { lr = 0.05, weight_decay = 0 }, auon = { lr = 0.05 }, kaon = { lr = 0.05 }, freon = { lr = 0.01 },
    spectral_clip = { lr = 0.05, tau = 10 }, conda = { lr = 0.05 }, dion = { lr = 0.05, weight_decay = 0 },
    dion2 = { lr = 0.05, weight_decay = 0 },
  }
  -- muon_mvr and ef21_muon take other step arguments: optim_family_spec.lua runs them
  local own_step = { group = true, muon_mvr = true, ef21_muon = true }
  for _, name in ipairs(ml.optim.names()) do
    if not own_step[name] then
      it(name, function()
        assert.is_not_nil(rates[name], "no rate for " .. name)
        local W, b = ml.zeros(8, 6), ml.zeros(1, 6)
        local opt = ml.optim[name](rates[name])
        local l0, l = lossgrad(W, b)
        for _ = 1, 200 do
          local gW, gb
          l, gW, gb = lossgrad(W, b)
          opt:step({ W, b }, { gW, gb }, l)
        end
        l = lossgrad(W, b)
        assert.is_true(l < 0.5 * l0, ("%s: %g -> %g"):format(name, l0, l))
      end)
    end
  end
end)

describe("optim: hyperparameter checks", function()
  local betas = {
    sgd = "momentum", adamw = "beta1", muon = "beta", trasmuon = "ref_beta", normuon = "beta2",
    adago = "beta", spectral = "beta2", steepest = "beta", muonmax = "beta2", scion = "beta1",
  }
  for name, beta in pairs(betas) do
    it(name .. ": negative lr, beta outside [0, 1), unknown option", function()
      local function err(o) return select(2, pcall(ml.optim[name], o)) end
      local to = "bad argument #1 to '" .. name .. "' ("
      assert.matches(to .. "option 'lr': a finite number", err { lr = -1 }, 1, true)
      assert.matches(to .. "option '" .. beta .. "': a number in [0, 1) expected, got 1)", err { [beta] = 1 }, 1, true)
      assert.matches(to .. "option '" .. beta .. "': a number in [0, 1) expected, got -0.1)", err { [beta] = -0.1 }, 1, true)
      assert.matches(to .. "unknown option 'bogus' (expected one of: ", err { bogus = 1 }, 1, true)
      assert.matches("expected, got string)", err { lr = "fast" }, 1, true)
      assert.matches("expected, got -1)", err { lr = -1 }, 1, true)
    end)
  end

  it("names the bad value of enumerations and cross-option rules", function()
    local function err(f, o) return select(2, pcall(f, o)) end
    assert.matches("bad argument #1 to 'muon' (option 'orthogonalize': one of \"ns\", \"polar\" expected, got \"svd\")",
      err(ml.optim.muon, { orthogonalize = "svd" }), 1, true)
    assert.matches("bad argument #1 to 'muon' (option 'scale'", err(ml.optim.muon, { scale = "huge" }), 1, true)
    assert.matches("bad argument #1 to 'sgd' (option 'nesterov': needs momentum > 0", err(ml.optim.sgd, { nesterov = true }), 1, true)
    assert.matches("bad argument #1 to 'steepest' (option 'outer': one of", err(ml.optim.steepest, { outer = "l1" }), 1, true)
    assert.matches("bad argument #1 to 'muon_momo' (option 'momo': needs beta1 == beta", err(ml.optim.muon_momo, { beta1 = 0.9 }), 1, true)
    assert.matches("bad argument #1 to 'scion' (option 'mode': fixed by the preset", err(ml.optim.scion, { mode = "regularized" }), 1, true)
    assert.matches("bad argument #1 to 'spectral' (option 'newton':", err(ml.optim.spectral, { p = 0.3, method = "newton" }), 1, true)
    assert.matches("bad argument #1 to 'muon_adamw' (option 'muon': option 'lr': a finite number >= 0 expected, got -1)",
      err(ml.optim.muon_adamw, { muon = { lr = -1 } }), 1, true)
    assert.matches("bad argument #1 to 'muon' (unknown option 'nsteps' (did you mean 'ns_steps'?", err(ml.optim.muon, { ns_coeffs = "jordan", nsteps = 3 }), 1, true)
    assert.matches("ml.optim.muon_adam was renamed muon_adamw", err(ml.optim.muon_adam, {}), 1, true)
    local opt = ml.optim.adamw {}
    assert.has_error(function() opt:set("lr", -1) end, "bad argument #2 to 'set' (option 'lr': a finite number >= 0 expected, got -1)")
    opt:set("lr", 0.5)
    assert.are.equal(0.5, opt.hp.lr)
    assert.has_error(function() ml.optim.muon {}:set("ns_steps", 3) end,
      "bad argument #1 to 'set' (option 'ns_steps': fixed when the optimizer is built)")
    assert.has_error(function() ml.optim.muon_momo {}:set("momo", false) end)
  end)

  it("checks step's arguments", function()
    local opt = ml.optim.muon {}
    local P, G = params_for(SHAPES), grads_at(SHAPES, 1)
    assert.has_error(function() opt:step(P, { G[1] }) end, "bad argument #2 to 'step' (grads: 2 matrices expected (one per param), got 1)")
    assert.has_error(function() opt:step(P, { G[2], G[1] }) end, "bad argument #2 to 'step' (grads[1]: a 3x2 matrix expected (params[1]'s shape), got 2x4)")
    local ok, e = pcall(function() opt:step(P, { G[1] }) end)   -- at the caller's line
    assert.is_false(ok)
    assert.matches("^[^:]*optim_spec%.lua:%d+: bad argument #2 to 'step' %(grads: ", e)
    for _, name in ipairs { "group", "muon_mvr" } do   -- their own step wrappers, the same format
      local o = name == "group" and ml.optim.group { { params = "matrix", opt = ml.optim.sgd {} } } or ml.optim[name] {}
      local ok2, e2 = pcall(function() o:step(3, G) end)
      assert.is_false(ok2)
      assert.matches("^[^:]*optim_spec%.lua:%d+: bad argument #1 to 'step' %(params", e2)
    end
    assert.has_error(function() opt:step({ P[1], 3 }, G) end, "bad argument #1 to 'step' (params[2]: a matrix expected, got number)")
    opt:step(P, G)
    assert.has_error(function() opt:step({ P[1] }, { G[1] }) end, "bad argument #1 to 'step' (params: 2 matrices expected (the state was created for 2), got 1)")
    local momo = ml.optim.muon_momo {}
    assert.has_error(function() momo:step(P, G) end, "bad argument #3 to 'step' (loss: a number expected, got nil (muon_momo's Momo step sizes use the loss))")
    assert.has_error(function() ml.optim.new("nope") end)
  end)
end)

describe("optim: no allocation per step", function()
  -- After the first step every optimizer that orthogonalizes with Newton-Schulz reuses its
  -- matrices: the Lua heap does not grow over 20 steps (collector stopped; a single new matrix
  -- userdata or table per step would add >= 20 * 64 bytes) and the NS plan allocates nothing.
  local names = { "sgd", "adamw", "muon", "trasmuon", "normuon", "adago", "muonmax_momo", "scion", "polargrad" }
  for _, name in ipairs(names) do
    it(name, function()
      local opt = ml.optim[name] { lr = 1e-3 }
      local P, G = params_for(SHAPES), grads_at(SHAPES, 1)
      opt:step(P, G, 1.0)
      opt:step(P, G, 1.0)
      collectgarbage()
      collectgarbage("stop")
      local before = collectgarbage("count")
      for _ = 1, 20 do opt:step(P, G, 1.0) end
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      assert.is_true(grown < 0.5, ("%s: %.2f KiB"):format(name, grown))
    end)
  end
end)
