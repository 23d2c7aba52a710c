import CDCMTK
import Foundation

/// One file read through DCMTK (the CDCMTK wrapper): its header, or its pixels.
enum DICOMFile {
    /// What a file turned out to be.
    enum Content: Sendable {
        case image(DICOMSliceHeader)
        /// DICOM without pixel data (DICOMDIR, structured reports, presentation states).
        case nonImage
        /// Not DICOM at all.
        case notDICOM
        /// Marked as DICOM but unparsable; the header parsed before the damage when it names a series.
        case damaged(reason: String, header: DICOMSliceHeader?)
    }

    /// Reads the header of `path`; pixel data stay on disk.
    static func readHeader(_ path: String) throws(DICOMError) -> Content {
        var raw = cdcmtk_header()
        var message = [CChar](repeating: 0, count: 512)
        let status = cdcmtk_read_header(path, &raw, &message, message.count)
        switch status {
        case CDCMTK_OK:
            let header = DICOMSliceHeader(path: path, raw)
            return header.hasPixelData ? .image(header) : .nonImage
        case CDCMTK_NOT_DICOM:
            return .notDICOM
        case CDCMTK_NO_DICTIONARY:
            throw .dictionaryMissing(reason: text(message))
        case CDCMTK_READ_FAILED:
            let header = DICOMSliceHeader(path: path, raw)
            return .damaged(reason: text(message), header: header.seriesInstanceUID.isEmpty ? nil : header)
        default:
            return .damaged(reason: text(message), header: nil)
        }
    }

    /// Decodes the stored values of a single-frame image into `values` (Rows x Columns, column index fastest).
    static func decodePixels(of header: DICOMSliceHeader, into values: UnsafeMutableBufferPointer<Float>) throws(DICOMError) {
        var message = [CChar](repeating: 0, count: 512)
        let status = cdcmtk_decode_pixels(header.path, values.baseAddress, values.count, &message, message.count)
        switch status {
        case CDCMTK_OK: return
        case CDCMTK_NO_DICTIONARY: throw .dictionaryMissing(reason: text(message))
        default:
            throw .decodeFailed(path: header.path, transferSyntax: transferSyntaxName(header.transferSyntaxUID), reason: text(message))
        }
    }

    /// A readable name for the transfer syntaxes CT series come in.
    static func transferSyntaxName(_ uid: String) -> String {
        let names = [
            "1.2.840.10008.1.2": "Implicit VR Little Endian",
            "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
            "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
            "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
            "1.2.840.10008.1.2.4.50": "JPEG Baseline",
            "1.2.840.10008.1.2.4.51": "JPEG Extended",
            "1.2.840.10008.1.2.4.57": "JPEG Lossless",
            "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1",
            "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
            "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
            "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
            "1.2.840.10008.1.2.4.91": "JPEG 2000",
            "1.2.840.10008.1.2.5": "RLE Lossless",
        ]
        return names[uid].map { "\($0), \(uid)" } ?? uid
    }

    static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
