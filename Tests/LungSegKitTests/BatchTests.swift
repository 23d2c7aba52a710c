import Foundation
import LungSegKit
import Testing

@Suite("Batch: manifests, shards, status files, checksums")
struct BatchTests {
    static func temporaryFolder() throws -> String { try TemporaryFolder().path }

    @Test func manifestLinesHeaderQuotesAndRelativePaths() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = #"""
            input,output name
            # a comment
            scans/b.nii.gz
            /abs/a.nii,first

            "scans/with, comma.nii.gz","quoted ""name"""
            dicom/series7
            dicom/study,lung kernel,1.2.840.113619.2.55.3.7
            dicom/study,soft kernel,1.2.840.113619.2.55.3.8
            dicom/other,,
            """#
        try text.write(toFile: folder + "/m.csv", atomically: true, encoding: .utf8)
        let cases = try BatchManifest.read(manifest: folder + "/m.csv")
        let base = URL(fileURLWithPath: folder).standardized.path
        #expect(cases == [
            BatchCase(input: base + "/scans/b.nii.gz", name: "b"),
            BatchCase(input: "/abs/a.nii", name: "first"),
            BatchCase(input: base + "/scans/with, comma.nii.gz", name: "quoted \"name\""),
            BatchCase(input: base + "/dicom/series7", name: "series7"),
            BatchCase(input: base + "/dicom/study", name: "lung kernel", series: "1.2.840.113619.2.55.3.7"),
            BatchCase(input: base + "/dicom/study", name: "soft kernel", series: "1.2.840.113619.2.55.3.8"),
            BatchCase(input: base + "/dicom/other", name: "other"),
        ].sorted { $0.name < $1.name })
    }

    @Test func manifestErrors() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "a.nii\nb/a.nii.gz\n".write(toFile: folder + "/dup.csv", atomically: true, encoding: .utf8)
        #expect(throws: BatchInputError.duplicateNames(["a"])) { try BatchManifest.read(manifest: folder + "/dup.csv") }
        try "a.nii,x,y,z\n".write(toFile: folder + "/four.csv", atomically: true, encoding: .utf8)
        #expect(throws: BatchInputError.badManifestLine(path: folder + "/four.csv", line: 1, reason: "expected `input[,output name[,series]]`")) {
            try BatchManifest.read(manifest: folder + "/four.csv")
        }
        try "\"a.nii\n".write(toFile: folder + "/quote.csv", atomically: true, encoding: .utf8)
        #expect(throws: BatchInputError.badManifestLine(path: folder + "/quote.csv", line: 1, reason: "unbalanced quotes")) {
            try BatchManifest.read(manifest: folder + "/quote.csv")
        }
        try "a.nii,../escape\n".write(toFile: folder + "/escape.csv", atomically: true, encoding: .utf8)
        #expect(throws: BatchInputError.self) { try BatchManifest.read(manifest: folder + "/escape.csv") }
        try "# nothing\n".write(toFile: folder + "/empty.csv", atomically: true, encoding: .utf8)
        #expect(throws: BatchInputError.noCases(folder + "/empty.csv")) { try BatchManifest.read(manifest: folder + "/empty.csv") }
        #expect(throws: BatchInputError.self) { try BatchManifest.read(manifest: folder + "/missing.csv") }
    }

    @Test func folderListsNIfTIFilesAndSeriesFolders() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["b.nii.gz", "a.nii", "notes.txt", ".hidden.nii"] { try Data().write(to: URL(fileURLWithPath: folder + "/" + name)) }
        try FileManager.default.createDirectory(atPath: folder + "/series1", withIntermediateDirectories: false)
        #expect(try BatchManifest.read(folder: folder).map(\.name) == ["a", "b", "series1"])
    }

    /// Every case lands in exactly one shard, shards differ by at most one case, and the
    /// assignment does not depend on the order the cases were listed in.
    @Test(arguments: [1, 2, 3, 4, 7])
    func shardsPartitionTheCases(count: Int) throws {
        let cases = (0..<20).map { BatchCase(input: "/x/\($0).nii", name: String(format: "case%02d", ($0 * 7) % 20)) }
        var seen: [String: Int] = [:]
        var sizes: [Int] = []
        for index in 0..<count {
            let mine = try Shard(index: index, count: count).select(cases)
            #expect(mine == (try Shard(index: index, count: count).select(cases.reversed())))
            sizes.append(mine.count)
            for item in mine { seen[item.name, default: 0] += 1 }
        }
        #expect(seen.count == 20)
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
    }

    @Test func shardFromFlagsAndSchedulers() throws {
        #expect(try Shard(parsing: "2/5") == (try Shard(index: 2, count: 5)))
        #expect(throws: BatchInputError.self) { try Shard(parsing: "5/5") }
        #expect(throws: BatchInputError.self) { try Shard(parsing: "1-4") }
        #expect(throws: BatchInputError.self) { try Shard(parsing: "0/0") }
        // Slurm: --array=1-3 gives IDs 1...3 and SLURM_ARRAY_TASK_MIN=1.
        let slurm = try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"], countOverride: nil)
        #expect(slurm.0 == (try Shard(index: 2, count: 3)))
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0"], countOverride: 4).0 == (try Shard(index: 0, count: 4)))
        #expect(throws: BatchInputError.self) { try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0"], countOverride: nil) }
        // Kubernetes Indexed Job.
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "1", "LUNGSEG_SHARD_COUNT": "2"], countOverride: nil).0 == (try Shard(index: 1, count: 2)))
        #expect(throws: BatchInputError.self) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2", "LUNGSEG_SHARD_COUNT": "2"], countOverride: nil) }
        #expect(try Shard.fromEnvironment([:], countOverride: nil).0 == .whole)
        #expect(throws: BatchInputError.self) { try Shard.fromEnvironment([:], countOverride: 3) }
    }

    @Test func statusFilesKeepTheLatestRecordAndSkipTornLines() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let status = BatchStatusFolder(outputFolder: folder)
        func record(_ name: String, _ outcome: BatchRecord.Outcome, _ finished: String, ml: Double? = nil) -> BatchRecord {
            BatchRecord(name: name, input: "/in/\(name).nii", status: outcome, error: outcome == .ok ? nil : "boom, it broke",
                        inputChecksum: "sha256:00", seconds: ["total": 1.5], totalLungML: ml, shard: "0/2", host: "h", finished: finished)
        }
        let first = try Shard(index: 0, count: 2)
        let second = try Shard(index: 1, count: 2)
        try status.append(record("a", .failed, "2026-01-01T00:00:00Z"), shard: first)
        try status.append(record("a", .ok, "2026-01-02T00:00:00Z", ml: 4321.04), shard: first)
        try status.append(record("b", .timedOut, "2026-01-01T00:00:00Z"), shard: second)
        // A writer killed mid-line leaves a torn line: ignored.
        let handle = try #require(FileHandle(forWritingAtPath: status.file(for: second)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"name\":\"c\",\"sta".utf8))
        try handle.close()
        let latest = status.latest()
        #expect(latest.keys.sorted() == ["a", "b"])
        #expect(latest["a"]?.status == .ok)
        #expect(latest["b"]?.status == .timedOut)
        let csv = BatchSummary.csv(latest: latest, expected: [BatchCase(input: "/in/c.nii", name: "c")])
        #expect(csv == """
            case,status,total_lung_ml,right_lung_ml,left_lung_ml,seconds,input,error
            a,ok,4321.0,,,1.5,/in/a.nii,
            b,timed out,,,,1.5,/in/b.nii,"boom, it broke"
            c,missing,,,,,/in/c.nii,no record in any status file

