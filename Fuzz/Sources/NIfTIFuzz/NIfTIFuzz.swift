import Foundation
import LungSegKit
import FuzzDriver

/// Scratch files live in memory-backed /dev/shm when it exists: the reader takes paths.
private let scratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return base + "/lungseg-fuzz-\(getpid())"
}()

/// The first byte picks the file name (and so libnifti's view of the format); the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 1 else { return 0 }
    let bytes = Data(bytes: data + 1, count: size - 1)
    let names = [".nii", ".nii.gz", ".hdr"]
    let suffix = names[Int(data[0]) % names.count]
    let path = scratch + suffix
    do {
        try bytes.write(to: URL(fileURLWithPath: path))
        if suffix == ".hdr" {
            // The same bytes as the image file: odd pairs are part of the search.
            try bytes.write(to: URL(fileURLWithPath: scratch + ".img"))
        }
    } catch {
        return 0
    }
    // A small voxel limit keeps each run fast; the limit logic itself is under test.
    let limits = NIfTIReadLimits(maxVoxels: 1 << 20)
    if let volume = try? NIfTIReader.read(path, limits: limits) {
        // A successful read must be self-consistent.
        precondition(volume.voxels.count == volume.count, "voxel count does not match dims")
        precondition(volume.voxels.allSatisfy(\.isFinite), "non-finite voxel passed validation")
        precondition(volume.affine.isInvertible, "singular affine passed validation")
    }
    _ = try? NIfTIReader.readHeader(path, limits: limits)
    return 0
}

/// SwiftPM links an executable target's entry point as `<target>_main`; hand control to libFuzzer.
@_cdecl("NIfTIFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzOneInput(data, size) }
}
