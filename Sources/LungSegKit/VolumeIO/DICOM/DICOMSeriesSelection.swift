/// Which series of a folder becomes the volume.
///
/// Without `--series`: a CT series, preferring ORIGINAL\PRIMARY images, the one with the most
/// slices (ties: the lower series number, then the UID). Localizers (ImageType LOCALIZER) never
/// count. With `--series UID`: that series, which must exist and be CT.
struct DICOMSeriesSelection: Sendable {
    /// The chosen series' UID and its images, localizers removed (in path order).
    var uid: String
    var images: [DICOMSliceHeader]
    var warnings: [String]

    init(scan: DICOMFolderScan, requested: String?) throws(DICOMError) {
        guard !scan.images.isEmpty else { throw .noDICOMFiles(folder: scan.folder) }
        let bySeries = Dictionary(grouping: scan.images, by: \.seriesInstanceUID)
        warnings = []
        if let requested {
            guard let files = bySeries[requested] else {
                throw .seriesNotFound(uid: requested, folder: scan.folder, available: scan.summaries)
            }
            guard let modality = files.first?.modality, modality == "CT" else {
                throw .notCT(uid: requested, modality: files.first?.modality ?? "")
            }
            uid = requested
            images = files.filter { !$0.isLocalizer }
        } else {
            let candidates = bySeries.compactMap { uid, files -> Candidate? in
                let slices = files.filter { $0.modality == "CT" && !$0.isLocalizer }
                return slices.isEmpty ? nil : Candidate(uid: uid, images: slices)
            }
            let preferred = candidates.filter(\.isOriginalPrimary)
            guard let chosen = (preferred.isEmpty ? candidates : preferred).min(by: Candidate.isBetter) else {
                throw .noCTSeries(folder: scan.folder, available: scan.summaries)
            }
            uid = chosen.uid
            images = chosen.images
            if candidates.count > 1 {
                let why = preferred.isEmpty ? "the CT series with the most slices" : "the ORIGINAL/PRIMARY CT series with the most slices"
                warnings.append(
                    "\(scan.folder) holds \(candidates.count) CT series; reading \(chosen.uid) (\(chosen.images.count) slices, "
                        + "\(why)); choose another with --series UID: "
                        + scan.summaries.map(\.description).joined(separator: "; "))
            }
        }
        let localizers = (bySeries[uid]?.count ?? 0) - images.count
        if localizers > 0 {
            warnings.append("series \(uid): \(localizers) localizer image\(localizers == 1 ? "" : "s") (ImageType LOCALIZER) left out")
        }
        // A damaged file of this series is a slice that cannot be read; others are only noted.
        if let broken = scan.damaged.first(where: { $0.header?.seriesInstanceUID == uid }) {
            let syntax = DICOMFile.transferSyntaxName(broken.header?.transferSyntaxUID ?? "")
            throw .decodeFailed(path: broken.path, transferSyntax: syntax, reason: "the file is damaged: \(broken.reason)")
        }
        if !scan.damaged.isEmpty {
            let examples = scan.damaged.prefix(3).map { "\($0.path) (\($0.reason))" }.joined(separator: "; ")
            warnings.append("\(scan.damaged.count) damaged DICOM file\(scan.damaged.count == 1 ? "" : "s") skipped: \(examples)")
        }
    }

    /// A CT series that could be read.
    private struct Candidate {
        var uid: String
        var images: [DICOMSliceHeader]

        var isOriginalPrimary: Bool { images.allSatisfy(\.isOriginalPrimary) }
        var seriesNumber: Int { images.compactMap(\.seriesNumber).min() ?? Int.max }

        /// More slices first, then the lower series number, then the UID: the same folder always
        /// gives the same choice.
        static func isBetter(_ lhs: Candidate, _ rhs: Candidate) -> Bool {
            if lhs.images.count != rhs.images.count { return lhs.images.count > rhs.images.count }
            if lhs.seriesNumber != rhs.seriesNumber { return lhs.seriesNumber < rhs.seriesNumber }
            return lhs.uid < rhs.uid
        }
    }
}
