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
function M.synthetic_classes(opts)
  opts = common.check_opts("synthetic_classes", opts, { n_train = true, n_test = true, features = true,
    classes = true, spread = true, noise = true, seed = true, dtype = true })
  local f = common.int("synthetic_classes", opts, "features", 784, 1)
  local K = common.int("synthetic_classes", opts, "classes", 10, 2)
  local spread = common.num("synthetic_classes", opts, "spread", 0.08, 0)
  local noise = common.num("synthetic_classes", opts, "noise", 0.4, 0)
  local seed = common.int("synthetic_classes", opts, "seed", 1)
  local dtype = common.dtype("synthetic_classes", opts)
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
    train = split(common.int("synthetic_classes", opts, "n_train", 60000, 1), seed + 10),
    test = split(common.int("synthetic_classes", opts, "n_test", 10000, 1), seed + 20),
    classes = K, features = f,
  }
end

-- fashion_mnist{dir=, dtype = "float32", standardize = false, limit_train =, limit_test =,
--               synthetic = false (force the fallback), quiet = false, seed = 1 (synthetic data)}
-- -> {train = {X, y}, test = {X, y}, classes = 10, features = 784, source = text, synthetic = bool,
--     mean =, std = (the standardisation applied, if any)}
function M.fashion_mnist(opts)
  local fname = "fashion_mnist"
  opts = common.check_opts(fname, opts, { dir = true, dtype = true, standardize = true, limit_train = true,
    limit_test = true, synthetic = true, quiet = true, seed = true })
  local dir = opts.dir or M.FASHION_MNIST_DIR
  if type(dir) ~= "string" then error("bad argument #1 to 'fashion_mnist' (option 'dir': string expected)", 2) end
  local dtype = common.choice(fname, opts, "dtype", "float32", { "float64", "float32" })
  local lim_tr = common.int(fname, opts, "limit_train", 0, 0)
  local lim_te = common.int(fname, opts, "limit_test", 0, 0)
  local quiet = opts.quiet
  local files = {
    train_X = dir .. "/train-images-idx3-ubyte.gz", train_y = dir .. "/train-labels-idx1-ubyte.gz",
    test_X = dir .. "/t10k-images-idx3-ubyte.gz", test_y = dir .. "/t10k-labels-idx1-ubyte.gz",
  }
  local missing
  for _, k in ipairs { "train_X", "train_y", "test_X", "test_y" } do
    if not exists(files[k]) then missing = files[k]; break end
  end
  local d
  if opts.synthetic or missing then
    local why = opts.synthetic and "requested with synthetic = true"
      or ("%s is missing; install the Debian package dataset-fashion-mnist for the real data"):format(missing)
    d = M.synthetic_classes { n_train = lim_tr > 0 and lim_tr or 60000, n_test = lim_te > 0 and lim_te or 10000,
      seed = common.int(fname, opts, "seed", 1), dtype = dtype }
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
  if opts.standardize then
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

-- fortunes{dir=, valid = 0.1, seed = 1, quiet = false} -> train, valid corpora (shared vocabulary), info
-- Every fortune goes whole to the validation split with probability `valid` (seeded), so
-- both splits draw from every file. The '%' separator lines are removed.
function M.fortunes(opts)
  local fname = "fortunes"
  opts = common.check_opts(fname, opts, { dir = true, valid = true, seed = true, quiet = true })
  local dir = opts.dir or M.FORTUNES_DIR
  if type(dir) ~= "string" then error("bad argument #1 to 'fortunes' (option 'dir': string expected)", 2) end
  local frac = common.num(fname, opts, "valid", 0.1, 0)
  if frac >= 1 then error("bad argument #1 to 'fortunes' (option 'valid' must be in [0, 1))", 2) end
  local seed = common.int(fname, opts, "seed", 1)
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
  say(opts.quiet, ("data: fortunes from %s: %d fortunes, %d + %d characters (train + validation), vocabulary %d")
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
  local ok, w = pcall(corpus.windows, corpus, B, T, opts)
  -- the C function numbers the arguments as this one does; under pcall it cannot know its name
  if not ok then error((tostring(w):gsub("to '%?'", "to 'windows'", 1)), 2) end
  return w
end

-- text_file(path[, {valid = 0.1, quiet = false}]) -> train, valid corpora (shared vocabulary), info.
-- Any text file (or every file of a directory, as ml.corpus reads them) as bytes; the last `valid`
-- fraction of it, starting at a line start, is the validation split, so no validation window
-- overlaps the training text. valid = 0 gives no validation corpus (nil).
function M.text_file(path, opts)
  local fname = "text_file"
  if type(path) ~= "string" then
    error(("bad argument #1 to 'text_file' (path: string expected, got %s)"):format(type(path)), 2)
  end
  opts = common.check_opts(fname, opts, { valid = true, quiet = true })
  local frac = common.num(fname, opts, "valid", 0.1, 0)
  if frac >= 1 then error("bad argument #2 to 'text_file' (option 'valid' must be in [0, 1))", 2) end
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
  say(opts.quiet, ("data: %s: %d + %d characters (train + validation), vocabulary %d")
    :format(path, info.train_chars, info.valid_chars, info.vocab_size))
  return train, valid, info
end

-- minibatches(X, y, batch[, {seed = 1, drop_last = true}]): an iterator over one epoch in a
-- random order, yielding Xb, yb, step. Xb and yb are the same two matrices at every step
-- (filled in place), so a loop allocates nothing per step. The order depends on the seed.
function M.minibatches(X, y, batch, opts)
  local fname = "minibatches"
  common.check_matrix(fname, 1, X, nil, nil, "inputs")
  common.check_labels(fname, 2, y, X:rows())
  if math.type(batch) ~= "integer" or batch < 1 then
    error(("bad argument #3 to 'minibatches' (batch size: positive integer expected, got %s)"):format(tostring(batch)), 2)
  end
  opts = common.check_opts(fname, opts, { seed = true, drop_last = true })
  local n = X:rows()
  local B = math.min(batch, n)
  local perm = core.nn.randperm(n, common.int(fname, opts, "seed", 1))
  local steps = opts.drop_last == false and (n + B - 1) // B or n // B
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
