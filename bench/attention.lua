-- The attention kernels alone (core/attention.c) at the benchmark GPT's sizes: B = 32 sequences
-- of T = 64 tokens, H = 4 heads of 32 (C = 128), forward + backward, median of 30 calls.
-- Compare the small-product paths by running it twice:
--   muonlab bench/attention.lua                    (libxsmm's generated kernels)
--   ML_SMALLMM=blas muonlab bench/attention.lua    (OpenBLAS gemm for every product)
local ml = require "muonlab"
local cli = require "muonlab.cli"
local o = cli.parse(arg, { batch = 32, context = 64, heads = 4, embed = 128, reps = 30, dtype = "float32" },
  "usage: muonlab bench/attention.lua [--batch B] [--context T] [--heads H] [--embed C] [--reps N] [--dtype D]")
local B, T, H, C = o.batch, o.context, o.heads, o.embed
local nn = ml.nn
local qkv = ml.randn(B * T, 3 * C, { seed = 1, dtype = o.dtype })
local out, P = ml.zeros(B * T, C, { dtype = o.dtype }), ml.zeros(B * H * T, T, { dtype = o.dtype })
local dout = ml.randn(B * T, C, { seed = 2, dtype = o.dtype })
local dqkv, dP = ml.zeros(B * T, 3 * C, { dtype = o.dtype }), ml.zeros(B * H * T, T, { dtype = o.dtype })
local maxl = ml.zeros(1, H)
local function once()
  local t0 = ml.now()
  nn.attention_forward(out, P, maxl, qkv, B, H)
  nn.attention_backward(dqkv, dP, dout, P, qkv, B, H)
  return ml.now() - t0
end
once()
local ts = {}
for i = 1, o.reps do ts[i] = once() end
table.sort(ts)
local med = ts[(#ts + 1) // 2]
local flops = 6 * 2 * B * H * T * T * (C // H)   -- six T x T x hs products per (sequence, head)
print(("attention fwd+bwd %s B=%d T=%d H=%d C=%d, %s threads, products by %s: %.3f ms (%.1f GFLOP/s in the products)")
  :format(o.dtype, B, T, H, C, ml.get_threads(), os.getenv("ML_SMALLMM") == "blas" and "OpenBLAS" or "libxsmm",
    med * 1e3, flops / med / 1e9))
