import AHNet
import Foundation

/// What a batch run tells its caller as it goes.
public enum BatchMessage: Sendable, Equatable {
    /// Progress: a case done or skipped (a caller asked for silence drops these).
    case progress(String)
    /// Something the user should see: a case's input warnings.
    case warning(String)
}

/// The case loop of a batch (`lungseg batch`, or any program): skips finished cases, reads and
/// prepares the next case (up to the model-grid input) while the current one runs on the backend,
/// enforces the per-case timeout, writes outputs atomically and one status line per case. A case's
/// failure is its status, never the end of the batch; the backend's own failures are the
/// predictor's to handle (`FallbackPredictor`).
public struct BatchRunner: Sendable {
    public let outputFolder: String
    public let status: BatchStatusFolder
    public let shard: Shard
    public let timeout: Double?
    public let force: Bool
    public let writeQC: Bool
    /// Whether a DICOM case also gets NAME_seg.dcm, a DICOM Segmentation of its series.
    public let writeDICOMSegmentation: Bool
    public let log: @Sendable (BatchMessage) -> Void

    public init(
        outputFolder: String, status: BatchStatusFolder, shard: Shard, timeout: Double?, force: Bool, writeQC: Bool,
        writeDICOMSegmentation: Bool = false, log: @escaping @Sendable (BatchMessage) -> Void
    ) {
        self.writeDICOMSegmentation = writeDICOMSegmentation
        self.outputFolder = outputFolder
        self.status = status
        self.shard = shard
        self.timeout = timeout
        self.force = force
        self.writeQC = writeQC
        self.log = log
    }

    /// What every case shares: loaded once.
    public struct Model {
        public let segmenter: LungSegmenter
        public let weights: String
        public let metadata: ModelMetadata
        public let options: SegmentationOptions

        public init(segmenter: LungSegmenter, weights: String, metadata: ModelMetadata, options: SegmentationOptions) {
            self.segmenter = segmenter
            self.weights = weights
            self.metadata = metadata
            self.options = options
        }
    }

    public struct Outcome: Sendable, Equatable {
        public var ok = 0
        public var failed = 0
        public var timedOut = 0
    }

    /// The output files of a case: NAME_lungs.nii.gz, NAME_report.json, NAME_qc.png, and for a
    /// DICOM series (`source`) NAME_seg.dcm when asked for.
    public func outputs(for item: BatchCase, source: DICOMSeries? = nil) -> SegmentationOutputs {
        let folder = URL(fileURLWithPath: outputFolder)
        var outputs = SegmentationOutputs(
            mask: folder.appendingPathComponent("\(item.name)_lungs.nii.gz").path,
            report: folder.appendingPathComponent("\(item.name)_report.json").path,
            qc: writeQC ? folder.appendingPathComponent("\(item.name)_qc.png").path : nil)
        if writeDICOMSegmentation, let source {
            outputs.dicomSegmentation = (segmentationPath(for: item), source, item.name)
        }
        return outputs
    }

    private func segmentationPath(for item: BatchCase) -> String {
        URL(fileURLWithPath: outputFolder).appendingPathComponent("\(item.name)_seg.dcm").path
    }

    /// The cases not yet done: no ok status, an output missing, or an input changed since.
    public func casesToRun(_ cases: [BatchCase]) -> [BatchCase] {
        guard !force else { return cases }
        let latest = status.latest()
        return cases.filter { item in
            guard let record = latest[item.name], record.status == .ok, let checksum = record.inputChecksum else { return true }
            let paths = outputs(for: item)
            // A DICOM case with lungs found has a Segmentation too, when asked for.
            let segmentation = writeDICOMSegmentation && VolumeInput.isFolder(item.input) && (record.totalLungML ?? 0) > 0
                ? segmentationPath(for: item) : nil
            let expected = [paths.mask, paths.report, paths.qc, segmentation].compactMap { $0 }
            guard expected.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { return true }
            return (try? FileChecksum.sha256(of: item.input)) != checksum
        }
    }

