import AHNet
import Foundation
import Testing
@testable import LungSegKit

@Suite("The probability map, kept only when asked for")
struct ProbabilityKeepingTests {
    /// A segmenter that does not keep the probability gives the same labels, no map, and refuses
    /// to write one (`PipelineError.probabilitiesNotKept`) without leaving a file behind.
    @Test func aProbabilityNotKeptIsNotWritten() throws {
        let volume = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let kept = try LungSegmenter(parameters: .clara).segment(volume, predictor: ThresholdPredictor(parameters: .clara))
        let dropped = try LungSegmenter(parameters: .clara, keepsProbabilities: false).segment(volume, predictor: ThresholdPredictor(parameters: .clara))
        #expect(dropped.labels == kept.labels && dropped.probabilityOnInputGrid() == nil)
        let folder = try TemporaryFolder().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outputs = SegmentationOutputs(mask: folder + "/m.nii.gz", report: nil, qc: nil, probabilities: folder + "/p.nii.gz", airways: nil)
        #expect(throws: PipelineError.probabilitiesNotKept) {
            _ = try outputs.write(dropped, volume: volume, inputPath: "ct", weights: "stub", metadata: .nvidiaDefaults, backend: "stub",
                                  options: SegmentationOptions())
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
