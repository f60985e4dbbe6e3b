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
