-- ml.help(topic): signature, every option (type, default, meaning), what it returns and one
-- example; ml.help() lists the topics. The options are never written here: they come from the
-- tables that check the calls (core._optspec() for the C bindings, muonlab.options schemas for
-- the Lua library), so help and behaviour cannot drift (tests/lua/help_spec.lua).
local core = require "muonlab.core"
local options = require "muonlab.options"

local M = {}

-- Per topic: sig (the call), about, returns, example; opts = the name its options are
-- registered under when that differs from the topic; load = a module to require first
-- (Lua-side schemas register when their module loads).
local DOCS = {
  -- ---- creation
  matrix = { sig = "ml.matrix(rows, cols[, fill][, {dtype =}])", about = "A new rows x cols matrix, every entry fill (default 0). Row-major, 1-based.",
    returns = "matrix", example = "local A = ml.matrix(2, 3, 1.5, {dtype = \"float32\"})" },
  zeros = { sig = "ml.zeros(rows, cols[, {dtype =}])", about = "A matrix of zeros.", returns = "matrix", example = "local Z = ml.zeros(4, 4)" },
  ones = { sig = "ml.ones(rows, cols[, {dtype =}])", about = "A matrix of ones.", returns = "matrix", example = "local O = ml.ones(1, 8)" },
  eye = { sig = "ml.eye(n[, m][, {dtype =}])", about = "The n x m identity (ones on the diagonal).", returns = "matrix", example = "local I = ml.eye(3)" },
  from_table = { sig = "ml.from_table(rows[, {dtype =}])", about = "A matrix from a list of rows {{...}, {...}} or a column from a flat list {1, 2, 3}.",
    returns = "matrix", example = "local A = ml.from_table {{1, 2}, {3, 4}}" },
  randn = { sig = "ml.randn(rows, cols[, opts])", about = "Normal entries (xoshiro256**, polar-method normals): the same numbers on every machine.",
    returns = "matrix", example = "local G = ml.randn(256, 1024, {seed = 1})" },
  rand = { sig = "ml.rand(rows, cols[, opts])", about = "Uniform entries in [lo, hi).", returns = "matrix", example = "local U = ml.rand(3, 3, {seed = 2, lo = -1, hi = 1})" },
  seed = { sig = "ml.seed(s)", about = "Reseed the global generator used by randn/rand/orthogonal/spectrum without a seed option (seed 42 at load).",
    returns = "nothing", example = "ml.seed(7)" },
  orthogonal = { sig = "ml.orthogonal(rows, cols[, opts])", about = "Haar-random orthonormal columns (or rows when rows < cols): QR of a Gaussian matrix with the sign fix.",
    returns = "matrix", example = "local Q = ml.orthogonal(64, 16, {seed = 3})" },
  spectrum = { sig = "ml.spectrum(rows, cols[, opts])", about = "U diag(s) V^T with Haar-random U, V and the singular values s the options describe.",
    returns = "matrix", example = "local A = ml.spectrum(256, 1024, {kind = \"geometric\", cond = 1e3, seed = 1})" },
  ismatrix = { sig = "ml.ismatrix(x)", about = "Whether x is a muonlab matrix.", returns = "boolean", example = "assert(ml.ismatrix(ml.eye(2)))" },
  -- ---- products, reductions
  matmul = { sig = "ml.matmul(A, B[, opts])  (A:mm(B))", about = "op(A) op(B) by BLAS gemm (A * B is an error: use matmul).",
    returns = "matrix", example = "local C = ml.matmul(A, B, {tb = true})   -- A B^T" },
  gram = { sig = "ml.gram(A[, opts])", about = "A A^T (or A^T A) by BLAS syrk.", returns = "symmetric matrix", example = "local S = ml.gram(A, {side = \"cols\"})" },
  hadamard = { sig = "ml.hadamard(A, B)", about = "Entrywise product.", returns = "matrix", example = "local H = ml.hadamard(A, B)" },
  norm = { sig = "ml.norm(A[, kind])  (A:norm(kind))", about = "kind \"fro\" (default), \"spectral\" (or 2), \"nuclear\" or \"max\".",
    returns = "number", example = "print(ml.norm(A, \"spectral\"))" },
  trace = { sig = "ml.trace(A)", about = "Sum of the diagonal.", returns = "number", example = "print(ml.trace(ml.eye(3)))   -- 3" },
  dot = { sig = "ml.dot(A, B)", about = "<A, B> = sum_ij A_ij B_ij.", returns = "number", example = "print(ml.dot(A, A) == ml.norm(A)^2)" },
  -- ---- factorisations
  svd = { sig = "ml.svd(A)", about = "Thin SVD by LAPACK gesdd (gesvd as fallback).",
    returns = "U (m x k), s (k x 1, descending), V (n x k), k = min(m, n)", example = "local U, s, V = ml.svd(A)" },
  singular_values = { sig = "ml.singular_values(A)", about = "The singular values only.", returns = "k x 1 matrix, descending", example = "local s = ml.singular_values(A)" },
  rank_tol = { sig = "ml.rank_tol(A)", about = "The default relative rank tolerance max(m, n) eps of A's dtype.", returns = "number", example = "print(ml.rank_tol(A))" },
  polar = { sig = "ml.polar(A[, opts])", about = "The polar factor U_r V_r^T (singular values <= rtol sigma_max map to 0: rank-deficient input gives the partial isometry).",
    returns = "matrix of A's shape", example = "local Q = ml.polar(A, {method = \"eig\"})" },
  spectral = { sig = "ml.spectral(A, p[, opts])", about = "U diag(sigma^p) V^T for any finite p by the SVD (p < 0: on the singular values above rtol sigma_max, the others map to 0), or for p >= 0 by coupled Newton iterations (core/spectral_newton.h).",
    returns = "matrix (and with trace = true a list of {step, err, time}, err against the SVD result)", example = "local R = ml.spectral(G, 0.5, {method = \"newton\", steps = 15})" },
  spectral_map = { sig = "ml.spectral_map(A, f[, opts])", about = "U diag(f(sigma)) V^T for a Lua function f of one singular value, through the eigendecomposition of the short-side Gram matrix (core/gram_eig.h): one syrk, one m x m syevd, one product; sigma has a relative error of about cond^2 eps.",
    returns = "matrix of A's shape", example = "local C = ml.spectral_map(M, function(s) return math.min(s, 1) end)" },
  spectral_clip = { sig = "ml.spectral_clip(A, tau[, opts])", about = "Spectral clipping by the SVD: U diag(min(sigma, tau)) V^T (MuCon), or with soft = true U diag(sigma / sqrt(1 + sigma^2/tau^2)) V^T = (I + A A^T/tau^2)^(-1/2) A (SPECTRA).",
    returns = "matrix of A's shape", example = "local C = ml.spectral_clip(M, 1, {soft = true})" },
  qr = { sig = "ml.qr(A[, opts])", about = "Thin QR, A = Q R with diag(R) >= 0: LAPACK geqrf/orgqr, or the randomised Cholesky-QR of a tall A (Dion's dion.py: sketch N(0, 1/k), k = ceil(oversample n / 128) 128).",
    returns = "Q (m x k, orthonormal columns), R (k x n, upper triangular), k = min(m, n)", example = "local Q, R = ml.qr(A, {method = \"rcholesky\", seed = 1})" },
  -- ---- Newton-Schulz
  ns = { sig = "ml.ns(A[, opts])", about = "Newton-Schulz towards the polar factor: X0 = A / (s ||A||_F + eps) (or the precond's scaling, times s), X <- p(X X^T) X on the short side, one step per schedule entry; s = the schedule's input_scale (polar_express and cans: the run-time safety factor, option safety, default 1.01; else 1).",
    returns = "X (A's shape and dtype); with trace = true also a list of per-step records {step, orth_fro, orth_spec, polar_dist, smin, smax, time} "
      .. "(orth_* = ||X X^T - I|| on the short side; polar_dist = ||X - polar(A)||_F / ||polar(A)||_F, RELATIVE, while ml.polar_distance is absolute; "
      .. "smin, smax the extreme singular values; time seconds) and trace.precond, the record of X0",
    example = "local X, tr = ml.ns(ml.randn(256, 1024, {seed = 1}), {coeffs = \"polar_express\", trace = true})\nprint(tr[#tr].polar_dist)" },
  ns_workspace = { sig = "ml.ns_workspace()", about = "Reusable buffers for ml.ns's workspace option: no allocation after the first call with a shape. ws:allocations(), ws:free() (also <close>).",
    returns = "workspace", example = "local ws <close> = ml.ns_workspace()\nfor i = 1, 100 do ml.ns(G, {workspace = ws}) end" },
  ns_plan = { sig = "ml.ns_plan(opts)  ->  plan:run(out, G)", about = "ml.ns's options fixed once; plan:run writes NS(G) into out (G's shape and dtype, its own storage) allocating nothing after the first call per shape. plan:allocations().",
    returns = "plan", example = "local plan = ml.ns_plan {coeffs = \"jordan\", steps = 5}\nplan:run(O, G)" },
  ns_shape = { sig = "ml.ns_shape(shape[, rule])", about = "rows, cols of the matrix Newton-Schulz sees for a parameter of more than 2 dimensions: \"conv\" (out x in*kh*kw, default), \"last\" ((...) x out) or a function(shape) -> rows, cols.",
    returns = "rows, cols", example = "G:reshape(ml.ns_shape({64, 32, 3, 3}))   -- 64 x 288" },
  coeffs = { sig = "ml.coeffs(name[, opts])", about = "A schedule as per-step coefficient lists {c1, c3, c5, ...} of p(x) = c1 x + c3 x^3 + ... Names: cubic, quintic, septic, jordan, you, polar_express (the published table, or computed when any of l, degree, steps, cushion is given), cans (computed: l, degree, steps); both with safety (default 1.01, Algorithm 1 of arXiv 2505.16932: rows but the last at p(x/safety), and field input_scale = safety, which ml.ns, poly_map and poly_error apply to their input; 1 = bare).",
    returns = "list of per-step lists", example = "local s = ml.coeffs(\"polar_express\", {l = 1e-3, steps = 6})" },
  poly_map = { sig = "ml.poly_map(coeffs, x[, opts])", about = "The composed scalar map of a schedule (a name, list of per-step lists, or one list) at x / input_scale (the schedule's field, default 1); overflow gives inf.",
    returns = "a number, a new list, or a new matrix (elementwise), like x", example = "print(ml.poly_map(\"jordan\", 0.01))" },
  poly_error = { sig = "ml.poly_error(coeffs, l, u[, opts])", about = "max over x in [l, u] of |f(x) - 1| for the composed map f.",
    returns = "number", example = "print(ml.poly_error(\"polar_express\", 1e-3, 1))" },
  orth_error = { sig = "ml.orth_error(X)", about = "||X X^T - I||_F and ||X X^T - I||_2 on the short side, in float64.", returns = "fro, spectral", example = "local f, s = ml.orth_error(X)" },
  polar_distance = { sig = "ml.polar_distance(X, A)", about = "||X - polar(A)||_F, ABSOLUTE (the ns trace's polar_dist is relative).", returns = "number", example = "print(ml.polar_distance(ml.ns(A), A))" },
  muon_update = { sig = "ml.muon_update(theta, grad, B_prev, mu, lr[, opts])", about = "Seed 002's worked Muon step: B_new = mu B_prev + grad, O = scale U_r V_r^T of B_new, theta_new = theta - lr O.",
    returns = "theta_new, B_new, O", example = "local th, B, O = ml.muon_update(theta, grad, B, 0.9, 0.1, {scale = 1})" },
  -- ---- optimizer kernels
  momentum_ = { sig = "ml.momentum_(mu, g, beta[, out, a, b])", about = "In place, one pass: mu = beta mu + (1 - beta) g, then out = a mu + b g with the new mu (Muon's Nesterov look-ahead); bit for bit the two axpby_ calls. NaN/Inf propagate like axpby_; no two arguments may share storage.", returns = "mu (and out)", example = "ml.momentum_(mu, g, 0.95, mhat, 0.95, 0.05)" },
  adam_moments_ = { sig = "ml.adam_moments_(m, v, g, b1, b2)", about = "In place: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2.", returns = "nothing", example = "ml.adam_moments_(m, v, g, 0.9, 0.999)" },
  adam_dir = { sig = "ml.adam_dir(dst, m, v, c1, c2, eps[, q])", about = "dst = (m / c1) / (sqrt(v / c2) + eps)^q (q = 1 default).", returns = "dst", example = "ml.adam_dir(D, m, v, 1 - 0.9^t, 1 - 0.999^t, 1e-8)" },
  -- ---- precision, files, threads, time
  round = { sig = "ml.round(A, format)", about = "Entries rounded to \"bf16\", \"fp16\", \"fp32\" or \"fp64\" (round to nearest even), kept in A's dtype.", returns = "matrix", example = "local B = ml.round(A, \"bf16\")" },
  round_scalar = { sig = "ml.round_scalar(x, format)", about = "A number rounded to the format.", returns = "number", example = "print(ml.round_scalar(1/3, \"fp16\"))" },
  load = { sig = "ml.load(path)", about = "A matrix from .npy (float32/float64, C or Fortran order) or numpy.savetxt text, by extension.", returns = "matrix", example = "local A = ml.load(\"A.npy\")" },
  save = { sig = "ml.save(path, A)", about = "Write .npy (A's dtype) or text, atomically and durably (unique temp file beside the target, fsync, rename, directory fsync); a symbolic link is written through, a FIFO or device refused, the file's mode kept.", returns = "nothing", example = "ml.save(\"A.npy\", A)" },
  write_file = { sig = "ml.write_file(path, data)", about = "Replace path with the string data through the same atomic, durable path as ml.save (muonlab.atomic and muonlab.csv use it).", returns = "nothing", example = "ml.write_file(\"notes.txt\", \"done\\n\")" },
  stage_file = { sig = "ml.stage_file(path[, data])", about = "A unique temporary file beside path holding data (for another program to fill in); commit it with ml.commit_file.", returns = "the temporary's name", example = "local tmp = ml.stage_file(\"fig.png\")" },
  commit_file = { sig = "ml.commit_file(tmp, path)", about = "fsync a staged file, rename it over path (through a symbolic link), fsync the directory.", returns = "nothing", example = "ml.commit_file(tmp, \"fig.png\")" },
  mkdir = { sig = "ml.mkdir(path[, opts])", about = "Create a directory with mkdir(2), no shell (any name is taken literally).", returns = "nothing", example = "ml.mkdir(\"results/run1\", {parents = true})" },
  remove = { sig = "ml.remove(path[, opts])", about = "Remove a file, a symbolic link (never followed) or, with recursive = true, a directory tree, without a shell (rm -rf); a missing path is not an error.", returns = "nothing", example = "ml.remove(\"checkpoints/old\", {recursive = true})" },
  resolve_path = { sig = "ml.resolve_path(path)", about = "path with the symbolic links of its last component followed and its directory canonical: one string per file (the sweep lock is keyed on it).", returns = "string", example = "ml.resolve_path(\"alias.csv\")" },
  load_idx = { sig = "ml.load_idx(path[, opts])", about = "An IDX file (gzipped or not; MNIST format) as items x elements.", returns = "matrix, info {type =, dims =}",
    example = "local X = ml.load_idx(\"/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz\", {scale = 1/255})" },
  idx_header = { sig = "ml.idx_header(path)", about = "An IDX file's header without reading the data.", returns = "{type =, dims =}", example = "print(ml.idx_header(path).dims[1])" },
  corpus = { sig = "ml.corpus(path[, opts])", about = "A text file (or a directory's files) as byte ids 0..V-1. Methods: size(), vocab(), vocab_size(), encode(s), decode(ids), text(), batch(X, y[, first, stride]), windows(B, T[, {seed =, dtype =}]), slice(i, j[, {seed =}]), seed(s).",
    returns = "corpus", example = "local c = ml.corpus(\"/usr/share/games/fortunes\", {fortune = true})" },
  corpus_string = { sig = "ml.corpus_string(text[, opts])", about = "A corpus from a string (methods: see ml.help(\"corpus\")).", returns = "corpus", example = "local c = ml.corpus_string(\"hello world\\n\")" },
  append_line = { sig = "ml.append_line(path, line)", about = "One complete line appended with a single write(2) and fsync (crash-safe results rows).", returns = "nothing", example = "ml.append_line(\"runs.csv\", \"0.1,ok\")" },
  lock_file = { sig = "ml.lock_file(path)", about = "An exclusive lock on path (:unlock(), also on <close> and GC).", returns = "lock, or nil and who holds it", example = "local lk <close> = assert(ml.lock_file(\"runs.csv.lock\"))" },
  set_threads = { sig = "ml.set_threads(n)", about = "Threads of the products and kernels (env ML_THREADS is applied at load). "
    .. "From 2 threads, products of 2^20 to 2^28 multiply-adds are split in blocks between muonlab's own threads, "
    .. "one OpenBLAS thread each (env ML_BLAS_SPLIT=0: OpenBLAS threads them itself).", returns = "the previous count", example = "ml.set_threads(1)" },
  get_threads = { sig = "ml.get_threads()", about = "OpenBLAS threads in use.", returns = "number", example = "print(ml.get_threads())" },
  blas_info = { sig = "ml.blas_info()",
    about = "The OpenBLAS kernels that run. Debian's OpenBLAS picks them by CPU model and falls back to SSE3 "
      .. "(Prescott) kernels on CPUs it does not know; bin/muonlab then re-executes itself with OPENBLAS_CORETYPE "
      .. "set for the CPU's AVX-512 (SkylakeX) or AVX2 (Haswell) kernels, 3-5x faster products. A user's "
      .. "OPENBLAS_CORETYPE is kept. smallmm: the instruction set libxsmm generates the attention's small products "
      .. "for (from CPUID, or LIBXSMM_TARGET: hsw = AVX2, skx = AVX-512).",
    returns = "{ core = running kernels, fallback = OpenBLAS's own choice when the host replaced it (else nil), "
      .. "better = kernels this CPU could run when the running ones are a fallback (else nil), threads = count, "
      .. "smallmm = libxsmm's target }",
    example = "local b = ml.blas_info(); print(b.core, b.fallback, b.better)" },
  now = { sig = "ml.now()", about = "Monotonic seconds.", returns = "number", example = "local t0 = ml.now(); ml.svd(A); print(ml.now() - t0)" },
  -- ---- Lua library
  plot = { sig = "ml.plot(opts)", load = "muonlab.plot", about = "A gnuplot figure: <stem>.png/.svg with <stem>.dat and <stem>.gp (re-render with `gnuplot <stem>.gp`), every file written atomically. Panels: layout = {rows, cols}, panels = {...}.",
    returns = "the paths written (images, then .dat, .gp; also as fields png, svg, dat, gp); with terminal = \"dumb\" also the ASCII plot",
    example = "ml.plot {output = \"plots/loss.png\", logy = true, xlabel = \"step\",\n  series = {{y = losses, title = \"muon\"}, {y = losses2, title = \"adamw\", with = \"points\"}}}" },
  sweep = { sig = "ml.sweep(opts)", load = "muonlab.sweep", about = "A resumable, shardable sweep: one durable CSV row per configuration of the grid (README \"Sweeps\").",
    returns = "the rows' path", example = "ml.sweep {out = \"results/lr.csv\", grid = {lr = {1e-3, 1e-2}, seed = {1, 2}},\n  run = function(cfg) return {loss = train(cfg)} end}" },
  csv = { sig = "require(\"muonlab.csv\").write(path, columns, rows) / .read(path)", load = "muonlab.csv", about = "The one CSV dialect: RFC 4180 quoting (commas, quotes, CR/LF, edge spaces quoted; quoted fields may span lines; CRLF read as LF); integers as integers, floats as the shortest %.15g/%.16g/%.17g that reads back exactly; written atomically; read converts numbers back.",
    returns = "read: columns, rows (tables keyed by column)", example = "local csv = require \"muonlab.csv\"\ncsv.write(\"r.csv\", {\"lr\", \"loss\"}, {{lr = 0.1, loss = 2.3}})" },
  show = { sig = "ml.show(A[, opts])", about = "Print a matrix as an aligned table (print(A) and the REPL use the defaults); larger matrices show their first and last edge rows/columns around ...",
    returns = "nothing", example = "ml.show(ml.randn(100, 100, {seed = 1}), {digits = 2})" },
  checkpoint = { sig = "ml.checkpoint.save(dir, t) / ml.checkpoint.load(dir)", about = "A folder of .npy files (every matrix of t, dtype kept) and state.lua (numbers incl. NaN/inf, strings, booleans, nested tables), written atomically.",
    returns = "load: the table t", example = "ml.checkpoint.save(\"ckpt\", {step = 10, params = model:params(), opt = opt:state_dict()})" },
  help = { sig = "ml.help([topic])", about = "This text; without a topic the list of topics.", returns = "the text (also printed)", example = "ml.help(\"ns\")" },
  matrix_methods = { sig = "ml.matrix_methods()", about = "The names of every matrix method.", returns = "sorted list of strings", example = "print(table.concat(ml.matrix_methods(), \" \"))" },
  nn = { sig = "ml.nn.<kernel>(...)", about = "Layer kernels the models use, allocation-free into given outputs (core/nn.h): linear_forward/backward, relu_/gelu_ forward/backward, softmax, softmax_ce, embed_forward/backward, gemm, gather_rows, randperm, affine_, bias_add/backward, argmax, count_correct.",
    returns = "see core/nn.h", example = "ml.nn.linear_forward(Z, X, W, b)   -- Z = X W^T + b" },
  -- ---- topics that are not functions
  methods = { sig = "A:method(...)", about = "Matrix methods. Access: shape, rows, cols, numel, get, set, totable, flat, dtype. Copies and views: t, clone, astype, reshape, view, close. "
      .. "In place (return A): add_(B[, alpha]), axpby_(a, X, b, Y), scale_, mul_, fill, copy_, clip_(lo, hi), sign_, abs_, sqrt_, log1p_, pow_(p[, shift]), cosh_([a]), natural_() (nearest power of two), topk_(k[, work]) (keep the k largest |A_ij|), scale_rows_(v), scale_cols_(v). "
      .. "Reductions: sum, norm, dot, trace, gram, mm, isfinite, median([work]), quantile(q[, work]) (linear interpolation), row_/col_ sums, means, sumsq, meansq ([out]). Operators: A + B, A - B, -A, A * s, s * A, A / s.",
    returns = "see each", example = "local r, c = A:shape(); A:scale_(0.5):add_(B)" },
  param_info = { sig = "model:param_info()", about = "One entry per parameter, in params() order: {name = \"W1\", kind = \"matrix\" | \"head\" | \"embedding\" | \"bias\", shape = {rows, cols}}. "
      .. "Kinds: \"matrix\" a hidden weight (out x in), \"head\" the output layer, \"embedding\" a lookup table, \"bias\" a 1 x out row. Selectors of ml.optim.group (params = \"matrix\" or {\"head\", \"bias\"}), "
      .. "muon_adamw (choose =) and the steepest family take it as info =.",
    returns = "list of tables", example = "local opt = ml.optim.group {info = model:param_info(),\n  {params = \"matrix\", opt = ml.optim.muon{}}, {params = {\"head\", \"bias\"}, opt = ml.optim.adamw{}}}" },
  optimizer = { sig = "opt:step(params, grads[, loss]); opt:state_dict(); opt:load_state_dict(t); opt:set(key, value)", about = "The optimizer protocol (lua/muonlab/optim/base.lua): params and grads are arrays of matrices in the same order (params updated in place); loss is needed by the Momo variants. "
      .. "Write one with base.class{name =, spec = {option = {default, check, doc}}, init_state = function(self, i, p), update = function(self, params, grads, loss)}; README \"Writing an optimizer and a model\".",
    returns = "step returns loss", example = "local opt = ml.optim.muon{lr = 0.02}\nopt:step(model:params(), grads, loss)" },
  model = { sig = "model:params(), :grads(), :param_info(), :loss_grad(...), :loss(...), :evaluate(...), :state(), :set_state(s)", about = "The model protocol (lua/muonlab/models/common.lua): loss_grad returns the loss and the grads list, filled in place (buffers reused: no allocation per step). "
      .. "W is out x in for every model; a minibatch is B x n; labels 0-based in a B x 1 matrix.",
    returns = "see each", example = "local loss, grads = model:loss_grad(X, y)" },
}

