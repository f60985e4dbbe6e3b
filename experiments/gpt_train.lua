-- Train the GPT interactively: progress (step, training loss, validation loss, tokens/s, time
-- left), a resumable checkpoint folder, and a sample of generated text at the end.
--   muonlab experiments/gpt_train.lua [--steps 1000] [--optimizer muon|muonclip|adamw] [--lr 0.02]
--       [--embed 128] [--layers 2] [--heads 4] [--context 64] [--batch 32] [--seed 1]
--       [--data fortunes | --data path/to/text] [--checkpoint checkpoints/gpt] [--every 100]
--       [--sample 300] [--prompt "The "] [--temperature 0.8] [--threads 2] [--fresh] [--quick]
-- The model is ml.models.gpt (float32) on byte-level text: the fortunes corpus (90/10 split by
-- fortune) or any text file (ml.data.text_file, last 10% held out). Optimizer: the matrix rule
-- (Muon or MuonClip) on the weight matrices with AdamW 3e-3 on the rest, or AdamW on everything.
-- Every --every steps: the validation loss (8 fixed batches) and a checkpoint (ml.checkpoint:
-- parameters, optimizer state and step, .npy files through ml.save). Rerunning with the same
-- options resumes from the checkpoint (bit for bit: the batch sampler is reseeded from (seed, step)
-- at every checkpoint; a checkpoint of another configuration is an error; --fresh starts over).
-- --quick: 20 steps of a C = 32 model, checkpoints every 10 steps into $TMPDIR.
local ml = require "muonlab"
local cli = require "muonlab.cli"
local progress = require "muonlab.progress"
-- experiments/lib/study.lua: the scaffolding the study scripts share, found beside this script
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local study = require "study"

local o = cli.parse(arg, {
  steps = 1000, optimizer = "muon", lr = 0, embed = 128, layers = 2, heads = 4, context = 64, batch = 32, seed = 1,
  data = "fortunes", checkpoint = "checkpoints/gpt", every = 100, sample = 300, prompt = "The ", temperature = 0.8,
  threads = 2, fresh = false, quick = false,
}, "usage: muonlab experiments/gpt_train.lua [--steps N] [--optimizer muon|muonclip|adamw] [--lr x] [--embed C]\n"
  .. "       [--layers L] [--heads H] [--context T] [--batch B] [--seed S] [--data fortunes|FILE] [--checkpoint DIR]\n"
  .. "       [--every K] [--sample N] [--prompt TEXT] [--temperature t] [--threads N] [--fresh] [--quick]")
ml.set_threads(math.tointeger(o.threads))
if o.quick then
  o.embed, o.layers, o.heads, o.context, o.batch, o.every, o.sample = 32, 1, 2, 16, 8, 10, 40
  if o.steps == 1000 then o.steps = 20 end
  if o.checkpoint == "checkpoints/gpt" then o.checkpoint = (os.getenv("TMPDIR") or "/tmp") .. "/gpt_train_quick" end
end
local DEFAULT_LR = { muon = 0.02, muonclip = 3e-3, adamw = 3e-3 }
if not DEFAULT_LR[o.optimizer] then error("--optimizer must be muon, muonclip or adamw", 0) end
if o.lr == 0 then o.lr = DEFAULT_LR[o.optimizer] end
local int = math.tointeger
local STEPS, EVERY, B, T = int(o.steps), int(o.every), int(o.batch), int(o.context)
assert(STEPS and EVERY and EVERY > 0 and B and T, "--steps, --every, --batch and --context must be integers")

-- data
local train, valid
if o.data == "fortunes" then train, valid = study.fortunes()
else train, valid = ml.data.text_file(o.data, { valid = 0.1, quiet = true }) end
if not valid then error("the data needs a validation split", 0) end

-- model and optimizer
local model = ml.models.gpt { vocab = train:vocab_size(), context = T, layers = int(o.layers), heads = int(o.heads),
  embed = int(o.embed), seed = int(o.seed), dtype = "float32" }
