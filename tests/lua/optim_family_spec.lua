-- The round-two optimizers (issue 11; ROUND2.md): each against a transcription of its equations
-- written here in plain Lua over tables of rows, independently of the optimizer's code (the
-- Newton-Schulz steps, QR, quantile, top-k, natural rounding, column norms and bit counts are
-- all written out here; the SVD comes from ml.svd and the exact polar factor from ml.polar, both
-- tested against LAPACK and closed forms elsewhere). Several steps on random problems, float64.
-- Each ambiguous reading of ROUND2.md is run in both settings and named in the test's title.
-- Then: ml.qr, ml.spectral with p < 0 and ml.spectral_clip against closed forms; the new
-- kernels; a few hundred steps on least squares and on an MLP with a threshold per optimizer.
--
-- Tolerance of the transcriptions, 1e-12: both sides do the same arithmetic in another order
-- (a few ulps on entries of size <= ~10); the NS iterations (<= 8 steps of a polynomial with
-- coefficients <= 25 on matrices with singular values <= 1) amplify a rounding difference by at
-- most a few hundred, and the SVD-based maps by the condition number of the small random
-- matrices (<= 1e2).
local ml = require "muonlab"

local TOL = 1e-12

-- ---- plain-Lua matrices (tables of rows) ----
local R = dofile("tests/lua/plain_matrix.lua")
function R.sign(x) return x > 0 and 1 or x < 0 and -1 or 0 end
function R.polar(A) return ml.polar(ml.from_table(A)):totable() end
-- Newton-Schulz: X_0 = G/(s ||G||_F + eps), s = coeffs.input_scale or 1 (Polar Express's
-- safety factor; norm = false: X_0 = G), then for each step
-- X <- a X + b (X X^T) X + c (X X^T)^2 X; coeffs a list of {a, b, c} (the last repeats).
function R.ns(G, coeffs, steps, eps, norm)
  local X = norm == false and R.copy(G) or R.scale(G, 1 / ((coeffs.input_scale or 1) * R.fro(G) + eps))
  for k = 1, steps do
    local c = coeffs[math.min(k, #coeffs)]
    local A = R.mm(X, R.t(X))
    local AX = R.mm(A, X)
    local AAX = R.mm(A, AX)
    X = R.map(X, function(x, i, j) return c[1] * x + c[2] * AX[i][j] + c[3] * AAX[i][j] end)
  end
  return X
end
local JORDAN = { { 3.4445, -4.7750, 2.0315 } }
-- U diag(f(s)) V^T from ml.svd
function R.svd_map(A, f)
  local U, s, V = ml.svd(ml.from_table(A))
  U, V = U:totable(), V:totable()
  local smax = s:get(1, 1)
  local t = R.new(#A, #A[1])
  for k = 1, s:rows() do
    local fk = f(s:get(k, 1), smax)
    for i = 1, #A do for j = 1, #A[1] do t[i][j] = t[i][j] + U[i][k] * fk * V[j][k] end end
  end
  return t, s
end

local maxdiff = R.maxdiff

local grads_at, params_for = R.grads_at, R.params_for
local function tables(list)
  local t = {}
  for k = 1, #list do t[k] = list[k]:totable() end
  return t
end

-- `steps` steps of opt and of ref(T, G, t) (tables updated in place); the largest difference
local function compare(opt, ref, shapes, steps)
  local P = params_for(shapes)
  local T = tables(P)
  local worst = 0
  for s = 1, steps do
    local G = grads_at(shapes, s)
    opt:step(P, G)
    ref(T, tables(G), s)
    for k = 1, #P do worst = math.max(worst, maxdiff(P[k], T[k])) end
  end
  return worst
end

-- tall, wide and square
local SHAPES = { { 5, 3 }, { 3, 6 }, { 4, 4 } }
local STEPS = 4

local function check(name, o, ref, shapes)
  local d = compare(ml.optim.new(name, o), ref, shapes or SHAPES, STEPS)
  local desc = {}
  for k, v in pairs(o) do desc[#desc + 1] = k .. "=" .. tostring(v) end
  table.sort(desc)
  assert.is_true(d < TOL, ("%s {%s}: %g"):format(name, table.concat(desc, ", "), d))
end

describe("optim family: transcriptions", function()
  it("muon nesterov_form = 'torch' (KellerJordan): beta M + (1 - beta) G, no bias correction", function()
    for _, o in ipairs { { nesterov = true, adaptive = true }, { nesterov = false, adaptive = true } } do
      o.lr, o.beta, o.nesterov_form, o.scale = 0.1, 0.9, "torch", "none"
      local M = {}
      check("muon", o, function(T, G)
        for k = 1, #T do
          M[k] = R.lin(0.9, M[k] or R.new(#T[k], #T[k][1]), 0.1, G[k])
          local u = o.nesterov and R.lin(0.9, M[k], 0.1, G[k]) or M[k]
          local O = R.ns(u, JORDAN, 5, 1e-8)
          local a = 0
          for i = 1, #u do for j = 1, #u[1] do a = a + u[i][j] * O[i][j] end end
          T[k] = R.lin(1, T[k], -0.1 * a, O)
        end
      end)
    end
  end)

  it("torch_muon: torch.optim.Muon's rule, adjust_lr_fn 'original' and 'match_rms_adamw', nesterov on/off (no PyTorch >= 2.9 here: transcription only)", function()
    for _, o in ipairs {
      { lr = 0.05, weight_decay = 0.1 },
      { lr = 0.05, weight_decay = 0.2, adjust_lr_fn = "match_rms_adamw", nesterov = false, momentum = 0.8 },
      { lr = 0.05, ns_coefficients = { 2, -1.5, 0.5 }, ns_steps = 3, eps = 1e-3 },
    } do
      local mu, c, steps, eps = o.momentum or 0.95, o.ns_coefficients or JORDAN[1], o.ns_steps or 5, o.eps or 1e-7
      local buf = {}
      check("torch_muon", o, function(T, G)
        for k = 1, #T do
          local A, B = #T[k], #T[k][1]
          buf[k] = R.lin(mu, buf[k] or R.new(A, B), 1 - mu, G[k])             -- buf.lerp_(g, 1 - mu)
          local u = o.nesterov == false and buf[k] or R.lin(1 - mu, G[k], mu, buf[k])   -- g.lerp(buf, mu)
          local O = R.ns(u, { c }, steps, eps)
          local adj = o.adjust_lr_fn == "match_rms_adamw" and 0.2 * math.sqrt(math.max(A, B)) or math.sqrt(math.max(1, A / B))
          T[k] = R.lin(1 - o.lr * (o.weight_decay or 0.1), T[k], -o.lr * adj, O)
        end
      end)
    end
  end)

  it("adamuon: current rule (sign, shared beta, 0.2 sqrt(mn)) with the ambiguous nesterov on and off, and variant 'v1'", function()
    for _, o in ipairs {
      { nesterov = true }, { nesterov = false }, { variant = "v1", beta2 = 0.9 }, { variant = "v1", nesterov = false },
    } do
      o.lr, o.beta, o.weight_decay, o.eps = 0.05, 0.8, 0.1, 1e-3
      local v1 = o.variant == "v1"
      local M, V = {}, {}
      check("adamuon", o, function(T, G, t)
        for k = 1, #T do
          local m, n = #T[k], #T[k][1]
          M[k] = R.lin(0.8, M[k] or R.new(m, n), 0.2, G[k])
          local U = o.nesterov == false and M[k] or R.lin(0.8, M[k], 0.2, G[k])
          if not v1 then U = R.map(U, R.sign) end
          local O = R.ns(U, JORDAN, 5, 1e-7)
          local b2 = v1 and (o.beta2 or 0.999) or 0.8
          V[k] = R.lin(b2, V[k] or R.new(m, n), 1 - b2, R.map(O, function(x) return x * x end))
          local c2 = v1 and 1 - b2 ^ t or 1
          local Oh = R.map(O, function(x, i, j) return x / (math.sqrt(V[k][i][j] / c2) + o.eps) end)
          local gamma = (v1 and math.sqrt(math.min(m, n)) or 0.2 * math.sqrt(m * n)) / R.fro(Oh)
          T[k] = R.lin(1 - o.lr * o.weight_decay, T[k], -o.lr * gamma, Oh)
        end
      end)
    end
  end)

  -- linear-interpolation quantile (torch.quantile), written out by sorting
  local function quantile(A, q)
    local v = {}
    for i = 1, #A do for j = 1, #A[1] do v[#v + 1] = A[i][j] end end
    table.sort(v)
    local h = q * (#v - 1)
    local lo = math.floor(h)
    local f = h - lo
    if f == 0 then return v[lo + 1] end
    return v[lo + 1] + f * (v[lo + 2] - v[lo + 1])
  end

  it("root: Nesterov momentum, quantile clipping (ambiguous: the threshold's 1e-9 as clip_eps, linear interpolation), 0.2 sqrt(max) scale", function()
    for _, o in ipairs { { quantile = 0.9 }, { quantile = 0.5, clip_eps = 0.01 }, { quantile = 0.75, ns_coeffs = "per_shape" } } do
      o.lr, o.momentum, o.weight_decay = 0.05, 0.9, 0.1
      local B = {}
      check("root", o, function(T, G)
        for k = 1, #T do
          local m, n = #T[k], #T[k][1]
          B[k] = R.lin(0.9, B[k] or R.new(m, n), 1, G[k])
          local g2 = R.lin(1, G[k], 0.9, B[k])
          local eps = quantile(R.map(g2, math.abs), o.quantile) + (o.clip_eps or 1e-9)
          local C = R.map(g2, function(x) return math.max(-eps, math.min(eps, x)) end)
          local coeffs = JORDAN
          if o.ns_coeffs == "per_shape" then
            -- muonlab's per-shape schedule: Polar Express from l = max(1e-3, (sqrt(max) - sqrt(min)) / sqrt(mn))
            local l = math.max(1e-3, (math.sqrt(math.max(m, n)) - math.sqrt(math.min(m, n))) / math.sqrt(m * n))
            coeffs = ml.coeffs("polar_express", { l = l, steps = 5 })
          end
          local O = R.ns(C, coeffs, 5, 1e-7)
          T[k] = R.lin(1 - o.lr * o.weight_decay, T[k], -o.lr * 0.2 * math.sqrt(math.max(m, n)), O)
        end
      end)
    end
  end)

  it("root: the code's per-shape coefficient table keyed by (min, max) of the shape, Jordan's otherwise", function()
    local opt = ml.optim.root {}
    assert.are.same({ 3.4509, -4.5790, 1.9325 }, opt:coeffs_for(3072, 2048))
    assert.are.same({ 3.4509, -4.5790, 1.9325 }, opt:coeffs_for(2048, 3072))
    assert.are.same({ 3.4916, -4.8224, 2.1095 }, opt:coeffs_for(2048, 2048))
    assert.are.same({ 2.9794, -3.6674, 1.6207 }, opt:coeffs_for(8192, 2048))
    assert.are.same({ 3.1943, -3.8221, 1.5322 }, opt:coeffs_for(2048, 16384))
    assert.are.same({ 3.4445, -4.7750, 2.0315 }, opt:coeffs_for(512, 2048))
  end)

  it("auon: the draft's cosh-RMS division (gamma 1 the draft, 1.5 the code: ambiguous), pure and hybrid with NS steps", function()
    for _, o in ipairs { {}, { gamma = 1.5 }, { ns_steps = 1 }, { ns_steps = 5, nesterov = false, weight_decay = 0.1 } } do
      o.lr, o.beta = 0.05, 0.9
      local M = {}
      check("auon", o, function(T, G)
        for k = 1, #T do
          local m, n = #T[k], #T[k][1]
          M[k] = R.lin(0.9, M[k] or R.new(m, n), 0.1, G[k])
          local U = o.nesterov == false and M[k] or R.lin(0.9, M[k], 0.1, G[k])
          local X = R.scale(U, 1 / (R.fro(U) + 1e-7))
          if (o.ns_steps or 0) > 0 then X = R.ns(U, JORDAN, o.ns_steps, 1e-7) end
          local s = 0
          for i = 1, m do for j = 1, n do s = s + math.cosh((o.gamma or 1) * X[i][j]) ^ 2 end end
          local rms = math.sqrt(s / (m * n))
          T[k] = R.lin(1 - o.lr * (o.weight_decay or 0), T[k], -o.lr * math.sqrt(math.max(1, m / n)) / (rms + 1e-8), X)
        end
      end)
    end
  end)

  it("kaon: X <- 4.1 (I - X X^T)^2 X for T steps from M/||M||_F, then / 1.175", function()
    for _, o in ipairs { {}, { ns_steps = 3, nesterov = true, weight_decay = 0.1 } } do
      o.lr, o.beta = 0.05, 0.9
      local M = {}
      check("kaon", o, function(T, G)
        for k = 1, #T do
          local m, n = #T[k], #T[k][1]
          M[k] = R.lin(0.9, M[k] or R.new(m, n), 0.1, G[k])
          local U = o.nesterov and R.lin(0.9, M[k], 0.1, G[k]) or M[k]
          local X = R.scale(U, 1 / (R.fro(U) + 1e-7))
          for _ = 1, o.ns_steps or 5 do
            local IA = R.mm(X, R.t(X))
            IA = R.map(IA, function(x, i, j) return (i == j and 1 or 0) - x end)
            X = R.scale(R.mm(R.mm(IA, IA), X), 4.1)
          end
          T[k] = R.lin(1 - o.lr * (o.weight_decay or 0), T[k], -o.lr / 1.175, X)
        end
      end)
    end
  end)

  it("freon: U (S/||M||_{S_q})^(q-1) V^T for q = 0.5, 0.25, 1 (Muon) and 2 (SGD direction)", function()
    for _, q in ipairs { 0.5, 0.25, 1, 2 } do
      local o = { lr = 0.01, beta = 0.9, q = q, weight_decay = 0.1 }
      local M = {}
      check("freon", o, function(T, G)
        for k = 1, #T do
          M[k] = R.lin(0.9, M[k] or R.new(#T[k], #T[k][1]), 0.1, G[k])
          local _, s = R.svd_map(M[k], function() return 0 end)
          local sq = 0
          for i = 1, s:rows() do sq = sq + s:get(i, 1) ^ q end
          local nq = sq ^ (1 / q)
          local O = R.svd_map(M[k], function(x) return (x / nq) ^ (q - 1) end)
          T[k] = R.lin(1 - o.lr * o.weight_decay, T[k], -o.lr, O)
        end
      end)
    end
  end)

  it("spectral_clip: hard min(s, tau) (MuCon) and soft s/sqrt(1 + s^2/tau^2) (SPECTRA) of the momentum", function()
    for _, o in ipairs { { mode = "hard", tau = 0.5 }, { mode = "soft", tau = 0.5, nesterov = true, weight_decay = 0.1 } } do
      o.lr, o.beta = 0.05, 0.9
      local M = {}
      check("spectral_clip", o, function(T, G)
        for k = 1, #T do
          M[k] = R.lin(0.9, M[k] or R.new(#T[k], #T[k][1]), 0.1, G[k])
          local U = o.nesterov and R.lin(0.9, M[k], 0.1, G[k]) or M[k]
          local O = R.svd_map(U, function(x)
            if o.mode == "hard" then return math.min(x, o.tau) end
            return x / math.sqrt(1 + (x / o.tau) ^ 2)
          end)
          T[k] = R.lin(1 - o.lr * (o.weight_decay or 0), T[k], -o.lr, O)
        end
      end)
    end
  end)

  it("conda: Adam in the momentum's SVD basis, refreshed every T steps (V for m >= n, U otherwise)", function()
    for _, o in ipairs { { update_interval = 2 }, { update_interval = 1, scale = 0.25, weight_decay = 0.1 } } do
      o.lr, o.beta1, o.beta2, o.eps = 0.01, 0.8, 0.9, 1e-3
      local M, Vp, P = {}, {}, {}
      check("conda", o, function(T, G, t)
        for k = 1, #T do
          local m, n = #T[k], #T[k][1]
          M[k] = R.lin(0.8, M[k] or R.new(m, n), 0.2, G[k])
          if (t - 1) % o.update_interval == 0 then
            local U, _, V = ml.svd(ml.from_table(M[k]))
            P[k] = (m >= n and V or U):totable()
          end
          local Gp, Mp
          if m >= n then Gp, Mp = R.mm(G[k], P[k]), R.mm(M[k], P[k]) else Gp, Mp = R.mm(R.t(P[k]), G[k]), R.mm(R.t(P[k]), M[k]) end
          Vp[k] = R.lin(0.9, Vp[k] or R.new(m, n), 0.1, R.map(Gp, function(x) return x * x end))
          local N = R.map(Mp, function(x, i, j) return x / (math.sqrt(Vp[k][i][j]) + o.eps) end)
          local a = o.lr * math.sqrt(1 - 0.9 ^ t) / (1 - 0.8 ^ t)
          local D = m >= n and R.mm(N, R.t(P[k])) or R.mm(P[k], N)
          T[k] = R.lin(1, T[k], -a * (o.scale or 1), D)
          T[k] = R.scale(T[k], 1 - o.lr * (o.weight_decay or 0))
        end
      end)
    end
  end)

  -- modified Gram-Schmidt: the thin Q with R_ii > 0
  local function gram_schmidt(A)
    local m, r = #A, #A[1]
    local Q = R.copy(A)
    for j = 1, r do
      for l = 1, j - 1 do
        local d = 0
        for i = 1, m do d = d + Q[i][l] * Q[i][j] end
        for i = 1, m do Q[i][j] = Q[i][j] - d * Q[i][l] end
      end
      local nrm = 0
      for i = 1, m do nrm = nrm + Q[i][j] ^ 2 end
      nrm = math.sqrt(nrm)
      for i = 1, m do Q[i][j] = Q[i][j] / nrm end
    end
    return Q
  end

  it("dion: power iteration with error feedback, column normalisation, sqrt(d_out/d_in); rank and rank_fraction; Householder and randomised Cholesky-QR; transpose", function()
    local cases = {
      { rank = 2 }, { rank_fraction = 0.5, mu = 0.8 }, { rank = 3, qr = "rcholesky" }, { rank = 2, transpose = true },
    }
    for _, o in ipairs(cases) do
      o.lr, o.weight_decay, o.seed = 0.05, 0.1, 5
      local M, Q = {}, {}
      local mu = o.mu or 0.95
      check("dion", o, function(T, G)
        for k = 1, #T do
          local tr = o.transpose and #T[k] < #T[k][1]
          local g = tr and R.t(G[k]) or G[k]
          local m, n = #g, #g[1]
          local r = o.rank and math.min(o.rank, m, n) or math.min(m, n, math.ceil(o.rank_fraction * math.min(m, n)))
          M[k] = M[k] or R.new(m, n)
          Q[k] = Q[k] or ml.randn(n, r, { seed = 5 + k - 1 }):totable()      -- Q_0 = randn(n, r)
          M[k] = R.lin(1, M[k], 1, g)                                        -- M = M + G
          local P = gram_schmidt(R.mm(M[k], Q[k]))                           -- P = orth(M Q)
          local Rm = R.mm(R.t(M[k]), P)                                      -- R = M^T P
          M[k] = R.lin(1, M[k], -(1 - mu), R.mm(P, R.t(Rm)))                 -- M -= (1 - mu) P R^T
          Q[k] = R.map(Rm, function(x, i, j)                                 -- Q = R / (||R_j|| + eps)
            local s = 0
            for l = 1, #Rm do s = s + Rm[l][j] ^ 2 end
            return x / (math.sqrt(s) + 1e-8)
          end)
          local D = R.mm(P, R.t(Q[k]))
          if tr then D = R.t(D) end
          T[k] = R.lin(1 - o.weight_decay * o.lr, T[k], -o.lr * math.sqrt(#T[k] / #T[k][1]), D)
        end
      end)
    end
  end)

  it("dion2: the top-fraction slices by l1 norm (rows when m <= n, columns otherwise), NS on them, ef_decay; scale 'fan_ratio' and 'rms_norm'", function()
    for _, o in ipairs { { fraction = 0.5 }, { fraction = 0.34, ef_decay = 0.5, scale = "rms_norm", orthogonalize = "polar" } } do
      o.lr, o.weight_decay = 0.05, 0.1
      local M = {}
      local PE = ml.coeffs("polar_express")
      check("dion2", o, function(T, G)
        for k = 1, #T do
          local m, n = #T[k], #T[k][1]
          local rows = m <= n
          -- work on rows: transpose a tall matrix
          local Mk = M[k] or R.new(m, n)
          Mk = R.lin(1, Mk, 1, G[k])
          local A = rows and Mk or R.t(Mk)
          local X = rows and T[k] or R.t(T[k])
          local cnt = #A
          local kk = math.ceil(o.fraction * cnt)
          local idx = {}
          for i = 1, cnt do idx[i] = i end
          local l1 = {}
          for i = 1, cnt do
            l1[i] = 0
            for j = 1, #A[1] do l1[i] = l1[i] + math.abs(A[i][j]) end
          end
          table.sort(idx, function(a, b) return l1[a] > l1[b] or (l1[a] == l1[b] and a < b) end)
          local sel = {}
          for i = 1, kk do sel[i] = idx[i] end
          table.sort(sel)
          local S = {}
          for i = 1, kk do S[i] = R.copy({ A[sel[i]] })[1] end
          if not rows then S = R.t(S) end   -- the slices as the matrix they form (m x k)
          local Sn = R.scale(S, 1 / (1.02 * R.fro(S) + 1e-6))
          local O = o.orthogonalize == "polar" and R.polar(Sn) or R.ns(Sn, PE, 5, 0, false)
          if not rows then O = R.t(O) end
          for i = 1, kk do for j = 1, #A[1] do A[sel[i]][j] = (o.ef_decay or 0.95) * A[sel[i]][j] end end
          local s = o.scale == "rms_norm" and 0.2 * math.sqrt(math.max(m, n)) or math.sqrt(m / n)
          X = R.scale(X, 1 - o.lr * o.weight_decay)
          for i = 1, kk do for j = 1, #X[1] do X[sel[i]][j] = X[sel[i]][j] - o.lr * s * O[i][j] end end
          M[k] = rows and A or R.t(A)
          T[k] = rows and X or R.t(X)
        end
      end, { { 6, 3 }, { 3, 7 }, { 5, 5 } })
    end
  end)
end)

-- f(X; xi) = 1/2 ||A_xi X - B_xi||_F^2 per matrix; gradient A^T (A X - B)
local function sample_problem(shapes, s)
  local data = {}
  for k, sh in ipairs(shapes) do
    data[k] = { A = ml.randn(7, sh[1], { seed = 1000 * s + k }), B = ml.randn(7, sh[2], { seed = 2000 * s + k }) }
  end
  local grads = {}
  for k, sh in ipairs(shapes) do grads[k] = ml.zeros(sh[1], sh[2]) end
  return function(P)
    local loss = 0
    for k, d in ipairs(data) do
      local Rm = d.A:mm(P[k]) - d.B
      loss = loss + 0.5 * Rm:norm() ^ 2
      grads[k]:copy_(ml.matmul(d.A, Rm, { ta = true }))   -- the buffers are reused, as a model's
    end
    return loss, grads
  end, data
end
local function ref_grad(d, X)
  local Rm = R.lin(1, R.mm(d.A:totable(), X), -1, d.B:totable())
  return R.mm(R.t(d.A:totable()), Rm)
end

describe("optim family: muon_mvr (two gradients per step)", function()
  local shapes = { { 4, 3 }, { 2, 5 } }
  for _, variant in ipairs { "mvr1", "mvr2" } do
    it(variant .. ": closure form and gradient form against the transcription (defaults not found: beta, q chosen here)", function()
      local o = { lr = 0.05, beta = 0.8, q = 0.3, variant = variant, weight_decay = 0.1, scale = "sqrt_ratio" }
      local P1, P2 = params_for(shapes), params_for(shapes)
      local opt1, opt2 = ml.optim.muon_mvr(o), ml.optim.muon_mvr(o)
      local T = tables(P1)
      local M, D, Xprev = {}, {}, {}
      local worst = 0
      for s = 1, 5 do
        local closure, data = sample_problem(shapes, s)
        -- closure form: the optimizer evaluates at X_{k-1} and X_k
        opt1:step(P1, function() return closure(P1) end)
        -- gradient form: the caller evaluates at opt:previous()
        local prev = opt2:previous()
        local pg
        if prev then
          local _, g = closure(prev)
          pg = {}
          for k = 1, #g do pg[k] = g[k]:clone() end
        end
        local loss, g = closure(P2)
        opt2:step(P2, g, loss, pg)
        -- transcription
        for k = 1, #T do
          local g_now = ref_grad(data[k], T[k])
          if variant == "mvr1" then
            M[k] = s == 1 and g_now or R.lin(1, g_now, 0.8, R.lin(1, M[k], -1, ref_grad(data[k], Xprev[k])))
          else
            D[k] = s == 1 and g_now or R.lin(1, g_now, 0.7, R.lin(1, D[k], -1, ref_grad(data[k], Xprev[k])))
            M[k] = R.lin(0.8, M[k] or R.new(#T[k], #T[k][1]), 0.2, D[k])
          end
          Xprev[k] = R.copy(T[k])
          local O = R.ns(M[k], JORDAN, 5, 1e-7)
          local sc = math.sqrt(math.max(1, #T[k] / #T[k][1]))
          T[k] = R.lin(1 - 0.05 * 0.1, T[k], -0.05 * sc, O)
        end
        for k = 1, #T do worst = math.max(worst, maxdiff(P1[k], T[k]), maxdiff(P2[k], T[k])) end
      end
      assert.is_true(worst < TOL, ("%s: %g"):format(variant, worst))
    end)
  end

  it("needs the previous-point gradients after the first step, and refuses split", function()
    local opt = ml.optim.muon_mvr {}
    local P, G = params_for(shapes), grads_at(shapes, 1)
    opt:step(P, G)
    assert.has_error(function() opt:step(P, G) end)
    assert.has_error(function() ml.optim.muon_mvr { split = function() return nil end } end,
      "bad argument #1 to 'muon_mvr' (option 'split': not supported (two gradients per step))")
  end)
end)

-- plain-Lua compressors for EF21: the kept entries / the rounding / the truncated SVD, and bits
local function c_topk(D, k)
  local e = {}
  for i = 1, #D do for j = 1, #D[1] do e[#e + 1] = { v = math.abs(D[i][j]), i = i, j = j, n = #e } end end
  table.sort(e, function(a, b) return a.v > b.v or (a.v == b.v and a.n < b.n) end)
  local out = R.new(#D, #D[1])
  for q = 1, k do out[e[q].i][e[q].j] = D[e[q].i][e[q].j] end
  return out
end
local function c_natural(D)
  return R.map(D, function(x)
    if x == 0 then return 0 end
    local a = math.abs(x)
    local e = math.floor(math.log(a, 2))
    while 2.0 ^ e > a do e = e - 1 end
    while 2.0 ^ (e + 1) <= a do e = e + 1 end
    local p = a < 1.5 * 2.0 ^ e and 2.0 ^ e or 2.0 ^ (e + 1)   -- the nearer of 2^e, 2^(e+1) (ties up)
    return x < 0 and -p or p
  end)
end
local function c_rank(D, r)
  local U, s, V = ml.svd(ml.from_table(D))
  U, V = U:totable(), V:totable()
  local out = R.new(#D, #D[1])
  for q = 1, math.min(r, s:rows()) do
    for i = 1, #D do for j = 1, #D[1] do out[i][j] = out[i][j] + U[i][q] * s:get(q, 1) * V[j][q] end end
  end
  return out
end

describe("optim family: ef21_muon (simulated workers, compressed messages)", function()
  local shapes = { { 4, 3 }, { 3, 5 } }
  local n = 3
  local function worker_data(j, s)
    local d = {}
    for k, sh in ipairs(shapes) do
      d[k] = { A = ml.randn(6, sh[1], { seed = 31 * j + 7 * s + k }), B = ml.randn(6, sh[2], { seed = 57 * j + 11 * s + k }) }
    end
    return d
  end
  for _, cfg in ipairs {
    { "topk", "none" }, { "rank", "natural" }, { "natural", "topk" }, { "none", "rank" },
  } do
    it(("up = %s, down = %s: iterates and bits sent against the transcription"):format(cfg[1], cfg[2]), function()
      local o = { lr = 0.05, momentum = 0.8, workers = n, compress_up = cfg[1], compress_down = cfg[2],
                  k_fraction = 0.3, rank = 2, scale = "sqrt_ratio" }
      local opt = ml.optim.ef21_muon(o)
      local P = params_for(shapes)
      local grads = {}
      for k, sh in ipairs(shapes) do grads[k] = ml.zeros(sh[1], sh[2]) end
      local step_no = 0
      local function worker_grad(j)
        local d = worker_data(j, step_no)
        local loss = 0
        for k = 1, #P do
          local Rm = d[k].A:mm(P[k]) - d[k].B
          loss = loss + 0.5 * Rm:norm() ^ 2
          grads[k]:copy_(ml.matmul(d[k].A, Rm, { ta = true }))
        end
        return loss, grads
      end
      local function C(kind, D)
        local m, nn_ = #D, #D[1]
        if kind == "none" then return D, m * nn_ * 64 end
        if kind == "topk" then
          local k = math.ceil(0.3 * m * nn_)
          return c_topk(D, k), k * (64 + 32)
        end
        if kind == "natural" then return c_natural(D), m * nn_ * 12 end
        local r = math.min(2, m, nn_)
        return c_rank(D, r), r * (m + nn_ + 1) * 64
      end
      -- transcription state
      local X, W, G, Mj, Gj = tables(P), tables(P), {}, {}, {}
      local up, down = 0, 0
      local function grad_ref(j, s, k, at)
        local d = worker_data(j, s)[k]
        return ref_grad(d, at)
      end
      -- start: M_j = G_j = g_j(X_0), uncompressed
      for k = 1, #X do
        G[k] = R.new(#X[k], #X[k][1])
        Mj[k], Gj[k] = {}, {}
        for j = 1, n do
          local g = grad_ref(j, 0, k, X[k])
          Mj[k][j], Gj[k][j] = g, R.copy(g)
          G[k] = R.lin(1, G[k], 1 / n, g)
          up = up + #g * #g[1] * 64
        end
      end
      local worst = 0
      for s = 1, 4 do
        step_no = s - 1   -- the start round (first call) uses the data of step 0
        local hook = worker_grad
        if s == 1 then
          local calls = 0
          hook = function(j)
            calls = calls + 1
            if calls > n then step_no = 1 end
            return worker_grad(j)
          end
        else
          step_no = s
        end
        opt:step(P, hook)
        local ws = s   -- the data index the worker round of this step used
        for k = 1, #X do
          local sc = math.sqrt(math.max(1, #X[k] / #X[k][1]))
          X[k] = R.lin(1, X[k], -0.05 * sc, R.ns(G[k], JORDAN, 5, 1e-7))
          local S, b = C(cfg[2], R.lin(1, X[k], -1, W[k]))
          down = down + b
          W[k] = R.lin(1, W[k], 1, S)
        end
        for j = 1, n do
          for k = 1, #X do
            local g = grad_ref(j, ws, k, W[k])
            Mj[k][j] = R.lin(0.8, Mj[k][j], 0.2, g)
            local Rj, b = C(cfg[1], R.lin(1, Mj[k][j], -1, Gj[k][j]))
            up = up + b
            Gj[k][j] = R.lin(1, Gj[k][j], 1, Rj)
            G[k] = R.lin(1, G[k], 1 / n, Rj)
          end
        end
        for k = 1, #X do worst = math.max(worst, maxdiff(P[k], X[k])) end
        local bits = opt:bits()
        assert.are.equal(up, bits.up)
        assert.are.equal(down, bits.down)
        assert.are.equal(up + down, bits.total)
      end
      assert.is_true(worst < TOL, ("%s/%s: %g"):format(cfg[1], cfg[2], worst))
    end)
  end
end)

describe("optim family: linear algebra (ml.qr, ml.spectral p < 0, ml.spectral_clip) and kernels", function()
  it("ml.qr: Q R = A, Q^T Q = I, R upper triangular with diag >= 0 (tall, wide); rcholesky equals Householder", function()
    for _, sh in ipairs { { 8, 3 }, { 3, 8 }, { 5, 5 } } do
      local A = ml.randn(sh[1], sh[2], { seed = 3 })
      local Q, Rr = ml.qr(A)
      local k = math.min(sh[1], sh[2])
      assert.are.same({ sh[1], k, k, sh[2] }, { Q:rows(), Q:cols(), Rr:rows(), Rr:cols() })
      assert.is_true(maxdiff(Q:mm(Rr), A:totable()) < 1e-14)   -- a few ulps of entries ~3
      assert.is_true(ml.orth_error(Q) < 1e-14)
      for i = 1, k do
        assert.is_true(Rr:get(i, i) >= 0)
        for j = 1, i - 1 do assert.are.equal(0, Rr:get(i, j)) end
      end
      -- the same Q as modified Gram-Schmidt on the first k columns (unique with R_ii > 0)
      local cols = R.map(R.new(sh[1], k), function(_, i, j) return A:get(i, j) end)
      local GS = cols
      for j = 1, k do
        for l = 1, j - 1 do
          local d = 0
          for i = 1, sh[1] do d = d + GS[i][l] * GS[i][j] end
          for i = 1, sh[1] do GS[i][j] = GS[i][j] - d * GS[i][l] end
        end
        local nrm = 0
        for i = 1, sh[1] do nrm = nrm + GS[i][j] ^ 2 end
        for i = 1, sh[1] do GS[i][j] = GS[i][j] / math.sqrt(nrm) end
      end
      assert.is_true(maxdiff(Q, GS) < 1e-13)   -- Gram-Schmidt loses ~cond * eps on these (cond < 10)
    end
    local A = ml.randn(400, 6, { seed = 4 })
    local Q1 = ml.qr(A)
    local Q2, R2 = ml.qr(A, { method = "rcholesky", seed = 9 })
    assert.is_true(maxdiff(Q2, Q1:totable()) < 1e-13)
    assert.is_true(maxdiff(Q2:mm(R2), A:totable()) < 1e-13)
    assert.has_error(function() ml.qr(ml.randn(3, 5), { method = "rcholesky" }) end)
    assert.has_error(function() ml.qr(A, { method = "givens" }) end)
    assert.has_error(function() ml.qr(A, { oversample = 2 }) end)
    assert.has_error(function() ml.qr(ml.matrix(2, 2, 0 / 0)) end)
  end)

  it("ml.spectral with p < 0 on prescribed spectra: U diag(s^p) V^T above rtol s_max, 0 below", function()
    local U, V = ml.orthogonal(6, 4, { seed = 1 }), ml.orthogonal(5, 4, { seed = 2 })
    local s = { 4, 1, 0.25, 1e-16 }   -- the last is below the default tolerance max(m, n) eps s_max = 5.3e-15
    local function build(f)
      local D = ml.zeros(4, 4)
      for i = 1, 4 do D:set(i, i, f(s[i])) end
      return U:mm(D):mm(V:t())
    end
    local A = build(function(x) return x end)
    for _, p in ipairs { -1, -0.5, -2 } do
      local want = build(function(x) return x > 1e-12 and x ^ p or 0 end)
      local got = ml.spectral(A, p)
      -- relative to the largest entry (<= 0.25^p); the SVD of A is exact to ~cond(range) eps
      local scale = 0.25 ^ p
      assert.is_true(maxdiff(got, want:totable()) < 1e-12 * scale, p)
    end
    -- p = -1 on a full-rank square matrix: the transposed inverse
    local B = ml.spectrum(4, 4, { cond = 10, seed = 3 })
    local Binv = ml.spectral(B, -1)
    local I = Binv:t():mm(B)
    assert.is_true(maxdiff(I, ml.eye(4):totable()) < 1e-13)
    -- a looser rtol drops more singular values: only s = 4 survives rtol 0.5
    local keep1 = ml.spectral(A, -1, { rtol = 0.5 })
    assert.is_true(maxdiff(keep1, build(function(x) return x == 4 and 0.25 or 0 end):totable()) < 1e-14)
    assert.has_error(function() ml.spectral(A, -0.5, { method = "newton" }) end)
    assert.has_error(function() ml.spectral(A, 0 / 0) end)
  end)

  it("ml.spectral_clip: hard min(s, tau) and soft s / sqrt(1 + s^2/tau^2) on prescribed spectra", function()
    local U, V = ml.orthogonal(5, 3, { seed = 4 }), ml.orthogonal(7, 3, { seed = 5 })
    local s = { 3, 1, 0.2 }
    local function build(f)
      local D = ml.zeros(3, 3)
      for i = 1, 3 do D:set(i, i, f(s[i])) end
      return U:mm(D):mm(V:t())
    end
    local A = build(function(x) return x end)
    assert.is_true(maxdiff(ml.spectral_clip(A, 0.5), build(function(x) return math.min(x, 0.5) end):totable()) < 1e-14)
    assert.is_true(maxdiff(ml.spectral_clip(A, 10), A:totable()) < 1e-14)
    local soft = build(function(x) return x / math.sqrt(1 + (x / 0.5) ^ 2) end)
    assert.is_true(maxdiff(ml.spectral_clip(A, 0.5, { soft = true }), soft:totable()) < 1e-14)
    assert.has_error(function() ml.spectral_clip(A, 0) end)
    assert.has_error(function() ml.spectral_clip(A, 1, { hard = true }) end)
  end)

  it("kernels: quantile (linear interpolation) and topk_ against sorting, cosh_, natural_", function()
    local A = ml.randn(7, 9, { seed = 6 })
    local T = A:totable()
    local v = {}
    for i = 1, 7 do for j = 1, 9 do v[#v + 1] = T[i][j] end end
    table.sort(v)
    for _, q in ipairs { 0, 0.1, 0.5, 0.9, 0.95, 1 } do
      local h = q * 62
      local lo = math.floor(h)
      local want = lo == h and v[lo + 1] or v[lo + 1] + (h - lo) * (v[lo + 2] - v[lo + 1])
      assert.is_true(math.abs(A:quantile(q) - want) < 1e-15, q)
    end
    assert.are.equal(A:median(), A:quantile(0.5))
    local W = ml.zeros(63, 1)
    for _, k in ipairs { 1, 10, 63 } do
      assert.are.same(c_topk(T, k), A:clone():topk_(k, W):totable())
    end
    -- ties: exactly k survive, the first ones in row-major order
    local E = ml.ones(2, 3)
    assert.are.same({ { 1, 1, 0 }, { 0, 0, 0 } }, E:topk_(2):totable())
    assert.are.same(R.map(T, function(x) return math.cosh(1.5 * x) end), A:clone():cosh_(1.5):totable())
    local N = ml.from_table { { 3, -3, 0.74, -5, 0, 1e-300 }, { 6, 7, 0.375, 1, -0.7, 12 } }
    assert.are.same({ { 4, -4, 0.5, -4, 0, c_natural({ { 1e-300 } })[1][1] }, { 8, 8, 0.5, 1, -0.5, 16 } },
      N:clone():natural_():totable())
    assert.are.same(c_natural(T), A:clone():natural_():totable())
    assert.has_error(function() A:quantile(1.5) end)
    assert.has_error(function() A:topk_(0) end)
    assert.has_error(function() A:topk_(64) end)
    assert.has_error(function() ml.from_table({ { 0 / 0 } }):quantile(0.5) end)
  end)
end)

local FAMILY = { "torch_muon", "adamuon", "root", "auon", "kaon", "freon", "spectral_clip", "conda", "dion", "dion2" }

describe("optim family: by name, options, state", function()
  it("ml.optim.new builds every optimizer by name (names() lists them all)", function()
    local names = {}
    for _, n in ipairs(ml.optim.names()) do names[n] = true end
    for _, n in ipairs(FAMILY) do assert.is_true(names[n], n) end
    assert.is_true(names.muon_mvr and names.ef21_muon)
    for _, n in ipairs(ml.optim.names()) do
      if n ~= "group" and n ~= "muonclip" then assert.is_true(ml.optim.new(n, {}) ~= nil, n) end
    end
    assert.has_error(function() ml.optim.new("specmuon", {}) end)
  end)

  it("bad options name the optimizer and the option", function()
    local function err(name, o) return tostring(select(2, pcall(ml.optim.new, name, o))) end
    assert.matches("torch_muon", err("torch_muon", { adjust_lr_fn = "nope" }), 1, true)
    assert.matches("adamuon", err("adamuon", { variant = "v2" }), 1, true)
    assert.matches("auon", err("auon", { ns_steps = 1.5 }), 1, true)
    assert.matches("conda", err("conda", { update_interval = 2.5 }), 1, true)
    assert.matches("dion", err("dion", { rank = 0 }), 1, true)
    assert.matches("dion", err("dion", { qr = "givens" }), 1, true)
    assert.matches("dion2", err("dion2", { fraction = 0 }), 1, true)
    assert.matches("root", err("root", { ns_coeffs = "nonsense" }), 1, true)
    assert.matches("ef21_muon", err("ef21_muon", { compress_up = "zip" }), 1, true)
    assert.matches("ef21_muon", err("ef21_muon", { split = "heads" }), 1, true)
    assert.matches("muon", err("muon", { nesterov_form = "jax" }), 1, true)
  end)

  for _, name in ipairs(FAMILY) do
    it(name .. ": state_dict after 3 steps, restored: the next 3 steps bit for bit", function()
      local shapes = { { 4, 3 }, { 1, 3 }, { 3, 5 } }
      local o = name == "conda" and { update_interval = 2 } or {}
      local P = params_for(shapes)
      local opt = ml.optim.new(name, o)
      for s = 1, 3 do opt:step(P, grads_at(shapes, s)) end
      local sd = opt:state_dict()
      local snap = {}
      for k = 1, #P do snap[k] = P[k]:clone() end
      for s = 4, 6 do opt:step(P, grads_at(shapes, s)) end
      local fresh = ml.optim.new(name, o):load_state_dict(sd)
      for s = 4, 6 do fresh:step(snap, grads_at(shapes, s)) end
      for k = 1, #P do assert.are.same(P[k]:totable(), snap[k]:totable()) end
    end)
  end
end)

describe("optim family: own-step state and the split option", function()
  it("muon_mvr and ef21_muon: state_dict after 3 steps, restored: the next 3 steps bit for bit", function()
    local shapes = { { 4, 3 }, { 3, 5 } }
    local function G(s) return grads_at(shapes, s) end
    local function run(name, opt, P, s)
      if name == "muon_mvr" then opt:step(P, G(s), nil, G(s + 50)) else opt:step(P, function(j) return 1.0, G(s + 10 * j) end) end
    end
    for _, name in ipairs { "muon_mvr", "ef21_muon" } do
      local o = name == "ef21_muon" and { compress_up = "topk", compress_down = "natural", workers = 2 } or { variant = "mvr2" }
      local P = params_for(shapes)
      local opt = ml.optim.new(name, o)
      for s = 1, 3 do run(name, opt, P, s) end
      local sd = opt:state_dict()
      local snap = {}
      for k = 1, #P do snap[k] = P[k]:clone() end
      for s = 4, 6 do run(name, opt, P, s) end
      local fresh = ml.optim.new(name, o):load_state_dict(sd)
      for s = 4, 6 do run(name, fresh, snap, s) end
      for k = 1, #P do assert.are.same(P[k]:totable(), snap[k]:totable()) end
      if name == "ef21_muon" then assert.are.same(opt:bits(), fresh:bits()) end
    end
  end)

  it("split: the NS-based round-two optimizers treat row blocks as separate parameters (bit for bit)", function()
    for _, name in ipairs { "torch_muon", "adamuon", "root", "auon", "kaon", "dion2" } do
      local A = ml.randn(6, 4, { seed = 1 })
      local B1, B2 = A:view(1, 1, 3, 4):clone(), A:view(4, 1, 3, 4):clone()
      local split = ml.optim.new(name, { split = function() return { rows = 3 } end })
      local whole = ml.optim.new(name, {})
      for s = 1, 3 do
        local G = ml.randn(6, 4, { seed = 10 + s })
        split:step({ A }, { G })
        whole:step({ B1, B2 }, { G:view(1, 1, 3, 4):clone(), G:view(4, 1, 3, 4):clone() })
      end
      assert.are.same(B1:totable(), A:view(1, 1, 3, 4):clone():totable(), name)
      assert.are.same(B2:totable(), A:view(4, 1, 3, 4):clone():totable(), name)
    end
  end)
end)

describe("optim family: a few hundred steps on least squares and an MLP", function()
  -- 300 steps each, one rate per optimizer (picked from 0.003 / 0.01 / 0.03 / 0.1 on these
  -- problems). Least squares (n 128, d 32, m 16, cond 10, full batch): the suboptimality
  -- f - f* must fall below 5% of its start (measured: 2.4e-3 to 2.6e-2). MLP 20-32-4 on 256
  -- points labelled by a random teacher MLP, minibatches of 64: the full-data cross-entropy must
  -- fall below 20% of its start, ln 4 ~ 1.39 (measured: <= 0.12). muon_mvr gets the closure (the
  -- same minibatch at both points); ef21_muon's 4 workers each take another minibatch.
  local lr = {
    torch_muon = 0.01, adamuon = 0.01, root = 0.03, auon = 0.03, kaon = 0.03, freon = 0.003,
    spectral_clip = 0.1, conda = 0.03, dion = 0.01, dion2 = 0.03, muon_mvr = 0.01, ef21_muon = 0.01,
  }
  local function run(opt, name, P, lossgrad, batch_of, s)
    if name == "muon_mvr" then
      opt:step(P, function() return lossgrad(batch_of(s)) end)
    elseif name == "ef21_muon" then
      opt:step(P, function(j) return lossgrad(batch_of(s + j)) end)
    else
      local l, g = lossgrad(batch_of(s))
      opt:step(P, g, l)
    end
  end
  local X = ml.randn(256, 20, { seed = 5 })
  local logits = ml.models.mlp({ sizes = { 20, 16, 4 }, seed = 9 }):forward(X)
  local y = ml.zeros(256, 1)
  for i = 1, 256 do
    local best, arg = -math.huge, 0
    for j = 1, 4 do if logits:get(i, j) > best then best, arg = logits:get(i, j), j - 1 end end
    y:set(i, 1, arg)
  end
  local batches = {}
  for b = 0, 3 do batches[b] = { X:view(b * 64 + 1, 1, 64, 20), y:view(b * 64 + 1, 1, 64, 1) } end
  local names = {}
  for name in pairs(lr) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    it(name, function()
      local p = ml.models.least_squares { n = 128, d = 32, m = 16, cond = 10, noise = 0.01, seed = 1 }
      local opt = ml.optim.new(name, { lr = lr[name] })
      local f0 = p:loss()
      for s = 1, 300 do run(opt, name, p:params(), function() return p:loss_grad() end, function() end, s) end
      local ratio = (p:loss() - p.f_star) / (f0 - p.f_star)
      assert.is_true(ratio < 0.05, ("%s least squares: %g"):format(name, ratio))

      local model = ml.models.mlp { sizes = { 20, 32, 4 }, seed = 2 }
      opt = ml.optim.new(name, { lr = lr[name] })
      local l0 = model:loss(X, y)
      for s = 1, 300 do
        run(opt, name, model:params(), function(b) return model:loss_grad(b[1], b[2]) end,
          function(k) return batches[k % 4] end, s)
      end
      local r = model:loss(X, y) / l0
      assert.is_true(r < 0.2, ("%s mlp: %g"):format(name, r))
    end)
  end
end)

describe("optim family: no allocation per step", function()
  -- as optim_spec.lua's check: the Lua heap does not grow over 20 steps once the first steps have
  -- made the buffers (freon, spectral_clip and dion allocate their SVD / QR results every step,
  -- conda at each basis refresh: not listed)
  for _, name in ipairs { "torch_muon", "adamuon", "root", "auon", "kaon", "conda", "dion2", "muon_mvr" } do
    it(name, function()
      local opt = ml.optim.new(name, { lr = 1e-3 })
      local shapes = { { 5, 3 }, { 3, 6 } }
      local P, G = params_for(shapes), grads_at(shapes, 1)
      local function step() opt:step(P, G, 1.0, G) end
      step()
      step()
      collectgarbage()
      collectgarbage("stop")
      local before = collectgarbage("count")
      for _ = 1, 20 do step() end
      local grown = collectgarbage("count") - before
      collectgarbage("restart")
      assert.is_true(grown < 0.5, ("%s: %.2f KiB"):format(name, grown))
    end)
  end
end)
