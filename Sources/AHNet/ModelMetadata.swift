/// What travels with a set of weights: how to prepare the input, how to read the output, and
/// where the weights came from.
public struct ModelMetadata: Sendable, Equatable, Codable {
    public var pipeline: PipelineParameters
    /// Free-form provenance: name, version, training data, licence, date.
    public var provenance: [String: String]

    public init(pipeline: PipelineParameters, provenance: [String: String]) {
        self.pipeline = pipeline
        self.provenance = provenance
    }

    /// NVIDIA's model card values, used for a bare `model.pt` without a sidecar.
    public static let nvidiaDefaults = ModelMetadata(
        pipeline: .clara,
        provenance: ["name": "clara_pt_covid19_ct_lung_segmentation", "source": "NVIDIA model card defaults"])
}
