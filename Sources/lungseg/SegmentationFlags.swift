import AHNet
import ArgumentParser
import Foundation
import LungSegKit

/// The model, backend and pipeline options shared by `segment` and `batch`.
struct SegmentationFlags: ParsableArguments {
    @Option(help: "Model weights (safetensors or NVIDIA's model.pt), or seeded[:SALT] for untrained test weights; the bundled model when omitted.")
    var weights: String?

    @Option(help: "Compute backend: auto, cpu or opencl.")
    var backend: BackendChoice = .auto

    @Option(help: "OpenCL device index (see `lungseg devices`).")
    var device: Int?

    @Option(help: "Overlap of neighbouring windows, 0 ..< 1.")
    var overlap: Double = 0.25

    @Option(help: "Blending of overlapping windows: gaussian or constant.")
    var blend: String = "gaussian"

    @Option(help: "Windows per forward pass.")
    var batch: Int = 1

    @Option(help: "CPU threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Label the right lung 1 and the left lung 2.")
    var splitLungs = false

    @Flag(help: "Do not crop to the body before inference.")
    var noBodyCrop = false

    @Flag(help: "Keep every thresholded component and do not fill holes.")
    var noPostprocessing = false

    func validate() throws {
        guard overlap >= 0 && overlap <= SegmentationOptions.maximumOverlap else {
            throw ValidationError("--overlap must be between 0 and \(SegmentationOptions.maximumOverlap) (beyond it the windows grow past a thousandfold)")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard batch <= SegmentationOptions.maximumBatchSize else {
            throw ValidationError("--batch \(batch) needs about \(batch * SegmentationOptions.bytesPerBatchedWindow / 1_000_000_000) GB of memory; this machine holds at most \(SegmentationOptions.maximumBatchSize) windows")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard BlendMode(rawValue: blend) != nil else { throw ValidationError("--blend must be gaussian or constant") }
    }

    var options: SegmentationOptions {
        var options = SegmentationOptions()
        options.overlap = overlap
        options.blend = BlendMode(rawValue: blend) ?? .gaussian
        options.batchSize = batch
        options.splitLungs = splitLungs
        options.bodyCrop = !noBodyCrop
        options.anatomicalPostprocessing = !noPostprocessing
        options.fillHoles = !noPostprocessing
        return options
    }

    /// The weights argument: `--weights`, or the bundled model's path.
    func weightsArgument() throws -> String { try weights ?? BundledModel.locate() }
}

/// Where the outputs of one segmentation go; every file is written atomically.
struct SegmentationOutputs {
    var mask: String
    var report: String?
    var qc: String?
    var probabilities: String?
    /// The trachea and main bronchi as a mask (1 = airway).
    var airways: String? = nil

    /// Writes every output to a temporary file, then renames them all over their targets: either
    /// all are replaced or none is (a failure removes every temporary file). Returns what was
    /// written, by kind.
    @discardableResult
    func write(
        _ result: SegmentationResult, volume: Volume, inputPath: String, weights: String, metadata: ModelMetadata, backend: String,
        options: SegmentationOptions
    ) throws -> [String: String] {
        let transaction = OutputTransaction()
        do {
            try NIfTIWriter.writeMask(result.mask(), like: volume.header, to: mask, in: transaction)
            var outputs = ["mask": mask]
            if let probabilities {
                try NIfTIWriter.writeMap(result.probabilityOnInputGrid(), like: volume.header, to: probabilities, in: transaction)
                outputs["probabilities"] = probabilities
            }
            if let airways {
                var airwayMask = [UInt8](repeating: 0, count: volume.count)
                for index in result.airwayVoxels { airwayMask[index] = 1 }
                try NIfTIWriter.writeMask(airwayMask, like: volume.header, to: airways, in: transaction)
                outputs["airways"] = airways
            }
            if let qc {
                try QCPicture(volume: volume, labels: result.labels, airways: result.airwayVoxels,
                              volumesML: [result.rightVolumeML, result.leftVolumeML, result.airwaysML]).write(to: qc, in: transaction)
                outputs["qc"] = qc
            }
            if let report {
                outputs["report"] = report
                let document = SegmentationReport(
                    input: volume, path: inputPath, weights: weights, metadata: metadata, backend: backend, options: options,
                    result: result, outputs: outputs)
                try writeAtomically(try document.json(), to: report, in: transaction)
            }
            try transaction.commit()
            return outputs
        } catch {
            transaction.discard()
            throw error
        }
    }
}
