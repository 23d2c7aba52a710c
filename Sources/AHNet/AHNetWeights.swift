/// A validated set of AH-Net weights with the model's metadata.
public struct AHNetWeights: Sendable {
    public let architecture: AHNetArchitecture
    public let stateDict: StateDict
    public let metadata: ModelMetadata

    /// Checks the state dict strictly against the architecture (see `AHNetArchitecture.validate`).
    public init(stateDict: StateDict, metadata: ModelMetadata = .nvidiaDefaults, architecture: AHNetArchitecture = .clara) throws(WeightsError) {
        try architecture.validate(stateDict)
        self.architecture = architecture
        self.stateDict = stateDict
        self.metadata = metadata
    }

    /// Number of trainable parameters.
    public var parameterCount: Int { architecture.parameterCount }
}
