-- The sweep the kill -9 and MPI checks run (tests/sweep/kill9.sh, tests/sweep/mpi.sh):
--   muonlab tests/sweep/grid.lua OUT [--sleep SECONDS] [--quiet] [sweep flags: --fresh, --shard K/N]
-- 4 x 3 x 2 = 24 configurations; every value is a deterministic function of the configuration
-- (a seeded matrix's norms), some configurations diverge and one raises an error, so the
-- rows cover every status. --sleep busy-waits that long in each run (a slow experiment).
local ml = require "muonlab"

local out = arg[1]
if not out or out:sub(1, 1) == "-" then
  io.stderr:write("usage: muonlab tests/sweep/grid.lua OUT [--sleep S] [--quiet] [--fresh] [--shard K/N]\n")
  os.exit(2)
end
local sleep, quiet = 0, false
for i = 2, #arg do
  if arg[i] == "--sleep" then sleep = tonumber(arg[i + 1]) end
  if arg[i] == "--quiet" then quiet = true end
end

local summary = ml.sweep {
  out = out,
  grid = { size = { 2, 3, 5, 8 }, kind = { "gauss", "ortho", "spike" }, lr = { 0.5, 1.5 } },
  argv = arg,
  progress = not quiet and 0.2,
  run = function(cfg)
    local t0 = ml.now()
    while ml.now() - t0 < sleep do end
    if cfg.kind == "spike" and cfg.size == 5 and cfg.lr == 0.5 then error("spike: singular update") end
    if cfg.kind == "spike" and cfg.lr == 1.5 then error(("diverged at step %d"):format(cfg.size * 3)) end
    local seed = cfg.size * 100 + (cfg.lr > 1 and 1 or 0)
    local A = cfg.kind == "ortho" and ml.orthogonal(cfg.size, cfg.size + 1, { seed = seed })
      or ml.randn(cfg.size, cfg.size + 1, { seed = seed })
    local X = ml.ns(A * cfg.lr, { coeffs = "quintic", steps = 6 })
    local loss = ml.orth_error(X)
    if cfg.kind == "gauss" and cfg.size == 8 and cfg.lr == 1.5 then loss = 0 / 0 end
    return { loss = loss, norm = ml.norm(A), steps = 6 }
  end,
}
if not quiet then
  print(("%s: %d run, %d skipped (ok %d, diverged %d, error %d)"):format(summary.out, summary.ran, summary.skipped,
    summary.ok, summary.diverged, summary.error))
end
