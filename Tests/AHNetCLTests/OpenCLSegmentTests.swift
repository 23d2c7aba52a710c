import Foundation
import Testing
import AHNet
import AHNetCPU
import LungSegKit
@testable import AHNetCL

/// The whole shared pipeline (orient, crop, resample, windows, back, anatomy, measure) with the
/// network on OpenCL (PoCL in CI) against the same pipeline on the CPU backend. A coarse model
/// grid (8 mm, windows of 64x64x32: two windows on cip_ct64) keeps PoCL's part to about a minute.
@Suite("segment on OpenCL", .serialized, .timeLimit(.minutes(10)))
struct OpenCLSegmentTests {
    @Test func theMaskOnOpenCLIsTheMaskOnTheCPU() throws {
        let backend = try #require(try? OpenCLBackend(deviceIndex: 0), "no OpenCL device")
        let ct = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/cip_ct64.nii.gz").path
        let volume = try NIfTIReader.read(ct)
        var parameters = PipelineParameters.clara
        parameters.spacing = Spacing3(8, 8, 8)
        parameters.windowSize = Size3(64, 64, 32)
        let segmenter = LungSegmenter(parameters: parameters)
        let weights = try AHNetWeights(stateDict: SeededWeights.stateDict())
        let onOpenCL = try segmenter.segment(volume, predictor: AHNetPredictor(weights: weights, backend: backend))
        let onCPU = try segmenter.segment(volume, predictor: AHNetPredictor(weights: weights, backend: CPUBackend(threads: 2)))
        #expect(onOpenCL.windows == onCPU.windows && onCPU.windows.run >= 1)
        // The probabilities agree to float32 rounding; the masks to the voxels at the 0.5 boundary.
        let p = try #require(onOpenCL.probabilityOnInputGrid())
        let q = try #require(onCPU.probabilityOnInputGrid())
        // (The logits agree to a relative L2 of 1e-4, OpenCLWholeNetworkTests; through the
        // softmax and the linear resampling back that is at most a few 1e-3 on one voxel.)
        let largest = zip(p, q).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        let squares = zip(p, q).reduce((0.0, 0.0)) { ($0.0 + Double($1.0 - $1.1) * Double($1.0 - $1.1), $0.1 + Double($1.1) * Double($1.1)) }
        let relative = (squares.0 / max(squares.1, 1e-30)).squareRoot()
        #expect(largest < 5e-3, "largest probability difference \(largest)")
        #expect(relative < 1e-4, "relative L2 of the probabilities \(relative)")
        #expect(onCPU.labels.contains { $0 != 0 })
        let differing = zip(onOpenCL.labels, onCPU.labels).filter { $0.0 != $0.1 }.count
        #expect(Double(differing) <= 0.001 * Double(volume.count), "\(differing) voxels differ")
        #expect(abs(onOpenCL.totalVolumeML - onCPU.totalVolumeML) <= 0.01 * max(onCPU.totalVolumeML, 1))
    }
}
