import ArgumentParser
import Foundation
import LungSegKit

/// The per-case outputs `segment` and `postprocess` share.
struct OutputFlags: ParsableArguments {
    @Option(name: .shortAndLong, help: "The mask to write (.nii or .nii.gz).")
    var output: String

    @Option(help: "A JSON report to write.")
    var report: String?

    @Option(help: "A PNG quality-control picture to write.")
    var qc: String?

    @Option(help: "A mask of the trachea and main bronchi to write (.nii or .nii.gz; 1 = airway).")
    var airways: String?

    /// Refuses unusable output names and missing or read-only folders before any work is done;
    /// `extraVolumes` are further NIfTI outputs (the probability map).
    func check(extraVolumes: [String?] = [], others: [String?] = []) throws {
        let volumes = ([output, airways] + extraVolumes).compactMap { $0 }
        for path in volumes where !(path.hasSuffix(".nii") || path.hasSuffix(".nii.gz")) {
            throw NIfTIError.unsupportedOutputName(path: path)
        }
        for path in volumes + ([report, qc] + others).compactMap({ $0 }) {
            if let reason = OutputPaths.unwritableFolder(for: path) { throw NIfTIError.writeFailed(path: path, reason: reason) }
        }
    }

    /// A usage error when an output is the input or two outputs are one file (after symlinks).
    func validateDistinct(input: String, extra: [(option: String, path: String?)] = []) throws {
        let named: [(option: String, path: String?)] = [("-o", output), ("--report", report), ("--qc", qc), ("--airways", airways)] + extra
        if let problem = OutputPaths.collision(input: input, outputs: named.compactMap { item in item.path.map { (item.option, $0) } }) {
            throw ValidationError(problem)
        }
    }

    /// The writer for these outputs and an optional probability map.
    func outputs(probabilities: String? = nil) -> SegmentationOutputs {
        SegmentationOutputs(mask: output, report: report, qc: qc, probabilities: probabilities, airways: airways)
    }
}
