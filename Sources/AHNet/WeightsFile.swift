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
            let (read, strings) = try Safetensors.read(path)
            let (tensors, note) = withoutDataParallelPrefix(read)
            if let json = strings["lungseg"] {
                return Contents(stateDict: tensors, metadata: try decodeMetadata(Data(json.utf8)), format: "safetensors" + note, metadataSource: "__metadata__")
            }
            let (metadata, source) = try sidecarMetadata(sidecar)
            return Contents(stateDict: tensors, metadata: metadata, format: "safetensors" + note, metadataSource: source)
        }
        if TorchArchive.looksLikeZip(prefix) {
            let layout = try TorchArchive.readLayout(path)
            let (metadata, source) = try sidecarMetadata(sidecar)
            let (tensors, note) = withoutDataParallelPrefix(layout.stateDict)
            return Contents(stateDict: tensors, metadata: metadata, format: layout.description + note, metadataSource: source)
        }
        if prefix.starts(with: legacyTorchMagic) { throw .legacyTorchFormat(path: path) }
        if let kind = tensorFlowKind(path) { throw .tensorFlowModel(path: path, kind: kind) }
        throw .unknownFormat(path: path)
    }

    /// The start of a pre-1.6 `torch.save` file: pickle protocol 2, then LONG1 of the magic number
    /// 0x1950a86a20f9469cfc6c.
    static let legacyTorchMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// The kind of TensorFlow file a name says, as Clara Train 3 releases name them.
    static func tensorFlowKind(_ path: String) -> String? {
        let name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".trt.pb") { return "TensorRT graph" }
        if name.hasSuffix(".fzn.pb") || name.hasSuffix(".pb") { return "frozen graph (GraphDef)" }
        if name.contains(".ckpt") || name.hasSuffix(".index") || name.contains(".data-") || name.hasSuffix(".meta") || name == "checkpoint" {
            return "checkpoint"
        }
        return nil
    }

    /// A state dict saved from `nn.DataParallel` names every tensor "module.…": the prefix goes.
    static func withoutDataParallelPrefix(_ tensors: StateDict) -> (StateDict, String) {
        let prefix = "module."
        guard !tensors.isEmpty, tensors.keys.allSatisfy({ $0.hasPrefix(prefix) }) else { return (tensors, "") }
        return (Dictionary(uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst(prefix.count)), $0.value) }), ", \"module.\" prefix removed")
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
