-- The steepest-descent family of seed 003 (lua/muonlab/optim/steepest.lua), checked three ways:
--  1. From the definitions: for all 18 (mode, outer norm, backup norm) points, the first step's
--     direction u = -Delta / (eta s) (s = 1 constrained, s = ||m||_* regularized) has product
--     norm 1 (the norm evaluated from its definition: spectral norms by LAPACK, the backup norms
--     entry by entry), attains the dual norm computed in closed form (nuclear norms by LAPACK),
--     and no random unit direction does better.
--  2. Against transcriptions of the slides' formulas and of GPT-opt's MuonAdam-Momo / MuonMax-Momo
--     parametrisation (lr = eta_b, muon_lr_scale = eta_m / eta_b), three steps with momentum,
--     stale nuclear norms included.
--  3. Momo with f* = -math.huge equals its base optimizer bit for bit.
local ml = require "muonlab"

local function T(A) return A:totable() end
local function polar(A) return ml.polar(ml.from_table(A)):totable() end
local function map(A, f)
  local t = {}
  for i = 1, #A do
    t[i] = {}
    for j = 1, #A[1] do t[i][j] = f(A[i][j], i, j) end
  end
  return t
end
local function zip(A, B, f) return map(A, function(x, i, j) return f(x, B[i][j]) end) end
local function sum(A, f)
  local s = 0
  for i = 1, #A do for j = 1, #A[1] do s = s + f(A[i][j], i, j) end end
  return s
end
local function dot(A, B) return sum(A, function(x, i, j) return x * B[i][j] end) end
local function maxdiff(M, R)
  local A = M:totable()
  local d = 0
  for i = 1, #A do for j = 1, #A[1] do d = math.max(d, math.abs(A[i][j] - R[i][j])) end end
  return d
end

-- two weight matrices and two non-matrix parameters (the backup block theta)
local SHAPES = { { 4, 3 }, { 1, 3 }, { 3, 5 }, { 4, 1 } }
local IS_MAT = { true, false, true, false }
local function params() local p = {} for k, s in ipairs(SHAPES) do p[k] = ml.randn(s[1], s[2], { seed = 7 + k }) end return p end
local function grads(step) local g = {} for k, s in ipairs(SHAPES) do g[k] = ml.randn(s[1], s[2], { seed = 100 * step + k }) end return g end

