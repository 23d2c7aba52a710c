import AHNet
import Foundation

/// The JSON report of one segmentation (schema in docs/REPORT.md).
public struct SegmentationReport: Codable, Sendable {
    public struct Input: Codable, Sendable {
        public var path: String
        public var dims: Size3
        public var spacingMM: Spacing3
        public var orientation: String
        public var intensityRange: [Float]
    }
    public struct Model: Codable, Sendable {
        public var weights: String
        public var provenance: [String: String]
        public var pipeline: PipelineParameters
    }
    public struct Lungs: Codable, Sendable {
        public var rightML: Double
        public var leftML: Double
        public var totalML: Double
        public var rightMeanHU: Double?
        public var leftMeanHU: Double?
        /// Lungs found: 0, 1 or 2.
        public var lungCount: Int
        /// Trachea and main bronchi (lumen and wall), taken out of the lung mask.
        public var airwaysML: Double
        /// 1 = lung, or 1 = right and 2 = left when split.
        public var labels: [String: String]
    }
    public struct Removal: Codable, Sendable {
        public var reason: String
        public var mL: Double
    }
    public struct Stage: Codable, Sendable {
        public var stage: String
        public var seconds: Double
    }

    public var lungsegVersion: String
    public var input: Input
    public var model: Model
    public var backend: String
    public var options: SegmentationOptions
    public var windows: SlidingWindow.Statistics
    public var timings: [Stage]
    public var lungs: Lungs
    /// What the post-processing took out of the network's mask.
    public var removed: [Removal]
    public var warnings: [String]
    public var outputs: [String: String]

    public init(
        input: Volume, path: String, weights: String, metadata: ModelMetadata, backend: String, options: SegmentationOptions,
        result: SegmentationResult, outputs: [String: String]
    ) {
        lungsegVersion = LungSegVersion.current
        let range = result.intensityRange
        self.input = Input(path: path, dims: input.dims, spacingMM: input.spacing, orientation: input.orientationCode,
                           intensityRange: [range.lowerBound, range.upperBound])
        model = Model(weights: weights, provenance: metadata.provenance, pipeline: metadata.pipeline)
        self.backend = backend
        self.options = options
        windows = result.windows
        timings = result.timings.map { Stage(stage: $0.stage.rawValue, seconds: ($0.seconds * 1000).rounded() / 1000) }
        lungs = Lungs(
            rightML: (result.rightVolumeML * 10).rounded() / 10, leftML: (result.leftVolumeML * 10).rounded() / 10,
            totalML: (result.totalVolumeML * 10).rounded() / 10, rightMeanHU: result.rightMeanHU.map { ($0 * 10).rounded() / 10 },
            leftMeanHU: result.leftMeanHU.map { ($0 * 10).rounded() / 10 }, lungCount: result.lungCount,
            airwaysML: (result.airwaysML * 10).rounded() / 10,
            labels: options.splitLungs ? ["1": "right lung", "2": "left lung"] : ["1": "lung"])
        removed = result.removed.map { Removal(reason: $0.reason.rawValue, mL: ($0.ml * 10).rounded() / 10) }
        warnings = result.warnings.map(\.description)
        self.outputs = outputs
    }

    /// Pretty-printed, keys sorted.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// The version lungseg reports.
public enum LungSegVersion {
    public static let current = "0.4.0"
}
