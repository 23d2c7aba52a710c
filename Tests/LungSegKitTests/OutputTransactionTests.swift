import Foundation
import AHNet
import Testing
@testable import LungSegKit

@Suite("Outputs written together")
struct OutputTransactionTests {
    static func folder() throws -> String { try TemporaryFolder().path }

    static let header = NIfTIHeader.synthesized(dims: Size3(2, 2, 2), affine: .scaling(Spacing3(1, 1, 1)), datatypeCode: NIfTIDatatype.uint8.rawValue, description: "")

    /// Nothing replaces a target before every output is written; a failure after some were
    /// written leaves every target as it was and no temporary file behind.
    @Test func aFailureLeavesEveryTargetAsItWas() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (mask, report) = (folder + "/m.nii.gz", folder + "/r.json")
        try Data("old mask".utf8).write(to: URL(fileURLWithPath: mask))
        try Data("old report".utf8).write(to: URL(fileURLWithPath: report))
        let transaction = OutputTransaction()
        try NIfTIWriter.writeMask([UInt8](repeating: 1, count: 8), like: Self.header, to: mask, in: transaction)
        try writeAtomically(Data("new report".utf8), to: report, in: transaction)
        // Both written, neither replaced yet.
        #expect(try String(contentsOfFile: mask, encoding: .utf8) == "old mask")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 4)
        // The third output fails: the whole set is dropped.
        #expect(throws: NIfTIError.self) { try QCPicture.unwritable.write(to: folder + "/missing/qc.png", in: transaction) }
        transaction.discard()
        #expect(try String(contentsOfFile: mask, encoding: .utf8) == "old mask")
        #expect(try String(contentsOfFile: report, encoding: .utf8) == "old report")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == ["m.nii.gz", "r.json"])
    }

    @Test func committingReplacesEveryTarget() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (mask, report) = (folder + "/m.nii.gz", folder + "/r.json")
        try Data("old mask".utf8).write(to: URL(fileURLWithPath: mask))
        let transaction = OutputTransaction()
        try NIfTIWriter.writeMask([UInt8](repeating: 1, count: 8), like: Self.header, to: mask, in: transaction)
        try writeAtomically(Data("new report".utf8), to: report, in: transaction)
        try transaction.commit()
        #expect(try NIfTIReader.read(mask).voxels == [Float](repeating: 1, count: 8))
        #expect(try String(contentsOfFile: report, encoding: .utf8) == "new report")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == ["m.nii.gz", "r.json"])
    }

    /// A killed run's temporary files go when the same output is written again; those of a run
    /// still going, and those of other outputs that share a prefix (case `d` and case `d_1`), stay.
    @Test func leftoversOfDeadRunsOnlyAndOfThisOutputOnly() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let host = AtomicOutput.host
        let dead = ".d_lungs.partial-\(host)-2147483600-\(UUID().uuidString).nii.gz"
        let alive = ".d_lungs.partial-\(host)-1-\(UUID().uuidString).nii.gz"
        let otherCase = ".d_1_lungs.partial-\(host)-2147483600-\(UUID().uuidString).nii.gz"
        let otherHost = ".d_lungs.partial-elsewhere-2147483600-\(UUID().uuidString).nii.gz"
        for name in [dead, alive, otherCase, otherHost] { try Data().write(to: URL(fileURLWithPath: folder + "/" + name)) }
        try NIfTIWriter.writeMask([UInt8](repeating: 0, count: 8), like: Self.header, to: folder + "/d_lungs.nii.gz", in: OutputTransaction())
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == [alive, otherCase, otherHost])
    }

    @Test func outputsThatAreTheInputOrEachOtherAreFound() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/in.nii.gz"
        try Data("ct".utf8).write(to: URL(fileURLWithPath: input))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.nii.gz", withDestinationPath: "in.nii.gz")
        #expect(OutputPaths.collision(input: input, outputs: [("-o", input)]) != nil)
        #expect(OutputPaths.collision(input: input, outputs: [("-o", folder + "/link.nii.gz")]) != nil)
        #expect(OutputPaths.collision(input: input, outputs: [("-o", folder + "/m.nii.gz"), ("--qc", folder + "/./m.nii.gz")]) != nil)
        #expect(OutputPaths.collision(input: folder + "/ct.hdr", outputs: [("-o", folder + "/ct.img")]) != nil)
        #expect(OutputPaths.collision(input: input, outputs: [("-o", folder + "/m.nii.gz"), ("--report", folder + "/r.json")]) == nil)
        #expect(OutputPaths.unwritableFolder(for: folder + "/missing/m.nii.gz") != nil)
        #expect(OutputPaths.unwritableFolder(for: folder) != nil)  // a folder where a file would go
    }
}

extension QCPicture {
    /// A 1x1 picture, for write failures.
    static var unwritable: QCPicture { QCPicture(width: 1, height: 1, pixels: [0, 0, 0]) }
}
