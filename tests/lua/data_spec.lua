-- ml.load_idx, ml.idx_header, ml.corpus and ml.data: hand-built IDX files (plain and gzipped
-- by the gzip program), the real Fashion-MNIST headers when the Debian package is installed,
-- the synthetic fallback, small text corpora and the fortune splitter.
local ml = require "muonlab"

local tmpdir
local function tmp(name) return tmpdir .. "/" .. name end
local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

setup(function()
  tmpdir = os.tmpname()
  os.remove(tmpdir)
  assert(os.execute("mkdir -p '" .. tmpdir .. "'"))
end)
teardown(function() os.execute("rm -rf '" .. tmpdir .. "'") end)

-- 2 items of 2 x 3 unsigned bytes: magic 00 00 08 03, dims big-endian
local IDX = "\0\0\8\3" .. "\0\0\0\2" .. "\0\0\0\2" .. "\0\0\0\3" .. string.char(0, 1, 2, 3, 4, 255, 10, 20, 30, 40, 50, 60)

describe("load_idx", function()
  it("reads plain and gzipped files into items x elements matrices", function()
    write(tmp("a.idx"), IDX)
    assert(os.execute("gzip -c '" .. tmp("a.idx") .. "' > '" .. tmp("a.idx.gz") .. "'"))
    for _, p in ipairs { tmp("a.idx"), tmp("a.idx.gz") } do
      local X, info = ml.load_idx(p, { scale = 1 / 255 })
      assert.are.same({ 2, 6 }, { X:shape() })
      assert.are.same({ type = "ubyte", dims = { 2, 2, 3 } }, info)
      assert.are.equal(1.0, X:get(1, 6))
      assert.are.equal(60 / 255, X:get(2, 6))
    end
    local Y = ml.load_idx(tmp("a.idx.gz"), { dtype = "float32", limit = 1, shift = -1 })
    assert.are.same({ 1, 6 }, { Y:shape() })
    assert.are.equal("float32", Y:dtype())
    assert.are.equal(254, Y:get(1, 6))
    assert.are.same({ 2, 2, 3 }, ml.idx_header(tmp("a.idx.gz")).dims)
  end)

  it("names the function and the path in its errors", function()
    assert.has_error(function() ml.load_idx(tmp("missing.gz")) end,
      "load_idx: cannot open " .. tmp("missing.gz") .. ": No such file or directory")
    write(tmp("short"), IDX:sub(1, -2))
    assert.has_error(function() ml.load_idx(tmp("short")) end,
      "load_idx: " .. tmp("short") .. ": truncated file (data: 11 of 12 bytes)")
    write(tmp("text"), "hello world, not an idx file")
    local ok, msg = pcall(ml.load_idx, tmp("text"))
    assert.is_false(ok)
    assert.truthy(msg:find("load_idx: " .. tmp("text") .. ": not an IDX file", 1, true))
    assert.has_error(function() ml.load_idx(tmp("text"), { bogus = 1 }) end)
    assert.has_error(function() ml.load_idx(tmp("a.idx"), { limit = -1 }) end)
    ok, msg = pcall(ml.idx_header, tmpdir)
    assert.is_false(ok)
    assert.truthy(msg:find("idx_header: ", 1, true))
  end)
end)

local FM = "/usr/share/datasets/fashion-mnist"
local have_fm = io.open(FM .. "/train-labels-idx1-ubyte.gz", "rb")
if have_fm then have_fm:close() end

