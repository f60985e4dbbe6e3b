-- muonlab.data (ml.data): the data sets of the optimizer lab.
--
--   local d = ml.data.fashion_mnist{dtype = "float32"}   -- d.train.X (60000 x 784), d.train.y (labels 0..9), d.test
--   local train, valid = ml.data.fortunes{valid = 0.1}   -- corpora of byte ids (ml.corpus)
--   for Xb, yb in ml.data.minibatches(X, y, 128, {seed = 1}) do ... end
--   local w = ml.data.windows(train, 32, 64, {seed = 1}); local X, Y = w:next()   -- GPT batches
--   local train, valid = ml.data.text_file("book.txt", {valid = 0.1})            -- any text
--
-- Fashion-MNIST comes from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist,
-- gzipped IDX files read through zlib by ml.load_idx); pixels are scaled to [0, 1] and, with
-- `standardize`, shifted and scaled by the training set's mean and standard deviation. Only
-- when the package's files are absent does it fall back to a synthetic 10-class problem, and
-- it says so (the returned `synthetic` flag and a message on stdout unless quiet).
local core = require "muonlab.core"
local common = require "muonlab.models.common"
local options = require "muonlab.options"

local M = {}

M.FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
M.FORTUNES_DIR = "/usr/share/games/fortunes"
M.FASHION_MNIST_CLASSES = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
  "Bag", "Ankle boot" }

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function say(quiet, msg)
  if not quiet then io.write(msg, "\n"); io.flush() end
end

-- A synthetic stand-in of the same shape: class k has a random prototype P_k with entries
-- uniform in 0.5 +- spread; an example is its class's prototype plus N(0, noise^2) per entry
-- (not clipped). The defaults (784 features, spread 0.08, noise 0.4) put the class means
-- about 4.6 noise widths apart, so a linear classifier gets roughly 90%, like Fashion-MNIST.
local SYNTHETIC = options.register("synthetic_classes", {
  n_train = { 60000, options.int(1), "training examples" },
  n_test = { 10000, options.int(1), "test examples" },
  features = { 784, options.int(1), "features per example" },
  classes = { 10, options.int(2), "number of classes K" },
  spread = { 0.08, options.num(0), "prototype entries uniform in 0.5 +- spread" },
  noise = { 0.4, options.num(0), "standard deviation of the per-entry noise" },
  seed = { 1, options.int(), "seed" },
  dtype = common.DTYPE,
})

function M.synthetic_classes(opts)
  local o = options.check("synthetic_classes", opts, SYNTHETIC)
  local f, K, spread, noise, seed, dtype = o.features, o.classes, o.spread, o.noise, o.seed, o.dtype
  local P = core.rand(K, f, { seed = seed, lo = 0.5 - spread, hi = 0.5 + spread })
  local function split(n, s)
    local y = core.rand(n, 1, { seed = s, lo = 0, hi = K })
    for i = 1, n do y:set(i, 1, math.floor(y:get(i, 1))) end
    local X = core.zeros(n, f, { dtype = dtype })
    core.nn.gather_rows(X, P, y)
    X:add_(core.randn(n, f, { seed = s + 1, std = noise, dtype = dtype }))
    return { X = X, y = y:astype(dtype) }
  end
  return {
    train = split(o.n_train, seed + 10),
    test = split(o.n_test, seed + 20),
    classes = K, features = f,
  }
end

-- fashion_mnist{...} -> {train = {X = n x 784, y = n x 1 labels 0..9}, test = {X, y}, classes = 10,
--     features = 784, class_names, source = text, synthetic = bool, mean =, std = (if standardized)}
local FASHION = options.register("fashion_mnist", {
  dir = { M.FASHION_MNIST_DIR, "string", "directory of the gzipped IDX files" },
  dtype = common.DTYPE,
  standardize = { false, "boolean", "shift and scale by the training pixels' mean and standard deviation" },
  limit_train = { 0, options.int(0), "first n training images only (0: all 60000)" },
  limit_test = { 0, options.int(0), "first n test images only (0: all 10000)" },
  synthetic = { false, "boolean", "use the synthetic stand-in even when the files exist" },
  quiet = { false, "boolean", "no 'data: ...' line on stdout" },
  seed = { 1, options.int(), "seed of the synthetic stand-in" },
})

