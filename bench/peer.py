"""numpy / scipy / PyTorch side of the muonlab benchmark (bench/run.lua drives it).

Run by Debian's /usr/bin/python3 (python3-numpy, python3-scipy, python3-torch). Reads one JSON
command per line on stdin and answers one line on stdout, so numpy and torch stay warm and the
driver can alternate muonlab, numpy and torch runs inside one session:

    {"op": "load", "name": "G", "path": "/tmp/.../G.npy"}         -> ok
    {"op": "ns", "impl": "numpy"|"torch", "name": "G", "steps": 5, "keep": "R"}
                                                                  -> ok <seconds>
    {"op": "polar", "impl": "numpy_svd"|"scipy", "name": "G", "keep": "R"}
                                                                  -> ok <seconds>
    {"op": "matmul", "impl": "numpy"|"torch", "name": "A"}        -> ok <seconds>   (A @ A)
    {"op": "diff", "a": "R1", "b": "R2"}                          -> ok <max |R1 - R2|>
    {"op": "gpt_init", "dir": "...", "dtype": "float32", "vocab": V, "context": P, "layers": L,
     "heads": H, "embed": C}                                      -> ok <loss of the first forward>
    {"op": "gpt_step", "optim": 0|1}                              -> ok <seconds>
    {"op": "threads", "n": 2}                                     -> ok
    {"op": "save", "name": "R", "path": "..."}                    -> ok
    {"op": "drop", "name": "R"}                                   -> ok
    {"op": "fm_epoch", "threads": 2, "batch": 128, "hidden": 256, "seed": 1}
                                                                  -> ok <seconds> <test accuracy>
    {"op": "gpt_steps", "threads": 2, "steps": 20, ...}            -> ok <seconds per step>
    {"op": "info"}                                                -> ok <text>
    {"op": "quit"}

Errors answer "err <message>". Only the computation itself is timed (time.perf_counter);
loading, conversion and saving are not.
"""
import json
import sys
import time

import numpy as np
import scipy
import scipy.linalg
import torch

JORDAN = (3.4445, -4.7750, 2.0315)   # Muon's quintic coefficients (Keller Jordan)


def ns_numpy(G, steps=5, eps=1e-7):
    """The straightforward numpy version of Muon's iteration. numpy's matmul recognises
    X @ X.T and calls syrk, so a step spends 3 m^2 n + 2 m^3 flops, not 4 m^2 n + 2 m^3."""
    a, b, c = JORDAN
    X = G / (np.linalg.norm(G) + eps)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.T if tall else X


def ns_torch(G, steps=5, eps=1e-7):
    """The same code in PyTorch (the Muon reference implementation, without the bf16 cast);
    torch.mm always calls gemm: 4 m^2 n + 2 m^3 flops per step."""
    a, b, c = JORDAN
    X = G / (G.norm() + eps)
    tall = G.size(0) > G.size(1)
    if tall:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.T if tall else X


class Block(torch.nn.Module):
    """One GPT-2 block written as nanoGPT writes it (the manual attention path: torch 1.13 has
    no scaled_dot_product_attention)."""

    def __init__(self, C, H):
        super().__init__()
        nn = torch.nn
        self.H = H
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.mproj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x, mask):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / (C // self.H) ** 0.5)
        att = torch.softmax(att.masked_fill(~mask[:T, :T], float("-inf")), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, C))
        return x + self.mproj(torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(torch.nn.Module):
    """GPT-2 layout (ROUND2.md), tied head: the model ml.models.gpt builds."""

    def __init__(self, V, P, L, H, C):
        super().__init__()
        self.wte, self.wpe = torch.nn.Embedding(V, C), torch.nn.Embedding(P, C)
        self.h = torch.nn.ModuleList(Block(C, H) for _ in range(L))
        self.lnf = torch.nn.LayerNorm(C)
        self.register_buffer("mask", torch.tril(torch.ones(P, P, dtype=torch.bool)))

    def forward(self, X, Y):
        T = X.shape[1]
        x = self.wte(X) + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x, self.mask)
        logits = self.lnf(x) @ self.wte.weight.T
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))

    # muonlab's parameter names -> this module's tensors
    def named_like_muonlab(self):
        out = {"wte": self.wte.weight, "wpe": self.wpe.weight, "lnf.w": self.lnf.weight, "lnf.b": self.lnf.bias}
        for l, b in enumerate(self.h, 1):
            for ours, mod in (("ln1", b.ln1), ("attn.qkv", b.qkv), ("attn.proj", b.proj), ("ln2", b.ln2),
                              ("mlp.fc", b.fc), ("mlp.proj", b.mproj)):
                out["h.%d.%s.w" % (l, ours)], out["h.%d.%s.b" % (l, ours)] = mod.weight, mod.bias
        return out


