import COpenBLAS

/// The OpenBLAS calls the CPU backend is built on.
public enum BLAS {
    /// Sets how many threads OpenBLAS uses for each call (process-wide).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// Threads OpenBLAS currently uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// `C = alpha * A * B + beta * C` for row-major matrices: A is m x k, B is k x n, C is m x n.
    ///
    /// The buffers must hold at least `m*k`, `k*n` and `m*n` values; this is checked.
    public static func sgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0 && lda >= max(1, k) && ldb >= max(1, n) && ldc >= max(1, n))
        if m == 2 && k > 0 && n >= 16 && alpha == 1 && beta == 0 {
            sgemmTwoRows(n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
            return
        }
        var scaling = beta
        if beta == 0 {
            // OpenBLAS 0.3.21 clears C for beta = 0 with one 4-byte store at a time (`sgemm_beta`,
            // 5-7 % of a window's samples); clearing it here with wide stores and passing beta = 1
            // skips that pass.
            for row in 0..<m { UnsafeMutableRawPointer(c + row * ldc).initializeMemory(as: UInt8.self, repeating: 0, count: n * MemoryLayout<Float>.stride) }
            scaling = 1
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
            b, Int32(ldb), scaling, c, Int32(ldc))
    }

    /// `C = A * B` for two rows of A (the final convolution's two output channels), where
    /// OpenBLAS reaches about 13 GFLOP/s (tools/bench/gemm_shapes.c): each row of B is read once
    /// and multiplied into both rows of C, sixteen columns at a time.
    static func sgemmTwoRows(
        n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let second = a + lda
        var column = 0
        while column + 16 <= n {
            var (first0, first1) = (SIMD8<Float>(), SIMD8<Float>())
            var (second0, second1) = (SIMD8<Float>(), SIMD8<Float>())
            var row = UnsafeRawPointer(b + column)
            for inner in 0..<k {
                let low = row.loadUnaligned(as: SIMD8<Float>.self)
                let high = row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                let (x, y) = (a[inner], second[inner])
                first0 += x * low
                first1 += x * high
                second0 += y * low
                second1 += y * high
                row += ldb * MemoryLayout<Float>.stride
            }
            UnsafeMutableRawPointer(c + column).storeBytes(of: first0, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(c + column + 8).storeBytes(of: first1, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(c + ldc + column).storeBytes(of: second0, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(c + ldc + column + 8).storeBytes(of: second1, as: SIMD8<Float>.self)
            column += 16
        }
        for rowIndex in 0..<2 {
            let weights = a + rowIndex * lda
            for last in column..<n {
                var sum: Float = 0
                for inner in 0..<k { sum += weights[inner] * b[inner * ldb + last] }
                c[rowIndex * ldc + last] = sum
            }
        }
    }

    /// `sgemm` over Swift arrays, for callers without buffers of their own.
    public static func sgemm(m: Int, n: Int, k: Int, a: [Float], b: [Float], c: inout [Float]) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "matrix buffers too small")
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    guard let pa = a.baseAddress, let pb = b.baseAddress, let pc = c.baseAddress else { return }
                    sgemm(m: m, n: n, k: k, a: pa, lda: max(1, k), b: pb, ldb: max(1, n), c: pc, ldc: max(1, n))
                }
            }
        }
    }
}
