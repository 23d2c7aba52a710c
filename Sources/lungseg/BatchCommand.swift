import AHNet
import ArgumentParser
import Foundation
import LungSegKit

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Segment many CTs with the model loaded once: per case a mask, a report and a QC picture, and a status line.",
        discussion: """
            Cases come from a CSV manifest (input[,output name[,series]]: series picks one DICOM series of a folder, as --series does) or a folder (NIfTI files and DICOM series folders).
            Outputs go to OUTPUT/<name>_lungs.nii.gz, <name>_report.json, <name>_qc.png, each written atomically; one
            JSON line per finished case is appended to OUTPUT/status/shard-<i>-of-<n>.jsonl. A case whose last status is
            ok, whose outputs exist and whose input checksum is unchanged is skipped unless --force. A failed or timed-out
            case does not stop the batch. The shard comes from --shard i/n, else from Slurm (SLURM_ARRAY_TASK_ID) or
            Kubernetes (JOB_COMPLETION_INDEX). `--merge` joins every shard's status into OUTPUT/summary.csv.
            Exit codes: 0 every case of this shard is done (or, with --merge, every case is ok); 6 some cases failed,
            timed out (or, with --merge, are missing); 2 bad manifest or folder; 3, 4, 5 as for `segment`; 64 wrong usage (a malformed --shard, an output folder inside the input folder).
            """)

    @Option(help: "A CSV manifest: one case per line, input path and an optional output name.")
    var manifest: String?

    @Option(help: "A folder of cases: NIfTI files and DICOM series subfolders.")
    var inputFolder: String?

    @Option(name: [.customShort("o"), .customLong("output-folder")], help: "Where masks, reports, QC pictures and status files go.")
    var outputFolder: String

    @Option(help: "This process's shard, i/n (0-based); taken from Slurm or Kubernetes when not given.")
    var shard: String?

    @Option(help: "The number of shards, with the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.")
    var shardCount: Int?

    @Option(help: "Seconds one case may take once read (checked between windows); the case is then recorded as timed out.")
    var timeout: Double?

    @Flag(help: "Run every case again, even those already done.")
    var force = false

    @Flag(help: "Join the status files of every shard into OUTPUT/summary.csv instead of segmenting.")
    var merge = false

    @Flag(help: "No QC pictures.")
    var noQc = false

    @Flag(name: .customLong("dicom-seg"), help: "For each DICOM case, also a DICOM Segmentation of its series (NAME_seg.dcm).")
    var dicomSegmentation = false

    @Flag(help: "Only errors and warnings on stderr.")
    var quiet = false

    @OptionGroup var segmentation: SegmentationFlags

    func validate() throws {
        if !merge {
            guard (manifest == nil) != (inputFolder == nil) else { throw ValidationError("give exactly one of --manifest and --input-folder") }
        }
        if let timeout { guard timeout > 0 else { throw ValidationError("--timeout must be positive") } }
        if let shardCount { guard shardCount >= 1 else { throw ValidationError("--shard-count must be at least 1") } }
        // A malformed --shard is wrong usage (ExitStatus.usage), like every other bad option.
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") }
        }
        if let inputFolder {
            // Its own outputs (and status/) would become cases of the next run.
            let (input, output) = (OutputPaths.canonical(inputFolder), OutputPaths.canonical(outputFolder))
            guard output != input && !output.hasPrefix(input + "/") else {
                throw ValidationError("the output folder \(outputFolder) is inside the input folder \(inputFolder): its masks would be read as cases; choose another")
            }
        }
    }

    /// `--threads` bounds every CPU loop of the run, not only the network's.
    func run() throws {
        try ParallelFor.$threadCount.withValue(segmentation.compute.threads) { try runWithThreads() }
    }

    private func runWithThreads() throws {
        do {
            if merge {
                try runMerge()
            } else {
                try runBatch()
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }

    private func cases() throws -> [BatchCase]? {
        if let manifest { return try BatchManifest.read(manifest: manifest) }
        if let inputFolder { return try BatchManifest.read(folder: inputFolder) }
        return nil
    }

    private func runBatch() throws {
        let all = try cases() ?? []
        let (assigned, source) = try shard.map { (try Shard(parsing: $0), "--shard") }
            ?? Shard.fromEnvironment(ProcessInfo.processInfo.environment, countOverride: shardCount)
        let mine = assigned.select(all)
        try createFolder(outputFolder)
        let status = BatchStatusFolder(outputFolder: outputFolder)
        let quiet = self.quiet
        let runner = BatchRunner(
            outputFolder: outputFolder, status: status, shard: assigned, timeout: timeout, force: force, writeQC: !noQc, writeDICOMSegmentation: dicomSegmentation,
            log: { message in
                switch message {
                case .progress(let text): if !quiet { note(text) }
                case .warning(let text): warn(text)
                }
            })
        let todo = runner.casesToRun(mine)
        if !quiet {
            note("shard \(assigned) (\(source)): \(mine.count) of \(all.count) cases, \(mine.count - todo.count) already done, \(todo.count) to run")
        }
        guard !todo.isEmpty else { return }

        // Hidden "stub": the pipeline without a network, for tests.
        let weightsSource = try WeightsSource.chosen(segmentation.weights)
        let loaded = try weightsSource.load()
        let parameters = loaded?.metadata.pipeline ?? .clara
        let segmenter = LungSegmenter(parameters: parameters, options: segmentation.options, keepsProbabilities: false)
        let model = BatchRunner.Model(
            segmenter: segmenter, weights: weightsSource.description, metadata: loaded?.metadata ?? .nvidiaDefaults, options: segmentation.options)
        // The threshold stub needs no backend; the network gets `auto`'s fallback in its predictor.
        let network = try loaded.map { try segmentation.compute.predictor(weights: $0) }
        let predictor: any WindowPredictor = network ?? ThresholdPredictor(parameters: parameters)
        let outcome = try runner.run(todo, model: model, predictor: predictor) { network?.deviceDescription ?? "none (threshold stub)" }
        if !quiet { note("done: \(outcome.ok) ok, \(outcome.failed) failed, \(outcome.timedOut) timed out; status in \(status.file(for: assigned))") }
        if outcome.failed + outcome.timedOut > 0 { throw ExitCode(ExitStatus.someCasesFailed) }
    }

    private func runMerge() throws {
        let status = BatchStatusFolder(outputFolder: outputFolder)
        let latest = status.latest()
        let expected = try cases()
        let csv = BatchSummary.csv(latest: latest, expected: expected)
        try createFolder(outputFolder)
        let summaryPath = URL(fileURLWithPath: outputFolder).appendingPathComponent("summary.csv").path
        try writeAtomically(Data(csv.utf8), to: summaryPath)
        let counts = Dictionary(grouping: latest.values, by: \.status).mapValues(\.count)
        let missing = expected.map { $0.filter { latest[$0.name] == nil }.map(\.name) } ?? []
        let ok = counts[.ok] ?? 0
        print("\(latest.count) cases with a status: \(ok) ok, \(counts[.failed] ?? 0) failed, \(counts[.timedOut] ?? 0) timed out; \(missing.count) missing; summary in \(summaryPath)")
        for record in latest.values.sorted(by: { $0.name < $1.name }) where record.status != .ok {
            print("  \(record.name): \(record.status.rawValue): \(record.error ?? "")")
        }
        for name in missing { print("  \(name): missing (no status in any shard)") }
        if ok != latest.count || !missing.isEmpty { throw ExitCode(ExitStatus.someCasesFailed) }
    }

    private func createFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw NIfTIError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}

