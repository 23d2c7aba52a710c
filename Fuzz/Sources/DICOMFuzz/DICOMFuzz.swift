import Foundation
@testable import LungSegKit
import FuzzDriver

/// libFuzzer target over one DICOM file read through DCMTK (the CDCMTK wrapper): the header and,
/// for an image, its pixels. Every input must end in values or a typed error.
private let path = NSTemporaryDirectory() + "lungseg-fuzz-\(getpid()).dcm"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size)) else { return 0 }
    guard case .image(let header)? = try? DICOMFile.readHeader(path) else { return 0 }
    let count = header.rows * header.columns
    guard count > 0, count <= 1 << 22 else { return 0 }
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { buffer in _ = try? DICOMFile.decodePixels(of: header, into: buffer) }
    return 0
}

/// SwiftPM links an executable target's entry point as `<target>_main`; hand control to libFuzzer.
@_cdecl("DICOMFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzOneInput(data, size) }
}
