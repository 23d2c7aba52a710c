import AHNet

/// What a segmentation produced and measured.
public struct SegmentationResult: Sendable {
    /// Labels on the input grid, always by side: 1 = right lung, 2 = left lung.
    public var labels: [UInt8]
    /// Whether the mask to write keeps the sides (`SegmentationOptions.splitLungs`).
    public var splitLungs: Bool
    /// The mask to write: `labels`, or 1 = lung when the sides were not asked for (a new array then).
    public func mask() -> [UInt8] {
        guard !splitLungs else { return labels }
        // In parallel pieces, written once (no zero fill first).
        return [UInt8](unsafeUninitializedCapacity: labels.count) { mask, initialized in
            labels.withUnsafeBufferPointer { labels in
                ParallelFor.run(0..<labels.count, minimumChunk: 1 << 16) { range in
                    for index in range { mask.initializeElement(at: index, to: min(labels[index], 1)) }
                }
            }
            initialized = labels.count
        }
    }
    /// Lung probability on the input grid, made anew by each call from the map kept on the cropped
    /// grid (most runs never ask for it: two input-sized float arrays fewer at the memory peak);
    /// nil when the segmenter did not keep it (`LungSegmenter.keepsProbabilities`).
    public func probabilityOnInputGrid() -> [Float]? { croppedProbability?.onInputGrid() }
    let croppedProbability: CroppedProbability?
    public var windows: SlidingWindow.Statistics
    /// Seconds per stage, in order.
    public var timings: [(stage: PipelineStage, seconds: Double)]
    public var rightVolumeML: Double
    public var leftVolumeML: Double
    public var totalVolumeML: Double
    public var rightMeanHU: Double?
    public var leftMeanHU: Double?
    /// Lungs found: 0, 1 or 2 (a single lung is named by its side, never split).
    public var lungCount: Int
    /// Trachea and main bronchi (lumen and wall), mL; 0 when they were not found or not looked for.
    public var airwaysML: Double
    /// Voxel indices (input grid) of the trachea and main bronchi.
    public var airwayVoxels: [Int]
    /// What the post-processing took out of the network's mask, and why, in mL.
    public var removed: [(reason: RemovalReason, ml: Double)]
    public var warnings: [PipelineWarning]
    /// Smallest and largest input intensity (read once, for the HU check and the report).
    public var intensityRange: ClosedRange<Float>
}

/// The lung probability on the oriented, cropped grid, and how to put it back on the input grid.
struct CroppedProbability: Sendable {
    let values: [Float]
    let mapping: GridMapping

    func onInputGrid() -> [Float] { mapping.toInputGrid(values, background: 0) }
}
