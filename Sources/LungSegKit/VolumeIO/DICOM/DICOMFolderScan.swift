import Foundation

/// The DICOM images of a folder (and its subfolders), found by reading every file's header.
struct DICOMFolderScan: Sendable {
    var folder: String
    /// Files with pixel data, in path order.
    var images: [DICOMSliceHeader]
    /// Files marked as DICOM that DCMTK could not parse, with the reason and, when it could be
    /// read before the damage, the header (its series UID, transfer syntax).
    var damaged: [(path: String, reason: String, header: DICOMSliceHeader?)]

    /// Reads the header of every regular file under `folder`. Files that are not DICOM, and DICOM
    /// files without pixels (DICOMDIR, reports), are skipped; damaged DICOM files are noted.
    init(folder: String) throws(DICOMError) {
        self.folder = folder
        let paths = try Self.regularFiles(under: folder)
        let contents = try Self.readHeaders(paths)
        images = []
        damaged = []
        for (path, content) in zip(paths, contents) {
            switch content {
            case .image(let header): images.append(header)
            case .damaged(let reason, let header): damaged.append((path, reason, header))
            case .nonImage, .notDICOM: continue
            }
        }
    }

    /// The series of the folder, ordered by series number, then UID.
    var summaries: [DICOMSeriesSummary] {
        Dictionary(grouping: images, by: \.seriesInstanceUID).map { uid, files in
            let first = files[0]
            return DICOMSeriesSummary(
                uid: uid, modality: first.modality, seriesNumber: first.seriesNumber,
                seriesDescription: first.seriesDescription, imageCount: files.count)
        }.sorted { ($0.seriesNumber ?? Int.max, $0.uid) < ($1.seriesNumber ?? Int.max, $1.uid) }
    }

    /// Files under `folder` (symbolic links to files included; linked folders are not entered,
    /// so links cannot loop), recursively, sorted so that messages are reproducible.
    private static func regularFiles(under folder: String) throws(DICOMError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .folderNotFound(path: folder)
        }
        let root = URL(fileURLWithPath: folder, isDirectory: true)
        var failure: String?
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil, errorHandler: { url, error in
            failure = "\(url.path): \(error.localizedDescription)"
            return false
        }) else { throw .unreadableFolder(path: folder, reason: "cannot be opened") }
        var paths: [String] = []
        for case let url as URL in walker {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(url.path)
            }
        }
        if let failure { throw .unreadableFolder(path: folder, reason: failure) }
        return paths.sorted()
    }

    /// Headers of all files, read in parallel (each call parses its own file).
    private static func readHeaders(_ paths: [String]) throws(DICOMError) -> [DICOMFile.Content] {
        let results = ParallelResults<Result<DICOMFile.Content, DICOMError>>(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            results[index] = Result { () throws(DICOMError) in try DICOMFile.readHeader(paths[index]) }
        }
        var contents: [DICOMFile.Content] = []
        contents.reserveCapacity(paths.count)
        for result in results.values {
            switch result {
            case .success(let content): contents.append(content)
            case .failure(let error): throw error
            case nil: throw .unreadableFolder(path: paths.first ?? "", reason: "a header was not read")
            }
        }
        return contents
    }
}
