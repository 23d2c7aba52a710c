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
        let labels = SeededWeights.uniform(seed: 4, count: count).map { UInt8(min(2, Int($0 * 3))) }
        let hu = SeededWeights.uniform(seed: 5, count: count).map { draw -> Float in
            let value = Float(Int(draw * 4096) - 1024)
            return fractional ? value + 0.37 : value
        }
        var counts = [0, 0, 0]
        var sums = [0.0, 0.0, 0.0]
        for index in 0..<count where labels[index] != 0 {
            counts[Int(labels[index])] += 1
            sums[Int(labels[index])] += Double(hu[index])
        }
        for threads in [1, 2, 7] {
            let result = ParallelFor.$threadCount.withValue(threads) { MeasureStage.labelSums(labels, hu: hu, wholeNumbers: !fractional) }
            #expect(result.counts == counts, "\(threads) threads")
            #expect(result.sums[1] == sums[1] && result.sums[2] == sums[2], "\(threads) threads: \(result.sums) against \(sums)")
        }
    }
}
