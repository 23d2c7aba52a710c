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
}
