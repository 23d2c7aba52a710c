/// A CT made ready for the network by `LungSegmenter.prepare`: oriented, cropped to the body,
/// resampled, clipped and scaled, with what is needed to map the result back.
public struct PreparedVolume: Sendable {
    public let volume: Volume
    public let intensityRange: ClosedRange<Float>
    let warnings: [PipelineWarning]
    let timings: [(stage: PipelineStage, seconds: Double)]
    let reorientation: Reorientation
    let affine: Affine
    let dims: [Int]
    let spacing: [Double]
    let factors: [Int]
    let coarseDims: [Int]
    let body: CoarseBody?
    /// The CT on the cropped, oriented grid (the anatomical stages look at it).
    let croppedHU: [Float]
    /// The body crop: its first voxel on the oriented grid, and its size.
    let lower: [Int]
    let cropDims: [Int]
    let modelDims: [Int]
    let toSource: [Double]
    /// The model-grid input, clipped and scaled.
    let model: [Float]
}
