import AHNet
import ArgumentParser
import Foundation
import LungSegKit

/// The model, backend and pipeline options shared by `segment` and `batch`.
struct SegmentationFlags: ParsableArguments {
    @Option(help: "Model weights (safetensors or NVIDIA's model.pt), or seeded[:SALT] for untrained test weights; the bundled model when omitted.")
    var weights: WeightsSource?

    @Option(help: "Overlap of neighbouring windows, 0 ..< 1.")
    var overlap: Double = 0.25

    @Option(help: "Blending of overlapping windows: gaussian or constant.")
    var blend: BlendMode = .gaussian

    @Option(help: "Windows per forward pass.")
    var batch: Int = 1

    @OptionGroup var compute: BackendFlags

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
    }

    var options: SegmentationOptions {
        var options = SegmentationOptions()
        options.overlap = overlap
        options.blend = blend
        options.batchSize = batch
        options.splitLungs = splitLungs
        options.bodyCrop = !noBodyCrop
        options.anatomicalPostprocessing = !noPostprocessing
        options.fillHoles = !noPostprocessing
        return options
    }
}

extension BlendMode: ExpressibleByArgument {}