local params, info = model:params(), model:param_info()
local opt
if o.optimizer == "adamw" then opt = ml.optim.adamw { lr = o.lr, weight_decay = 0 }
elseif o.optimizer == "muon" then opt = study.hybrid(ml.optim.muon { lr = o.lr }, info, 3e-3)
else opt = study.hybrid(ml.optim.muonclip { lr = o.lr, model = model }, info, 3e-3) end

-- everything that must match for a checkpoint to be resumed
local config = { optimizer = o.optimizer, lr = o.lr, embed = int(o.embed), layers = int(o.layers), heads = int(o.heads),
  context = T, batch = B, seed = int(o.seed), data = o.data, vocab = train:vocab() }
local sampler = ml.data.windows(train, B, T, { seed = int(o.seed), dtype = "float32" })
local function reseed(step) sampler:seed(int(o.seed) * 1000003 + step) end

local start, elapsed = 0, 0
if o.fresh then ml.remove(o.checkpoint, { recursive = true }) end
local ck = ml.checkpoint.load(o.checkpoint)
if ck then
  for k, v in pairs(config) do
    if ck.config[k] ~= v then
      error(("checkpoint %s was made with %s = %s, this run has %s (use --fresh or another --checkpoint)")
        :format(o.checkpoint, k, tostring(ck.config[k]), tostring(v)), 0)
    end
  end
  for i, p in ipairs(params) do p:copy_(ck.params[i]) end
  opt:load_state_dict(ck.opt)
  start, elapsed = ck.step, ck.elapsed
  reseed(start)
  print(("resumed from %s at step %d (%.1f s of training so far)"):format(o.checkpoint, start, elapsed))
end

-- validation loss over 8 fixed batches spread over the validation text
local Xv, Yv = ml.zeros(B, T, { dtype = "float32" }), ml.zeros(B, T, { dtype = "float32" })
local stride = (#valid - T - 1) // (8 * B)
local function validation()
  local s = 0
  for k = 0, 7 do
    valid:batch(Xv, Yv, 1 + k * B * stride, stride)
    s = s + model:evaluate(Xv, Yv)
  end
  return s / 8
end

local n = 0
for _, p in ipairs(params) do n = n + p:rows() * p:cols() end
print(("GPT L=%d C=%d H=%d T=%d (%d parameters), %s lr %g, batch %d, %d steps; data %s (%d + %d characters)")
  :format(config.layers, config.embed, config.heads, T, n, o.optimizer, o.lr, B, STEPS, o.data, #train, #valid))
local t_run, t_train, last_val = ml.now(), 0, 0 / 0   -- this session: wall time, training time
for s = start + 1, STEPS do
  local t0 = ml.now()
  local X, Y = sampler:next()
  local loss, grads = model:loss_grad(X, Y)
  if loss ~= loss then error(("loss is NaN at step %d"):format(s), 0) end
  opt:step(params, grads, loss)
  elapsed = elapsed + ml.now() - t0
  t_train = t_train + ml.now() - t0
  local done = s - start
  if s % EVERY == 0 or s == STEPS then
    last_val = validation()
    ml.checkpoint.save(o.checkpoint, { step = s, elapsed = elapsed, config = config, params = params, opt = opt:state_dict() })
    reseed(s)
    local rate = done / (ml.now() - t_run)
    print(("step %5d  loss %.4f  val %.4f  %7.0f tokens/s  elapsed %s  left %s  checkpoint %s"):format(s, loss, last_val,
      B * T * done / math.max(t_train, 1e-9), progress.clock_text(ml.now() - t_run),
      progress.clock_text((STEPS - s) / rate), o.checkpoint))
  elseif s % math.max(1, EVERY // 10) == 0 then
    print(("step %5d  loss %.4f"):format(s, loss))
  end
end
if start >= STEPS then print(("nothing to train: the checkpoint is at step %d of %d"):format(start, STEPS)) end

-- a sample
local ok, ids = pcall(train.encode, train, o.prompt)
if not ok then ids = { 0 } end
local out = model:generate(ids, int(o.sample), { temperature = o.temperature, seed = int(o.seed) })
print(("\nsample (temperature %g):\n%s%s"):format(o.temperature, o.prompt, train:decode(out)))
