import Foundation
@testable import LungSegKit
import AHNet
import Testing

/// `lungseg batch` as a scheduler runs it. The hidden `--weights stub` predictor (a threshold)
/// keeps each case under a second; the loop, status files, skipping and sharding are what is tested.
@Suite("lungseg batch", .serialized, .timeLimit(.minutes(5)))
struct BatchCommandTests {
    struct Workspace {
        let root: String
        var inputs: String { root + "/in" }
        var outputs: String { root + "/out" }
        var status: BatchStatusFolder { BatchStatusFolder(outputFolder: outputs) }

        /// `names` copies of the real CT, and `broken` files that are not NIfTI.
        init(cases names: [String], broken: [String] = []) throws {
            root = NSTemporaryDirectory() + "lungseg-batch-cli-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
            for name in names { try FileManager.default.copyItem(atPath: SegmentCommandTests.ct, toPath: "\(root)/in/\(name).nii.gz") }
            for name in broken { try Data("not a CT".utf8).write(to: URL(fileURLWithPath: "\(root)/in/\(name).nii")) }
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        func batch(_ extra: [String], environment: [String: String] = [:]) throws -> CommandLineTests.Run {
            try CommandLineTests.run(["batch", "--input-folder", inputs, "-o", outputs, "--weights", "stub", "--threads", "1"] + extra,
                                     environment: environment)
        }

        func records() -> [BatchRecord] { status.records() }
    }

