import AHNet
import Foundation
import Testing
@testable import LungSegKit

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// f(window) = window - mean(window): depends on where a window lies, so blending is tested.
struct MeanRemovingPredictor: WindowPredictor {
    func predict(_ windows: [Float], batch: Int, size: Size3) throws -> [Float] {
        let count = size.product
        var result = windows
        for sample in 0..<batch {
            let slice = windows[(sample * count)..<((sample + 1) * count)]
            let mean = slice.reduce(Float(0), +) / Float(count)
            for index in (sample * count)..<((sample + 1) * count) { result[index] = windows[index] - mean }
        }
        return result
    }
}

@Suite("Sliding windows vs MONAI's sliding_window_inference")
struct SlidingWindowTests {
    static let cases: [(name: String, seed: UInt64, size: Size3, roi: Size3, overlap: Double, mode: BlendMode)] = [
        ("big_gaussian_025", 11, Size3(40, 30, 20), Size3(16, 16, 8), 0.25, .gaussian),
        ("big_constant_025", 11, Size3(40, 30, 20), Size3(16, 16, 8), 0.25, .constant),
        ("big_gaussian_050", 12, Size3(37, 29, 19), Size3(16, 16, 8), 0.5, .gaussian),
        ("small_gaussian", 13, Size3(10, 12, 5), Size3(16, 16, 8), 0.25, .gaussian),
        ("mixed_constant", 14, Size3(20, 9, 30), Size3(16, 16, 8), 0.25, .constant),
    ]

    @Test(arguments: 0..<5)
    func matchesMONAI(caseIndex: Int) throws {
        let c = Self.cases[caseIndex]
        let (h, w, d) = (c.size.i, c.size.j, c.size.k)
        let volume = MONAILayout.toActivation(SeededWeights.uniform(seed: c.seed, count: h * w * d), batch: 1, channels: 1, h: h, w: w, d: d)
        let engine = SlidingWindow(windowSize: c.roi, overlap: c.overlap, mode: c.mode, batchSize: 3)
        let (ours, _) = try engine.run(volume, dims: c.size, predictor: MeanRemovingPredictor())
        let expected = try #require(try Safetensors.read(fixtures.appendingPathComponent("sliding_window.safetensors").path).tensors[c.name])
        let monai = MONAILayout.toActivation(expected.values, batch: 1, channels: 1, h: h, w: w, d: d)
        let worst = zip(ours, monai).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5, "\(c.name): max difference \(worst)")
    }

    @Test func windowStartsFollowMONAI() {
        // 438 voxels, window 224, overlap 0.25: step 168, last window moved back to end at the border.
        #expect(SlidingWindow.starts(size: 438, window: 224, overlap: 0.25) == [0, 168, 214])
        #expect(SlidingWindow.starts(size: 224, window: 224, overlap: 0.25) == [0])
        #expect(SlidingWindow.starts(size: 60, window: 32, overlap: 0.25) == [0, 24, 28])
    }
}

@Suite("Resampling")
struct ResamplingTests {
    /// Trilinear resampling of the real CT to 1.5 x 1.5 x 2.5 mm against scipy's map_coordinates
    /// (order 1, mode nearest) at 2000 sampled voxels.
    @Test func matchesScipyOnTheRealCT() throws {
        let volume = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let fixture = try Safetensors.read(fixtures.appendingPathComponent("resampling.safetensors").path).tensors
        let dims = try Size3(validating: #require(fixture["dims"]).values.map { Int($0) })
        let newSpacing = Spacing3(1.5, 1.5, 2.5)
        #expect(dims == Resampling.dims(for: volume.dims, spacing: volume.spacing, newSpacing: newSpacing))
        let resampled = Resampling.linear(volume.voxels, dims: volume.dims, to: dims, scale: newSpacing.zip(volume.spacing, /))
        let points = try #require(fixture["points"]).values.map { Int($0) }
        let values = try #require(fixture["values"]).values
        var worst: Float = 0
        for (n, expected) in values.enumerated() {
            let (i, j, k) = (points[3 * n], points[3 * n + 1], points[3 * n + 2])
            worst = max(worst, abs(resampled[i + dims[0] * (j + dims[1] * k)] - expected))
        }
        // HU values up to ~1100: float32 interpolation differs from scipy's float64 by rounding only.
        #expect(worst < 1e-3, "max difference \(worst) HU")
    }

    /// The resampling that thresholds in its last pass (the segmenter's way back, so the float map
    /// is never made) gives exactly the threshold of the float result, growing along one axis
    /// and shrinking along the others.
    @Test func thresholdInTheLastPassEqualsThresholdAfter() throws {
        let volume = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let dims = Size3(50, 40, 180)
        let scale = volume.dims.zip(dims) { Double($0 - 1) / Double($1 - 1) }
        let floats = Resampling.linear(volume.voxels, dims: volume.dims, to: dims, scale: scale)
        let mask = Resampling.linear(volume.voxels, dims: volume.dims, to: dims, scale: scale) { $0 < -400 ? UInt8(1) : 0 }
        #expect(mask == floats.map { $0 < -400 ? UInt8(1) : 0 })
        #expect(mask.filter { $0 != 0 }.count > dims.product / 10)
    }
}

/// A lung-like stub: probability 1 where the window is dark (scaled intensity below -400 HU).
struct DarkVoxelPredictor: WindowPredictor {
    func predict(_ windows: [Float], batch: Int, size: Size3) throws -> [Float] {
        let threshold = Float((-400.0 + 1500) / 2000)
        return windows.map { $0 < threshold ? 1 : 0 }
    }
}

@Suite("Pipeline geometry", .serialized, .timeLimit(.minutes(5)))
struct PipelineGeometryTests {
    static func parameters() -> PipelineParameters {
        var parameters = PipelineParameters.clara
        parameters.windowSize = Size3(64, 64, 16)
        return parameters
    }

