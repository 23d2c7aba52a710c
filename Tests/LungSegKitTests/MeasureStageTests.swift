import AHNet
import Testing
@testable import LungSegKit

@Suite("Measure stage")
struct MeasureStageTests {
    /// One set voxel at every position of small volumes: the face-only test must agree with
    /// "i, j on their first or last index, or k on its first or last when there are more than two
    /// slices" (the per-voxel rule it replaced).
    @Test(arguments: [Size3(4, 5, 6), Size3(3, 3, 2), Size3(5, 4, 1), Size3(1, 3, 4)])
    func touchesBorderIsTrueExactlyForVoxelsOnAFace(dims: Size3) {
        for index in 0..<dims.product {
            var labels = [UInt8](repeating: 0, count: dims.product)
            labels[index] = 2
            let (i, j, k) = (index % dims.i, (index / dims.i) % dims.j, index / (dims.i * dims.j))
            let onFace = i == 0 || j == 0 || i == dims.i - 1 || j == dims.j - 1 || ((k == 0 || k == dims.k - 1) && dims.k > 2)
            #expect(MeasureStage.touchesBorder(labels, dims: dims) == onFace, "voxel \(i), \(j), \(k) of \(dims)")
        }
        #expect(!MeasureStage.touchesBorder([UInt8](repeating: 0, count: dims.product), dims: dims))
    }

    /// The label sums against a Double sum in index order (what they replaced): identical for whole
    /// HU at 1, 2 and 7 threads (summed in integers, in pieces), and for fractional HU (summed in
    /// index order, whatever the thread count).
    @Test(arguments: [false, true])
    func labelSumsEqualAnIndexOrderSum(fractional: Bool) {
        let count = 3_000_017
        var generator = SplitMixGenerator(seed: fractional ? 5 : 4)
        let labels = (0..<count).map { _ in UInt8(generator.next() % 3) }
        let hu = (0..<count).map { _ -> Float in
            let value = Float(Int(generator.next() % 4096) - 1024)
            return fractional ? value + 0.37 : value
        }
        var counts = [0, 0, 0]
        var sums = [0.0, 0.0, 0.0]
        for index in 0..<count where labels[index] != 0 {
            counts[Int(labels[index])] += 1
            sums[Int(labels[index])] += Double(hu[index])
        }
        for threads in [1, 2, 7] {
            let result = ParallelFor.$threadCount.withValue(threads) { MeasureStage.labelSums(labels, hu: hu) }
            #expect(result.counts == counts, "\(threads) threads")
            #expect(result.sums[1] == sums[1] && result.sums[2] == sums[2], "\(threads) threads: \(result.sums) against \(sums)")
        }
    }
}

/// A small deterministic generator for test data (SplitMix64).
private struct SplitMixGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
