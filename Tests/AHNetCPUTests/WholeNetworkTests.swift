import Foundation
import Testing
import AHNet
@testable import AHNetCPU

/// The full-size Clara-config AH-Net on the CPU backend against MONAI's AHNet on the same
/// weights (seeded generator + calibrated BN statistics; tools/fixtures/make_ahnet_fixtures.py).
@Suite("Whole network vs MONAI", .serialized, .timeLimit(.minutes(5)))
struct WholeNetworkTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// With OpenBLAS's SGEMM and with the fused kernels (where the CPU has them).
    @Test(arguments: [("a", 101, 64, 64, 32), ("b", 102, 64, 64, 64)], [false, true])
    func logitsMatchMONAI(_ fixture: (key: String, seed: UInt64, h: Int, w: Int, d: Int), fused: Bool) throws {
        let (key, seed, h, w, d) = fixture
        let statistics = try Safetensors.read(Self.fixtures.appendingPathComponent("ahnet_bn_statistics.safetensors").path).tensors
        let weights = try AHNetWeights(stateDict: SeededWeights.stateDict(statistics: statistics))
        let graph = try AHNetGraph(weights: weights, backend: CPUBackend(threads: 2, fusedKernels: fused))
        let monaiInput = SeededWeights.uniform(seed: seed, count: h * w * d)
        let input = MONAILayout.toActivation(monaiInput, batch: 1, channels: 1, h: h, w: w, d: d)
        let logits = try graph.forward(input, batch: 1, size: Size3(h, w, d))
        let ours = MONAILayout.fromActivation(logits, batch: 1, channels: 2, h: h, w: w, d: d)

        let expected = try #require(
            try Safetensors.read(Self.fixtures.appendingPathComponent("ahnet_logits.safetensors").path).tensors[key])
        #expect(expected.shape == [1, 2, h, w, d])
        let agreement = Agreement(ours, expected.values, channels: 2, plane: h * w * d)
        // MONAI float32 itself lies 3.6e-5..4.8e-5 from float64 on these inputs.
        #expect(agreement.relativeL2 <= 1e-4, "relative L2 \(agreement.relativeL2)")
        #expect(agreement.argmaxAgreement >= 0.9999, "argmax agreement \(agreement.argmaxAgreement)")
    }

    /// The full-size window the pipeline runs (224x224x32) against MONAI: every 17th logit of
    /// each channel (tools/fixtures/make_ahnet_fixtures.py, step 4).
    @Test(arguments: [false, true])
    func fullSizeWindowMatchesMONAI(fused: Bool) throws {
        let statistics = try Safetensors.read(Self.fixtures.appendingPathComponent("ahnet_bn_statistics.safetensors").path).tensors
        let weights = try AHNetWeights(stateDict: SeededWeights.stateDict(statistics: statistics))
        let graph = try AHNetGraph(weights: weights, backend: CPUBackend(threads: 2, fusedKernels: fused))
        let (h, w, d) = (224, 224, 32)
        let input = MONAILayout.toActivation(SeededWeights.uniform(seed: 103, count: h * w * d), batch: 1, channels: 1, h: h, w: w, d: d)
        let logits = try graph.forward(input, batch: 1, size: Size3(h, w, d))
        let ours = MONAILayout.fromActivation(logits, batch: 1, channels: 2, h: h, w: w, d: d)
        let plane = h * w * d
        let kept = stride(from: 0, to: plane, by: 17).map { $0 }
        let sampled = kept.map { ours[$0] } + kept.map { ours[plane + $0] }
        let expected = try #require(
            try Safetensors.read(Self.fixtures.appendingPathComponent("ahnet_window_224.safetensors").path).tensors["c_every17"])
        #expect(expected.shape == [2, kept.count])
        let agreement = Agreement(sampled, expected.values, channels: 2, plane: kept.count)
        #expect(agreement.relativeL2 <= 1e-4, "relative L2 \(agreement.relativeL2)")
        #expect(agreement.argmaxAgreement >= 0.9999, "argmax agreement \(agreement.argmaxAgreement)")
    }

    /// The activation buffers are planned once and shared between short-lived tensors (the stem's
    /// buffer holds the encoder's and dense blocks' temporaries): a batch of two windows, a larger
    /// window after it, and the first window again all give what each window gives alone.
    @Test func buffersSharedBetweenTensorsDoNotMixWindows() throws {
        let weights = try AHNetWeights(stateDict: SeededWeights.stateDict())
        let graph = try AHNetGraph(weights: weights, backend: CPUBackend(threads: 2))
        let small = Size3(64, 64, 32)
        let first = SeededWeights.uniform(seed: 7, count: small.product)
        let second = SeededWeights.uniform(seed: 8, count: small.product)
        let alone = try graph.forward(first, batch: 1, size: small)
        let pair = try graph.forward(first + second, batch: 2, size: small)
        let large = Size3(96, 64, 64)
        _ = try graph.forward(SeededWeights.uniform(seed: 9, count: large.product), batch: 1, size: large)
        let again = try graph.forward(first, batch: 1, size: small)
        let secondAlone = try graph.forward(second, batch: 1, size: small)

        let plane = small.product
        func relative(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
            let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            return (difference / b.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
        }
        // The same arithmetic per window (threads split positions differently with the batch).
        #expect(relative(pair[0..<(2 * plane)], alone[...]) < 1e-5)
        #expect(relative(pair[(2 * plane)...], secondAlone[...]) < 1e-5)
        #expect(again == alone)
    }

    /// A batch whose buffers would pass what the backend addresses (OpenCL's 32-bit indices:
    /// about 84 windows of 224x224x32) runs as several forwards with the same result; a window
    /// that alone passes it is refused with a typed error.
    @Test func batchesLargerThanTheBackendAddressesRunInParts() throws {
        let weights = try AHNetWeights(stateDict: SeededWeights.stateDict())
        let small = Size3(64, 64, 32)
        let windows = (0..<3).map { SeededWeights.uniform(seed: 20 + UInt64($0), count: small.product) }
        let whole = try AHNetGraph(weights: weights, backend: CPUBackend(threads: 2)).forward(windows.flatMap { $0 }, batch: 3, size: small)

        let limited = CPUBackend(threads: 2)
        // Room for one window's largest buffer (the stem's: 64 x 32 x 32 x 32), not two.
        limited.maximumBufferElements = 64 * 32 * 32 * 32 + 1
        let graph = try AHNetGraph(weights: weights, backend: limited)
        #expect(graph.windowsPerForward(size: small) == 1)
        let parts = try graph.forward(windows.flatMap { $0 }, batch: 3, size: small)
        #expect(parts.count == whole.count)
        let difference = zip(parts, whole).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
        #expect(difference <= 1e-5, "largest difference \(difference)")

        limited.maximumBufferElements = 64 * 32 * 32 * 32 - 1
        #expect(throws: AHNetError.bufferTooLarge(elements: 64 * 32 * 32 * 32, limit: 64 * 32 * 32 * 32 - 1)) {
            try AHNetGraph(weights: weights, backend: limited).forward(windows[0], batch: 1, size: small)
        }
    }
}

/// Relative L2 error and argmax agreement of two-channel logits in MONAI layout.
struct Agreement {
    var relativeL2: Double
    var argmaxAgreement: Double

    init(_ actual: [Float], _ expected: [Float], channels: Int, plane: Int) {
        precondition(actual.count == expected.count && channels == 2)
        var difference = 0.0
        var norm = 0.0
        for index in actual.indices {
            let delta = Double(actual[index]) - Double(expected[index])
            difference += delta * delta
            norm += Double(expected[index]) * Double(expected[index])
        }
        relativeL2 = (difference / norm).squareRoot()
        var same = 0
        for voxel in 0..<plane {
            let ours = actual[plane + voxel] > actual[voxel]
            let theirs = expected[plane + voxel] > expected[voxel]
            if ours == theirs { same += 1 }
        }
        argmaxAgreement = Double(same) / Double(plane)
    }
}
