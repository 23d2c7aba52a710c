import AHNet
import ArgumentParser
import Foundation
import LungSegKit

/// Re-runs the steps after the network on a probability map that `segment --probabilities` wrote:
/// a new post-processing on old results, without a network or a GPU.
struct PostprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postprocess",
        abstract: "Threshold and post-process a saved lung probability map of a CT (no network).",
        discussion: "PROBABILITIES is the map `lungseg segment --probabilities` wrote for the same CT; the mask, report and QC picture are those `segment` would write with the same options.")

    @Argument(help: "The CT volume (.nii, .nii.gz, .hdr/.img) or a folder of DICOM files.")
    var input: String

    @Option(help: "The SeriesInstanceUID to read when INPUT is a DICOM folder.")
    var series: String?

    @Option(help: "The lung probability map on the CT's grid (.nii or .nii.gz).")
    var probabilities: String

    @OptionGroup var outputs: OutputFlags

    @Flag(help: "Label the right lung 1 and the left lung 2.")
    var splitLungs = false

    @Flag(help: "Only threshold: no anatomical post-processing, no hole filling.")
    var noPostprocessing = false

    func validate() throws { try outputs.validateDistinct(input: input, extra: [("--probabilities", probabilities)]) }

    func run() throws {
        do {
            try outputs.check()
            let (volume, inputWarnings) = try VolumeInput.read(input, series: series)
            for warning in inputWarnings { warn(warning) }
            let map = try NIfTIReader.read(probabilities)
            guard map.dims == volume.dims else { throw PipelineError.probabilityGridMismatch(expected: volume.dims, count: map.count) }
            var options = SegmentationOptions()
            options.splitLungs = splitLungs
            options.anatomicalPostprocessing = !noPostprocessing
            options.fillHoles = !noPostprocessing
            let metadata = ModelMetadata.nvidiaDefaults
            let result = try LungSegmenter(parameters: metadata.pipeline, options: options, keepsProbabilities: false).postprocess(volume, probability: map.voxels)
            try outputs.outputs().write(
                result, volume: volume, inputPath: input, weights: probabilities, metadata: metadata, backend: "none (saved probabilities)", options: options)
            for warning in result.warnings { warn(warning.description) }
            let summary = String(format: "lungs: right %.1f mL, left %.1f mL, total %.1f mL; airways %.1f mL", result.rightVolumeML, result.leftVolumeML, result.totalVolumeML, result.airwaysML)
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }
}