    /// Runs `cases` in order; `device` names what the predictor runs on now (for the status lines).
    public func run(_ cases: [BatchCase], model: Model, predictor: any WindowPredictor, device: () -> String) throws -> Outcome {
        var outcome = Outcome()
        let segmenter = model.segmenter
        let listed = Date()
        var next = cases.first.map { CaseReader.start($0, segmenter: segmenter) }
        for (position, item) in cases.enumerated() {
            guard let reading = next else { break }
            let loaded = reading.wait()
            // Read and prepare the following case while this one runs on the backend.
            next = position + 1 < cases.count ? CaseReader.start(cases[position + 1], segmenter: segmenter) : nil
            // Another process on the same output folder may hold the case, or have finished it since.
            guard let lock = CaseLock.acquire(outputFolder: outputFolder, name: item.name) else {
                log(.progress("[\(position + 1)/\(cases.count)] \(item.name): taken by another process, skipped"))
                continue
            }
            if !force && lock.finished(after: listed) {
                log(.progress("[\(position + 1)/\(cases.count)] \(item.name): finished by another process, skipped"))
                continue
            }
            for warning in loaded.warnings { log(.warning("\(item.input): \(warning)")) }
            let record = try process(item, loaded, model: model, predictor: predictor, device: device)
            try status.append(record, shard: shard)
            lock.markFinished()
            switch record.status {
            case .ok: outcome.ok += 1
            case .failed: outcome.failed += 1
            case .timedOut: outcome.timedOut += 1
            }
            let volume = record.totalLungML.map { String(format: ", lungs %.1f mL", $0) } ?? ""
            let detail = record.error.map { ": \($0)" } ?? ""
            log(.progress(String(format: "[%d/%d] %@: %@ in %.1f s%@%@", position + 1, cases.count, item.name, record.status.rawValue,
                                 record.seconds["total"] ?? 0, volume, detail)))
        }
        return outcome
    }

    /// One case; every failure becomes the case's status.
    private func process(
        _ item: BatchCase, _ loaded: CaseReader.Loaded, model: Model, predictor: any WindowPredictor, device: () -> String
    ) throws -> BatchRecord {
        let clock = ContinuousClock()
        let started = clock.now
        var seconds = ["read and prepare": loaded.seconds]
        func record(_ outcome: BatchRecord.Outcome, error: String? = nil, result: SegmentationResult? = nil, outputs: [String: String] = [:]) -> BatchRecord {
            seconds["total"] = loaded.seconds + elapsed(since: started, clock)
            return BatchRecord(
                name: item.name, input: item.input, status: outcome, error: error, inputChecksum: loaded.checksum, seconds: seconds,
                rightLungML: result?.rightVolumeML, leftLungML: result?.leftVolumeML, totalLungML: result?.totalVolumeML,
                outputs: outputs.mapValues { URL(fileURLWithPath: $0).lastPathComponent }, backend: device(),
                shard: shard.description, host: ProcessInfo.processInfo.hostName, finished: ISO8601DateFormatter().string(from: Date()))
        }
        let prepared: PreparedVolume
        switch loaded.prepared {
        case .success(let value): prepared = value
        case .failure(let error): return record(.failed, error: "\(error)")
        }
        let volume = prepared.volume
        let deadline = timeout.map { started + .milliseconds(Int64($0 * 1000)) }
        do {
            let result = try model.segmenter.segment(prepared, predictor: predictor) { _, _ in
                if let deadline, clock.now > deadline { throw CaseTimedOut() }
            }
            seconds["segment"] = elapsed(since: started, clock)
            if let deadline, clock.now > deadline { throw CaseTimedOut() }
            let writing = clock.now
            // A Segmentation needs something segmented; without, the other outputs are written.
            let source = result.labels.contains(where: { $0 != 0 }) || !result.airwayVoxels.isEmpty ? loaded.dicom : nil
            if writeDICOMSegmentation && loaded.dicom != nil && source == nil {
                log(.warning("\(item.input): nothing was segmented: no DICOM Segmentation written"))
            }
            let written = try outputs(for: item, source: source).write(
                result, volume: volume, inputPath: item.input, weights: model.weights, metadata: model.metadata, backend: device(),
                options: model.options)
            seconds["write"] = elapsed(since: writing, clock)
            return record(.ok, result: result, outputs: written)
        } catch is CaseTimedOut {
            return record(.timedOut, error: String(format: "did not finish within %.1f s", timeout ?? 0))
        } catch {
            return record(.failed, error: "\(error)")
        }
    }
}

private struct CaseTimedOut: Error {}

func elapsed(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
    (clock.now - start).seconds
}