-- optimizers, models and data loaders: topic "optim.<name>" etc.
local OPTIM = {
  sgd = "SGD with momentum, dampening, Nesterov (torch.optim.SGD).",
  adamw = "AdamW (torch.optim.AdamW): decoupled weight decay, bias-corrected moments.",
  muon = "Muon (optax's scale_by_muon): momentum, Nesterov, NS orthogonalisation, shape factor, decoupled weight decay.",
  muon_adamw = "Muon for the hidden matrices, AdamW for the rest (KellerJordan/Muon's MuonWithAuxAdam); not the steepest preset muonadam.",
  muonclip = "MuonClip (Kimi K2, arXiv 2507.20534): Muon with Moonlight's 0.2 sqrt(max(m, n)) scale, decoupled weight decay and QK-Clip after every update (model = a model with qk_clip, e.g. ml.models.gpt).",
  group = "Different optimizers for different parameters: ml.optim.group{info =, {params = selector, opt = optimizer, blocks = {rows = r}, name =, optional =}, ...}; see ml.help(\"param_info\") for selectors.",
  trasmuon = "TrasMuon (seed 000): Muon with RMS calibration, row scaling and column energy damping.",
  normuon = "NorMuon (arXiv 2510.05491 Alg. 1): Muon with a row-wise second moment.",
  adago = "AdaGO (arXiv 2509.02981): Muon's direction with an AdaGrad-norm step size.",
  spectral = "U Sigma^p V^T of the momentum or of Adam's direction (seed 001).",
  steepest = "The steepest-descent family of seed 003: spectral norm on matrices, a backup norm on the rest, max / l2 / hybrid outer norm, Momo step sizes.",
  torch_muon = "torch.optim.Muon's exact rule and defaults (PyTorch >= 2.9): lerp momentum, Nesterov without bias correction, adjust_lr_fn \"original\" / \"match_rms_adamw\".",
  adamuon = "AdaMuon (Chongjie-Si/AdaMuon): NS of sign(momentum), an elementwise second moment of O, RMS-matched to 0.2 sqrt(mn); variant \"v1\" the July 2025 rule.",
  root = "ROOT (huawei-noah): Nesterov momentum clipped at its 0.9-quantile, NS with per-shape coefficients (or a computed per-shape schedule), 0.2 sqrt(max(m, n)) scale.",
  auon = "AuON: no orthogonalisation, the Frobenius-normalised momentum divided by the RMS of cosh (the draft's rule); ns_steps > 0 the hybrid.",
  kaon = "Kaon (arXiv 2605.11181): X <- 4.1 (I - X X^T)^2 X for T steps from the normalised momentum, then / 1.175.",
  freon = "Freon (arXiv 2605.11181): Schatten-q steepest descent, U (S/||M||_Sq)^(q-1) V^T, q < 1 by default (exact, by the SVD).",
  spectral_clip = "Spectral clipping of the momentum: U min(S, tau) V^T (MuCon) or the soft clip (SPECTRA).",
  conda = "Conda: Adam in the momentum's SVD basis, refreshed every update_interval steps.",
  dion = "Dion (microsoft/dion): low-rank power iteration with error feedback, column normalisation, sqrt(d_out/d_in) scale; QR by Householder or randomised Cholesky-QR.",
  dion2 = "Dion2: NS on the top fraction of rows (or columns) of the momentum by l1 norm, error-feedback decay on them.",
  muon_mvr = "Muon with momentum variance reduction (MVR-1 / MVR-2): two gradients per step. opt:step(params, closure) with closure() -> loss, grads at the current params (one minibatch), or opt:step(params, grads, loss, prev_grads) with prev_grads taken at opt:previous().",
  ef21_muon = "EF21-Muon with n simulated workers and compressed messages (top-k, rank-k, natural; either direction): opt:step(params, worker_grad) with worker_grad(j) -> loss, grads at the current params; opt:bits() the bits sent.",
}
local MODELS = {
  mlp = { "ml.models.mlp(opts)", "MLP classifier: Linear -> act -> ... -> Linear -> softmax cross-entropy. params() = {W1, b1, ..., WL, bL}; W_l is out x in.",
    "model; model:loss_grad(X, y) -> loss, grads, correct; model:evaluate(X, y[, {batch =}]) -> mean loss, accuracy", "local m = ml.models.mlp {sizes = {784, 128, 10}}" },
  char_mlp = { "ml.models.char_mlp(opts)", "Character-level MLP language model over a context window (Bengio et al. 2003).",
    "model; loss_grad(X, y) with X B x T ids; evaluate(corpus[, {batch =, stride =, max_windows =}]) -> nats/char, accuracy; sample(corpus, n[, {seed =, prompt =, temperature =}])",
    "local m = ml.models.char_mlp {vocab = corpus:vocab_size()}" },
  least_squares = { "ml.models.least_squares(opts)", "f(W) = 1/(2n) ||A W^T - B||_F^2 with W m x d (out x in) and a closed-form optimum.",
    "model; loss_grad() -> f, {dW}; optimum() -> f*, W*; fields f_star, W_true, A, B", "local p = ml.models.least_squares {cond = 1e3}\nlocal f, g = p:loss_grad(); print(f - p.f_star)" },
  gpt = { "ml.models.gpt(opts)", "A GPT in llm.c's GPT-2 layout (LayerNorm or RMSNorm, GELU or ReLU^2, tied or untied head) on the C kernels.",
    "model; loss_grad(X, Y) with X, Y B x T token ids (Y = X shifted by one); max_logits([out]); qk_clip(tau); generate(prompt, n[, {temperature =, seed =}])",
    "local m = ml.models.gpt {vocab = 96, context = 64, layers = 2, heads = 4, embed = 128}" },
  lowrank = { "ml.models.lowrank(opts)", "Matrix factorisation 1/2 ||U V^T - M*||_F^2 (U m x k, V n x k).",
    "model; loss_grad() -> f, {dU, dV}; recovery_error()", "local p = ml.models.lowrank {m = 30, n = 20, rank = 3}" },
  sensing = { "ml.models.sensing(opts)", "Matrix sensing from Gaussian linear measurements y_i = <A_i, M*>.",
    "model; loss_grad() -> f, {dU, dV}; recovery_error()", "local p = ml.models.sensing {m = 20, n = 15, rank = 2}" },
  linear_attention = { "ml.models.linear_attention(opts)", "In-context linear regression with one linear-attention layer: yhat = e^T W_PV H W_KQ z_q, H = (1/N) sum_i z_i z_i^T over tokens z_i = (x_i, w^T x_i), a fresh w per sequence, x ~ N(0, Sigma) with cond(Sigma) = cond; full batch over a fixed set of sequences.",
    "model; loss_grad() -> f, {dW_KQ, dW_PV}; reference() -> the training loss of the one-step predictor with a least-squares-fitted preconditioner (A_star)", "local m = ml.models.linear_attention {d = 8, context = 32, cond = 10}\nlocal f, g = m:loss_grad()" },
}
local DATA = {
  fashion_mnist = { "ml.data.fashion_mnist(opts)", "Fashion-MNIST from Debian's dataset-fashion-mnist (a synthetic 10-class stand-in only when the files are absent, announced and flagged).",
    "{train = {X = n x 784 (pixels in [0, 1]), y = n x 1 labels 0..9}, test = {X, y}, classes = 10, features = 784, class_names, source, synthetic, mean, std}",
    "local d = ml.data.fashion_mnist {limit_train = 10000}\nprint(d.train.X:shape())   -- 10000 784" },
  fortunes = { "ml.data.fortunes(opts)", "The fortunes corpus split into training and validation by whole fortunes (seeded).",
    "train, valid corpora (shared vocabulary; valid nil when empty), info", "local train, valid = ml.data.fortunes {valid = 0.1}" },
  minibatches = { "ml.data.minibatches(X, y, batch[, opts])", "An ITERATOR over one epoch in a seeded random order; Xb, yb are the same two matrices every step (no allocation). The last partial batch is DROPPED unless drop_last = false.",
    "for Xb, yb, step in ... do", "for Xb, yb in ml.data.minibatches(d.train.X, d.train.y, 128, {seed = 1}) do\n  local loss, grads = model:loss_grad(Xb, yb)\nend" },
  synthetic_classes = { "ml.data.synthetic_classes(opts)", "A synthetic K-class problem: class prototypes plus Gaussian noise.",
    "{train = {X, y}, test = {X, y}, classes, features}", "local d = ml.data.synthetic_classes {n_train = 1000}" },
  text_file = { "ml.data.text_file(path[, opts])", "Any text as bytes; the last `valid` fraction (from a line start) is the validation split.",
    "train, valid corpora, info", "local tr, va = ml.data.text_file(\"book.txt\", {valid = 0.1})" },
  windows = { "ml.data.windows(corpus, B, T[, {seed =, dtype =}])", "A sampler of B random windows of T tokens: w:next() -> X, Y (Y = X shifted by one).",
    "sampler", "local w = ml.data.windows(train, 32, 64)\nlocal X, Y = w:next()" },
}

