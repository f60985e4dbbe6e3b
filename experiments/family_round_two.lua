-- The round-two optimizers (ROUND2.md; lua/muonlab/optim/README.md) beside Muon and AdamW: loss vs
-- steps and vs wall time at each optimizer's best learning rate, on least squares (cond 1e3), the MLP
-- on Fashion-MNIST, the char-level MLP LM and a small GPT on fortunes. The engine, problems and
-- rate grids are experiments/lib/convergence_study.lua's (shared with convergence.lua): the weight
-- matrices get the rule, biases / embedding / head AdamW; weight decay 0; every rate of a 3-rate
-- grid (Muon's and AdamW's: 4) with --seed, one half-decade more while the best sits at an end of
-- the grid (up to --extend 3 times), then the best with the other seeds (3 in all).
-- Not here: ef21_muon (its own study, experiments/ef21_compression.lua: the workers interface and
-- bits are what it is about); muon_mvr takes two gradients per step (both in its time).
--   muonlab experiments/family_round_two.lua [--quick] [--seed 1] [--seeds 3] [--steps 150]
--       [--out plots/family_round_two] [--problems least_squares,mlp,char_lm,gpt] [--optimizers a,b] [--extend K] [--fresh]
-- Full size: 150 steps; the GPT has 1 layer, C = 64, 2 heads, T = 32, B = 8 (about 5 minutes in all on
-- one thread). --quick: 20 steps, 2 rates, 2 seeds, small problems, into $TMPDIR.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
require("convergence_study").main {
  name = "family_round_two", argv = arg, out = "plots/family_round_two", steps = 150, title = "Round-two family",
  problems = "least_squares,mlp,char_lm,gpt",
  optimizers = "muon,adamw,torch_muon,adamuon,root,auon,kaon,freon,spectral_clip,conda,dion,dion2,muon_mvr",
}