function M.fashion_mnist(opts)
  local fname = "fashion_mnist"
  local o = options.check(fname, opts, FASHION)
  local dir, dtype, lim_tr, lim_te, quiet = o.dir, o.dtype, o.limit_train, o.limit_test, o.quiet
  local files = {
    train_X = dir .. "/train-images-idx3-ubyte.gz", train_y = dir .. "/train-labels-idx1-ubyte.gz",
    test_X = dir .. "/t10k-images-idx3-ubyte.gz", test_y = dir .. "/t10k-labels-idx1-ubyte.gz",
  }
  local missing
  for _, k in ipairs { "train_X", "train_y", "test_X", "test_y" } do
    if not exists(files[k]) then missing = files[k]; break end
  end
  local d
  if o.synthetic or missing then
    local why = o.synthetic and "requested with synthetic = true"
      or ("%s is missing; install the Debian package dataset-fashion-mnist for the real data"):format(missing)
    d = M.synthetic_classes { n_train = lim_tr > 0 and lim_tr or 60000, n_test = lim_te > 0 and lim_te or 10000,
      seed = o.seed, dtype = dtype }
    d.synthetic = true
    d.source = "SYNTHETIC 10-class data (not Fashion-MNIST): " .. why
    say(quiet, "data: " .. d.source)
  else
    local function load(k, scale, limit)
      return (core.load_idx(files[k], { dtype = dtype, scale = scale, limit = limit }))
    end
    d = {
      train = { X = load("train_X", 1 / 255, lim_tr), y = load("train_y", 1, lim_tr) },
      test = { X = load("test_X", 1 / 255, lim_te), y = load("test_y", 1, lim_te) },
      classes = 10, features = 784, synthetic = false, class_names = M.FASHION_MNIST_CLASSES,
    }
    if d.train.X:cols() ~= 784 or d.test.X:cols() ~= 784 then
      error(("fashion_mnist: %s holds images of %d pixels, expected 28 x 28"):format(files.train_X, d.train.X:cols()), 2)
    end
    d.source = ("Fashion-MNIST from %s (%d training, %d test images)"):format(dir, d.train.X:rows(), d.test.X:rows())
    say(quiet, "data: " .. d.source)
  end
  if o.standardize then
    -- one mean and standard deviation over all training pixels (a per-pixel one would divide by ~0 at the borders)
    local X = d.train.X
    local n = X:rows() * X:cols()
    local mean = X:sum() / n
    local sq = core.norm(X) ^ 2 / n
    local std = math.sqrt(math.max(sq - mean * mean, 1e-12))
    core.nn.affine_(d.train.X, 1 / std, -mean / std)
    core.nn.affine_(d.test.X, 1 / std, -mean / std)
    d.mean, d.std = mean, std
  end
  return d
end

