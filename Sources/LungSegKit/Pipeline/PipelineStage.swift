/// The pipeline's stages, in the order they run; the raw value is the name the report's
/// `timings` use.
public enum PipelineStage: String, Sendable, Codable, CaseIterable {
    /// Permutes and flips to the model's orientation (`Reorientation`).
    case orient
    /// The patient's body found on a ~2 mm grid and the volume cropped to it (`CoarseBody`).
    case bodyCrop = "body crop"
    /// Linear resampling to the model spacing, clip and scale (`ModelInput`).
    case resample
    /// Sliding windows through the predictor, blended (`SlidingWindow`).
    case inference
    /// The probability brought back to the cropped input grid.
    case resampleBack = "resample back"
    /// `postprocess` only: a saved probability map cropped like the CT.
    case cropProbability = "crop probability"
    /// Threshold and the anatomical post-processing (`AnatomicalPostprocessing`).
    case postprocess = "post-process"
    /// Back to the input orientation; volumes, mean HU, the checks that warn.
    case measure
}

/// Seconds per pipeline stage, in order.
struct StageTimer {
    private(set) var timings: [(stage: PipelineStage, seconds: Double)]
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    init(_ timings: [(stage: PipelineStage, seconds: Double)] = []) {
        self.timings = timings
        mark = clock.now
    }

    /// Records the time since the previous lap (or the start) as `stage`.
    mutating func lap(_ stage: PipelineStage) {
        let now = clock.now
        let elapsed = now - mark
        timings.append((stage, elapsed.seconds))
        mark = now
    }
}
