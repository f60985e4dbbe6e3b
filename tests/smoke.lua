-- A few calls of each area of the library, for `make test VALGRIND=1` (tests/valgrind.sh runs
-- it under valgrind memcheck, which must report no errors and no definite or indirect leaks).
-- Small sizes: valgrind runs it ~50x slower. Failing calls are included on purpose: error
-- paths must free what they allocated too. Prints "smoke: N checks passed" and exits 0.
local ml = require "muonlab"

local checks = 0
local function check(cond, what)
  if not cond then error("smoke: " .. what, 2) end
  checks = checks + 1
end
local function fails(f, ...)
  local ok, e = pcall(f, ...)
  check(not ok and type(e) == "string", "expected a Lua error")
end

local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute("mkdir -p " .. tmp))

-- matrices: creators, access, views, arithmetic
local A = ml.randn(6, 10, { seed = 1 })
local A32 = ml.rand(6, 10, { seed = 2, dtype = "float32" })
local I = ml.eye(6)
local T = ml.from_table { { 1, 2 }, { 3, 4 } }
check(T:get(2, 1) == 3, "from_table")
local V = A:view(2, 3, 3, 4)
V:fill(0.5)
check(A:get(2, 3) == 0.5, "view shares storage")
local S = (A + A) * 0.25 - A / 2
check(ml.norm(S, "max") <= 1e-15, "arithmetic")
local C = A:clone():scale_(2):add_(A, -1):axpby_(1, A, 0, A)
check(ml.norm(C - A) == 0, "in-place ops")
check(#A:totable() == 6 and #A:flat() == 60 and A:t():rows() == 10, "totable/flat/t")
check(A32:astype("float64"):dtype() == "float64" and A:reshape(10, 6):cols() == 6, "astype/reshape")
do local Z <close> = ml.zeros(3, 3) end
fails(ml.matrix, 0, 3)
fails(ml.zeros, 1000000, 1000000)
fails(function() return A * A end)
fails(ml.hadamard, A, A32)

-- products and norms
local G = ml.gram(A)
check(G:rows() == 6 and math.abs(ml.trace(G) - ml.dot(A, A)) < 1e-9, "gram/trace/dot")
check(ml.matmul(A, A, { tb = true }):rows() == 6 and I:mm(A):cols() == 10, "matmul")
check(ml.norm(A, "spectral") > 0 and ml.norm(A, "nuclear") > 0 and ml.norm(A32) > 0, "norms")
fails(ml.matmul, A, A)

-- LAPACK references
local U, s, W = ml.svd(A)
check(U:cols() == 6 and s:rows() == 6 and W:rows() == 10, "svd")
check(ml.singular_values(A32):rows() == 6, "singular_values")
local P = ml.polar(A)
local fro = ml.orth_error(P)
check(fro < 1e-12, "polar")
check(ml.spectral(A, 0.5):rows() == 6 and ml.rank_tol(A) > 0, "spectral/rank_tol")
check(ml.orthogonal(5, 3, { seed = 3 }):cols() == 3, "orthogonal")
check(ml.spectrum(4, 7, { kind = "powerlaw", zeros = 1, seed = 4 }):cols() == 7, "spectrum")
local bad = ml.ones(3, 3)
bad:set(1, 1, 0 / 0)
fails(ml.svd, bad)

-- Newton-Schulz, schedules, metrics
local X = ml.ns(A, { coeffs = "quintic", steps = 30 })
check(ml.orth_error(X) < 1e-10 and ml.polar_distance(X, A) < 1e-8, "ns converges")
if ml.ns_workspace then
  local ws = ml.ns_workspace()
  for _ = 1, 3 do ml.ns(A, { coeffs = "polar_express", workspace = ws }) end
  check(true, "ns workspace")
end
check(#ml.coeffs("jordan") >= 1 and #ml.coeffs("cans", { steps = 3 }) == 3, "coeffs")
check(#ml.coeffs("polar_express", { l = 1e-2, steps = 4 }) == 4, "computed polar_express")
check(ml.poly_error("quintic", 0.5, 1, { steps = 3 }) < 1 and #ml.poly_map("cubic", { 0.1, 0.5 }) == 2, "poly_map/error")
fails(ml.ns, A, { coeffs = "nope" })
fails(ml.ns, A, { steps = -1 })

-- reduced precision
check(ml.round(A, "bf16"):rows() == 6 and ml.round_scalar(1 / 3, "fp16") ~= 1 / 3, "round")
fails(ml.round, A, "fp7")

-- files
ml.save(tmp .. "/a.npy", A)
ml.save(tmp .. "/a32.npy", A32)
ml.save(tmp .. "/a.txt", A)
check(ml.norm(ml.load(tmp .. "/a.npy") - A) == 0, "npy round trip")
check(ml.load(tmp .. "/a32.npy"):dtype() == "float32", "npy float32")
check(ml.norm(ml.load(tmp .. "/a.txt") - A) == 0, "text round trip")
fails(ml.load, tmp .. "/missing.npy")
local f = io.open(tmp .. "/bad.npy", "wb")
f:write("\x93NUMPY\x01\x00\x20\x00{'descr': '<f8', 'shape': (3, ")
f:close()
fails(ml.load, tmp .. "/bad.npy")

-- the worked Muon update
local th, B_new, O = ml.muon_update(ml.randn(4, 5, { seed = 5 }), ml.randn(4, 5, { seed = 6 }), ml.zeros(4, 5), 0.9, 0.1)
check(th:rows() == 4 and B_new:cols() == 5 and O:rows() == 4, "muon_update")

-- sweep, merge, durable appends, locks
for k = 0, 1 do
  ml.sweep { out = tmp .. "/s.csv", grid = { a = { 1, 2, 3 }, b = { "x", "y" } }, argv = { "--shard", k .. "/2" },
    progress = false, getenv = function() end,
    run = function(cfg)
      if cfg.a == 3 and cfg.b == "y" then error("diverged at step 4") end
      return { loss = ml.norm(ml.randn(2, 2, { seed = cfg.a })) }
    end }
end
local merged = require("muonlab.merge").merge(tmp .. "/s.csv", { quiet = true })
check(merged.rows == 6 and merged.diverged == 1, "sweep + merge")
local lock = ml.lock_file(tmp .. "/x.lock")
check(lock and ml.lock_file(tmp .. "/x.lock") == nil, "lock_file")
lock:unlock()
check(ml.append_line(tmp .. "/lines", "one"), "append_line")
fails(ml.append_line, tmp .. "/lines", "a\nb")

os.execute("rm -rf " .. tmp)
collectgarbage()
print(("smoke: %d checks passed"):format(checks))