describe("steepest: the first step is the steepest-descent step of its product norm", function()
  local eta, etab, eps = 0.1, 0.02, 1e-8
  local rho = eta / etab
  for _, mode in ipairs { "constrained", "regularized" } do
    for _, outer in ipairs { "max", "l2", "hybrid" } do
      for _, backup in ipairs { "inf", "adainf", "ada2" } do
        it(("%s, %s, %s"):format(mode, outer, backup), function()
          local opt = ml.optim.steepest { mode = mode, outer = outer, backup = backup, lr = eta, lr_backup = etab,
                                          eps = eps, orthogonalize = "polar" }
          local P, G = params(), grads(1)
          local before = {}
          for k = 1, #P do before[k] = P[k]:clone() end
          opt:step(P, G)
          -- at t = 1 the moments are the gradient: m = g, v = g^2
          local m, D = {}, {}
          for k = 1, #P do m[k], D[k] = T(G[k]), T(P[k] - before[k]) end
          local wgt = outer == "max" and rho or math.sqrt(rho)
          -- the backup norm of a direction X (list over the backup parameters), from its definition
          local function bnorm(X)
            local acc = 0
            for k = 1, #X do
              if not IS_MAT[k] then
                for i = 1, #X[k] do
                  for j = 1, #X[k][1] do
                    local x, mm = X[k][i][j], m[k][i][j]
                    local d = math.sqrt(mm * mm) + eps   -- sqrt(v) + eps with v = m^2
                    if backup == "inf" then acc = math.max(acc, math.abs(x))
                    elseif backup == "adainf" then acc = math.max(acc, d / math.abs(mm) * math.abs(x))
                    else acc = acc + d * x * x end
                  end
                end
              end
            end
            return backup == "ada2" and math.sqrt(acc) or acc
          end
          local function pnorm(X)   -- the product norm
            local layers, mx, sq = {}, 0, 0
            for k = 1, #X do
              if IS_MAT[k] then
                local s = ml.norm(ml.from_table(X[k]), "spectral")
                mx, sq = math.max(mx, s), sq + s * s
              end
            end
            local b = wgt * bnorm(X)
            if outer == "max" then return math.max(mx, b) end
            if outer == "l2" then return math.sqrt(sq + b * b) end
            return math.sqrt(mx * mx + b * b)
          end
          -- the dual norm in closed form: block duals (nuclear norms; the backup's dual / wgt) combined
          local S, S2, acc = 0, 0, 0
          for k = 1, #m do
            if IS_MAT[k] then
              local e = ml.norm(G[k], "nuclear")
              S, S2 = S + e, S2 + e * e
            else
              acc = acc + sum(m[k], function(x)
                if backup == "inf" then return math.abs(x) end
                return x * x / (math.abs(x) + eps)
              end)
            end
          end
          local eth = (backup == "ada2" and math.sqrt(acc) or acc) / wgt
          local dual = outer == "max" and S + eth or outer == "l2" and math.sqrt(S2 + eth * eth)
            or math.sqrt(S * S + eth * eth)
          local s = mode == "regularized" and dual or 1
          local u = {}
          for k = 1, #D do u[k] = map(D[k], function(x) return -x / (eta * s) end) end
          -- u is a unit vector attaining the dual norm: <m, u> = ||m||_*
          local mu = 0
          for k = 1, #u do mu = mu + dot(m[k], u[k]) end
          assert.is_true(math.abs(pnorm(u) - 1) < 1e-12, "norm " .. pnorm(u))
          assert.is_true(math.abs(mu - dual) < 1e-12 * dual, ("<m,u> %.17g, dual %.17g"):format(mu, dual))
          -- no random unit direction is better
          local best = -math.huge
          for trial = 1, 200 do
            local r = {}
            for k, sh in ipairs(SHAPES) do r[k] = T(ml.randn(sh[1], sh[2], { seed = 5000 + 10 * trial + k })) end
            local n = pnorm(r)
            local v = 0
            for k = 1, #r do v = v + dot(m[k], r[k]) / n end
            best = math.max(best, v)
          end
          assert.is_true(best <= dual * (1 + 1e-12), ("random %g > dual %g"):format(best, dual))
        end)
      end
    end
  end
end)

-- A transcription driver: run the optimizer and ref(Tparams, Tgrads, t) for 3 steps.
local function compare(opt, ref, loss)
  local P = params()
  local R = {}
  for k = 1, #P do R[k] = T(P[k]) end
  local worst = 0
  for s = 1, 3 do
    local G = grads(s)
    local GT = {}
    for k = 1, #G do GT[k] = T(G[k]) end
    opt:step(P, G, loss and loss(s))
    ref(R, GT, s, loss and loss(s))
    for k = 1, #P do worst = math.max(worst, maxdiff(P[k], R[k])) end
  end
  return worst
end

-- Moments as GPT-opt keeps them: M_1 = G_1, then EMA; m, v likewise with v_1 = g_1^2.
local function moments(beta, b1, b2)
  local M, m, v = {}, {}, {}
  return function(G, t)
    for k = 1, #G do
      if IS_MAT[k] then
        M[k] = t == 1 and G[k] or zip(M[k], G[k], function(a, g) return beta * a + (1 - beta) * g end)
      else
        m[k] = t == 1 and G[k] or zip(m[k], G[k], function(a, g) return b1 * a + (1 - b1) * g end)
        v[k] = t == 1 and map(G[k], function(g) return g * g end)
          or zip(v[k], G[k], function(a, g) return b2 * a + (1 - b2) * g * g end)
      end
    end
    return M, m, v
  end
end

describe("steepest: the slides' updates, transcribed", function()
  local eta, etab, beta, b2, eps = 0.05, 0.01, 0.9, 0.8, 1e-8
  local base = { lr = eta, lr_backup = etab, beta = beta, beta1 = beta, beta2 = b2, eps = eps, orthogonalize = "polar" }
  local function with(t)
    local o = {}
    for k, v in pairs(base) do o[k] = v end
    for k, v in pairs(t) do o[k] = v end
    return o
  end
  local function adam(m, v) return zip(m, v, function(a, b) return a / (math.sqrt(b) + eps) end) end
  local TOL = 1e-12   -- same arithmetic, different order; polar factors of cond <= ~50 inputs

  it("MuonAdam (constrained, max, ada-inf): W -= eta polar(M), theta -= eta_b m/(sqrt(v)+eps)", function()
    local mom = moments(beta, beta, b2)
    local function ref(R, G, t)
      local M, m, v = mom(G, t)
      for k = 1, #R do
        local step = IS_MAT[k] and map(polar(M[k]), function(x) return eta * x end)
          or map(adam(m[k], v[k]), function(x) return etab * x end)
        R[k] = zip(R[k], step, function(a, b) return a - b end)
      end
    end
    assert.is_true(compare(ml.optim.muonadam(with {}), ref) < TOL)
  end)

  for _, stale in ipairs { false, true } do
    it(("(regularized, max): W -= eta (sum_j ||M^j||_nuc) polar(M)%s"):format(stale and ", stale nuclear norms" or ""), function()
      local mom = moments(beta, beta, b2)
      local prev
      local function ref(R, G, t)
        local M, m, v = mom(G, t)
        local nuc, S = {}, 0
        for k = 1, #R do
          if IS_MAT[k] then
            nuc[k] = dot(M[k], polar(M[k]))
            S = S + ((stale and prev) and prev[k] or nuc[k])
          end
        end
        prev = nuc
        local delta = 0
        for k = 1, #R do if not IS_MAT[k] then delta = delta + dot(m[k], adam(m[k], v[k])) end end
        local D = S + delta * etab / eta
        for k = 1, #R do
          local step = IS_MAT[k] and map(polar(M[k]), function(x) return eta * D * x end)
            or map(adam(m[k], v[k]), function(x) return etab * D * x end)
          R[k] = zip(R[k], step, function(a, b) return a - b end)
        end
      end
      local o = with { mode = "regularized", outer = "max", backup = "adainf", stale = stale }
      assert.is_true(compare(ml.optim.steepest(o), ref) < TOL)
    end)
  end

  for _, mode in ipairs { "constrained", "regularized" } do
    it(("(%s, l2): the slide's layer scales, matrices only"):format(mode), function()
      local mom = moments(beta, beta, b2)
      local function ref(R, G, t)
        local M = mom(G, t)
        local nuc, S2 = {}, 0
        for k = 1, #R do
          if IS_MAT[k] then
            nuc[k] = dot(M[k], polar(M[k]))
            S2 = S2 + nuc[k] ^ 2
          end
        end
        for k = 1, #R do
          if IS_MAT[k] then
            -- constrained: eta ||M^l||_nuc / sqrt(sum_j ||M^j||_nuc^2); regularized: eta ||M^l||_nuc
            local c = mode == "constrained" and eta * nuc[k] / math.sqrt(S2) or eta * nuc[k]
            R[k] = zip(R[k], polar(M[k]), function(a, b) return a - c * b end)
          end
        end
      end
      -- matrices only: the backup block is empty
      local P = params()
      local opt = ml.optim.steepest(with { mode = mode, outer = "l2" })
      local mats, R = { P[1], P[3] }, { T(P[1]), T(P[3]) }
      local mom2 = moments(beta, beta, b2)
      local worst = 0
      for s = 1, 3 do
        local G = grads(s)
        opt:step(mats, { G[1], G[3] })
        local M = mom2({ T(G[1]), T(G[2]), T(G[3]), T(G[4]) }, s)
        local S2 = dot(M[1], polar(M[1])) ^ 2 + dot(M[3], polar(M[3])) ^ 2
        for idx, k in ipairs { 1, 3 } do
          local nuc = dot(M[k], polar(M[k]))
          local c = mode == "constrained" and eta * nuc / math.sqrt(S2) or eta * nuc
          R[idx] = zip(R[idx], polar(M[k]), function(a, b) return a - c * b end)
          worst = math.max(worst, maxdiff(mats[idx], R[idx]))
        end
      end
      assert.is_true(worst < TOL)
    end)
  end

  -- GPT-opt's parametrisation: lr = eta_b, s = eta_m / eta_b (muon_lr_scale), D_gpt = s-weighted.
  local s = eta / etab
  for _, stale in ipairs { false, true } do
    it("MuonAdam-Momo as GPT-opt computes it" .. (stale and " (stale)" or ""), function()
      local mom = moments(beta, beta, b2)
      local F, prev
      local fstar = 0.5
      local function ref(R, G, t, loss)
        local M, m, v = mom(G, t)
        local gw, mw, dual = 0, 0, 0
        local nuc = {}
        for k = 1, #R do
          gw = gw + dot(R[k], G[k])
          mw = mw + dot(R[k], IS_MAT[k] and M[k] or m[k])
          if IS_MAT[k] then
            nuc[k] = dot(M[k], polar(M[k]))
            dual = dual + s * ((stale and prev) and prev[k] or nuc[k])
          else
            dual = dual + sum(m[k], function(x, i, j) return math.abs(x * math.abs(x) / (eps + math.sqrt(v[k][i][j]))) end)
          end
        end
        prev = nuc
        F = F and beta * F + (1 - beta) * (loss - gw) or loss - gw
        local lr = math.min(etab, (F - fstar + mw) / dual)
        for k = 1, #R do
          if IS_MAT[k] then
            R[k] = zip(R[k], polar(M[k]), function(a, b) return a - lr * s * b end)
          else
            R[k] = zip(R[k], adam(m[k], v[k]), function(a, b) return a - lr * b end)
          end
        end
      end
      -- loss 0.7 - 0.05 t against f* = 0.5: the truncated rate gap / D (~0.01) is below eta and
      -- the gap stays positive (GPT-opt does not clip it at 0)
      local opt = ml.optim.muon_momo(with { f_star = fstar, stale = stale })
      assert.is_true(compare(opt, ref, function(t) return 0.7 - 0.05 * t end) < TOL)
      assert.is_true(opt.global.eta < eta and opt.global.eta > 0, tostring(opt.global.eta))
    end)

    it("MuonMax-Momo as GPT-opt computes it" .. (stale and " (stale)" or ""), function()
      local mom = moments(beta, beta, b2)
      local F, prev
      local fstar = 0.5
      local function ref(R, G, t, loss)
        local M, m, v = mom(G, t)
        local gw, mw, S, asq = 0, 0, 0, 0
        local nuc = {}
        for k = 1, #R do
          gw = gw + dot(R[k], G[k])
          mw = mw + dot(R[k], IS_MAT[k] and M[k] or m[k])
          if IS_MAT[k] then
            nuc[k] = dot(M[k], polar(M[k]))
            S = S + ((stale and prev) and prev[k] or nuc[k])
          else
            asq = asq + sum(m[k], function(x, i, j) return x * x / (eps + math.sqrt(v[k][i][j])) end)
          end
        end
        prev = nuc
        local gdn = math.sqrt(s * S * S + asq)
        F = F and beta * F + (1 - beta) * (loss - gw) or loss - gw
        local lr = math.min(etab, (F - fstar + mw) / gdn ^ 2)
        for k = 1, #R do
          if IS_MAT[k] then
            R[k] = zip(R[k], polar(M[k]), function(a, b) return a - lr * s * S * b end)
          else
            R[k] = zip(R[k], adam(m[k], v[k]), function(a, b) return a - lr * b end)
          end
        end
      end
      local opt = ml.optim.muonmax_momo(with { f_star = fstar, stale = stale })
      assert.is_true(compare(opt, ref, function(t) return 20 / t end) < TOL)
      assert.is_true(opt.global.eta < eta and opt.global.eta > 0, tostring(opt.global.eta))
    end)
  end

  it("Scion (constrained, max, inf): theta -= eta_b sign(m)", function()
    local mom = moments(beta, beta, b2)
    local function ref(R, G, t)
      local M, m = mom(G, t)
      for k = 1, #R do
        local step = IS_MAT[k] and map(polar(M[k]), function(x) return eta * x end)
          or map(m[k], function(x) return etab * (x > 0 and 1 or x < 0 and -1 or 0) end)
        R[k] = zip(R[k], step, function(a, b) return a - b end)
      end
    end
    assert.is_true(compare(ml.optim.scion(with {}), ref) < TOL)
  end)
end)

describe("steepest: Momo with f* = -inf is its base optimizer", function()
  for _, pair in ipairs { { "muon_momo", "muonadam" }, { "muonmax_momo", "muonmax" }, { "scion_momo", "scion" },
                          { "polargrad_momo", "polargrad" } } do
    it(pair[1] .. " == " .. pair[2] .. " bit for bit (Newton-Schulz, 5 steps, stale and not)", function()
      for _, stale in ipairs { false, true } do
        local o = { lr = 0.03, lr_backup = 0.003, stale = stale, f_star = -math.huge }
        local a = ml.optim[pair[1]](o)
        o.f_star = nil
        local b = ml.optim[pair[2]](o)
        local P, Q = params(), params()
        for t = 1, 5 do
          local G = grads(t)
          a:step(P, G, 3 / t)
          b:step(Q, G)
        end
        for k = 1, #P do assert.are.equal(0, (P[k] - Q[k]):norm("max")) end
      end
    end)
  end

  it("with f* near the loss the step shrinks below lr, and never goes uphill (gap clipped at 0)", function()
    local opt = ml.optim.muon_momo { f_star = 10 }
    local P = params()
    local before = P[1]:clone()
    opt:step(P, grads(1), 1.0)   -- loss 1 < f* 10: no step at all
    assert.are.equal(0, opt.global.eta)
    assert.are.equal(0, (P[1] - before):norm("max"))
  end)

  it("choose(i, p) picks the blocks", function()
    local opt = ml.optim.steepest { choose = function(i) return i == 1 and "backup" or "matrix" end }
    local P = params()
    opt:step({ P[1], P[3] }, { grads(1)[1], grads(1)[3] })
    assert.are.equal("backup", opt.state[1].kind)
    assert.are.equal("matrix", opt.state[2].kind)
    local byinfo = ml.optim.steepest { info = { { kind = "head" }, { kind = "matrix" } } }
    byinfo:step({ P[1], P[3] }, { grads(1)[1], grads(1)[3] })
    assert.are.equal("backup", byinfo.state[1].kind)
    assert.are.equal("matrix", byinfo.state[2].kind)
    local bad = ml.optim.steepest { choose = function() return "other" end }
    assert.has_error(function() bad:step({ P[1] }, { grads(1)[1] }) end)
  end)
end)
