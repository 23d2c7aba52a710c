import AHNet
import Foundation

/// Where the outputs of one segmentation go; every file is written atomically.
public struct SegmentationOutputs: Sendable {
    public var mask: String
    public var report: String?
    public var qc: String?
    public var probabilities: String?
    /// The trachea and main bronchi as a mask (1 = airway).
    public var airways: String?
    /// A DICOM Segmentation of the source series (a DICOM input only), and the name its SOP
    /// Instance UID is derived from (`DICOMSegmentation.instanceUID`).
    public var dicomSegmentation: (path: String, source: DICOMSeries, caseName: String)?

    public init(
        mask: String, report: String? = nil, qc: String? = nil, probabilities: String? = nil, airways: String? = nil,
        dicomSegmentation: (path: String, source: DICOMSeries, caseName: String)? = nil
    ) {
        self.mask = mask
        self.report = report
        self.qc = qc
        self.probabilities = probabilities
        self.airways = airways
        self.dicomSegmentation = dicomSegmentation
    }

    /// Writes every output to a temporary file, then renames them all over their targets: either
    /// all are replaced or none is (a failure removes every temporary file). Returns what was
    /// written, by kind.
    @discardableResult
    public func write(
        _ result: SegmentationResult, volume: Volume, inputPath: String, weights: String, metadata: ModelMetadata, backend: String,
        options: SegmentationOptions
    ) throws -> [String: String] {
        let transaction = OutputTransaction()
        do {
            try NIfTIWriter.writeMask(result.mask(), like: volume.header, to: mask, in: transaction)
            var outputs = ["mask": mask]
            if let probabilities {
                guard let map = result.probabilityOnInputGrid() else { throw PipelineError.probabilitiesNotKept }
                try NIfTIWriter.writeMap(map, like: volume.header, to: probabilities, in: transaction)
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
            if let segmentation = dicomSegmentation {
                try DICOMSegmentation.write(
                    result, series: segmentation.source, to: segmentation.path, seriesInstanceUID: DICOMSegmentation.uid(),
                    sopInstanceUID: DICOMSegmentation.instanceUID(series: segmentation.source, caseName: segmentation.caseName),
                    softwareVersion: LungSegVersion.current,
                    modelDescription: DICOMSegmentation.algorithmParameters(["weights": weights].merging(metadata.provenance) { first, _ in first }),
                    in: transaction)
                outputs["dicomSegmentation"] = segmentation.path
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
