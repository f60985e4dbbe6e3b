-- Train the MLP classifier on Fashion-MNIST with one optimizer; ends with `test_accuracy=0.xxxx`.
--
--   muonlab experiments/fashion_mnist.lua --optimizer muon --epochs 5
--   muonlab experiments/fashion_mnist.lua --optimizer adamw --lr 1e-3 --hidden 256,128 --csv plots/fm_adamw.csv
--
-- Data: Debian's dataset-fashion-mnist (ml.data.fashion_mnist; a synthetic stand-in, announced
-- as such, only when the package's files are absent). Model: ml.models.mlp, 784 -> hidden -> 10.
-- Optimizer: any ml.optim name. `muon` means MuonAdam: Muon on the hidden weight matrices
-- (param_info kind "matrix"), AdamW (lr --adam_lr) on the output head and the biases, as in
-- KellerJordan/Muon; `muon_all` applies ml.optim.muon to every weight matrix, head included
-- (biases still AdamW). --lr 0 keeps the optimizer's default learning rate.
-- One line per epoch: training loss and accuracy over the epoch, test loss and accuracy,
-- examples per second and the time left; a status line on stderr within epochs.
local ml = require "muonlab"
local cli = require "muonlab.cli"
local progress = require "muonlab.progress"

local usage = [==[
usage: muonlab experiments/fashion_mnist.lua --optimizer NAME --epochs N [--lr X] [--seed S] [--batch B]
       [--hidden H[,H2...]] [--act relu|gelu] [--adam_lr X] [--weight_decay X] [--dtype float32|float64]
       [--standardize] [--limit N] [--csv PATH] [--synthetic] [--ns_form auto|direct|gram|eig]]==]

local o = cli.parse(arg, {
  optimizer = "muon", epochs = 5, lr = 0, seed = 1, batch = 128, hidden = "256", act = "relu",
  adam_lr = 1e-3, weight_decay = 0, dtype = "float32", standardize = false, limit = 0, csv = "",
  synthetic = false, ns_form = "auto",
}, usage)

local function die(msg) io.stderr:write("fashion_mnist: ", msg, "\n"); os.exit(2) end
if o.epochs < 1 or o.epochs ~= math.floor(o.epochs) then die("--epochs must be a positive integer") end
if o.batch < 1 or o.batch ~= math.floor(o.batch) then die("--batch must be a positive integer") end
if o.lr < 0 or o.adam_lr <= 0 then die("--lr must be >= 0 and --adam_lr > 0") end
if o.ns_form ~= "auto" and o.optimizer ~= "muon" and o.optimizer ~= "muon_all" then
  die("--ns_form applies to --optimizer muon or muon_all, got --optimizer " .. o.optimizer)
end

local sizes = { 784 }
for h in tostring(o.hidden):gmatch("[^,]+") do
  local n = math.tointeger(tonumber(h))
  if not n or n < 1 then die("--hidden: a comma-separated list of positive integers, got " .. o.hidden) end
  sizes[#sizes + 1] = n
end
sizes[#sizes + 1] = 10

local data = ml.data.fashion_mnist { dtype = o.dtype, standardize = o.standardize, synthetic = o.synthetic,
  limit_train = math.tointeger(o.limit) or 0, seed = math.tointeger(o.seed) }
local Xtr, ytr, Xte, yte = data.train.X, data.train.y, data.test.X, data.test.y

local model = ml.models.mlp { sizes = sizes, act = o.act, seed = math.tointeger(o.seed), dtype = o.dtype }
local params = model:params()
local info = model:param_info()

-- The optimizer, by name.
local function make_optimizer(name, lr)
  local wd = o.weight_decay > 0 and o.weight_decay or nil
  if name == "muon" or name == "muon_all" then
    local muon = { lr = lr > 0 and lr or nil, weight_decay = wd, ns_form = o.ns_form }
    return ml.optim.muon_adamw {
      muon = muon, adamw = { lr = o.adam_lr, weight_decay = wd },
      choose = function(i)
        local k = info[i].kind
        return (k == "matrix" or (name == "muon_all" and k == "head")) and "muon" or "adamw"
      end,
    }
  end
  local ok, opt = pcall(ml.optim.new, name, { lr = lr > 0 and lr or nil, weight_decay = wd })
  if not ok then
    -- not every optimizer has weight decay: retry with the learning rate only
    ok, opt = pcall(ml.optim.new, name, { lr = lr > 0 and lr or nil })
    if not ok then die(tostring(opt)) end
  end
  return opt
end
local opt = make_optimizer(o.optimizer, o.lr)

local n, B = Xtr:rows(), math.tointeger(o.batch)
local steps_per_epoch = n // B
print(("model: %s; optimizer %s%s; batch %d, %d steps per epoch, %s"):format(tostring(model), o.optimizer,
  o.lr > 0 and (" lr " .. o.lr) or " (default lr)", B, steps_per_epoch, o.dtype))

local rows = {}
local bar = progress.new { label = "fashion_mnist " .. o.optimizer, total = steps_per_epoch * o.epochs }
local t0 = ml.now()
for epoch = 1, o.epochs do
  local te = ml.now()
  local sum_loss, sum_correct, seen = 0, 0, 0
  for Xb, yb in ml.data.minibatches(Xtr, ytr, B, { seed = math.tointeger(o.seed) * 1000 + epoch }) do
    local loss, grads, correct = model:loss_grad(Xb, yb)
    opt:step(params, grads, loss)
    sum_loss, sum_correct, seen = sum_loss + loss * Xb:rows(), sum_correct + correct, seen + Xb:rows()
    bar:step(1, loss)
  end
  local test_loss, test_acc = model:evaluate(Xte, yte)
  local dt, elapsed = ml.now() - te, ml.now() - t0
  local left = elapsed / epoch * (o.epochs - epoch)
  if bar.tty then io.stderr:write("\r\27[K") end   -- clear the status line before the epoch line
  print(("epoch %d/%d  train loss %.4f acc %.4f | test loss %.4f acc %.4f | %.0f examples/s | %.2f s, %s left")
    :format(epoch, o.epochs, sum_loss / seen, sum_correct / seen, test_loss, test_acc, seen / dt, dt,
      progress.clock_text(left)))
  io.stdout:flush()
  rows[#rows + 1] = { epoch = epoch, train_loss = sum_loss / seen, train_accuracy = sum_correct / seen,
    test_loss = test_loss, test_accuracy = test_acc, seconds = elapsed }
  if o.csv ~= "" then
    require("muonlab.csv").write(o.csv, { "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
      "seconds" }, rows)
  end
end
bar:done()
if data.synthetic then print("note: trained on SYNTHETIC data, not Fashion-MNIST") end
print(("test_accuracy=%.4f"):format(rows[#rows].test_accuracy))
