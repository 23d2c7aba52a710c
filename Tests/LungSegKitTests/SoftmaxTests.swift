import Foundation
import Testing
@testable import LungSegKit

@Suite("Softmax of the logits")
struct SoftmaxTests {
    /// Softmax in double precision, the reference.
    static func reference(_ logits: [Double], label: Int) -> Double {
        let largest = logits.max() ?? 0
        let total = logits.reduce(0) { $0 + Foundation.exp($1 - largest) }
        return Foundation.exp(logits[label] - largest) / total
    }

    @Test(arguments: [(2, 1), (2, 0), (3, 2)])
    func matchesDoublePrecision(channels: Int, label: Int) {
        // Two windows of five voxels, with logits from ordinary to far beyond exp's float range.
        let batch = 2
        let plane = 5
        let values: [Float] = [0, 1.5, -2, 90, -120, 0.25, 3, 7, -88, 200]
        var logits = [Float](repeating: 0, count: batch * channels * plane)
        for index in logits.indices { logits[index] = values[index % values.count] * Float(1 + index % 3) - Float(index % 7) }
        let probability = Softmax.probability(of: label, logits: logits, batch: batch, channels: channels, plane: plane)
        #expect(probability.count == batch * plane)
        for sample in 0..<batch {
            for voxel in 0..<plane {
                let perChannel = (0..<channels).map { Double(logits[(sample * channels + $0) * plane + voxel]) }
                let expected = Self.reference(perChannel, label: label)
                let actual = Double(probability[sample * plane + voxel])
                #expect(actual.isFinite && abs(actual - expected) <= 1e-6, "sample \(sample) voxel \(voxel): \(actual) vs \(expected)")
            }
        }
    }
}
