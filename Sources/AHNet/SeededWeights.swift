/// Reproducible AH-Net weights from a seed, implemented identically in Python
/// (`tools/fixtures/seeded.py`), so that tests and benchmarks can run the full-size network
/// against MONAI without shipping 109 MB of weights.
///
/// For parameter tensor `t` (in `AHNetArchitecture.parameterShapes` order) and element `i` (C order
/// of the MONAI shape): `z = mix(seedₜ + (i+1)·0x9E3779B97F4A7C15)` (SplitMix64),
/// `u = (z >> 40) / 2²⁴ ∈ [0, 1)`, `x = 2u − 1`, with `seedₜ = 1000003·(t+1) + salt`.
/// Conv weights are `x · √(6/fan_in)`, BN weights `x/4 + 1`, BN biases `x / 8` (BN weights near 1
/// keep the random network well conditioned: MONAI float32 lands within 5e-5 of float64). Running
/// statistics are not generated: they come from calibration (tests load them from a fixture) or,
/// for benchmarks, are mean 0 and variance 1.
public enum SeededWeights {
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// `count` values in [0, 1), each exact in float32.
    public static func uniform(seed: UInt64, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                var z = seed &+ UInt64(index + 1) &* gamma
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z = z ^ (z >> 31)
                buffer[index] = Float(z >> 40) / 16_777_216
            }
            initialized = count
        }
    }

    /// `count` values in [-1, 1).
    public static func symmetric(seed: UInt64, count: Int) -> [Float] {
        uniform(seed: seed, count: count).map { $0 * 2 - 1 }
    }

    static func tensorSeed(_ index: Int, salt: UInt64) -> UInt64 {
        UInt64(1_000_003) &* UInt64(index + 1) &+ salt
    }

    /// A full state dict; running statistics from `statistics` when given, else mean 0, variance 1.
    public static func stateDict(architecture: AHNetArchitecture = .clara, salt: UInt64 = 0, statistics: StateDict = [:]) -> StateDict {
        var result: StateDict = [:]
        for (index, entry) in architecture.parameterShapes.enumerated() {
            let count = entry.shape.reduce(1, *)
            let name = entry.name
            if name.hasSuffix(".running_mean") || name.hasSuffix(".running_var") {
                let fallback: Float = name.hasSuffix(".running_var") ? 1 : 0
                result[name] = statistics[name] ?? HostTensor(shape: entry.shape, values: [Float](repeating: fallback, count: count))
                continue
            }
            let x = symmetric(seed: tensorSeed(index, salt: salt), count: count)
            let values: [Float]
            if entry.shape.count == 5 {
                let fanIn = entry.shape.dropFirst().reduce(1, *)
                let bound = Float((6.0 / Double(fanIn)).squareRoot())
                values = x.map { $0 * bound }
            } else if name.hasSuffix(".weight") {
                values = x.map { $0 * 0.25 + 1 }
            } else {
                values = x.map { $0 * 0.125 }
            }
            result[name] = HostTensor(shape: entry.shape, values: values)
        }
        return result
    }
}
