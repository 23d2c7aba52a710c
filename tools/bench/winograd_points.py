#!/usr/bin/env python3
"""Rounding error of Winograd F(4x4, 3x3) for sets of interpolation points, beside F(2x2, 3x3)
and the direct sum, on an 80-channel layer (AH-Net's dense blocks) in float32 against float64.

Why AHNetCPU's WinogradF4 uses the points 0, 1, -1, 2, -1/2 rather than the usual 0, +-1, +-2:
    python3 tools/bench/winograd_points.py
Needs numpy only. Matrices by the Toom-Cook construction (A and G from the points, B solved so
that the algorithm is exact); each set is checked to be exact in float64 first.
"""
import itertools
import numpy as np

CHANNELS = 80
TRIALS = 300


def matrices(points, m=4, r=3):
    n = m + r - 1
    a = np.array(points, dtype=np.float64)
    at = np.zeros((m, n))
    for i in range(m):
        at[i, : n - 1] = a ** i
    at[m - 1, n - 1] = 1
    g = np.zeros((n, r))
    for j in range(n - 1):
        f = np.prod([a[j] - a[l] for l in range(n - 1) if l != j])
        g[j] = a[j] ** np.arange(r) / f
    g[n - 1, r - 1] = 1
    # sum_j AT[i][j] G[j][k] BT[j][l] = [l == i + k] for all i, k, l: linear in BT.
    rows, rhs = [], []
    for i, k, l in itertools.product(range(m), range(r), range(n)):
        row = np.zeros((n, n))
        row[:, l] = at[i] * g[:, k]
        rows.append(row.ravel())
        rhs.append(1.0 if l == i + k else 0.0)
    bt = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0].reshape(n, n)
    return at, g, bt


def error(at, g, bt, dtype, rng, trials=TRIALS):
    m = at.shape[0]
    n = m + 2
    worst, squares, count = 0.0, 0.0, 0
    for _ in range(trials):
        d = rng.standard_normal((CHANNELS, n, n)).astype(np.float32).astype(np.float64)
        w = (rng.standard_normal((CHANNELS, 3, 3)) / np.sqrt(9 * CHANNELS)).astype(np.float32).astype(np.float64)
        exact = np.array([[np.sum(d[:, y:y + 3, x:x + 3] * w) for x in range(m)] for y in range(m)])
        u = np.einsum("ij,cjk,lk->cil", g, w, g).astype(dtype)
        v = np.einsum("ij,cjk,lk->cil", bt.astype(dtype), d.astype(dtype), bt.astype(dtype)).astype(dtype)
        y = at.astype(dtype) @ (u * v).sum(0, dtype=dtype) @ at.T.astype(dtype)
        e = np.abs(y - exact)
        worst, squares, count = max(worst, e.max()), squares + (e ** 2).sum(), count + e.size
    return worst, np.sqrt(squares / count)


def main():
    rng = np.random.default_rng(0)
    sets = [(0, 1, -1, 2, -2), (0, 1, -1, 0.5, -0.5), (0, -1, 1, 0.5, -2), (0, 1, -1, 2, -0.5)]
    for points in sets:
        at, g, bt = matrices(points)
        exact = error(at, g, bt, np.float64, rng, 20)[0]
        worst, rms = error(at, g, bt, np.float32, rng)
        print(f"F(4x4,3x3) points {points}: float64 {exact:.1e}; float32 max {worst:.2e}, rms {rms:.2e}")
    at2, g2, bt2 = matrices((0, 1, -1), m=2)
    worst, rms = error(at2, g2, bt2, np.float32, rng)
    print(f"F(2x2,3x3) points (0, 1, -1): float32 max {worst:.2e}, rms {rms:.2e}")


if __name__ == "__main__":
    main()
