-- Benchmark: Newton-Schulz (Muon's 5-step Jordan iteration) and the exact polar factor in muonlab,
-- against the straightforward numpy and PyTorch code, in one invocation (issue 4).
--   make bench            (installs python3-numpy, python3-scipy, python3-torch; runs this)
--   muonlab bench/run.lua [--reps 7] [--threads 2] [--python /usr/bin/python3] [--quick]
-- Python peers (bench/peer.py under Debian's python3) stay up for the whole run and answer timing
-- commands on a pipe, so muonlab, numpy and torch runs alternate inside one session: every case
-- is generated here, saved as .npy and loaded by the peers (every side times the same matrix), each
-- method is called once untimed (warm-up, workspace allocation, result check against numpy's),
-- then `reps` rounds call every method once, the order rotating from round to round, with a short
-- pause before each call; the table shows medians. muonlab's NS runs keep one workspace per
-- method and case; its allocation count after the first call and after the last is recorded
-- (the issue's "no allocation after the first call with a given shape").
-- Writes bench/results.csv, bench/results.md and plots/ns_scaling.{png,svg,dat,gp,csv}; a run
-- with --only writes bench/results_<sections>.{csv,md} instead (and the figure only with ns).
--
-- Flops counted per call (G m x n with m <= n after transposing, s = 5 steps):
--   numpy   s (3 m^2 n + 2 m^3)   its matmul computes X @ X.T with syrk (m^2 n), A @ A and B @ X
--                                 with gemm (2 m^3, 2 m^2 n): measured, X @ X.T takes 0.6x X @ Y.T
--   torch   s (4 m^2 n + 2 m^3)   torch.mm is always gemm
--   direct  s (3 m^2 n + m^3)     core/ns.c run_direct: syrk X X^T, syrk c2 A^2 + c1 A, symm P X
--   gram    3 m^2 n + (2s-1) m^3 + 2 (s-1) sp(m)    core/ns.c run_gram: syrk A_0, final symm
--                                 Q X_0; per step syrk for p(A); for s-1 steps syrk P^2 and two
--                                 upper-triangle products sp(m) (Q <- P Q, A <- A P^2)
-- The polar rows have no flop count (LAPACK's SVD and eigensolvers are not flop-bound).
local ml = require "muonlab"
local cli = require "muonlab.cli"
local csv = require "muonlab.csv"
local atomic = require "muonlab.atomic"

local o = cli.parse(arg, {
  reps = 7, threads = ml.get_threads and ml.get_threads() or 2, python = "/usr/bin/python3",
  quick = false, seed = 1, pause = 0.1, polar_cond = 100, only = "", train_threads = "1,2", train_reps = 1,
  out = "bench/results", plot = "plots/ns_scaling", gpt_threads = "1,2", gpt_out = "bench/results_gpt",
}, "usage: muonlab bench/run.lua [--reps N] [--threads T] [--python PATH] [--quick] [--seed S] [--pause SEC]\n"
  .. "       [--only ns,polar,train,gpt] [--train-threads 1,2] [--train-reps N] [--gpt-threads 1,2]")
-- --only: the sections to run (default all): ns (NS rows), polar, train (Fashion-MNIST epoch), gpt
local ONLY = {}
for w in tostring(o.only):gmatch("[^,]+") do
  if not ({ ns = true, polar = true, train = true, gpt = true })[w] then
    error("bench: --only takes a comma list of ns, polar, train, gpt; got '" .. w .. "'", 0)
  end
  ONLY[w] = true
end
if not next(ONLY) then ONLY = { ns = true, polar = true, train = true, gpt = true } end
-- A partial run keeps the full tables: its own files unless --out is given (bench/results_train).
if o.only ~= "" and o.out == "bench/results" then o.out = "bench/results_" .. o.only:gsub(",", "_") end
local GPT_ONLY = o.only == "gpt"

local STEPS = 5
local JORDAN = { 3.4445, -4.7750, 2.0315 }
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")

---------------------------------------------------------------------------- features

-- Options of the fast NS kernels, used when this build has them.
local A0 = ml.randn(8, 16, { seed = 1 })
local HAS = {
  workspace = ml.ns_workspace ~= nil,
  gram = pcall(ml.ns, A0, { form = "gram" }),
  eig_form = pcall(ml.ns, A0, { form = "eig" }),
  eig = pcall(ml.polar, A0, { method = "eig" }),
  threads = ml.set_threads ~= nil,
}
if HAS.threads then ml.set_threads(o.threads) end

---------------------------------------------------------------------------- the machine

-- CPU model, the ISA extensions that matter for BLAS kernels, core count; printed beside every
-- table with the measured gemm peaks.
local function machine()
  local model, flags, cores = "?", {}, 0
  local f = io.open("/proc/cpuinfo")
  if f then
    for line in f:lines() do
      local k, v = line:match("^([^:]-)%s*:%s*(.*)$")
      if k == "model name" and model == "?" then model = v end
      if k == "processor" then cores = cores + 1 end
      if k == "flags" and not next(flags) then
        for fl in v:gmatch("%S+") do flags[fl] = true end
      end
    end
    f:close()
  end
  local isa = {}
  for _, fl in ipairs { "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile" } do
    if flags[fl] then isa[#isa + 1] = fl end
  end
  -- The OpenBLAS kernels: the python peers inherit OPENBLAS_CORETYPE from this process, so when
  -- the host replaced OpenBLAS's fallback (core/blas_core.c) every side runs the same kernels.
  local b = ml.blas_info()
  local blas = b.fallback and ("%s for muonlab and the peers (OpenBLAS alone runs %s on this CPU)"):format(b.core, b.fallback)
    or b.core .. (b.better and (" (this CPU could run " .. b.better .. ")") or "")
  -- libxsmm picks its instruction set from CPUID, not from OPENBLAS_CORETYPE: an AVX2 proxy run on
  -- an AVX-512 machine sets LIBXSMM_TARGET=hsw as well (else the attention's kernels run AVX-512)
  if b.smallmm then blas = blas .. "; libxsmm kernels " .. b.smallmm end
  if b.core == "Haswell" and b.smallmm and b.smallmm ~= "hsw" then
    io.stderr:write(("bench: OpenBLAS runs its AVX2 kernels but libxsmm generates %s ones; for an AVX2 proxy set "
      .. "LIBXSMM_TARGET=hsw too\n"):format(b.smallmm))
  end
  return { model = model, isa = table.concat(isa, " "), cores = cores, blas = blas }
end
local MACHINE = machine()

---------------------------------------------------------------------------- the peer

local function json(t)
  local parts = {}
  for k, v in pairs(t) do
    local val = type(v) == "number" and tostring(v) or ('"' .. tostring(v):gsub('[\\"]', "\\%0") .. '"')
    parts[#parts + 1] = ('"%s": %s'):format(k, val)
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- The standard output of a shell command (nil when it cannot start).
local function capture(cmd)
  local p = io.popen(cmd)
  if not p then return nil end
  local out = p:read("a")
  p:close()
  return out
end

local tmpdir = os.tmpname()
os.remove(tmpdir)
assert(os.execute("mkdir -m 700 " .. shell_quote(tmpdir)), "bench: cannot create " .. tmpdir)
local files = {}

-- A peer's stdin is our pipe; its answers come back through a fifo. OpenBLAS gets our thread
-- count. Two peers: `peer` as installed (numpy, scipy, torch) and `peer_p`, torch with
-- OMP_WAIT_POLICY=passive. With libgomp's default spinning, torch's OpenMP workers compete with
-- OpenBLAS's threads for the 2 cores: measured on this machine, 5-step NS on 1024x4096 fp32 takes
-- 650-780 ms as installed and 540-580 ms passive when the machine is quiet, and 128x512 150-230 ms
-- against 4-7 ms when other jobs run. The variable is read when libgomp starts, hence 2 processes.
local function start_peer(tag, omp_env, threads)
  threads = threads or o.threads
  local fifo = ("%s/%s.answers"):format(tmpdir, tag)
  assert(os.execute("mkfifo " .. shell_quote(fifo)), "bench: mkfifo failed")
  files[#files + 1] = fifo
  local cmd = ("env %s OPENBLAS_NUM_THREADS=%d %s -u %s %d > %s"):format(omp_env, threads, shell_quote(o.python),
    shell_quote(here .. "/peer.py"), threads, shell_quote(fifo))
  local pin = assert(io.popen(cmd, "w"))
  local pout = assert(io.open(fifo, "r"))
  local call = function(t)
    pin:write(json(t), "\n")
    pin:flush()
    local line = pout:read("l")
    if not line then
      error("bench: the python peer exited (see its error above; `make bench` installs python3-numpy, "
        .. "python3-scipy, python3-torch)", 0)
    end
    local status, rest = line:match("^(%a+)%s?(.*)$")
    if status ~= "ok" then error("bench: " .. tag .. ": " .. line .. "\n  for " .. json(t), 0) end
    return tonumber(rest) or rest
  end
  local close = function()
    pcall(call, { op = "quit" })
    pin:close()
    pout:close()
  end
  return call, close
end

local peer, close_peer = start_peer("peer", "-u OMP_WAIT_POLICY")
local peer_p, close_peer_p = start_peer("peer_p", "OMP_WAIT_POLICY=passive")

-- Save M once, load it in both peers.
local function share(name, M)
  local path = ("%s/%s.npy"):format(tmpdir, name)
  ml.save(path, M)
  files[#files + 1] = path
  peer { op = "load", name = name, path = path }
  peer_p { op = "load", name = name, path = path }
end

local function drop(name)
  peer { op = "drop", name = name }
  peer_p { op = "drop", name = name }
end

-- A result kept by the first peer, as a muonlab matrix (and loaded into the second peer too).
local function fetch(name)
  local path = ("%s/%s.npy"):format(tmpdir, name)
  peer { op = "save", name = name, path = path }
  peer_p { op = "load", name = name, path = path }
  files[#files + 1] = path
  return ml.load(path)
end

local function cleanup()
  close_peer()
  close_peer_p()
  for _, f in ipairs(files) do os.remove(f) end
  os.remove(tmpdir)
end

---------------------------------------------------------------------------- timing

local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local k = #s
  return k % 2 == 1 and s[(k + 1) // 2] or 0.5 * (s[k // 2] + s[k // 2 + 1])
end

local function pause()
  -- Let the other side's BLAS threads stop spinning before the next timed call.
  if o.pause > 0 then os.execute(("sleep %g"):format(o.pause)) end
end

-- Each method: {name =, run = function() -> seconds}. Warm-up is the caller's.
local function alternate(methods, reps)
  local k = #methods
  for _, m in ipairs(methods) do m.times = {} end
  for r = 1, reps do
    for j = 0, k - 1 do
      local m = methods[(r - 1 + j) % k + 1]
      collectgarbage()
      pause()
      m.times[#m.times + 1] = m.run()
    end
  end
  for _, m in ipairs(methods) do m.median = median(m.times) end
end

local function ml_timed(f, ...)
  local t0 = ml.now()
  local r = f(...)
  return ml.now() - t0, r
end

local function maxdiff(X, R)
  return (X:astype("float64") - R:astype("float64")):norm("max")
end

---------------------------------------------------------------------------- flops

-- Upper-triangle product of two symmetric m x m matrices as core/ns.c's symprod splits it
-- (diagonal leaves of SYMPROD_LEAF = 32 rows by a full gemm).
local function symprod_flops(nb, k)
  if nb <= 32 then return 2 * nb * nb * k end
  local h = (nb // 2 + 31) // 32 * 32
  return 2 * h * (nb - h) * k + symprod_flops(h, k) + symprod_flops(nb - h, k)
end

local FLOPS = {
  numpy = function(m, n, s) return s * (3 * m * m * n + 2 * m ^ 3) end,
  torch = function(m, n, s) return s * (4 * m * m * n + 2 * m ^ 3) end,
  direct = function(m, n, s) return s * (3 * m * m * n + m ^ 3) end,
  gram = function(m, n, s) return 3 * m * m * n + (2 * s - 1) * m ^ 3 + 2 * (s - 1) * symprod_flops(m, m) end,
  -- the products only: syrk A_0 (m^2 n), syrk V diag(g) V^T (m^3), final symm (2 m^2 n); LAPACK's
  -- syevd (about 4/3 m^3 in its tridiagonal reduction, half of it BLAS-2, plus 2 m^3 back-transform
  -- and the divide and conquer) is not counted, so % peak understates the machine's use
  eig = function(m, n, s) return 3 * m * m * n + m ^ 3 end,
}

---------------------------------------------------------------------------- results

local rows = {}
local peak = {}   -- dtype -> best GFLOP/s of a 2048^3 product

local function add_row(r) rows[#rows + 1] = r end

local function short_long(r, c) return math.min(r, c), math.max(r, c) end

---------------------------------------------------------------------------- the machine's gemm peak

-- A 2048^3 product in each implementation. Measured at the start and again at the end (other
-- jobs on the machine come and go); each implementation keeps its better pass, and the peak is
-- the best of them. gemm_rows[dtype][name] is the row of the table.
local gemm_rows = { float32 = {}, float64 = {} }
local function gemm_peak(dtype, reps)
  local N = 2048
  local A = ml.randn(N, N, { seed = o.seed, dtype = dtype })
  share("P", A)
  local methods = {
    { name = "muonlab matmul", run = function() return (ml_timed(ml.matmul, A, A)) end },
    { name = "numpy A @ A", run = function() return peer { op = "matmul", impl = "numpy", name = "P" } end },
    { name = "torch A @ A", run = function() return peer { op = "matmul", impl = "torch", name = "P" } end },
  }
  for _, m in ipairs(methods) do m.run() end
  alternate(methods, reps)
  local flops = 2 * N ^ 3
  local pass = 0
  for _, m in ipairs(methods) do
    local g = flops / m.median / 1e9
    pass = math.max(pass, g)
    local old = gemm_rows[dtype][m.name]
    if not old then
      old = { kind = "gemm", method = m.name, rows = N, cols = N, precision = dtype == "float32" and "fp32" or "fp64" }
      gemm_rows[dtype][m.name] = old
      add_row(old)
    end
    if not old.median_ms or m.median * 1e3 < old.median_ms then
      old.median_ms, old.min_ms, old.reps = m.median * 1e3, math.min(table.unpack(m.times)) * 1e3, #m.times
      old.gflop, old.gflops = flops / 1e9, g
    end
  end
  peak[dtype] = math.max(peak[dtype] or 0, pass)
  drop("P")
  return pass
end

-- The same 2048^3 product in muonlab at one BLAS thread (the peers keep their thread count):
-- the reference of the one-thread training rows. peak1[dtype] = best GFLOP/s.
local peak1 = {}
local function gemm_peak1(dtype, reps)
  local N = 2048
  local A = ml.randn(N, N, { seed = o.seed, dtype = dtype })
  local before = ml.set_threads(1)
  local ts = {}
  ml.matmul(A, A)
  for _ = 1, reps do ts[#ts + 1] = (ml_timed(ml.matmul, A, A)) end
  ml.set_threads(before)
  local g = 2 * N ^ 3 / median(ts) / 1e9
  peak1[dtype] = math.max(peak1[dtype] or 0, g)
  return g
end

---------------------------------------------------------------------------- Newton-Schulz cases

local function ns_case(r, c, dtype, reps, seed)
  local prec = dtype == "float32" and "fp32" or "fp64"
  local m, n = short_long(r, c)
  local G = ml.randn(r, c, { seed = seed, dtype = dtype })
  share("G", G)

  -- numpy's result is the reference every other result is compared with.
  local t_first = peer { op = "ns", impl = "numpy", name = "G", steps = STEPS, keep = "R_numpy" }
  local R = fetch("R_numpy")
  local methods = {}
  local function ml_method(label, form)
    local ws = HAS.workspace and ml.ns_workspace() or nil
    local opts = { coeffs = { JORDAN }, steps = STEPS, workspace = ws, form = form }
    local t, X = ml_timed(ml.ns, G, opts)
    local ran = ws and ws.last_form and ws:last_form() or form or "direct"   -- what auto chose
    local me = { name = label, flops = FLOPS[ran](m, n, STEPS), ws = ws, ran = ran }
    me.first = t
    me.diff = maxdiff(X, R)
    me.allocs_first = ws and ws:allocations()
    me.run = function() return (ml_timed(ml.ns, G, opts)) end
    methods[#methods + 1] = me
  end
  ml_method("muonlab ns direct", HAS.gram and "direct" or nil)
  if HAS.gram then ml_method("muonlab ns gram", "gram") end
  if HAS.eig_form then
    ml_method("muonlab ns eig", "eig")
    ml_method("muonlab ns auto", "auto")
  end
  local np = { name = "numpy ns", flops = FLOPS.numpy(m, n, STEPS), first = t_first, diff = 0,
    run = function() return peer { op = "ns", impl = "numpy", name = "G", steps = STEPS } end }
  local th = { name = "torch ns", flops = FLOPS.torch(m, n, STEPS),
    run = function() return peer { op = "ns", impl = "torch", name = "G", steps = STEPS } end }
  th.first = peer { op = "ns", impl = "torch", name = "G", steps = STEPS, keep = "R_torch" }
  th.diff = peer { op = "diff", a = "R_torch", b = "R_numpy" }
  local tp = { name = "torch ns passive", flops = FLOPS.torch(m, n, STEPS),
    run = function() return peer_p { op = "ns", impl = "torch", name = "G", steps = STEPS } end }
  tp.first = peer_p { op = "ns", impl = "torch", name = "G", steps = STEPS, keep = "R_torch" }
  tp.diff = peer_p { op = "diff", a = "R_torch", b = "R_numpy" }
  methods[#methods + 1] = np
  methods[#methods + 1] = th
  methods[#methods + 1] = tp
  drop("R_torch")
  drop("R_numpy")

  alternate(methods, reps)
  for _, me in ipairs(methods) do
    local g = me.flops / me.median / 1e9
    add_row { kind = "ns", method = me.name, rows = r, cols = c, precision = prec,
      median_ms = me.median * 1e3, min_ms = math.min(table.unpack(me.times)) * 1e3, reps = #me.times,
      gflop = me.flops / 1e9, gflops = g,
      speedup_numpy = np.median / me.median, speedup_torch = th.median / me.median,
      speedup_torch_passive = tp.median / me.median, maxdiff_numpy = me.diff,
      first_ms = me.first * 1e3, form_ran = me.ran,
      ws_allocs_first = me.allocs_first, ws_allocs_last = me.ws and me.ws:allocations() }
  end
  drop("G")
  io.write(("  %-11s %s  numpy %7.1f ms  torch %7.1f ms (passive %7.1f)  muonlab %s\n"):format(
    ("%dx%d"):format(r, c), prec, np.median * 1e3, th.median * 1e3, tp.median * 1e3, (function()
      local s = {}
      for _, me in ipairs(methods) do
        if me.name:find("^muonlab") then s[#s + 1] = ("%s %.1f ms"):format(me.name:match("(%a+)$"), me.median * 1e3) end
      end
      return table.concat(s, ", ")
    end)()))
  io.flush()
end

---------------------------------------------------------------------------- exact polar

local function polar_case(r, c, reps, seed)
  local G = ml.spectrum(r, c, { kind = "geometric", cond = o.polar_cond, seed = seed })
  share("G", G)
  local t_first = peer { op = "polar", impl = "numpy_svd", name = "G", keep = "R_svd" }
  local R = fetch("R_svd")
  local methods = {}
  local function ml_method(label, opts)
    local t, X = ml_timed(ml.polar, G, opts)
    methods[#methods + 1] = { name = label, first = t, diff = maxdiff(X, R),
      run = function() return (ml_timed(ml.polar, G, opts)) end }
  end
  ml_method("muonlab polar svd", nil)
  if HAS.eig then ml_method("muonlab polar eig", { method = "eig" }) end
  local np = { name = "numpy svd polar", first = t_first, diff = 0,
    run = function() return peer { op = "polar", impl = "numpy_svd", name = "G" } end }
  local sp = { name = "scipy.linalg.polar",
    run = function() return peer { op = "polar", impl = "scipy", name = "G" } end }
  sp.first = peer { op = "polar", impl = "scipy", name = "G", keep = "R_scipy" }
  sp.diff = peer { op = "diff", a = "R_scipy", b = "R_svd" }
  methods[#methods + 1] = np
  methods[#methods + 1] = sp
  drop("R_scipy")
  drop("R_svd")
  alternate(methods, reps)
  for _, me in ipairs(methods) do
    add_row { kind = "polar", method = me.name, rows = r, cols = c, precision = "fp64",
      median_ms = me.median * 1e3, min_ms = math.min(table.unpack(me.times)) * 1e3, reps = #me.times,
      speedup_numpy = np.median / me.median, maxdiff_numpy = me.diff, first_ms = me.first * 1e3 }
  end
  drop("G")
  io.write(("  polar %dx%d fp64 cond %g: numpy svd %.1f ms, muonlab svd %.1f ms%s\n"):format(r, c, o.polar_cond,
    np.median * 1e3, methods[1].median * 1e3, HAS.eig and ("%s eig %.1f ms"):format(",", methods[2].median * 1e3) or ""))
  io.flush()
end

---------------------------------------------------------------------------- training rows

-- One Fashion-MNIST epoch (784-256-10, batch 128, Muon + AdamW, fp32) at t BLAS threads:
-- muonlab runs experiments/fashion_mnist.lua in a child process (ML_THREADS=t), PyTorch the same
-- model and optimizer in the peer (bench/peer.py fm_epoch, torch.set_num_threads(t)). Both times
-- cover the 468 steps and the test evaluation (the experiment's epoch line, to 10 ms).
local HOST = arg[-1] or "bin/muonlab"
local function fm_row(t, reps)
  local mt, ma, pt, pa = {}, nil, {}, nil
  -- a peer of its own with t threads, OMP passive (spinning workers would fight muonlab's)
  local tq, close_tq = start_peer(("fm%d"):format(t), "OMP_WAIT_POLICY=passive", t)
  for _ = 1, reps do
    local cmd = ("env ML_THREADS=%d %s %s --optimizer muon --epochs 1 2>/dev/null"):format(t, shell_quote(HOST),
      shell_quote(here .. "/../experiments/fashion_mnist.lua"))
    local out = assert(capture(cmd))
    local secs = out:match("examples/s | ([%d.]+) s,")
    ma = tonumber(out:match("test_accuracy=([%d.]+)"))
    if not secs or not ma then error("bench: fashion_mnist.lua gave no epoch line:\n" .. out, 0) end
    if out:find("SYNTHETIC", 1, true) then error("bench: Fashion-MNIST is missing (dataset-fashion-mnist)", 0) end
    mt[#mt + 1] = tonumber(secs)
    pause()
    local ans = tq { op = "fm_epoch", threads = t }
    local a, b = tostring(ans):match("^(%S+) (%S+)$")
    pt[#pt + 1], pa = tonumber(a), tonumber(b)
  end
  close_tq()
  local m, q = median(mt), median(pt)
  for _, r in ipairs {
    { method = "muonlab fashion-mnist epoch", ms = m, acc = ma, x = q / m },
    { method = "torch fashion-mnist epoch", ms = q, acc = pa, x = 1 },
  } do
    add_row { kind = "train", method = r.method, rows = 784, cols = 256, precision = "fp32", threads = t,
      median_ms = r.ms * 1e3, min_ms = math.min(table.unpack(r.method:find("^muonlab") and mt or pt)) * 1e3,
      reps = reps, speedup_torch = r.x, test_accuracy = r.acc }
  end
  io.write(("  fashion-mnist epoch, %d thread%s: muonlab %.2f s (test acc %.4f), torch %.2f s (%.4f): %.2fx\n")
    :format(t, t > 1 and "s" or "", m, ma, q, pa, q / m))
  io.flush()
end

---------------------------------------------------------------------------- GPT training step

-- The default small GPT of the studies (L = 2, C = 128, H = 4, T = 64, B = 32, byte vocabulary
-- of the fortunes corpus) in muonlab and in a plain PyTorch nn.Module (bench/peer.py, nanoGPT's
-- code with the manual attention path), from the same weights and batch: the first forward's
-- losses are compared. Timed: forward + backward, and a whole training step with Muon on the
-- hidden matrices and AdamW on the rest (muonlab: ml.optim.muon_adamw; torch: KellerJordan's
-- Muon in the parameters' precision + torch.optim.AdamW). Each thread count gets its own pair of
-- peers (torch as installed and with OMP_WAIT_POLICY=passive), started with that many threads.
local gpt_rows = {}
local GPT = { layers = 2, embed = 128, heads = 4, context = 64, batch = 32 }

local function gpt_vocab()
  local ok, train = pcall(ml.data.fortunes, { quiet = true })
  return ok and train:vocab_size() or 256
end

local function gpt_case(dtype, threads, reps, V)
  local prec = dtype == "float32" and "fp32" or "fp64"
  local B, T = GPT.batch, GPT.context
  local tp, close_tp = start_peer(("gpt%d%s"):format(threads, prec), "-u OMP_WAIT_POLICY", threads)
  local tq, close_tq = start_peer(("gpt%d%sp"):format(threads, prec), "OMP_WAIT_POLICY=passive", threads)
  local ok, err = pcall(function()
    if HAS.threads then ml.set_threads(threads) end
    local model = ml.models.gpt { vocab = V, context = T, layers = GPT.layers, heads = GPT.heads, embed = GPT.embed,
      dtype = dtype, seed = o.seed }
    local X, Y = ml.rand(B, T, { seed = o.seed, lo = 0, hi = V }), ml.zeros(B, T)
    for i = 1, B do
      for j = 1, T do X:set(i, j, math.floor(X:get(i, j))) end
      for j = 1, T do Y:set(i, j, j < T and X:get(i, j + 1) or X:get(i, 1)) end
    end
    local dir = ("%s/gpt"):format(tmpdir)
    os.execute("mkdir -p " .. shell_quote(dir))
    for i, e in ipairs(model:param_info()) do ml.save(("%s/%s.npy"):format(dir, e.name), model:params()[i]) end
    ml.save(dir .. "/X.npy", X)
    ml.save(dir .. "/Y.npy", Y)
    local init = { op = "gpt_init", dir = dir, dtype = dtype, vocab = V, context = T, layers = GPT.layers,
      heads = GPT.heads, embed = GPT.embed }
    local loss_t, loss_q = tp(init), tq(init)
    os.execute("rm -rf " .. shell_quote(dir))
    local loss_ml = model:evaluate(X, Y)
    local params = model:params()
    local opt = ml.optim.muon_adamw { muon = { lr = 0.02 }, adamw = { lr = 3e-3, eps = 1e-8, weight_decay = 0.01 }, info = model:param_info() }
    local function ml_step(optim)
      return function()
        local t0 = ml.now()
        local loss, grads = model:loss_grad(X, Y)
        if optim then opt:step(params, grads, loss) end
        return ml.now() - t0
      end
    end
    local methods = {
      { name = "muonlab fwd+bwd", run = ml_step(false) },
      { name = "muonlab step", run = ml_step(true) },
      { name = "torch fwd+bwd", run = function() return tp { op = "gpt_step", optim = 0 } end },
      { name = "torch step", run = function() return tp { op = "gpt_step", optim = 1 } end },
      { name = "torch-p fwd+bwd", run = function() return tq { op = "gpt_step", optim = 0 } end },
      { name = "torch-p step", run = function() return tq { op = "gpt_step", optim = 1 } end },
    }
    for _, m in ipairs(methods) do m.run() end   -- warm-up: buffers, optimizer state
    local a0 = ml.bytes_allocated and ml.bytes_allocated()
    alternate(methods, reps)
    local by = {}
    for _, m in ipairs(methods) do by[m.name] = m end
    for _, m in ipairs(methods) do
      local what = m.name:match("(%S+)$")
      gpt_rows[#gpt_rows + 1] = { kind = "gpt", method = m.name, rows = B, cols = T, precision = prec,
        threads = threads, median_ms = m.median * 1e3, min_ms = math.min(table.unpack(m.times)) * 1e3,
        reps = #m.times, tokens_per_s = B * T / m.median,
        speedup_torch = by["torch " .. what].median / m.median,
        speedup_torch_passive = by["torch-p " .. what].median / m.median,
        loss_diff = m.name:find("^muonlab") and math.abs(loss_ml - loss_t) or
          math.abs((m.name:find("^torch%-p") and loss_q or loss_t) - loss_ml) }
    end
    io.write(("  gpt %s %d thread%s: tokens/s fwd+bwd muonlab %.0f, torch %.0f (passive %.0f); step muonlab %.0f, "
      .. "torch %.0f (passive %.0f); |loss muonlab - torch| %.1e%s\n"):format(prec, threads, threads > 1 and "s" or "",
      B * T / by["muonlab fwd+bwd"].median, B * T / by["torch fwd+bwd"].median, B * T / by["torch-p fwd+bwd"].median,
      B * T / by["muonlab step"].median, B * T / by["torch step"].median, B * T / by["torch-p step"].median,
      math.abs(loss_ml - loss_t), a0 and ml.bytes_allocated and ("; muonlab allocated %d bytes while timed"):format(
        ml.bytes_allocated() - a0) or ""))
    io.flush()
  end)
  close_tp()
  close_tq()
  if HAS.threads then ml.set_threads(o.threads) end
  if not ok then error(err, 0) end
end

local function loadavg()
  local f = io.open("/proc/loadavg")
  local l = f and f:read("l")
  if f then f:close() end
  return l and l:match("^(%S+)") or "?"
end
local gpt_load = {}

-- The attention kernel alone (bench/attention.lua, the GPT's sizes, fp32) with its small products
-- through libxsmm and through OpenBLAS (ML_SMALLMM=blas), child processes alternated `pairs` times.
local attn_rows = {}
local function attention_case(threads, pairs)
  local times = { libxsmm = {}, OpenBLAS = {} }
  for _ = 1, pairs do
    for _, env in ipairs { "", "ML_SMALLMM=blas " } do
      local cmd = ("env %sML_THREADS=%d %s %s --reps 30 --batch %d --context %d --heads %d --embed %d"):format(env, threads,
        shell_quote(HOST), shell_quote(here .. "/attention.lua"), GPT.batch, GPT.context, GPT.heads, GPT.embed)
      local out = assert(capture(cmd))
      local by, ms = out:match("products by (%a+): ([%d.]+) ms")
      if not by then error("bench: bench/attention.lua gave no result line:\n" .. out, 0) end
      local t = times[by]
      t[#t + 1] = tonumber(ms)
      pause()
    end
  end
  local x, b = median(times.libxsmm), median(times.OpenBLAS)
  for _, r in ipairs { { "muonlab attention libxsmm", x, times.libxsmm }, { "muonlab attention openblas", b, times.OpenBLAS } } do
    attn_rows[#attn_rows + 1] = { kind = "attention", method = r[1], rows = GPT.batch * GPT.context, cols = GPT.embed,
      precision = "fp32", threads = threads, median_ms = r[2], min_ms = math.min(table.unpack(r[3])), reps = pairs }
  end
  io.write(("  attention fwd+bwd fp32 %d thread%s: products by libxsmm %.2f ms, by OpenBLAS %.2f ms (%.2fx)\n")
    :format(threads, threads > 1 and "s" or "", x, b, b / x))
  io.flush()
end

local function gpt_cases(reps)
  gpt_load[1] = loadavg()
  local V = gpt_vocab()
  for t in o.gpt_threads:gmatch("%d+") do
    for _, dtype in ipairs { "float32", "float64" } do gpt_case(dtype, tonumber(t), reps, V) end
    attention_case(tonumber(t), math.max(3, reps))
  end
  gpt_load[2] = loadavg()
end

local function gpt_markdown()
  local md = { ("GPT training step (L = %d, C = %d, H = %d, T = %d, B = %d, byte vocabulary; Muon on the hidden "
    .. "matrices + AdamW on the rest), tokens/s (median of the alternated reps; x torch: torch's median time / "
    .. "muonlab's, torch-p: OMP_WAIT_POLICY=passive):"):format(GPT.layers, GPT.embed, GPT.heads, GPT.context, GPT.batch), "",
    "| threads | prec | what | muonlab tok/s | torch tok/s | torch-p tok/s | x torch | x torch-p | \\|loss Δ\\| |",
    "|--:|---|---|--:|--:|--:|--:|--:|--:|" }
  for _, r in ipairs(gpt_rows) do
    if r.method:find("^muonlab") then
      local what = r.method:match("(%S+)$")
      local function tok(name)
        for _, x in ipairs(gpt_rows) do
          if x.method == name and x.threads == r.threads and x.precision == r.precision then return x.tokens_per_s end
        end
      end
      md[#md + 1] = ("| %d | %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %.1e |"):format(r.threads, r.precision, what,
        r.tokens_per_s, tok("torch " .. what), tok("torch-p " .. what), r.speedup_torch, r.speedup_torch_passive, r.loss_diff)
    end
  end
  md[#md + 1] = ""
  md[#md + 1] = "The attention kernel alone (`bench/attention.lua`: forward + backward at the sizes above, fp32, median ms "
    .. "of 30 calls, the median over child processes alternated with `ML_SMALLMM=blas`): its 6 small products per "
    .. "(sequence, head) through libxsmm's generated kernels against OpenBLAS's gemm."
  md[#md + 1] = ""
  md[#md + 1] = "| threads | libxsmm ms | OpenBLAS ms | x OpenBLAS | libxsmm GFLOP/s |"
  md[#md + 1] = "|--:|--:|--:|--:|--:|"
  local flops = 6 * 2 * GPT.batch * GPT.heads * GPT.context ^ 2 * (GPT.embed // GPT.heads)
  for i = 1, #attn_rows, 2 do
    local x, b = attn_rows[i], attn_rows[i + 1]
    md[#md + 1] = ("| %d | %.2f | %.2f | %.2f | %.1f |"):format(x.threads, x.median_ms, b.median_ms, b.median_ms / x.median_ms,
      flops / (x.median_ms * 1e-3) / 1e9)
  end
  md[#md + 1] = ""
  md[#md + 1] = "GFLOP/s: the six products' flops over the whole kernel's time (softmax, its backward and the K/V transposes "
    .. "included), far below the gemm peak: the 64 x 64 x 32 products read Q, K and V as rows 3C apart in qkv, and "
    .. "the kernels wait on memory (the same libxsmm kernel runs 1.7x faster on contiguous operands; packing them "
    .. "contiguously first costs what it saves, measured)."
  md[#md + 1] = ""
  md[#md + 1] = ("Load average (1 min) of the machine at the start and the end of these rows: %s, %s "
    .. "(the machine has %s cores; with more runnable threads than cores, multithreaded runs lose most).")
    :format(gpt_load[1] or "?", gpt_load[2] or "?", MACHINE.cores)
  return md
end

local GPT_COLS = { "kind", "method", "rows", "cols", "precision", "threads", "median_ms", "min_ms", "reps",
  "tokens_per_s", "speedup_torch", "speedup_torch_passive", "loss_diff" }
local function write_gpt(md)
  atomic.write(o.gpt_out .. ".md", "# muonlab bench: GPT training step (`make bench`)\n\n" .. table.concat(md, "\n") .. "\n")
  local rows = {}
  for _, r in ipairs(gpt_rows) do rows[#rows + 1] = r end
  for _, r in ipairs(attn_rows) do rows[#rows + 1] = r end
  csv.write(o.gpt_out .. ".csv", GPT_COLS, rows)
end

---------------------------------------------------------------------------- the run

local SWEEP = { 128, 256, 512, 768, 1024, 1536 }   -- m x 4m, fp32
local CASES = {   -- {rows, cols, dtype}: the issue's sizes, then the rest of the sweep
  { 512, 2048, "float32" }, { 1024, 4096, "float32" }, { 2048, 2048, "float32" }, { 1024, 1024, "float32" },
  { 512, 2048, "float64" }, { 1024, 4096, "float64" }, { 2048, 2048, "float64" }, { 1024, 1024, "float64" },
}
for _, m in ipairs(SWEEP) do
  if m ~= 512 and m ~= 1024 then CASES[#CASES + 1] = { m, 4 * m, "float32" } end
end
if o.quick then
  o.reps = math.min(o.reps, 3)
  SWEEP = { 128, 256, 512 }
  CASES = { { 512, 2048, "float32" }, { 128, 512, "float32" }, { 256, 1024, "float32" }, { 512, 2048, "float64" } }
end

local ok, err = xpcall(function()
  local t0 = ml.now()
  print(("muonlab bench: %d BLAS threads, %d reps per method (medians), peer %s"):format(o.threads, o.reps, o.python))
  print("  " .. peer { op = "info" })
  print(("  muonlab features: workspace %s, form=gram %s, polar method=eig %s, set_threads %s"):format(
    tostring(HAS.workspace), tostring(HAS.gram), tostring(HAS.eig), tostring(HAS.threads)))
  print(("  machine: %s, %d cores, ISA %s; OpenBLAS kernels %s"):format(MACHINE.model, MACHINE.cores, MACHINE.isa,
    MACHINE.blas))
  if GPT_ONLY then
    gpt_cases(o.reps)
    print(("  (bench took %.0f s)"):format(ml.now() - t0))
    return
  end
  local ps = gemm_peak("float32", o.reps)
  local pd = gemm_peak("float64", o.reps)
  local ps1, pd1 = gemm_peak1("float32", math.min(o.reps, 5)), gemm_peak1("float64", math.min(o.reps, 5))
  print(("  peak (best median of muonlab/numpy/torch, 2048^3 product): sgemm %.0f GFLOP/s, dgemm %.0f GFLOP/s; "
    .. "1 thread (muonlab): %.0f, %.0f"):format(ps, pd, ps1, pd1))
  if ONLY.ns then
    for i, cs in ipairs(CASES) do
      local reps = o.reps
      if FLOPS.numpy(math.min(cs[1], cs[2]), math.max(cs[1], cs[2]), STEPS) > 1e11 then reps = math.max(3, reps - 2) end
      if cs[1] == 1024 and cs[2] == 4096 and cs[3] == "float32" then reps = reps + 4 end   -- the issue's target case
      ns_case(cs[1], cs[2], cs[3], reps, o.seed + i)
    end
  end
  if ONLY.polar then polar_case(o.quick and 256 or 1024, o.quick and 1024 or 4096, o.reps, o.seed + 100) end
  if ONLY.train then
    for t in tostring(o.train_threads):gmatch("[^,]+") do fm_row(math.tointeger(tonumber(t)), o.train_reps) end
  end
  if ONLY.gpt then gpt_cases(o.reps) end
  ps, pd = gemm_peak("float32", o.reps), gemm_peak("float64", o.reps)
  ps1, pd1 = gemm_peak1("float32", math.min(o.reps, 5)), gemm_peak1("float64", math.min(o.reps, 5))
  print(("  peak again at the end: sgemm %.0f GFLOP/s, dgemm %.0f GFLOP/s; 1 thread %.0f, %.0f (the table uses the "
    .. "better pass)"):format(ps, pd, ps1, pd1))
  print(("  (bench took %.0f s)"):format(ml.now() - t0))
end, debug.traceback)
cleanup()
if not ok then error(err, 0) end

local function machine_line()
  local p = ""
  if peak.float32 and o.threads == 1 then   -- one table at 1 thread: its peak once
    p = ("; measured gemm peak (2048³) at 1 thread: sgemm %.0f GFLOP/s, dgemm %.0f"):format(peak.float32, peak.float64)
  elseif peak.float32 then
    p = ("; measured gemm peak (2048³): sgemm %.0f GFLOP/s, dgemm %.0f at %d threads, %.0f and %.0f at 1 thread")
      :format(peak.float32, peak.float64, o.threads, peak1.float32 or 0, peak1.float64 or 0)
  end
  return ("Machine: %s, %d cores, ISA %s; OpenBLAS kernels %s%s."):format(MACHINE.model, MACHINE.cores, MACHINE.isa,
    MACHINE.blas, p)
end
local gpt_md = {}
if ONLY.gpt then
  gpt_md = gpt_markdown()
  table.insert(gpt_md, 1, "")
  table.insert(gpt_md, 1, machine_line())
  write_gpt(gpt_md)
  print()
  print(table.concat(gpt_md, "\n"))
end
if GPT_ONLY then
  print(("wrote %s.csv, %s.md"):format(o.gpt_out, o.gpt_out))
  return
end

---------------------------------------------------------------------------- table, CSV, figure

for _, r in ipairs(rows) do
  if r.gflops then r.peak_frac = r.gflops / peak[r.precision == "fp32" and "float32" or "float64"] end
end

local function fmt(v, f) return v and f:format(v) or "-" end

local HEAD = { "method", "size", "prec", "median ms", "GFLOP/s", "% peak", "x numpy", "x torch", "x torch-p",
  "max|Δ| vs numpy" }
local function cells(r)
  return {
    r.method, ("%dx%d"):format(r.rows, r.cols), r.precision, fmt(r.median_ms, "%.1f"), fmt(r.gflops, "%.0f"),
    fmt(r.peak_frac and r.peak_frac * 100, "%.0f"), fmt(r.speedup_numpy, "%.2f"), fmt(r.speedup_torch, "%.2f"),
    fmt(r.speedup_torch_passive, "%.2f"),
    fmt(r.maxdiff_numpy, "%.1e"),
  }
end

local lines = {}
local width = { 18, 9, 4, 9, 7, 6, 7, 7, 9, 15 }
local function text_line(cs)   -- padded by characters, not bytes (the header has a Δ)
  local s = {}
  for i, c in ipairs(cs) do
    local pad = (" "):rep(math.max(0, width[i] - utf8.len(c)))
    s[i] = i <= 3 and c .. pad or pad .. c
  end
  return table.concat(s, " ")
end
print()
print(text_line(HEAD))
for _, r in ipairs(rows) do print(text_line(cells(r))) end

local notes = {
  "Flops counted per call (m x n, m <= n, 5 steps): numpy 5(3m²n+2m³) (its matmul runs X@X.T as syrk), "
    .. "torch 5(4m²n+2m³), muonlab direct 5(3m²n+m³), muonlab gram 3m²n+9m³+8·sp(m) "
    .. "(sp: upper triangle of a product of commuting symmetric matrices, ≈0.52·2m³ at m = 1024).",
  "muonlab eig: 3m²n+m³ counted (its products); the m×m eigendecomposition (core/syevd.c: LAPACK's sytrd and "
    .. "stedc) is not counted, being half BLAS-2 (memory-bound tridiagonal reduction) and not flop-bound, so its % peak is the products' share of the time, not a kernel "
    .. "efficiency. muonlab auto: the flops of the form it ran (its row names it). numpy, torch and the gram form "
    .. "stay below 80% of the peak at m ≤ 512: their m×m products are too small to fill both cores, and the "
    .. "elementwise passes (scaling, axpy, symmetrizing) cost memory bandwidth, not flops.",
  ("%% peak: of the measured 2048³ gemm peak (sgemm %.0f, dgemm %.0f GFLOP/s). "):format(peak.float32, peak.float64)
    .. "x numpy, x torch, x torch-p: that method's median time / this row's (> 1: this row is faster); "
    .. "torch as installed with torch.set_num_threads(" .. o.threads .. "), torch-p the same with OMP_WAIT_POLICY=passive. "
    .. "Polar rows: x numpy is against numpy's SVD polar.",
  ("max|Δ| vs numpy: largest entry of |result - numpy's result| (NS: numpy's iteration; polar: numpy's SVD polar); "
    .. "polar input: geometric spectrum, cond %g."):format(o.polar_cond),
}
print(table.concat(notes, "\n"))

-- The summary: one line per NS case, median ms of every method, speedups of the two muonlab forms.
local function find(kind, method, r, c, prec)
  for _, x in ipairs(rows) do
    if x.kind == kind and x.method == method and x.rows == r and x.cols == c and x.precision == prec then return x end
  end
end
local MACHINE_LINE = machine_line()
local summary = {
  "| size | prec | numpy | torch | torch-p | muonlab direct | muonlab gram | muonlab eig | muonlab auto (form) | auto x numpy | auto x torch | auto x torch-p | max\\|Δ\\| vs numpy (direct / gram / eig) |",
  "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
}
local seen = {}
for _, r in ipairs(rows) do
  local key = ("%dx%d %s"):format(r.rows, r.cols, r.precision)
  if r.kind == "ns" and not seen[key] then
    seen[key] = true
    local function ms(name)
      local x = find("ns", name, r.rows, r.cols, r.precision)
      return x and ("%.1f"):format(x.median_ms) or "-"
    end
    local function get(name) return find("ns", name, r.rows, r.cols, r.precision) end
    local d, g, e, a = get("muonlab ns direct"), get("muonlab ns gram"), get("muonlab ns eig"), get("muonlab ns auto")
    summary[#summary + 1] = ("| %dx%d | %s | %s | %s | %s | %s (%.2fx) | %s | %s | %s | %s | %s | %s | %s / %s / %s |"):format(
      r.rows, r.cols, r.precision, ms("numpy ns"), ms("torch ns"), ms("torch ns passive"), ms("muonlab ns direct"),
      d.speedup_numpy, ms("muonlab ns gram"), ms("muonlab ns eig"),
      a and ("%s (%s)"):format(ms("muonlab ns auto"), a.form_ran) or "-", fmt(a and a.speedup_numpy, "%.2f"),
      fmt(a and a.speedup_torch, "%.2f"), fmt(a and a.speedup_torch_passive, "%.2f"), fmt(d.maxdiff_numpy, "%.1e"),
      fmt(g and g.maxdiff_numpy, "%.1e"), fmt(e and e.maxdiff_numpy, "%.1e"))
  end
end
local polar = { "| method | size | median ms | x numpy SVD polar | max\\|Δ\\| vs numpy SVD polar |", "|---|---|--:|--:|--:|" }
for _, r in ipairs(rows) do
  if r.kind == "polar" then
    polar[#polar + 1] = ("| %s | %dx%d fp64 | %.1f | %.2f | %.1e |"):format(r.method, r.rows, r.cols, r.median_ms,
      r.speedup_numpy, r.maxdiff_numpy)
  end
end

local train = { "| run | threads | muonlab | torch | x torch | test accuracy muonlab / torch |", "|---|--:|--:|--:|--:|--:|" }
for _, r in ipairs(rows) do
  if r.kind == "train" and r.method:find("^muonlab") then
    local t
    for _, x in ipairs(rows) do   -- the torch row of the same thread count
      if x.kind == "train" and x.method == r.method:gsub("^muonlab", "torch") and x.threads == r.threads then t = x end
    end
    train[#train + 1] = ("| %s | %d | %.2f s | %.2f s | %.2f | %.4f / %.4f |"):format(r.method:gsub("^muonlab ", ""),
      r.threads, r.median_ms / 1e3, t.median_ms / 1e3, r.speedup_torch, r.test_accuracy, t.test_accuracy)
  end
end

local md = { "# muonlab bench (`make bench`)", "", MACHINE_LINE, "" }
-- a table with its caption, the machine line above it (each table read alone names the machine)
local function section(caption, lines, first)
  if #lines <= 2 then return end
  if not first then
    md[#md + 1] = MACHINE_LINE
    md[#md + 1] = ""
  end
  md[#md + 1] = caption
  md[#md + 1] = ""
  for _, l in ipairs(lines) do md[#md + 1] = l end
  md[#md + 1] = ""
end
section(("5-step Jordan Newton-Schulz, median ms per call (%d BLAS threads; sgemm peak %.0f, dgemm %.0f GFLOP/s, 2048³):")
  :format(o.threads, peak.float32, peak.float64), summary, true)
section("Exact polar factor, geometric spectrum with cond " .. o.polar_cond .. ":", polar)
section("Training, same model, optimizer, batch and thread count on both sides (median of " .. o.train_reps
  .. "): one Fashion-MNIST epoch (784-256-10, batch 128, Muon + AdamW, fp32; 468 steps and the test evaluation):", train)
for _, l in ipairs(gpt_md) do md[#md + 1] = l end   -- its own machine line first
md[#md + 1] = MACHINE_LINE
md[#md + 1] = ""
md[#md + 1] = "All rows:"
md[#md + 1] = ""
md[#md + 1] = "| " .. table.concat(HEAD, " | "):gsub("max|Δ|", "max\\|Δ\\|") .. " |"
md[#md + 1] = "|" .. ("---|"):rep(3) .. ("--:|"):rep(#HEAD - 3)
for _, r in ipairs(rows) do md[#md + 1] = "| " .. table.concat(cells(r), " | ") .. " |" end
md[#md + 1] = ""
for _, n in ipairs(notes) do md[#md + 1] = n .. "\n" end
atomic.write(o.out .. ".md", table.concat(md, "\n") .. "\n")

local COLS = { "kind", "method", "rows", "cols", "precision", "threads", "median_ms", "min_ms", "reps", "gflop", "gflops",
  "peak_frac", "speedup_numpy", "speedup_torch", "speedup_torch_passive", "maxdiff_numpy", "first_ms", "form_ran",
  "test_accuracy", "ws_allocs_first", "ws_allocs_last" }
csv.write(o.out .. ".csv", COLS, rows)

-- "No allocation inside the iteration after the first call": the workspace's allocation count.
for _, r in ipairs(rows) do
  if r.ws_allocs_first and r.ws_allocs_last ~= r.ws_allocs_first then
    print(("WARNING: %s %dx%d %s: workspace allocated again after the first call (%d -> %d)"):format(
      r.method, r.rows, r.cols, r.precision, r.ws_allocs_first, r.ws_allocs_last))
  end
end
local ws_rows, first_ratio = 0, {}
for _, r in ipairs(rows) do
  if r.ws_allocs_first then
    ws_rows = ws_rows + 1
    if r.ws_allocs_last == r.ws_allocs_first then first_ratio[#first_ratio + 1] = r.first_ms / r.median_ms end
  end
end
if ws_rows > 0 then
  print(("workspace: %d of %d muonlab NS cases made no allocation after the first call (first call / median: %.2f..%.2f)")
    :format(#first_ratio, ws_rows, math.min(table.unpack(first_ratio)), math.max(table.unpack(first_ratio))))
end

-- The scaling figure: fp32 m x 4m, time per call against n (bench/scaling_figure.lua).
if not ONLY.ns then   -- no NS rows: the scaling figure of the last full run stays
  print(("wrote %s.csv, %s.md"):format(o.out, o.out))
  return
end
dofile(here .. "/scaling_figure.lua").draw(rows, peak.float32, o.plot, COLS)
print(("wrote %s.csv, %s.md, %s.png/.svg"):format(o.out, o.out, o.plot))
