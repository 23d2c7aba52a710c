import Foundation

/// Loads AH-Net weights from a safetensors file or a `torch.save` archive (NVIDIA's `model.pt`),
/// with the model metadata from the safetensors `__metadata__`, a JSON sidecar
/// (`<file>.json`, e.g. `model.pt.json`), or NVIDIA's model-card defaults.
public enum WeightsFile {
    /// What a weights file holds, before strict validation.
    public struct Contents: Sendable {
        public var stateDict: StateDict
        public var metadata: ModelMetadata
        public var format: String
        /// Where the metadata came from: "__metadata__", a sidecar path, or "defaults".
        public var metadataSource: String
    }

    public static func read(_ path: String) throws(WeightsError) -> Contents {
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .malformed(path: path, reason: "unreadable") }
        let prefix = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()

        let sidecar = path + ".json"
        if Safetensors.looksLikeSafetensors(prefix) {
            let (tensors, strings) = try Safetensors.read(path)
            if let json = strings["lungseg"] {
                return Contents(stateDict: tensors, metadata: try decodeMetadata(Data(json.utf8)), format: "safetensors", metadataSource: "__metadata__")
            }
            let (metadata, source) = try sidecarMetadata(sidecar)
            return Contents(stateDict: tensors, metadata: metadata, format: "safetensors", metadataSource: source)
        }
        if TorchArchive.looksLikeZip(prefix) {
            let tensors = try TorchArchive.read(path)
            let (metadata, source) = try sidecarMetadata(sidecar)
            return Contents(stateDict: tensors, metadata: metadata, format: "PyTorch archive (torch.save)", metadataSource: source)
        }
        throw .unknownFormat(path: path)
    }

    /// Reads and validates strictly against the Clara-config architecture.
    public static func load(_ path: String) throws(WeightsError) -> AHNetWeights {
        let contents = try read(path)
        return try AHNetWeights(stateDict: contents.stateDict, metadata: contents.metadata)
    }

    private static func sidecarMetadata(_ sidecar: String) throws(WeightsError) -> (ModelMetadata, String) {
        guard let data = FileManager.default.contents(atPath: sidecar) else { return (.nvidiaDefaults, "defaults (NVIDIA model card)") }
        return (try decodeMetadata(data), sidecar)
    }

    static func decodeMetadata(_ data: Data) throws(WeightsError) -> ModelMetadata {
        let metadata: ModelMetadata
        do {
            metadata = try JSONDecoder().decode(ModelMetadata.self, from: data)
        } catch {
            throw .invalidMetadata(reason: "\(error)")
        }
        let pipeline = metadata.pipeline
        guard pipeline.spacing.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .invalidMetadata(reason: "spacing must be three positive numbers")
        }
        guard pipeline.windowSize.allSatisfy({ $0 > 0 && $0 % 32 == 0 }) else {
            throw .invalidMetadata(reason: "window size must be three positive multiples of 32")
        }
        guard pipeline.clipMin < pipeline.clipMax else { throw .invalidMetadata(reason: "clip range is empty") }
        return metadata
    }
}
