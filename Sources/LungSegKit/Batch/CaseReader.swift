import Foundation

/// Reads a case, prepares it for the network and checksums it, on a background thread.
struct CaseReader: Sendable {
    struct Loaded: Sendable {
        var prepared: Result<PreparedVolume, any Error>
        var checksum: String?
        var seconds: Double
        /// What the reader noticed about the input (DICOM series choices, ...).
        var warnings: [String] = []
        /// The DICOM series, for a folder input (a DICOM Segmentation references its files; its
        /// voxels are the prepared volume's, not a copy).
        var dicom: DICOMSeries?
    }

    private let loading: BackgroundResult<Loaded>

    static func start(_ item: BatchCase, segmenter: LungSegmenter) -> CaseReader {
        let (input, series) = (item.input, item.series)
        return CaseReader(loading: BackgroundResult {
            let clock = ContinuousClock()
            let started = clock.now
            var warnings: [String] = []
            var dicom: DICOMSeries?
            let prepared = Result { () throws -> PreparedVolume in
                let source = try VolumeInput.readSource(input, series: series)
                (warnings, dicom) = (source.warnings, source.dicom)
                return try segmenter.prepare(source.volume)
            }
            let checksum = try? FileChecksum.sha256(of: input)
            return Loaded(prepared: prepared, checksum: checksum, seconds: elapsed(since: started, clock), warnings: warnings, dicom: dicom)
        })
    }

    /// Blocks until the case is read.
    func wait() -> Loaded {
        do {
            return try loading.value()
        } catch {
            return Loaded(prepared: .failure(error), checksum: nil, seconds: 0)
        }
    }
}
