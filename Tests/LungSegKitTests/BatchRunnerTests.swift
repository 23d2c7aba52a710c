import AHNet
import Foundation
import Testing
@testable import LungSegKit

/// A batch through the library alone (no command line): one good case, one unreadable one; the
/// second run skips the finished case.
@Suite("Batch runner (library)")
struct BatchRunnerTests {
    final class Messages: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [BatchMessage] = []
        func append(_ message: BatchMessage) { lock.withLock { stored.append(message) } }
        var all: [BatchMessage] { lock.withLock { stored } }
    }

    @Test func runsCasesRecordsFailuresAndSkipsWhatIsDone() throws {
        let folder = NSTemporaryDirectory() + "lungseg-runner-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let broken = folder + "/broken.nii"
        try Data("not a NIfTI file".utf8).write(to: URL(fileURLWithPath: broken))
        let cases = [BatchCase(input: RepositoryData.path("cip_ct64.nii.gz"), name: "cip"), BatchCase(input: broken, name: "broken")]
        let output = folder + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let messages = Messages()
        let runner = BatchRunner(
            outputFolder: output, status: BatchStatusFolder(outputFolder: output), shard: try Shard(index: 0, count: 1),
            timeout: nil, force: false, writeQC: true, log: { messages.append($0) })
        let parameters = PipelineParameters.clara
        let model = BatchRunner.Model(
            segmenter: LungSegmenter(parameters: parameters, options: SegmentationOptions()), weights: "stub",
            metadata: .nvidiaDefaults, options: SegmentationOptions())
        let outcome = try runner.run(cases, model: model, predictor: ThresholdPredictor(parameters: parameters)) { "threshold" }
        #expect(outcome == BatchRunner.Outcome(ok: 1, failed: 1, timedOut: 0))
        for suffix in ["_lungs.nii.gz", "_report.json", "_qc.png"] {
            #expect(FileManager.default.fileExists(atPath: output + "/cip" + suffix))
            #expect(!FileManager.default.fileExists(atPath: output + "/broken" + suffix))
        }
        #expect(messages.all.filter { if case .progress = $0 { true } else { false } }.count == 2)
        let latest = BatchStatusFolder(outputFolder: output).latest()
        #expect(latest["cip"]?.status == .ok && latest["broken"]?.status == .failed && latest["cip"]?.backend == "threshold")
        // Done cases are not run again; the failed one is.
        #expect(runner.casesToRun(cases).map(\.name) == ["broken"])
    }

    /// The manifest's third column picks the series of a DICOM folder: the one named is read, a
    /// series the folder lacks fails that case (and only it) with the DICOM error.
    @Test func aCaseReadsTheSeriesItsManifestNames() throws {
        let folder = try TemporaryFolder().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let dicom = TestFixtures.path("dicom_covidctmd_normal001_12")
        let cases = [BatchCase(input: dicom, name: "by-uid", series: "1.3.12.2.1107.5.1.4.93005.30000020041107174309900008494"), BatchCase(input: dicom, name: "absent", series: "1.2.3.4")]
        let runner = BatchRunner(
            outputFolder: output, status: BatchStatusFolder(outputFolder: output), shard: try Shard(index: 0, count: 1),
            timeout: nil, force: false, writeQC: false, log: { _ in })
        let parameters = PipelineParameters.clara
        let model = BatchRunner.Model(
            segmenter: LungSegmenter(parameters: parameters, options: SegmentationOptions(), keepsProbabilities: false), weights: "stub",
            metadata: .nvidiaDefaults, options: SegmentationOptions())
        let outcome = try runner.run(cases, model: model, predictor: ThresholdPredictor(parameters: parameters)) { "threshold" }
        #expect(outcome == BatchRunner.Outcome(ok: 1, failed: 1, timedOut: 0))
        let latest = BatchStatusFolder(outputFolder: output).latest()
        #expect(latest["by-uid"]?.status == .ok && latest["absent"]?.status == .failed, "\(latest["by-uid"]?.error ?? "")")
        #expect(latest["absent"]?.error?.contains("1.2.3.4") == true)
        #expect(FileManager.default.fileExists(atPath: output + "/by-uid_lungs.nii.gz"))
        #expect(!FileManager.default.fileExists(atPath: output + "/absent_lungs.nii.gz"))
    }

    /// `--dicom-seg` in a batch: a DICOM case gets NAME_seg.dcm rebuilding its mask, a NIfTI case
    /// none; both count as done afterwards.
    @Test func dicomCasesGetASegmentation() throws {
        let folder = try TemporaryFolder().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let dicom = TestFixtures.path("dicom_covidctmd_normal001_12")
        let cases = [BatchCase(input: dicom, name: "dicom"), BatchCase(input: RepositoryData.path("cip_ct64.nii.gz"), name: "nifti")]
        let runner = BatchRunner(
            outputFolder: output, status: BatchStatusFolder(outputFolder: output), shard: try Shard(index: 0, count: 1),
            timeout: nil, force: false, writeQC: false, writeDICOMSegmentation: true, log: { _ in })
        var options = SegmentationOptions()
        options.splitLungs = true
        let model = BatchRunner.Model(
            segmenter: LungSegmenter(parameters: .clara, options: options, keepsProbabilities: false), weights: "stub",
            metadata: .nvidiaDefaults, options: options)
        let outcome = try runner.run(cases, model: model, predictor: ThresholdPredictor(parameters: .clara)) { "threshold" }
        #expect(outcome == BatchRunner.Outcome(ok: 2, failed: 0, timedOut: 0))
        #expect(!FileManager.default.fileExists(atPath: output + "/nifti_seg.dcm"))
        let series = try DICOMSeriesReader.read(folder: dicom)
        let back = try DICOMSegmentation.read(output + "/dicom_seg.dcm", series: series)
        let mask = try NIfTIReader.read(output + "/dicom_lungs.nii.gz").voxels.map { UInt8($0) }
        #expect(back.labels == mask && back.segments == 2)
        #expect(BatchStatusFolder(outputFolder: output).latest()["dicom"]?.outputs["dicomSegmentation"] == "dicom_seg.dcm")
        #expect(runner.casesToRun(cases).isEmpty)
        try FileManager.default.removeItem(atPath: output + "/dicom_seg.dcm")
        #expect(runner.casesToRun(cases).map(\.name) == ["dicom"])
    }
}
