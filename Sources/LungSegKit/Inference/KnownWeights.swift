import AHNet
import Foundation

/// Weights files published by others that lungseg recognises by their bytes, so that `info` and
/// the report can name them and the pipeline use their model card's parameters.
public enum KnownWeights {
    /// One published file.
    public struct Release: Sendable, Equatable {
        /// What `info` and the report call it.
        public var name: String
        public var byteCount: Int
        /// `sha256:HEX`, as `FileChecksum` writes it.
        public var sha256: String
        /// The parameters its model card publishes.
        public var metadata: ModelMetadata
    }

    /// The `model.pt` of NGC's clara_pt_covid19_ct_lung_segmentation, version 1: a plain state
    /// dict in MONAI's layout (size and SHA-256 as downloaded from NGC by others).
    public static let claraPTVersion1 = Release(
        name: "NVIDIA Clara PT COVID-19 CT lung segmentation, NGC version 1", byteCount: 108_907_593,
        sha256: "sha256:87359fe7039e3fbe6e9b817268e511f1d0d4405a1d12ea064be79291038a0a2c",
        metadata: ModelMetadata(pipeline: .clara, provenance: [
            "name": "NVIDIA Clara PT COVID-19 CT lung segmentation, NGC version 1",
            "source": "NGC clara_pt_covid19_ct_lung_segmentation:1 (recognised by size and SHA-256); pipeline from its model card",
        ]))

    public static let releases = [claraPTVersion1]

    /// Names the release `path` is, if any, and gives `contents` its model card's metadata when
    /// nothing better came with the file (no `__metadata__`, no sidecar).
    @discardableResult
    public static func recognise(_ contents: inout WeightsFile.Contents, path: String) -> Release? {
        guard let release = identify(path) else { return nil }
        if contents.metadataSource.hasPrefix("defaults") {
            contents.metadata = release.metadata
            contents.metadataSource = "the model card of \(release.name)"
        }
        return release
    }

    /// The release `path` is: its size first (no reading), then its SHA-256; nil for any other file.
    public static func identify(_ path: String, among releases: [Release] = releases) -> Release? {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber else { return nil }
        let candidates = releases.filter { $0.byteCount == size.intValue }
        guard !candidates.isEmpty, let digest = try? FileChecksum.sha256(of: path) else { return nil }
        return candidates.first { $0.sha256 == digest }
    }
}
