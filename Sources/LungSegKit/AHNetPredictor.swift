import AHNet
import Foundation

/// The lung probability of AH-Net on any backend: softmax of the logits, channel `label`.
public final class AHNetPredictor<Backend: AHNetBackend>: WindowPredictor {
    let graph: AHNetGraph<Backend>
    let label: Int

    public init(weights: AHNetWeights, backend: Backend) throws {
        graph = try AHNetGraph(weights: weights, backend: backend)
        label = weights.metadata.pipeline.foregroundLabel
    }

    public func predict(_ windows: [Float], batch: Int, size: SpatialSize) throws -> [Float] {
        let logits = try graph.forward(windows, batch: batch, size: size)
        let channels = graph.architecture.outChannels
        let plane = size.count
        var probability = [Float](repeating: 0, count: batch * plane)
        for sample in 0..<batch {
            let base = sample * channels * plane
            for voxel in 0..<plane {
                // softmax over channels, read at `label`, stable against large logits
                var largest = -Float.infinity
                for channel in 0..<channels { largest = max(largest, logits[base + channel * plane + voxel]) }
                var total: Float = 0
                for channel in 0..<channels { total += exp(logits[base + channel * plane + voxel] - largest) }
                probability[sample * plane + voxel] = exp(logits[base + label * plane + voxel] - largest) / total
            }
        }
        return probability
    }
}