describe("Fashion-MNIST", function()
  it("has the published shapes (headers) and labels 0..9, 6000 per class in training", function()
    if not have_fm then pending("dataset-fashion-mnist not installed") return end
    assert.are.same({ 60000, 28, 28 }, ml.idx_header(FM .. "/train-images-idx3-ubyte.gz").dims)
    assert.are.same({ 10000, 28, 28 }, ml.idx_header(FM .. "/t10k-images-idx3-ubyte.gz").dims)
    assert.are.same({ 10000 }, ml.idx_header(FM .. "/t10k-labels-idx1-ubyte.gz").dims)
    local y = ml.load_idx(FM .. "/train-labels-idx1-ubyte.gz")
    local count = {}
    for i = 1, y:rows() do
      local v = y:get(i, 1)
      count[v] = (count[v] or 0) + 1
    end
    for c = 0, 9 do assert.are.equal(6000, count[c]) end
  end)

  it("loads through ml.data with pixels in [0, 1], a prefix with limit_*", function()
    if not have_fm then pending("dataset-fashion-mnist not installed") return end
    local d = ml.data.fashion_mnist { limit_train = 200, limit_test = 100, quiet = true }
    assert.is_false(d.synthetic)
    assert.are.same({ 200, 784 }, { d.train.X:shape() })
    assert.are.same({ 100, 1 }, { d.test.y:shape() })
    assert.are.equal("float64", d.train.X:dtype())   -- the default of every model and data set
    assert.is_true(ml.norm(d.train.X, "max") <= 1 and ml.norm(d.train.X, "max") > 0.99)
    local s = ml.data.fashion_mnist { limit_train = 200, limit_test = 100, quiet = true, standardize = true }
    local n = 200 * 784
    assert.is_true(math.abs(s.train.X:sum() / n) < 1e-4)
    assert.is_true(math.abs(ml.norm(s.train.X) ^ 2 / n - 1) < 1e-4)
  end)

  it("falls back to synthetic data only when the files are absent, and says so", function()
    local d = ml.data.fashion_mnist { dir = tmp("nowhere"), limit_train = 50, limit_test = 20, quiet = true }
    assert.is_true(d.synthetic)
    assert.truthy(d.source:find("SYNTHETIC", 1, true))
    assert.truthy(d.source:find(tmp("nowhere") .. "/train-images-idx3-ubyte.gz is missing", 1, true))
    assert.are.same({ 50, 784 }, { d.train.X:shape() })
    for i = 1, 20 do local v = d.test.y:get(i, 1); assert.is_true(v >= 0 and v <= 9 and v == math.floor(v)) end
    -- present but broken files are an error, not a fallback
    assert(os.execute("mkdir -p '" .. tmp("broken") .. "'"))
    for _, f in ipairs { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
      "t10k-labels-idx1-ubyte.gz" } do write(tmp("broken") .. "/" .. f, "junk") end
    assert.has_error(function() ml.data.fashion_mnist { dir = tmp("broken"), quiet = true } end)
  end)
end)

