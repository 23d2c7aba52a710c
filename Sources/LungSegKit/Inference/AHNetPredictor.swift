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

    public func predict(_ windows: [Float], batch: Int, size: Size3) throws -> [Float] {
        let logits = try graph.forward(windows, batch: batch, size: size)
        return Softmax.probability(of: label, logits: logits, batch: batch, channels: graph.architecture.outChannels, plane: size.product)
    }
}

/// The probability of one class from a network's logits.
public enum Softmax {
    /// Softmax over the channels of `[N][C][plane]` logits, read at channel `label`: `[N][plane]`.
    /// Stable against large logits.
    public static func probability(of label: Int, logits: [Float], batch: Int, channels: Int, plane: Int) -> [Float] {
        precondition(logits.count == batch * channels * plane && label >= 0 && label < channels)
        var probability = [Float](repeating: 0, count: batch * plane)
        for sample in 0..<batch {
            let base = sample * channels * plane
            if channels == 2 {
                // Two classes: softmax is the logistic function of the difference (one exp, not three).
                let own = base + label * plane
                let other = base + (1 - label) * plane
                for voxel in 0..<plane {
                    probability[sample * plane + voxel] = 1 / (1 + exp(logits[other + voxel] - logits[own + voxel]))
                }
                continue
            }
            for voxel in 0..<plane {
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
