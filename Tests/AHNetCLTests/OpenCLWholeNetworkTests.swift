import Foundation
import Testing
import AHNet
import AHNetCPU
@testable import AHNetCL

/// The full Clara-config network on OpenCL (PoCL in CI) against MONAI's logits and against the
/// CPU backend, on the MONAI fixtures of AHNetCPUTests.
@Suite("Whole network on OpenCL", .serialized, .timeLimit(.minutes(10)))
struct OpenCLWholeNetworkTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AHNetCPUTests/Fixtures")

    /// With the device's default tiles (PoCL: the CPU tiles) and with the tiles NVIDIA GPUs run
    /// (64x64, K 32, 256 work-items), so that the GPU kernels are at least built and checked here.
    @Test(arguments: [nil, ConvolutionTiles.gpu])
    func logitsMatchMONAIAndTheCPUBackend(tiles: ConvolutionTiles?) throws {
        let backend = try #require(try? OpenCLBackend(deviceIndex: 0, tiles: tiles), "no OpenCL device")
        let statistics = try Safetensors.read(Self.fixtures.appendingPathComponent("ahnet_bn_statistics.safetensors").path).tensors
        let weights = try AHNetWeights(stateDict: SeededWeights.stateDict(statistics: statistics))
        let (h, w, d) = (64, 64, 32)
        let input = MONAILayout.toActivation(SeededWeights.uniform(seed: 101, count: h * w * d), batch: 1, channels: 1, h: h, w: w, d: d)
        let size = Size3(h, w, d)
        let opencl = MONAILayout.fromActivation(
            try AHNetGraph(weights: weights, backend: backend).forward(input, batch: 1, size: size), batch: 1, channels: 2, h: h, w: w, d: d)
        let cpu = MONAILayout.fromActivation(
            try AHNetGraph(weights: weights, backend: CPUBackend(threads: 2)).forward(input, batch: 1, size: size), batch: 1, channels: 2, h: h, w: w, d: d)
        let monai = try #require(try Safetensors.read(Self.fixtures.appendingPathComponent("ahnet_logits.safetensors").path).tensors["a"])

        for (name, reference) in [("MONAI", monai.values), ("CPU backend", cpu)] {
            var difference = 0.0
            var norm = 0.0
            var same = 0
            let plane = h * w * d
            for index in reference.indices {
                let delta = Double(opencl[index]) - Double(reference[index])
                difference += delta * delta
                norm += Double(reference[index]) * Double(reference[index])
            }
            for voxel in 0..<plane where (opencl[plane + voxel] > opencl[voxel]) == (reference[plane + voxel] > reference[voxel]) { same += 1 }
            let relative = (difference / norm).squareRoot()
            #expect(relative <= 1e-4, "relative L2 against \(name): \(relative)")
            #expect(Double(same) / Double(plane) >= 0.9999, "argmax agreement with \(name): \(Double(same) / Double(plane))")
        }
    }
}