            """)
    }

    /// SHA-256 against values from `sha256sum` (and a folder digest that changes with any file).
    @Test func checksums() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("abc".utf8).write(to: URL(fileURLWithPath: folder + "/abc"))
        #expect(try FileChecksum.sha256(of: folder + "/abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        try Data().write(to: URL(fileURLWithPath: folder + "/empty"))
        #expect(try FileChecksum.sha256(of: folder + "/empty") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let before = try FileChecksum.sha256(of: folder)
        try Data("abd".utf8).write(to: URL(fileURLWithPath: folder + "/abc"))
        #expect(try FileChecksum.sha256(of: folder) != before)
        #expect(throws: ChecksumError.unreadable(folder + "/none")) { try FileChecksum.sha256(of: folder + "/none") }
    }

    /// Excel and Windows write CRLF and a byte-order mark; the manifest reads the same.
    @Test func manifestsWithCRLFAndABOM() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("\u{FEFF}input,output name\r\n/abs/a.nii,first\r\n/abs/b.nii.gz\r\n".utf8).write(to: URL(fileURLWithPath: folder + "/crlf.csv"))
        #expect(try BatchManifest.read(manifest: folder + "/crlf.csv") == [BatchCase(input: "/abs/b.nii.gz", name: "b"), BatchCase(input: "/abs/a.nii", name: "first")])
        // An input whose name leaves no case name (`.nii.gz`) is refused, not written as `_lungs.nii.gz`.
        try "/abs/.nii.gz\n".write(toFile: folder + "/empty.csv", atomically: true, encoding: .utf8)
        #expect(throws: BatchInputError.badManifestLine(path: folder + "/empty.csv", line: 1, reason: "output name  must be a plain file name")) {
            try BatchManifest.read(manifest: folder + "/empty.csv")
        }
    }

    /// A case name a spreadsheet would run as a formula is escaped as OWASP recommends; the
    /// summary of 100,000 missing cases is made (one dictionary lookup each).
    @Test func summaryEscapesFormulasAndListsManyMissingCases() {
        for (name, written) in [("=cmd()", "\"'=cmd()\""), ("+1", "\"'+1\""), ("-2", "\"'-2\""), ("@SUM(A1)", "\"'@SUM(A1)\""), ("plain", "plain")] {
            let csv = BatchSummary.csv(latest: [:], expected: [BatchCase(input: "/in/x.nii", name: name)])
            #expect(csv.split(separator: "\n")[1].hasPrefix(written + ",missing,"), "\(csv)")
        }
        let many = (0..<100_000).map { BatchCase(input: "/in/\($0).nii", name: "case\($0)") }
        let csv = BatchSummary.csv(latest: [:], expected: many)
        #expect(csv.split(separator: "\n").count == 100_001)
        #expect(csv.contains("case99999,missing,,,,,/in/99999.nii,"))
    }

    /// One process holds a case at a time; the lock says when the case was last finished.
    @Test func caseLocks() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = Date()
        var first = CaseLock.acquire(outputFolder: folder, name: "d")
        #expect(first != nil)
        #expect(CaseLock.acquire(outputFolder: folder, name: "d") == nil)
        #expect(CaseLock.acquire(outputFolder: folder, name: "d_1") != nil)
        #expect(first?.finished(after: before) == false)
        first?.markFinished()
        first = nil
        let second = try #require(CaseLock.acquire(outputFolder: folder, name: "d"))
        #expect(second.finished(after: before))
        #expect(!second.finished(after: Date().addingTimeInterval(60)))
    }
}
