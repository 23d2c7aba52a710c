/// A CT made ready for the network by `LungSegmenter.prepare`: oriented, cropped to the body,
/// resampled, clipped and scaled, with what is needed to map the result back.
public struct PreparedVolume: Sendable {
    public let volume: Volume
    public let intensityRange: ClosedRange<Float>
    /// Whether every voxel is a whole number that Int16 holds (`Volume.valueSummary`).
    let wholeNumbers: Bool
    let warnings: [PipelineWarning]
    let timings: [(stage: PipelineStage, seconds: Double)]
    /// From the input grid to the model's and back.
    let mapping: GridMapping
    /// The patient on a coarse grid (nil when neither the crop nor the anatomy asked for it).
    let body: CoarseBody?
    /// The CT on the cropped, oriented grid in whole HU (`WholeHU`; the anatomical stages look at it).
    let croppedHU: [Int16]
    /// The model-grid input, clipped and scaled (emptied once the network has run).
    var model: [Float]
}
