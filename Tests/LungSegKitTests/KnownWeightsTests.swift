import AHNet
import Foundation
import Testing
@testable import LungSegKit

@Suite("Published weights recognised by their bytes")
struct KnownWeightsTests {
    /// A file is a release when its size and SHA-256 both match; the size alone decides whether
    /// the file is read at all. (SHA-256 of "abc", FIPS 180-2's example.)
    @Test func sizeThenDigestDecide() throws {
        let folder = try TemporaryFolder().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let release = KnownWeights.Release(
            name: "test release", byteCount: 3, sha256: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            metadata: .nvidiaDefaults)
        try Data("abc".utf8).write(to: URL(fileURLWithPath: folder + "/abc"))
        try Data("abd".utf8).write(to: URL(fileURLWithPath: folder + "/abd"))
        try Data("abcd".utf8).write(to: URL(fileURLWithPath: folder + "/abcd"))
        #expect(KnownWeights.identify(folder + "/abc", among: [release]) == release)
        #expect(KnownWeights.identify(folder + "/abd", among: [release]) == nil)
        #expect(KnownWeights.identify(folder + "/abcd", among: [release]) == nil)
        #expect(KnownWeights.identify(folder + "/missing", among: [release]) == nil)
    }

    @Test func nvidiasReleaseUsesTheModelCard() {
        let release = KnownWeights.claraPTVersion1
        #expect(release.byteCount == 108_907_593 && release.metadata.pipeline == .clara)
        #expect(release.metadata.provenance["name"] == "NVIDIA Clara PT COVID-19 CT lung segmentation, NGC version 1")
    }
}