-- Split text into fortunes at lines that are exactly "%".
local function split_fortunes(text)
  local out, pos = {}, 1
  text = "\n" .. text
  while true do
    local s, e = text:find("\n%\n", pos, true)
    local piece = text:sub(pos, s and s or #text)
    piece = piece:gsub("^\n", "")
    if piece:find("%S") then out[#out + 1] = piece:sub(-1) == "\n" and piece or piece .. "\n" end
    if not s then break end
    pos = e   -- keep the newline that ends the separator as the start of the next piece
  end
  return out
end
M._split_fortunes = split_fortunes

-- fortunes{...} -> train, valid corpora (shared vocabulary; valid nil when empty), info
-- Every fortune goes whole to the validation split with probability `valid` (seeded), so
-- both splits draw from every file. The '%' separator lines are removed.
local FORTUNES = options.register("fortunes", {
  dir = { M.FORTUNES_DIR, "string", "directory of the fortune files" },
  valid = { 0.1, "unit", "fraction of fortunes in the validation split" },
  seed = { 1, options.int(), "seed of the split and of the corpora's batches" },
  quiet = { false, "boolean", "no 'data: ...' line on stdout" },
})

function M.fortunes(opts)
  local o = options.check("fortunes", opts, FORTUNES)
  local dir, frac, seed = o.dir, o.valid, o.seed
  local ok, all = pcall(core.corpus, dir)
  if not ok then
    error(("fortunes: %s (install the Debian package fortunes)"):format(all), 2)
  end
  local pieces = split_fortunes(all:text())
  local u = core.rand(#pieces, 1, { seed = seed })
  local tr, va = {}, {}
  for i, p in ipairs(pieces) do
    if u:get(i, 1) < frac then va[#va + 1] = p else tr[#tr + 1] = p end
  end
  local train_text, valid_text = table.concat(tr), table.concat(va)
  local vocab = core.corpus_string(train_text .. valid_text):vocab()
  local train = core.corpus_string(train_text, { vocab = vocab, seed = seed })
  local valid = #valid_text > 0 and core.corpus_string(valid_text, { vocab = vocab, seed = seed + 1 }) or nil
  local info = { source = dir, fortunes = #pieces, train_fortunes = #tr, valid_fortunes = #va,
    train_chars = #train_text, valid_chars = #valid_text, vocab_size = #vocab }
  say(o.quiet, ("data: fortunes from %s: %d fortunes, %d + %d characters (train + validation), vocabulary %d")
    :format(dir, #pieces, #train_text, #valid_text, #vocab))
  return train, valid, info
end

-- windows(corpus, B, T[, {seed = 1, dtype = "float64"}]) -> a sampler: w:next() -> X, Y, both
-- B x T, X[b,:] = ids[s_b .. s_b+T-1] and Y[b,:] = ids[s_b+1 .. s_b+T] from a start s_b uniform
-- over the corpus (the sampler's own seeded generator); the same two matrices every call, so a
-- training loop allocates nothing. w:seed(s) restarts it. For a validation loss over fixed
-- windows: corpus:batch(X, Y, first, stride) with the same B x T matrices.
function M.windows(corpus, B, T, opts)
  if type(corpus) ~= "userdata" or type(corpus.windows) ~= "function" then
    error(("bad argument #1 to 'windows' (corpus expected (ml.corpus, ml.data.fortunes, ml.data.text_file), got %s)")
      :format(type(corpus)), 2)
  end
  -- under pcall the C method is not called as a method, so it numbers the arguments as this
  -- function does (B is #2) and names itself 'windows' (lauxml.c: mlua_argerror); the error is
  -- raised again at the caller's line
  local ok, w = pcall(corpus.windows, corpus, B, T, opts)
  if not ok then error(w, 2) end
  return w
end

-- text_file(path[, {valid = 0.1, quiet = false}]) -> train, valid corpora (shared vocabulary), info.
-- Any text file (or every file of a directory, as ml.corpus reads them) as bytes; the last `valid`
-- fraction of it, starting at a line start, is the validation split, so no validation window
-- overlaps the training text. valid = 0 gives no validation corpus (nil).
local TEXT_FILE = options.register("text_file", {
  valid = { 0.1, "unit", "fraction at the end of the text kept for validation" },
  quiet = { false, "boolean", "no 'data: ...' line on stdout" },
})

function M.text_file(path, opts)
  local fname = "text_file"
  if type(path) ~= "string" then
    error(("bad argument #1 to 'text_file' (path: string expected, got %s)"):format(type(path)), 2)
  end
  local o = options.check(fname, opts, TEXT_FILE, 2)
  local frac = o.valid
  local ok, all = pcall(core.corpus, path)
  if not ok then error(("text_file: %s"):format(tostring(all):gsub("^corpus: ", "")), 2) end
  local n = all:size()
  local cut = n + 1   -- first validation token
  if frac > 0 then
    local text = all:text()
    cut = math.floor(n * (1 - frac)) + 1
    local nl = text:find("\n", cut - 1, true)   -- start the split at a line start when there is one
    if nl and nl < n then cut = nl + 1 end
  end
  if cut <= 2 then error(("text_file: %s: too short for a split with valid = %g (%d bytes)"):format(path, frac, n), 2) end
  local train = cut > n and all or all:slice(1, cut - 1)
  local valid = cut <= n and all:slice(cut, n, { seed = 2 }) or nil
  local info = { source = path, train_chars = train:size(), valid_chars = valid and valid:size() or 0,
    vocab_size = all:vocab_size() }
  say(o.quiet, ("data: %s: %d + %d characters (train + validation), vocabulary %d")
    :format(path, info.train_chars, info.valid_chars, info.vocab_size))
  return train, valid, info
end

-- minibatches(X, y, batch[, opts]): an iterator over one epoch in a random order, yielding
-- Xb, yb, step. Xb and yb are the same two matrices at every step (filled in place), so a loop
-- allocates nothing per step. The order depends on the seed. The last partial batch is
-- dropped unless drop_last = false (then it comes last, in its own smaller pair of matrices).
local MINIBATCHES = options.register("minibatches", {
  seed = { 1, options.int(), "seed of the epoch's order" },
  drop_last = { true, "boolean", "drop the last partial batch" },
})

function M.minibatches(X, y, batch, opts)
  local fname = "minibatches"
  common.check_matrix(fname, 1, X, nil, nil, "inputs")
  common.check_labels(fname, 2, y, X:rows())
  if math.type(batch) ~= "integer" or batch < 1 then
    error(("bad argument #3 to 'minibatches' (batch size: positive integer expected, got %s)"):format(tostring(batch)), 2)
  end
  local o = options.check(fname, opts, MINIBATCHES, 4)
  local n = X:rows()
  local B = math.min(batch, n)
  local perm = core.nn.randperm(n, o.seed)
  local steps = o.drop_last and n // B or (n + B - 1) // B
  local Xb = core.zeros(B, X:cols(), { dtype = X:dtype() })
  local yb = core.zeros(B, 1, { dtype = y:dtype() })
  local Xl, yl
  local s = 0
  return function()
    s = s + 1
    if s > steps then return nil end
    local first = (s - 1) * B + 1
    local r = math.min(B, n - first + 1)
    local xo, yo = Xb, yb
    if r < B then
      Xl = Xl or core.zeros(r, X:cols(), { dtype = X:dtype() })
      yl = yl or core.zeros(r, 1, { dtype = y:dtype() })
      xo, yo = Xl, yl
    end
    core.nn.gather_rows(xo, X, perm, first)
    core.nn.gather_rows(yo, y, perm, first)
    return xo, yo, s
  end
end

return M
