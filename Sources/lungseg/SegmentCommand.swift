import AHNet
import ArgumentParser
import Foundation
import LungSegKit

struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment the lungs of a chest CT into a NIfTI mask on exactly the input grid.",
        discussion: "The mask is written atomically with the input header copied; see README.md for the report schema and exit codes.")

    @Argument(help: "The CT volume (.nii, .nii.gz, .hdr/.img) or a folder of DICOM files.")
    var input: String

    @Option(help: "The SeriesInstanceUID to read when INPUT is a DICOM folder (default: the CT series with the most slices, ORIGINAL/PRIMARY preferred).")
    var series: String?

    @OptionGroup var outputs: OutputFlags

    @Option(help: "The lung probability map to write (.nii or .nii.gz, float32).")
    var probabilities: String?

    @Option(name: .customLong("dicom-seg"), help: "A DICOM Segmentation of the input series to write (INPUT must be a DICOM folder).")
    var dicomSegmentation: String?

    @OptionGroup var segmentation: SegmentationFlags

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        try outputs.validateDistinct(input: input, extra: [("--probabilities", probabilities), ("--dicom-seg", dicomSegmentation)])
        if dicomSegmentation != nil && !VolumeInput.isFolder(input) {
            throw ValidationError("--dicom-seg needs a DICOM series folder as INPUT: a NIfTI file has no study or images to reference")
        }
    }

    /// `--threads` bounds every CPU loop of the run, not only the network's.
    func run() throws {
        try ParallelFor.$threadCount.withValue(segmentation.compute.threads) { try runWithThreads() }
    }

    private func runWithThreads() throws {
        do {
            try outputs.check(extraVolumes: [probabilities], others: [dicomSegmentation])
            // The model loads while the CT is read; an unreadable CT is still reported first.
            let weights = segmentation.weights
            let model = BackgroundResult { () throws -> (WeightsSource, AHNetWeights?) in
                let source = try WeightsSource.chosen(weights)
                return (source, try source.load())
            }
            let (volume, inputWarnings, dicom) = try VolumeInput.readSource(input, series: series)
            for warning in inputWarnings { warn(warning) }
            let (source, weightsOrStub) = try model.value()
            guard let loaded = weightsOrStub else {
                // Hidden: the pipeline without a network (a threshold), for measuring memory and time.
                try runStub(volume, source: dicom)
                return
            }
            let options = segmentation.options
            let segmenter = LungSegmenter(parameters: loaded.metadata.pipeline, options: options, keepsProbabilities: probabilities != nil)
            let progress = ProgressBar(enabled: !quiet && isatty(STDERR_FILENO) != 0)
            let predictor = try segmentation.compute.predictor(weights: loaded)
            let result = try segmenter.segment(volume, predictor: predictor) { done, total in progress.update(done, total) }
            progress.finish()
            let device = predictor.deviceDescription
            try outputWriter(source: dicom, result: result).write(
                result, volume: volume, inputPath: input, weights: source.description, metadata: loaded.metadata, backend: device, options: options)
            for warning in result.warnings { warn(warning.description) }
            if !quiet {
                let summary = String(format: "lungs: right %.1f mL, left %.1f mL, total %.1f mL; airways %.1f mL; %d of %d windows run on %@",
                                     result.rightVolumeML, result.leftVolumeML, result.totalVolumeML, result.airwaysML, result.windows.run,
                                     result.windows.windows, device)
                FileHandle.standardError.write(Data((summary + "\n").utf8))
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }

    /// Where this run's outputs go; the DICOM Segmentation takes its SOP Instance UID from the
    /// source series and the file's name. A segmentation that found nothing has no frame to
    /// write: the other outputs are written and a warning says why the DICOM one is missing.
    private func outputWriter(source: DICOMSeries?, result: SegmentationResult) -> SegmentationOutputs {
        var writer = outputs.outputs(probabilities: probabilities)
        if let path = dicomSegmentation, let source {
            if result.labels.contains(where: { $0 != 0 }) || !result.airwayVoxels.isEmpty {
                writer.dicomSegmentation = (path, source, URL(fileURLWithPath: path).lastPathComponent)
            } else {
                warn("nothing was segmented: no DICOM Segmentation written to \(path)")
            }
        }
        return writer
    }

    private func runStub(_ volume: Volume, source: DICOMSeries?) throws {
        let options = segmentation.options
        let parameters = PipelineParameters.clara
        let result = try LungSegmenter(parameters: parameters, options: options, keepsProbabilities: probabilities != nil)
            .segment(volume, predictor: ThresholdPredictor(parameters: parameters))
        // The same outputs as a real run (mask, report, picture), so that the stub measures them too.
        let clock = ContinuousClock()
        let start = clock.now
        try outputWriter(source: source, result: result).write(
            result, volume: volume, inputPath: input, weights: WeightsSource.stub.description, metadata: .nvidiaDefaults,
            backend: "stub (threshold predictor)", options: options)
        let write = (clock.now - start).seconds
        let stages = result.timings.map { String(format: "%@ %.2f s", $0.stage.rawValue, $0.seconds) }.joined(separator: ", ")
        FileHandle.standardError.write(Data(String(
            format: "stub pipeline: %@, write %.2f s; %d of %d windows\n", stages, write, result.windows.run, result.windows.windows).utf8))
    }
}
