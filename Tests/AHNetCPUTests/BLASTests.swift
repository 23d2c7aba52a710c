import Testing
@testable import AHNetCPU

@Suite("OpenBLAS")
struct BLASTests {
    /// One SGEMM of odd sizes against a naive product in double precision.
    /// (Two rows and 16 columns or more: lungseg's own kernel; otherwise OpenBLAS.)
    @Test(arguments: [(m: 37, n: 53, k: 71), (m: 1, n: 129, k: 3), (m: 64, n: 1, k: 200), (m: 2, n: 133, k: 124), (m: 2, n: 15, k: 9)])
    func sgemmMatchesNaiveProduct(m: Int, n: Int, k: Int) {
        var generator = SplitMix64(seed: UInt64(m * 1000 + n * 10 + k))
        let a = (0..<(m * k)).map { _ in generator.nextFloat() }
        let b = (0..<(k * n)).map { _ in generator.nextFloat() }
        var c = [Float](repeating: 0, count: m * n)
        BLAS.sgemm(m: m, n: n, k: k, a: a, b: b, c: &c)
        // float32 accumulation over k terms of size <= 1: error well below 1e-4 * k.
        #expect(Self.worstError(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n) < 1e-5 * Double(k))
    }

    /// The two-row kernel with leading dimensions larger than the matrices (as the convolutions
    /// call it on a chunk of the output): the result lands in place and nothing around it changes.
    @Test func twoRowsWithLeadingDimensions() {
        var generator = SplitMix64(seed: 77)
        let (m, n, k, lda, ldb, ldc) = (2, 37, 11, 13, 41, 45)
        let a = (0..<(m * lda)).map { _ in generator.nextFloat() }
        let b = (0..<(k * ldb)).map { _ in generator.nextFloat() }
        var c = [Float](repeating: 7, count: m * ldc)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    guard let pa = a.baseAddress, let pb = b.baseAddress, let pc = c.baseAddress else { return }
                    BLAS.sgemm(m: m, n: n, k: k, a: pa, lda: lda, b: pb, ldb: ldb, c: pc, ldc: ldc)
                }
            }
        }
        #expect(Self.worstError(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) < 1e-5 * Double(k))
        for row in 0..<m { #expect(c[(row * ldc + n)..<(row * ldc + ldc)].allSatisfy { $0 == 7 }) }
    }

    /// Largest difference between `c` and the product `a * b` computed in double precision.
    static func worstError(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, c: [Float], ldc: Int) -> Double {
        var worst = 0.0
        for row in 0..<m {
            for column in 0..<n {
                var sum = 0.0
                for inner in 0..<k { sum += Double(a[row * lda + inner]) * Double(b[inner * ldb + column]) }
                worst = max(worst, abs(sum - Double(c[row * ldc + column])))
            }
        }
        return worst
    }

    @Test func threadCountIsSettable() {
        let before = BLAS.threadCount
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        BLAS.setThreadCount(before)
    }
}

/// A small seeded generator (SplitMix64), values in [-1, 1).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