    /// The same CT stored in other orientations gives the same mask in world space.
    @Test(arguments: ["RAS", "LAS", "PLS", "ASL"])
    func orientationsGiveTheSameWorldMask(code: String) throws {
        let original = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let segmenter = LungSegmenter(parameters: Self.parameters())
        let reference = try segmenter.segment(original, predictor: DarkVoxelPredictor())

        // Store the CT in another orientation: reorder the voxels, adjust the affine.
        let stored = try Reorientation(affine: original.affine, dims: original.dims, to: code)
        var variant = original
        variant.voxels = stored.apply(original.voxels)
        variant.affine = stored.affine(original.affine)
        variant.dims = stored.targetDims
        variant.spacing = variant.affine.columnLengths
        #expect(variant.orientationCode == code)
        let result = try segmenter.segment(variant, predictor: DarkVoxelPredictor())
        #expect(stored.invert(result.mask()) == reference.mask())
        #expect(abs(result.totalVolumeML - reference.totalVolumeML) < 1e-6)
        #expect(reference.totalVolumeML > 1000)
    }

    /// A slab thinner than four model slices (here two 0.5 mm slices) gets a warning; the
    /// whole chest does not.
    @Test func aThinSlabIsReportedAsUnreliable() throws {
        let segmenter = LungSegmenter(parameters: Self.parameters())
        let slab = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        var thin = slab
        let slice = slab.dims[0] * slab.dims[1]
        thin.voxels = Array(slab.voxels[(40 * slice)..<(42 * slice)])
        thin.dims = Size3(slab.dims.i, slab.dims.j, 2)
        let result = try segmenter.segment(thin, predictor: DarkVoxelPredictor())
        #expect(result.warnings.contains { warning in
            if case .thinCoverage(let mm, _, let window) = warning { abs(mm - 8) < 0.05 && window == 16 } else { false }
        })
        #expect(result.warnings.map(\.description).contains { $0.hasPrefix("the CT covers only 8.0 mm along its third axis") })
        let whole = try segmenter.segment(slab, predictor: DarkVoxelPredictor())
        #expect(!whole.warnings.contains { if case .thinCoverage = $0 { true } else { false } })
    }

    /// The right/left split by world x puts label 1 where CIP's right-lung regions (12-14) are and
    /// label 2 on its left-lung regions (9-11).
    @Test func rightLungLandsOnCIPsRightLung() throws {
        let labelmap = try NIfTIReader.read(RepositoryData.path("cip_ct64_cip_labelmap.nii.gz"))
        let lungs = labelmap.voxels.map { (1...14).contains(Int($0) & 0xFF) ? UInt8(1) : 0 }
        let (labels, note) = SidesByComponent.split(BinaryMask.label(lungs, dims: labelmap.dims), dims: labelmap.dims, affine: labelmap.affine)
        var agree = 0
        var total = 0
        for index in labels.indices where lungs[index] != 0 {
            let region = Int(labelmap.voxels[index]) & 0xFF
            guard (9...14).contains(region) else { continue }
            total += 1
            if (region >= 12 ? UInt8(1) : 2) == labels[index] { agree += 1 }
        }
        #expect(total > 10_000)
        #expect(Double(agree) / Double(total) > 0.99, "\(agree) of \(total) (\(note?.description ?? "two components"))")
    }

    /// The raw output of a cip_ct64 with synthetic masses: both lungs joined through the trachea
    /// plus a 22 mL island was reported as right 4276 / left 22 mL. A merged pair is split at
    /// its centre; the island goes to its own side and does not become "the other lung".
    @Test func anIslandBesideMergedLungsIsNotTheOtherLung() throws {
        let dims = Size3(20, 6, 4)
        var mask = [UInt8](repeating: 0, count: dims.product)
        for k in 0..<4 {
            for j in 1..<5 {
                for i in 2..<16 { mask[dims.offset(of: Index3(i, j, k))] = 1 }  // both lungs, one component
                mask[dims.offset(of: Index3(18, j, k))] = 1  // an island at high i
            }
        }
        // RAS: world x grows with i, so high i is the patient's right (label 1).
        let affine = Affine(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let (labels, note) = SidesByComponent.split(BinaryMask.label(mask, dims: dims), dims: dims, affine: affine)
        let count = { (label: UInt8) in labels.filter { $0 == label }.count }
        #expect(note == .oneComponentSplitAtCentre)
        #expect(count(1) == 7 * 16 + 16 && count(2) == 7 * 16)
        #expect(labels[dims.offset(of: Index3(18, 2, 2))] == 1 && labels[dims.offset(of: Index3(2, 2, 2))] == 2)
    }

    @Test func reorientationRoundTripsAndKeepsWorldPositions() throws {
        let original = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let toRAS = try Reorientation(affine: original.affine, dims: original.dims, to: "RAS")
        #expect(toRAS.permutation == [0, 1, 2] && toRAS.flips == [true, true, false])
        #expect(toRAS.invert(toRAS.apply(original.voxels)) == original.voxels)
        let affine = toRAS.affine(original.affine)
        #expect(affine.orientationCode == "RAS")
        // Voxel (0,0,0) of the RAS grid is voxel (63,63,0) of the LPS grid.
        let a = affine.world(0, 0, 0)
        let b = original.affine.world(63, 63, 0)
        #expect((0..<3).allSatisfy { abs(a[$0] - b[$0]) < 1e-9 })
    }
}
