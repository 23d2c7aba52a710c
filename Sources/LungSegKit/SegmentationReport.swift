import AHNet
import Foundation

/// The JSON report of one segmentation (schema in docs/REPORT.md).
public struct SegmentationReport: Codable, Sendable {
    public struct Input: Codable, Sendable {
        public var path: String
        public var dims: [Int]
        public var spacingMM: [Double]
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
        public var componentsKept: Int
        /// 1 = lung, or 1 = right and 2 = left when split.
        public var labels: [String: String]
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
        timings = result.timings.map { Stage(stage: $0.stage, seconds: ($0.seconds * 1000).rounded() / 1000) }
        lungs = Lungs(
            rightML: (result.rightVolumeML * 10).rounded() / 10, leftML: (result.leftVolumeML * 10).rounded() / 10,
            totalML: (result.totalVolumeML * 10).rounded() / 10, rightMeanHU: result.rightMeanHU.map { ($0 * 10).rounded() / 10 },
            leftMeanHU: result.leftMeanHU.map { ($0 * 10).rounded() / 10 }, componentsKept: result.componentsKept,
            labels: options.splitLungs ? ["1": "right lung", "2": "left lung"] : ["1": "lung"])
        warnings = result.warnings
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
