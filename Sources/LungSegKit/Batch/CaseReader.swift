import Foundation

/// Reads a case, prepares it for the network and checksums it, on a background thread.
final class CaseReader: @unchecked Sendable {
    struct Loaded: Sendable {
        var prepared: Result<PreparedVolume, any Error>
        var checksum: String?
        var seconds: Double
        /// What the reader noticed about the input (DICOM series choices, ...).
        var warnings: [String] = []
        /// The DICOM series read, when asked for (a DICOM Segmentation references its files).
        var dicom: DICOMSeries?
    }

    private let done = DispatchSemaphore(value: 0)
    private var loaded: Loaded?

    static func start(_ item: BatchCase, segmenter: LungSegmenter, keepingDICOMSource: Bool = false) -> CaseReader {
        let reader = CaseReader()
        let (input, series) = (item.input, item.series)
        DispatchQueue.global().async {
            let clock = ContinuousClock()
            let started = clock.now
            var warnings: [String] = []
            var dicom: DICOMSeries?
            let prepared = Result { () throws -> PreparedVolume in
                if keepingDICOMSource && VolumeInput.isFolder(input) {
                    let read = try DICOMSeriesReader.read(folder: input, series: series)
                    (dicom, warnings) = (read, read.warnings)
                    return try segmenter.prepare(read.volume)
                }
                let (volume, noticed) = try VolumeInput.read(input, series: series)
                warnings = noticed
                return try segmenter.prepare(volume)
            }
            let checksum = try? FileChecksum.sha256(of: input)
            reader.loaded = Loaded(prepared: prepared, checksum: checksum, seconds: elapsed(since: started, clock), warnings: warnings, dicom: dicom)
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

