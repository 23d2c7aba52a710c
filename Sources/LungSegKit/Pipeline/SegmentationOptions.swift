import Foundation

/// Switches of the pipeline, each reported.
public struct SegmentationOptions: Sendable, Codable, Equatable {
    public var overlap: Double = 0.25
    public var blend: BlendMode = .gaussian
    public var batchSize: Int = 1
    /// Crop to the patient's body (largest component above -500 HU, holes filled) plus a margin.
    public var bodyCrop: Bool = true
    public var bodyMarginMM: Double = 10
    /// The anatomical post-processing (docs/ARCHITECTURE.md): nothing outside the body, the
    /// trachea and main bronchi taken out, gas and far islands dropped, right and left split
    /// along their junction. Off, the mask is the thresholded network output.
    public var anatomicalPostprocessing: Bool = true
    public var fillHoles: Bool = true
    /// Label right lung 1 and left lung 2 (by the patient's left-right world axis).
    public var splitLungs: Bool = false
    public var threshold: Float = 0.5

    public init() {}

    /// The largest overlap: at 0.9 a window moves a tenth of its size, about 1,000 times the
    /// windows of no overlap; beyond it the run practically never ends.
    public static let maximumOverlap = 0.9
    /// Host memory one window of a batch takes (the network's activations on the CPU backend:
    /// 641 MB peak for one window, docs/ARCHITECTURE.md), for bounding `batchSize`.
    public static let bytesPerBatchedWindow = 700_000_000

    /// The largest batch this machine's memory holds (at least 1).
    public static var maximumBatchSize: Int {
        let memory = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        return max(1, memory / bytesPerBatchedWindow)
    }

    /// Throws `PipelineError.invalidOptions` when the options cannot be used: a library caller
    /// gets the same checks as the command line (a NaN or negative overlap, a batch beyond memory).
    public func validate() throws(PipelineError) {
        if let problem = problem() { throw .invalidOptions(problem) }
    }

    /// Why these options cannot be used, or nil.
    public func problem() -> String? {
        guard overlap.isFinite, overlap >= 0, overlap <= Self.maximumOverlap else {
            return "overlap \(overlap) must be between 0 and \(Self.maximumOverlap)"
        }
        guard batchSize >= 1, batchSize <= Self.maximumBatchSize else {
            return "a batch of \(batchSize) windows needs about \(batchSize * Self.bytesPerBatchedWindow / 1_000_000_000) GB; this machine holds at most \(Self.maximumBatchSize)"
        }
        guard threshold.isFinite, threshold > 0, threshold < 1 else { return "threshold \(threshold) must be between 0 and 1" }
        guard bodyMarginMM.isFinite, bodyMarginMM >= 0 else { return "body margin \(bodyMarginMM) must be a non-negative number of mm" }
        return nil
    }
}
