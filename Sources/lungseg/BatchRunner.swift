import AHNet
import AHNetCL
import Foundation
import LungSegKit

/// The case loop of `lungseg batch`: skips finished cases, reads and prepares the next case (up
/// to the model-grid input) while the current one runs on the backend, enforces the per-case timeout, writes outputs atomically and one status line per case.
struct BatchRunner {
    let outputFolder: String
    let status: BatchStatusFolder
    let shard: Shard
    let timeout: Double?
    let force: Bool
    let writeQC: Bool
    let quiet: Bool

    /// What every case shares: loaded once.
    struct Model {
        let segmenter: LungSegmenter
        let weights: String
        let metadata: ModelMetadata
        let options: SegmentationOptions
    }

    struct Outcome {
        var ok = 0
        var failed = 0
        var timedOut = 0
    }

    func outputs(for item: BatchCase) -> SegmentationOutputs {
        let folder = URL(fileURLWithPath: outputFolder)
        return SegmentationOutputs(
            mask: folder.appendingPathComponent("\(item.name)_lungs.nii.gz").path,
            report: folder.appendingPathComponent("\(item.name)_report.json").path,
            qc: writeQC ? folder.appendingPathComponent("\(item.name)_qc.png").path : nil)
    }

    /// The cases not yet done: no ok status, an output missing, or an input changed since.
    func casesToRun(_ cases: [BatchCase]) -> [BatchCase] {
        guard !force else { return cases }
        let latest = status.latest()
        return cases.filter { item in
            guard let record = latest[item.name], record.status == .ok, let checksum = record.inputChecksum else { return true }
            let paths = outputs(for: item)
            let expected = [paths.mask, paths.report, paths.qc].compactMap { $0 }
            guard expected.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { return true }
            return (try? FileChecksum.sha256(of: item.input)) != checksum
        }
    }

    func run(_ cases: [BatchCase], model: Model, predictor: any WindowPredictor, backendName: String) throws -> Outcome {
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
                if !quiet { note("[\(position + 1)/\(cases.count)] \(item.name): taken by another process, skipped") }
                continue
            }
            if !force && lock.finished(after: listed) {
                if !quiet { note("[\(position + 1)/\(cases.count)] \(item.name): finished by another process, skipped") }
                continue
            }
            let record = try process(item, loaded, model: model, predictor: predictor, backendName: backendName)
            try status.append(record, shard: shard)
            lock.markFinished()
            switch record.status {
            case .ok: outcome.ok += 1
            case .failed: outcome.failed += 1
            case .timedOut: outcome.timedOut += 1
            }
            if !quiet {
                let volume = record.totalLungML.map { String(format: ", lungs %.1f mL", $0) } ?? ""
                let detail = record.error.map { ": \($0)" } ?? ""
                note(String(format: "[%d/%d] %@: %@ in %.1f s%@%@", position + 1, cases.count, item.name, record.status.rawValue,
                            record.seconds["total"] ?? 0, volume, detail))
            }
        }
        return outcome
    }

    /// One case; an OpenCL failure is rethrown (so that `auto` can fall back to the CPU), every
    /// other failure becomes the case's status.
    private func process(
        _ item: BatchCase, _ loaded: CaseReader.Loaded, model: Model, predictor: any WindowPredictor, backendName: String
    ) throws -> BatchRecord {
        let clock = ContinuousClock()
        let started = clock.now
        var seconds = ["read and prepare": loaded.seconds]
        func record(_ outcome: BatchRecord.Outcome, error: String? = nil, result: SegmentationResult? = nil, outputs: [String: String] = [:]) -> BatchRecord {
            seconds["total"] = loaded.seconds + elapsed(since: started, clock)
            return BatchRecord(
                name: item.name, input: item.input, status: outcome, error: error, inputChecksum: loaded.checksum, seconds: seconds,
                rightLungML: result?.rightVolumeML, leftLungML: result?.leftVolumeML, totalLungML: result?.totalVolumeML,
                outputs: outputs.mapValues { URL(fileURLWithPath: $0).lastPathComponent }, backend: backendName,
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
            let written = try outputs(for: item).write(
                result, volume: volume, inputPath: item.input, weights: model.weights, metadata: model.metadata, backend: backendName,
                options: model.options)
            seconds["write"] = elapsed(since: writing, clock)
            return record(.ok, result: result, outputs: written)
        } catch is CaseTimedOut {
            return record(.timedOut, error: String(format: "did not finish within %.1f s", timeout ?? 0))
        } catch let error as OpenCLError {
            throw error
        } catch {
            return record(.failed, error: "\(error)")
        }
    }
}

private struct CaseTimedOut: Error {}

private func elapsed(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
    let duration = clock.now - start
    return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// Reads a case, prepares it for the network and checksums it, on a background thread.
final class CaseReader: @unchecked Sendable {
    struct Loaded: Sendable {
        var prepared: Result<PreparedVolume, any Error>
        var checksum: String?
        var seconds: Double
    }

    private let done = DispatchSemaphore(value: 0)
    private var loaded: Loaded?

    static func start(_ item: BatchCase, segmenter: LungSegmenter) -> CaseReader {
        let reader = CaseReader()
        let input = item.input
        DispatchQueue.global().async {
            let clock = ContinuousClock()
            let started = clock.now
            let prepared = Result { try segmenter.prepare(readVolume(input)) }
            let checksum = try? FileChecksum.sha256(of: input)
            reader.loaded = Loaded(prepared: prepared, checksum: checksum, seconds: elapsed(since: started, clock))
            reader.done.signal()
        }
        return reader
    }

    /// Blocks until the case is read; the semaphore orders the write of `loaded` before this read.
    func wait() -> Loaded {
        done.wait()
        done.signal()
        return loaded ?? Loaded(prepared: .failure(CaseReaderLost()), checksum: nil, seconds: 0)
    }
}

private struct CaseReaderLost: Error, CustomStringConvertible {
    var description: String { "the background read of this case produced nothing" }
}

/// A CT as a volume: a NIfTI file or a DICOM series folder; the reader's warnings go to stderr.
func readVolume(_ path: String) throws -> Volume {
    let (volume, warnings) = try VolumeInput.read(path)
    for warning in warnings { warn("\(path): \(warning)") }
    return volume
}
