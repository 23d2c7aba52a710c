import AHNet

/// Why the pipeline cannot run on an input or with these options.
public enum PipelineError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidOrientationCode(String)
    case obliqueAxes(String)
    case volumeTooSmall(dims: Size3)
    case probabilityGridMismatch(expected: Size3, count: Int)
    case invalidOptions(String)
    /// A probability map was asked of a result whose segmenter did not keep it.
    case probabilitiesNotKept

    public var description: String {
        switch self {
        case .invalidOrientationCode(let code): "invalid orientation code \(code) (three letters from RL, AP, SI)"
        case .obliqueAxes(let code): "two voxel axes point along the same world axis (\(code))"
        case .volumeTooSmall(let dims): "volume \(dims) is too small to segment"
        case .invalidOptions(let problem): "invalid segmentation options: \(problem)"
        case .probabilitiesNotKept: "the lung probability was not kept (LungSegmenter.keepsProbabilities is off)"
        case .probabilityGridMismatch(let dims, let count): "the probability map has \(count) voxels; the CT's grid \(dims) has \(dims.product)"
        }
    }
}