    @Test func aFailingCaseDoesNotStopTheBatchAndARerunSkipsFinishedCases() throws {
        let space = try Workspace(cases: ["a", "c"], broken: ["b"])
        defer { space.remove() }
        let first = try space.batch([])
        #expect(first.status == 6, "\(first.error)")
        let records = space.records()
        #expect(records.map(\.name) == ["a", "b", "c"])
        #expect(records.map(\.status) == [.ok, .failed, .ok])
        #expect(records[1].error?.contains("not a NIfTI") == true)
        for name in ["a", "c"] {
            for suffix in ["_lungs.nii.gz", "_report.json", "_qc.png"] {
                #expect(FileManager.default.fileExists(atPath: "\(space.outputs)/\(name)\(suffix)"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: "\(space.outputs)/b_lungs.nii.gz"))
        // Rerun: only the failed case runs again.
        let second = try space.batch([])
        #expect(second.status == 6)
        #expect(space.records().map(\.name) == ["a", "b", "c", "b"])
        // A changed input runs again; --force runs everything.
        try FileManager.default.removeItem(atPath: space.inputs + "/b.nii")
        try FileManager.default.copyItem(atPath: SegmentCommandTests.ct, toPath: space.inputs + "/b.nii.gz")
        let third = try space.batch([])
        #expect(third.status == 0, "\(third.error)")
        #expect(space.records().suffix(1).map(\.status) == [.ok])
        _ = try space.batch(["--force"])
        #expect(space.records().count == 4 + 1 + 3)
        let merged = try CommandLineTests.run(["batch", "--merge", "-o", space.outputs])
        #expect(merged.status == 0, "\(merged.output)")
        let summary = try String(contentsOfFile: space.outputs + "/summary.csv", encoding: .utf8)
        #expect(summary.split(separator: "\n").map { $0.split(separator: ",").prefix(2).joined(separator: ",") }
                == ["case,status", "a,ok", "b,ok", "c,ok"])
    }

    /// A DICOM series folder is a case like a NIfTI file; its mask is NIfTI on the series' grid.
    @Test func aDICOMSeriesFolderIsACase() throws {
        let space = try Workspace(cases: ["nifti"])
        defer { space.remove() }
        let series = CommandLineTests.repository.appendingPathComponent("Tests/LungSegKitTests/Fixtures/dicom_cip_ct64").path
        try FileManager.default.copyItem(atPath: series, toPath: space.inputs + "/dicom_series")
        let run = try space.batch(["--quiet"])
        #expect(run.status == 0, "\(run.error)")
        #expect(space.records().map(\.name) == ["dicom_series", "nifti"])
        let fromDICOM = try NIfTIReader.read(space.outputs + "/dicom_series_lungs.nii.gz")
        let fromNIfTI = try NIfTIReader.read(space.outputs + "/nifti_lungs.nii.gz")
        #expect(fromDICOM.dims == Size3(64, 64, 79))
        // The same voxels; volumes differ only by the NIfTI's float32 spacing (about 1e-6 relative).
        #expect(fromDICOM.voxels.reduce(0, +) == fromNIfTI.voxels.reduce(0, +))
        let volumes = space.records().compactMap(\.totalLungML)
        #expect(volumes.count == 2 && abs(volumes[0] - volumes[1]) < 1e-5 * volumes[1])
    }

    @Test func aCaseOverItsTimeIsRecordedAndLeavesNoOutputs() throws {
        let space = try Workspace(cases: ["slow"])
        defer { space.remove() }
        let run = try space.batch(["--timeout", "0.000001"])
        #expect(run.status == 6)
        #expect(space.records().map(\.status) == [.timedOut])
        #expect(space.records().first?.error?.contains("did not finish within") == true)
        #expect((try FileManager.default.contentsOfDirectory(atPath: space.outputs)) == ["status"])
    }

    /// A run killed in the middle, then started again: every case ends with exactly one ok record,
    /// and the partial files of the killed case are gone.

    /// A generous timeout never fires: every case ok, all outputs there.
    @Test func aGenerousTimeoutDoesNotFire() throws {
        let space = try Workspace(cases: ["g1", "g2"])
        defer { space.remove() }
        let result = try space.batch(["--timeout", "3600", "--quiet"])
        #expect(result.status == 0, "\(result.error)")
        #expect(space.records().map(\.status) == [.ok, .ok])
        for name in ["g1", "g2"] { #expect(FileManager.default.fileExists(atPath: "\(space.outputs)/\(name)_lungs.nii.gz")) }
    }
    @Test func aKilledRunResumes() throws {
        let names = (1...6).map { "case\($0)" }
        let space = try Workspace(cases: names)
        defer { space.remove() }
        let process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = ["batch", "--input-folder", space.inputs, "-o", space.outputs, "--weights", "stub", "--threads", "1", "--quiet"]
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while space.records().isEmpty, Date() < deadline, process.isRunning { usleep(20_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = space.records().count
        #expect(before >= 1 && before < 6, "killed after \(before) cases")
        // What a kill in the middle of writing leaves behind (a process of this host that is gone),
        // and the temporary file of another case whose name begins the same (case6 is not case6_b).
        let host = AtomicOutput.host
        try Data("partial".utf8).write(to: URL(fileURLWithPath: space.outputs + "/.case6_lungs.partial-\(host)-2147483600-1.nii.gz"))
        try Data("partial".utf8).write(to: URL(fileURLWithPath: space.outputs + "/.case6_b_lungs.partial-\(host)-1-2.nii.gz"))
        let resumed = try space.batch(["--quiet"])
        #expect(resumed.status == 0, "\(resumed.error)")
        let records = space.records()
        #expect(records.allSatisfy { $0.status == .ok })
        #expect(Dictionary(grouping: records, by: \.name).mapValues(\.count) == Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }))
        #expect((try FileManager.default.contentsOfDirectory(atPath: space.outputs)).filter { $0.contains(".partial-") } == [".case6_b_lungs.partial-\(host)-1-2.nii.gz"])
    }

    /// Two processes started together on the same output folder and shard share the cases: every
    /// case is done once (the lock per case), not once by each.
    @Test func twoProcessesOnOneShardDoEachCaseOnce() throws {
        let names = (1...6).map { "twin\($0)" }
        let space = try Workspace(cases: names)
        defer { space.remove() }
        let processes = (0..<2).map { _ in
            let process = Process()
            process.executableURL = CommandLineTests.binary
            process.arguments = ["batch", "--input-folder", space.inputs, "-o", space.outputs, "--weights", "stub", "--threads", "1", "--quiet"]
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let records = space.records()
        #expect(Dictionary(grouping: records, by: \.name).mapValues(\.count) == Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }))
    }

    /// Three shards (from --shard, Slurm's and Kubernetes' variables) do every case exactly once.
    @Test func shardsDoEveryCaseExactlyOnce() throws {
        let names = (1...7).map { "ct\($0)" }
        let space = try Workspace(cases: names)
        defer { space.remove() }
        #expect(try space.batch(["--shard", "0/3", "--quiet"]).status == 0)
        #expect(try space.batch(["--quiet"], environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"]).status == 0)
        #expect(try space.batch(["--quiet", "--shard-count", "3"], environment: ["JOB_COMPLETION_INDEX": "2"]).status == 0)
        let records = space.records()
        #expect(records.map(\.name).sorted() == names.sorted())
        #expect(Set(records.map(\.shard)) == ["0/3", "1/3", "2/3"])
        let files = try FileManager.default.contentsOfDirectory(atPath: space.status.path).sorted()
        #expect(files == ["locks", "shard-0-of-3.jsonl", "shard-1-of-3.jsonl", "shard-2-of-3.jsonl"])
        let merged = try CommandLineTests.run(["batch", "--merge", "-o", space.outputs, "--input-folder", space.inputs])
        #expect(merged.status == 0, "\(merged.output)")
        #expect(merged.output.hasPrefix("7 cases with a status: 7 ok, 0 failed, 0 timed out; 0 missing"))
    }

    @Test func badArgumentsAreUsageOrInputErrors() throws {
        let space = try Workspace(cases: ["a"])
        defer { space.remove() }
        #expect(try CommandLineTests.run(["batch", "-o", space.outputs]).status == 64)
        #expect(try space.batch(["--shard", "3/3"]).status == 64)
        #expect(try CommandLineTests.run(["batch", "--manifest", space.root + "/none.csv", "-o", space.outputs]).status == 2)
        let merged = try CommandLineTests.run(["batch", "--merge", "-o", space.outputs, "--input-folder", space.inputs])
        #expect(merged.status == 6)
        #expect(merged.output.contains("a: missing"))
        // An output folder that is (or is inside) the input folder: its masks would be the next run's cases.
        for output in [space.inputs, space.inputs + "/out"] {
            let inside = try CommandLineTests.run(["batch", "--input-folder", space.inputs, "-o", output, "--weights", "stub"])
            #expect(inside.status == 64, "\(inside.error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: space.inputs) == ["a.nii.gz"])
    }
}