describe("corpus", function()
  it("loads a file, strips fortune separators on request, slices and decodes", function()
    write(tmp("f.txt"), "Hello\n%\nWorld\n%\n")
    local c = ml.corpus(tmp("f.txt"), { fortune = true })
    assert.are.equal(12, #c)
    assert.are.equal("Hello\nWorld\n", c:text())
    assert.are.equal("\nHWdelor", c:vocab())
    assert.are.equal(8, c:vocab_size())
    local v = c:slice(7, 12)
    assert.are.equal("World\n", v:text())
    assert.are.equal(c:vocab(), v:vocab())
    assert.are.same({ 1, 3 }, c:encode("Hd"))
    assert.are.equal("Hd", c:decode { 1, 3 })
    assert.are.equal("Hello\n%\nWorld\n%\n", ml.corpus(tmp("f.txt")):text())
  end)

  it("fills next-character windows, deterministic with a start, random otherwise", function()
    local c = ml.corpus_string("abcdefgh")
    local X, y = ml.zeros(2, 3), ml.zeros(2, 1)
    c:batch(X, y, 2, 3)   -- windows at positions 2 and 5: "bcd" -> e, "efg" -> h
    assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, X:totable())
    assert.are.same({ { 4 }, { 7 } }, y:totable())
    for _ = 1, 10 do
      c:batch(X, y)
      for r = 1, 2 do assert.are.equal(X:get(r, 1) + 3, y:get(r, 1)) end
    end
    assert.has_error(function() c:batch(X, y, 3, 3) end)
    assert.has_error(function() c:batch(ml.zeros(2, 8), y) end)
  end)

  it("shares a vocabulary between splits and reports bad input", function()
    local a = ml.corpus_string("banana")
    local b = ml.corpus_string("nab", { vocab = a:vocab() })
    assert.are.same({ 2, 0, 1 }, b:encode("nab"))
    assert.has_error(function() ml.corpus_string("cab", { vocab = a:vocab() }) end,
      "corpus_string: byte 99 at position 1 is not in the vocabulary")
    assert.has_error(function() ml.corpus(tmp("none")) end,
      "corpus: cannot open " .. tmp("none") .. ": No such file or directory")
    assert.has_error(function() a:encode("z") end)
    assert.has_error(function() a:decode { 3 } end)
    assert.has_error(function() ml.corpus_string("") end)
  end)

  it("splits fortunes at '%' lines; the fortunes package gives a train/validation split", function()
    assert.are.same({ "a\nb\n", "c\n" }, ml.data._split_fortunes("a\nb\n%\nc\n%\n"))
    assert.are.same({ "x\n", "y\n" }, ml.data._split_fortunes("%\nx\n%\n\n%\ny"))
    local f = io.open("/usr/share/games/fortunes/fortunes", "rb")
    if not f then pending("fortunes not installed") return end
    f:close()
    local train, valid, info = ml.data.fortunes { quiet = true }
    assert.is_true(info.fortunes > 10000 and #train > 2e6 and #valid > 1e5)
    assert.are.equal(train:vocab(), valid:vocab())
    assert.is_nil(train:text(1, 20000):find("\n%\n", 1, true))
  end)
end)

describe("windows (GPT batches)", function()
  -- a text in which every 4-character window is unique, so a window's text names its position
  local function numbered(n)
    local t = {}
    for i = 1, n do t[i] = ("%05d\n"):format(i) end
    return table.concat(t)
  end

  it("fills X and Y (B x T) with contiguous slices, Y shifted by one, seeded", function()
    local text = numbered(300)
    local c = ml.corpus_string(text)
    local w = ml.data.windows(c, 8, 12, { seed = 3 })
    local X, Y = w:next()
    assert.are.same({ 8, 12 }, { X:shape() })
    assert.are.same({ 8, 12 }, { Y:shape() })
    for _ = 1, 20 do
      X, Y = w:next()
      for b = 1, 8 do
        -- the decoded row is a substring of the text, and Y's row is the same substring one further
        local xs = c:decode(X:view(b, 1, 1, 12))
        local ys = c:decode(Y:view(b, 1, 1, 12))
        local at = text:find(xs, 1, true)
        assert.truthy(at, xs)
        assert.are.equal(text:sub(at + 1, at + 12), ys)
      end
    end
    -- the same seed gives the same windows; another seed others; seed() restarts
    local a = ml.data.windows(c, 8, 12, { seed = 3 })
    local b = ml.data.windows(c, 8, 12, { seed = 4 })
    local first = a:next():clone()
    assert.are.same(first:totable(), (ml.data.windows(c, 8, 12, { seed = 3 }):next()):totable())
    assert.are_not.same(first:totable(), (b:next()):totable())
    a:next()
    a:seed(3)
    assert.are.same(first:totable(), (a:next()):totable())
    -- the sampler's generator is its own: the corpus's batch() generator does not move it
    local Xc, yc = ml.zeros(2, 3), ml.zeros(2, 1)
    a:seed(3)
    c:batch(Xc, yc)
    assert.are.same(first:totable(), (a:next()):totable())
    assert.are.equal("float32", ml.data.windows(c, 2, 3, { dtype = "float32" }):next():dtype())
  end)

  it("answers tostring and names the closed matrix when the caller closed X or Y", function()
    -- found by the fuzzer: tostring raised "bad argument #-1 to '__tostring'" once X was closed
    local c = ml.corpus_string(numbered(50))
    for k = 1, 2 do
      local w = ml.data.windows(c, 4, 6)
      local XY = { w:next() }
      XY[k]:close()
      assert.are.equal("muonlab.windows (4 windows of 6 tokens)", tostring(w))
      local ok, err = pcall(w.next, w)
      assert.is_false(ok)
      assert.truthy(err:find("windows:next: the " .. (k == 1 and "input (X)" or "target (Y)")
        .. " matrix it returns has been closed", 1, true), err)
    end
  end)

  it("gives deterministic B x T validation windows through corpus:batch", function()
    local c = ml.corpus_string("abcdefghij")
    local X, Y = ml.zeros(2, 3), ml.zeros(2, 3)
    c:batch(X, Y, 2, 4)   -- windows at 2 and 6: "bcd" -> "cde", "fgh" -> "ghi"
    assert.are.same({ { 1, 2, 3 }, { 5, 6, 7 } }, X:totable())
    assert.are.same({ { 2, 3, 4 }, { 6, 7, 8 } }, Y:totable())
    assert.has_error(function() c:batch(X, ml.zeros(2, 2), 1, 1) end)
  end)

  it("allocates nothing per call", function()
    local c = ml.corpus_string(numbered(100))
    local w = ml.data.windows(c, 16, 32, { seed = 1 })
    local X0, Y0 = w:next()
    collectgarbage()
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 200 do
      local X, Y = w:next()
      assert(rawequal(X, X0) and rawequal(Y, Y0))
    end
    local grown = collectgarbage("count") - before
    collectgarbage("restart")
    -- one new userdata or table per call would add >= 200 * 40 bytes
    assert.is_true(grown < 0.5, ("%.2f KiB"):format(grown))
  end)

  it("reports bad arguments naming the function", function()
    local c = ml.corpus_string("abcdef")
    assert.has_error(function() ml.data.windows("abc", 2, 3) end,
      "bad argument #1 to 'windows' (corpus expected (ml.corpus, ml.data.fortunes, ml.data.text_file), got string)")
    local ok, msg = pcall(ml.data.windows, c, 2, 6)
    assert.is_false(ok)
    assert.truthy(msg:find("bad argument #3 to 'windows' (a window of 6 tokens and its targets need 7 tokens", 1, true), msg)
    ok, msg = pcall(ml.data.windows, c, 0, 3)
    assert.truthy(not ok and msg:find("bad argument #2 to 'windows'", 1, true), msg)
    ok, msg = pcall(function() ml.data.windows(c, 2, 3, { seed = "x" }) end)   -- the core's name, at this line
    assert.is_false(ok)
    assert.matches("^[^:]*data_spec%.lua:%d+: bad argument #4 to 'windows' %(option 'seed': an integer expected, got string%)$", msg)
    ok, msg = pcall(ml.data.windows, c, 2, 3, { sed = 1 })
    assert.truthy(not ok and msg:find("sed", 1, true), msg)
    local w
    do
      local d <close> = ml.corpus_string("abcdef")
      w = ml.data.windows(d, 2, 3)
    end
    assert.has_error(function() w:next() end, "windows:next: the corpus has been freed")
  end)
end)

describe("text_file", function()
  it("splits any text file into training text and a held-out tail at a line start", function()
    local lines = {}
    for i = 1, 200 do lines[i] = ("line %03d of the file\n"):format(i) end
    local text = table.concat(lines)
    write(tmp("book.txt"), text)
    local train, valid, info = ml.data.text_file(tmp("book.txt"), { valid = 0.1, quiet = true })
    assert.are.equal(text, train:text() .. valid:text())
    assert.are.equal(train:vocab(), valid:vocab())
    assert.truthy(valid:text():find("^line %d%d%d of the file\n"), "validation starts at a line start")
    assert.is_true(math.abs(#valid - 0.1 * #text) <= 25, tostring(#valid))
    assert.are.same({ #train, #valid }, { info.train_chars, info.valid_chars })
    -- no validation window overlaps the training text: every line is unique, and the lines of
    -- sampled validation windows are all after the cut
    local cut_line = tonumber(valid:text():match("^line (%d+)"))
    local w = ml.data.windows(valid, 8, 24, { seed = 1 })
    for _ = 1, 10 do
      local X = w:next()
      for b = 1, 8 do
        local s = valid:decode(X:view(b, 1, 1, 24))
        assert.is_nil(train:text():find(s, 1, true), s)
        for n in s:gmatch("line (%d%d%d)") do assert.is_true(tonumber(n) >= cut_line) end
      end
    end
    local all, none = ml.data.text_file(tmp("book.txt"), { valid = 0, quiet = true })
    assert.are.equal(text, all:text())
    assert.is_nil(none)
  end)

  it("reports a missing file and bad options", function()
    assert.has_error(function() ml.data.text_file(tmp("nope.txt"), { quiet = true }) end,
      "text_file: cannot open " .. tmp("nope.txt") .. ": No such file or directory")
    write(tmp("one.txt"), "x")
    assert.has_error(function() ml.data.text_file(tmp("one.txt"), { quiet = true }) end)
    assert.has_error(function() ml.data.text_file(tmp("book.txt"), { valid = 1 }) end)
    assert.has_error(function() ml.data.text_file(tmp("book.txt"), { vaild = 0.1 }) end)
    assert.has_error(function() ml.data.text_file(42) end)
  end)
end)

describe("minibatches", function()
  it("visit every row once per epoch in a seeded order, filling the same matrices", function()
    local X = ml.from_table { { 0 }, { 1 }, { 2 }, { 3 }, { 4 }, { 5 }, { 6 } }
    local y = X:clone()
    local seen, first = {}, nil
    for Xb, yb, s in ml.data.minibatches(X, y, 3, { seed = 5, drop_last = false }) do
      if s == 1 then first = Xb end
      if s < 3 then assert.are.equal(first, Xb) end
      for r = 1, Xb:rows() do
        assert.are.equal(Xb:get(r, 1), yb:get(r, 1))
        seen[#seen + 1] = Xb:get(r, 1)
      end
    end
    table.sort(seen)
    assert.are.same({ 0, 1, 2, 3, 4, 5, 6 }, seen)
    local n = 0
    for _ in ml.data.minibatches(X, y, 3) do n = n + 1 end
    assert.are.equal(2, n)   -- drop_last by default
  end)
end)