class Muon(torch.optim.Optimizer):
    """KellerJordan/Muon (momentum 0.95, Nesterov, 5 quintic Newton-Schulz steps, scale
    sqrt(max(1, rows/cols))), in the parameters' own precision instead of bfloat16."""

    def __init__(self, params, lr=0.02, momentum=0.95):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if "buf" not in state:
                    state["buf"] = torch.zeros_like(p)
                buf = state["buf"]
                buf.lerp_(p.grad, 1 - group["momentum"])
                g = p.grad.lerp(buf, group["momentum"])
                O = ns_torch(g, 5)
                p.add_(O, alpha=-group["lr"] * max(1, p.size(0) / p.size(1)) ** 0.5)


def polar_numpy_svd(G):
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    return U @ Vt


def polar_scipy(G):
    # side="left" makes the unused positive factor P m x m (the short side) instead of n x n.
    U, _ = scipy.linalg.polar(G, side="left" if G.shape[0] <= G.shape[1] else "right")
    return U


# ---- training rows: the same model and optimizer as muonlab's experiments ----

FASHION = "/usr/share/datasets/fashion-mnist"


def load_idx(name):
    import gzip
    with gzip.open("%s/%s" % (FASHION, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def ns_muon(G, steps=5, eps=1e-8):
    """Muon's orthogonalization as muonlab's ml.optim.muon runs it: Jordan's 5 steps, X_0 =
    G / (||G||_F + eps), on the short side."""
    return ns_torch(G, steps, eps)


class TorchMuon:
    """ml.optim.muon with its defaults (optax's nesterov form with bias correction, beta 0.95,
    lr 0.02, scale sqrt(max(1, rows/cols)), no weight decay), for 2-D parameters."""

    def __init__(self, params, lr=0.02, beta=0.95):
        self.params, self.lr, self.beta, self.t = list(params), lr, beta, 0
        self.mu = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        self.t += 1
        b, t = self.beta, self.t
        for p, mu in zip(self.params, self.mu):
            g = p.grad
            mu.mul_(b).add_(g, alpha=1 - b)
            mhat = mu * (b / (1 - b ** (t + 1))) + g * ((1 - b) / (1 - b ** t))
            O = ns_muon(mhat)
            s = max(1.0, p.shape[0] / p.shape[1]) ** 0.5
            p.add_(O, alpha=-self.lr * s)


def fm_epoch(threads, batch=128, hidden=256, seed=1):
    """One Fashion-MNIST epoch of experiments/fashion_mnist.lua --optimizer muon in PyTorch: MLP
    784-hidden-10 (ReLU, He init, zero biases), Muon on the hidden matrix, AdamW (lr 1e-3,
    weight decay 1e-2) on the head and biases, fp32, drop_last batches in a seeded random order.
    Timed: the training steps and the test evaluation (as the experiment's epoch line)."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    Xtr = torch.from_numpy(load_idx("train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    ytr = torch.from_numpy(load_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    Xte = torch.from_numpy(load_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    yte = torch.from_numpy(load_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    W1 = torch.randn(hidden, 784) * (2.0 / 784) ** 0.5
    W2 = torch.randn(10, hidden) * (1.0 / hidden) ** 0.5
    b1, b2 = torch.zeros(hidden), torch.zeros(10)
    for q in (W1, W2, b1, b2):
        q.requires_grad_(True)
    muon = TorchMuon([W1])
    adam = torch.optim.AdamW([W2, b1, b2], lr=1e-3, weight_decay=1e-2)
    n = Xtr.shape[0]
    perm = torch.randperm(n)
    t0 = time.perf_counter()
    for k in range(n // batch):
        idx = perm[k * batch:(k + 1) * batch]
        xb, yb = Xtr[idx], ytr[idx]
        loss = torch.nn.functional.cross_entropy(torch.relu(xb @ W1.T + b1) @ W2.T + b2, yb)
        for g in (W1.grad, W2.grad, b1.grad, b2.grad):
            if g is not None:
                g.zero_()
        loss.backward()
        muon.step()
        adam.step()
    with torch.no_grad():
        acc = (torch.relu(Xte @ W1.T + b1) @ W2.T + b2).argmax(1).eq(yte).float().mean().item()
    return time.perf_counter() - t0, acc


class Peer:
    def __init__(self, threads=0):
        self.threads = threads if threads > 0 else torch.get_num_threads()
        self.np = {}      # name -> numpy array
        self.gpt = None   # (model, X, Y, optimizers) of gpt_init
        self.th = {}      # name -> torch tensor sharing the numpy array's memory

    def put(self, name, arr):
        arr = np.ascontiguousarray(arr)
        self.np[name] = arr
        self.th[name] = torch.from_numpy(arr)

    def run(self, cmd):
        op = cmd["op"]
        if op == "load":
            self.put(cmd["name"], np.load(cmd["path"]))
            return ""
        if op == "info":
            return "numpy %s, scipy %s, torch %s (torch threads %d, %s)" % (
                np.__version__, scipy.__version__, torch.__version__, torch.get_num_threads(),
                torch.__config__.parallel_info().splitlines()[-1].strip())
        if op == "ns":
            impl, steps = cmd["impl"], int(cmd.get("steps", 5))
            if impl == "numpy":
                G = self.np[cmd["name"]]
                t0 = time.perf_counter()
                R = ns_numpy(G, steps)
                dt = time.perf_counter() - t0
            elif impl == "torch":
                G = self.th[cmd["name"]]
                with torch.no_grad():
                    t0 = time.perf_counter()
                    R = ns_torch(G, steps)
                    dt = time.perf_counter() - t0
                R = R.numpy()
            else:
                raise ValueError("unknown ns impl " + impl)
            if cmd.get("keep"):
                self.put(cmd["keep"], R)
            return "%.9g" % dt
        if op == "polar":
            impl, G = cmd["impl"], self.np[cmd["name"]]
            f = {"numpy_svd": polar_numpy_svd, "scipy": polar_scipy}[impl]
            t0 = time.perf_counter()
            R = f(G)
            dt = time.perf_counter() - t0
            if cmd.get("keep"):
                self.put(cmd["keep"], R)
            return "%.9g" % dt
        if op == "matmul":
            if cmd["impl"] == "numpy":
                A = self.np[cmd["name"]]
            else:
                A = self.th[cmd["name"]]
            t0 = time.perf_counter()
            A @ A
            return "%.9g" % (time.perf_counter() - t0)
        if op == "fm_epoch":
            dt, acc = fm_epoch(int(cmd["threads"]), int(cmd.get("batch", 128)), int(cmd.get("hidden", 256)),
                               int(cmd.get("seed", 1)))
            torch.set_num_threads(self.threads)
            return "%.9g %.6f" % (dt, acc)
        if op == "threads":
            torch.set_num_threads(int(cmd["n"]))
            return ""
        if op == "gpt_init":
            d, dt = cmd["dir"], torch.float32 if cmd["dtype"] == "float32" else torch.float64
            model = GPT(*(int(cmd[k]) for k in ("vocab", "context", "layers", "heads", "embed"))).to(dt)
            with torch.no_grad():
                for name, t in model.named_like_muonlab().items():
                    t.copy_(torch.from_numpy(np.load("%s/%s.npy" % (d, name))).reshape(t.shape))
            X = torch.from_numpy(np.load(d + "/X.npy")).long()
            Y = torch.from_numpy(np.load(d + "/Y.npy")).long()
            hidden = [p for n, p in model.named_parameters() if p.dim() == 2 and n.startswith("h.")]
            rest = [p for n, p in model.named_parameters() if not (p.dim() == 2 and n.startswith("h."))]
            opts = (Muon(hidden, lr=0.02), torch.optim.AdamW(rest, lr=3e-3, betas=(0.9, 0.95), weight_decay=0.01))
            self.gpt = (model, X, Y, opts)
            with torch.no_grad():
                return "%.17g" % model(X, Y).item()
        if op == "gpt_step":
            model, X, Y, opts = self.gpt
            t0 = time.perf_counter()
            for o in opts:
                o.zero_grad(set_to_none=True)
            model(X, Y).backward()
            if int(cmd.get("optim", 0)):
                for o in opts:
                    o.step()
            return "%.9g" % (time.perf_counter() - t0)
        if op == "diff":
            a, b = self.np[cmd["a"]], self.np[cmd["b"]]
            return "%.9g" % float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
        if op == "save":
            np.save(cmd["path"], self.np[cmd["name"]])
            return ""
        if op == "drop":
            self.np.pop(cmd["name"], None)
            self.th.pop(cmd["name"], None)
            return ""
        raise ValueError("unknown op " + op)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if threads > 0:
        torch.set_num_threads(threads)   # Debian's torch starts with 1 thread here
    peer = Peer(threads)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            if cmd.get("op") == "quit":
                break
            ans = "ok " + peer.run(cmd)
        except Exception as e:  # report, keep serving
            ans = "err %s: %s" % (type(e).__name__, str(e).replace("\n", " "))
        sys.stdout.write(ans.rstrip() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
