-- Convergence of every optimizer of ml.optim on the four training problems of the lab: loss vs
-- steps and vs wall time, each optimizer at its best learning rate from a small grid, three seeds
-- drawn as a band (min..max) around the mean.
--   muonlab experiments/convergence.lua [--quick] [--seed 1] [--seeds 3] [--out plots/convergence]
--       [--problems least_squares,lowrank,mlp,char_lm] [--optimizers muon,adamw,...] [--extend K] [--fresh]
--
-- Problems (ml.models): least squares 1/(2n)||A W^T - B||^2, W out x in, cond(A) = 1e3 (plotted: f - f*);
-- low-rank matrix factorisation 1/2||UV^T - M*||^2 (rank 4, k = 8); an MLP 784-128-128-10 on
-- 10 000 Fashion-MNIST training images (plotted: training loss on 2048 of them; test accuracy
-- in the table); a character-level MLP language model on the fortunes corpus (plotted:
-- validation loss in nats/char). A seed changes the problem instance (least squares, low rank)
-- or the initialisation and minibatch order (MLP, LM).
--
-- Optimizers: only weight matrices (param_info kind "matrix") get the matrix rule; biases, the
-- embedding and the output head go to AdamW (at AdamW's best rate on the problem: 3e-3 for the
-- MLP, 1e-2 for the LM) in the hybrids, and to the steepest-descent family's backup norm
-- (lr_backup = lr x the preset's ratio) in scion/polargrad/muonmax/*_momo. Weight decay is 0
-- everywhere: this is about optimisation speed. "spectral" is U S^1/2 V^T of Adam's direction on
-- every matrix (ml.optim.spectral{p = 0.5, base = "adam"}).
--
-- Runs (ml.sweep: one durable CSV row per run, keyed by problem, optimizer, lr, seed and steps;
-- rerunning skips finished runs, --fresh starts over): every learning rate of the optimizer's
-- grid with --seed, one half-decade more while the best (lowest final plotted loss) sits at an end of
-- the grid (up to --extend 3 times; not with --quick), then the best with the other seeds.
-- The rows, each curve packed in a `curve` field, go to <runs>.csv (--runs, default
-- results/convergence; `<out>` when --out is not under plots/). Then <out>.csv (one row per curve
-- point of the best-rate runs), <out>.png/.svg and the table.
-- --quick (CI smoke): small problems, 20 steps, 2 rates, 2 seeds, into $TMPDIR unless --out is
-- given, starting clean unless --resume.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
require("convergence_study").main {
  name = "convergence", argv = arg, out = "plots/convergence", steps = 400,
  problems = "least_squares,lowrank,mlp,char_lm",
  optimizers = "sgd,adamw,muon,scion,polargrad,muonmax,muon_momo,muonmax_momo,trasmuon,normuon,adago,spectral",
}