local LOADS = { optim = "muonlab.optim", models = "muonlab.models", data = "muonlab.data" }

-- The option rows of a topic: {name, type, default, doc} from the C spec or the Lua schema.
local function option_rows(topic, qualified)
  local rows = {}
  local cspec = core._optspec()[topic]
  if cspec and not qualified then
    for _, o in ipairs(cspec) do rows[#rows + 1] = { o.name, o.type, o.default, o.doc } end
    return rows
  end
  local schema = options.schemas[topic]
  if not schema then return nil end
  for _, k in ipairs(options.names(schema)) do
    local e = schema[k]
    local def = e.show or (e[1] == nil and (e.required and "required" or "none")) or options.fmt(e[1])
    if type(e[1]) == "table" and not e.show then def = "{}" end
    rows[#rows + 1] = { k, options.what(e), def, e[3] or "" }
  end
  return rows
end

local function render(title, d, rows)
  local out = { title, "  " .. d.about }
  if rows and #rows > 0 then
    out[#out + 1] = "options:"
    for _, r in ipairs(rows) do
      out[#out + 1] = ("  %-14s %s; default %s"):format(r[1], r[2], r[3])
      if r[4] ~= "" then out[#out + 1] = "                 " .. r[4] end
    end
  end
  out[#out + 1] = "returns: " .. d.returns
  out[#out + 1] = "example:"
  for line in (d.example .. "\n"):gmatch("(.-)\n") do out[#out + 1] = "  " .. line end
  return table.concat(out, "\n")
end

-- The options of the methods registered as "<name>:<method>" (model:evaluate, corpus:windows).
local function method_sections(name)
  local found = {}
  for key in pairs(core._optspec()) do if key:find(name .. ":", 1, true) == 1 then found[key] = false end end
  for key in pairs(options.schemas) do if key:find(name .. ":", 1, true) == 1 then found[key] = true end end
  local keys = {}
  for k in pairs(found) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for _, key in ipairs(keys) do
    out[#out + 1] = ("\n%s options:"):format(key)
    for _, r in ipairs(option_rows(key, found[key])) do
      out[#out + 1] = ("\n  %-14s %s; default %s; %s"):format(r[1], r[2], r[3], r[4])
    end
  end
  return table.concat(out)
end

local function optim_doc(name)
  local ml = require "muonlab"
  local ok = type(rawget(ml.optim, name)) == "function"
  if not ok then return nil end
  local steepest = require "muonlab.optim.steepest"
  local about = OPTIM[name] or (steepest.presets[name] and ("Preset of steepest (seed 003's grid point; grid fields fixed): "
    .. table.concat((function()
      local t = {}
      for k, v in pairs(steepest.presets[name][1]) do t[#t + 1] = k .. " = " .. tostring(v) end
      table.sort(t)
      return t
    end)(), ", ") .. "."))
  return { sig = ("ml.optim.%s(opts)"):format(name), about = about .. " Equations and sources: lua/muonlab/optim/README.md; protocol: ml.help(\"optimizer\").",
    returns = "optimizer (opt:step(params, grads[, loss]), state_dict, load_state_dict, set)",
    example = name == "group" and "ml.optim.group {info = model:param_info(), {params = \"matrix\", opt = ml.optim.muon{}},\n  {params = {\"head\", \"bias\"}, opt = ml.optim.adamw{}}}"
      or ("local opt = ml.optim.%s {}\nopt:step(model:params(), grads, loss)"):format(name) }
end

-- The full text of a topic, or nil.
function M.text(topic)
  local ml = require "muonlab"
  local group, name = topic:match("^(%a+)%.([%w_]+)$")
  if group and LOADS[group] then
    require(LOADS[group])
    local tbl = ml[group]
    if group == "optim" then
      local d = optim_doc(name)
      return d and render(d.sig, d, option_rows(name, true)) .. method_sections(name)
    end
    local src = group == "models" and MODELS or DATA
    local e = src[name]
    if not e or tbl[name] == nil then return nil end
    local _ = tbl[name]   -- loads the module, which registers its schema
    local d = { sig = e[1], about = e[2], returns = e[3], example = e[4] }
    return render(e[1], d, option_rows(name, true)) .. method_sections(name)
  end
  local d = DOCS[topic]
  if d then
    if d.load then require(d.load) end
    return render(d.sig, d, option_rows(topic, false) or option_rows(topic, true)) .. method_sections(topic)
  end
  -- a bare optimizer, model or data name
  for g, src in pairs { optim = OPTIM, models = MODELS, data = DATA } do
    if src[topic] or (g == "optim" and require("muonlab.optim.steepest").presets[topic]) then return M.text(g .. "." .. topic) end
  end
end

-- Every topic, grouped.
function M.topics()
  local ml = require "muonlab"
  local fns, other = {}, {}
  for k, d in pairs(DOCS) do
    if k ~= "methods" and k ~= "param_info" and k ~= "optimizer" and k ~= "model" and k ~= "csv" then fns[#fns + 1] = k else other[#other + 1] = k end
  end
  table.sort(fns)
  table.sort(other)
  local optim = {}
  for _, n in ipairs(ml.optim.names()) do optim[#optim + 1] = "optim." .. n end
  local models, data = {}, {}
  for k in pairs(MODELS) do models[#models + 1] = "models." .. k end
  for k in pairs(DATA) do data[#data + 1] = "data." .. k end
  table.sort(models)
  table.sort(data)
  return { functions = fns, optim = optim, models = models, data = data, other = other }
end

function M.help(topic)
  local text
  if topic == nil then
    local t = M.topics()
    text = table.concat({
      "muonlab " .. require("muonlab").version .. ": ml.help(\"topic\") for any of",
      "functions: " .. table.concat(t.functions, ", "),
      "optimizers: " .. table.concat(t.optim, ", "),
      "models: " .. table.concat(t.models, ", "),
      "data: " .. table.concat(t.data, ", "),
      "more: " .. table.concat(t.other, ", ") .. " (methods: the matrix methods; optimizer, model: the protocols)",
    }, "\n")
  else
    if type(topic) ~= "string" then options.fail("help", 1, "string expected, got " .. type(topic), 2) end
    text = M.text(topic)
    if not text then
      local known = {}
      for k in pairs(DOCS) do known[k] = true end
      for k in pairs(OPTIM) do known[k] = true end
      local best = options.suggest(topic, known)
      options.fail("help", 1, ("no topic '%s'%s (ml.help() lists them)"):format(topic, best and (" (did you mean '" .. best .. "'?)") or ""), 2)
    end
  end
  print(text)
  return text
end

M.DOCS, M.MODELS, M.DATA, M.OPTIM = DOCS, MODELS, DATA, OPTIM
return M
