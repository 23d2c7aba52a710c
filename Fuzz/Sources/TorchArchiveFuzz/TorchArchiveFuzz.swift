import Foundation
@testable import AHNet
import FuzzDriver

/// libFuzzer target over `torch.save` archives (NVIDIA's model.pt): the zip (ZIPFoundation), the
/// restricted unpickler, storages and tensor views. The input is written to a file, as the reader
/// takes paths. Every input must end in a state dict or a typed error.
private let path = NSTemporaryDirectory() + "lungseg-fuzz-\(getpid()).pt"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size)) else { return 0 }
    _ = try? TorchArchive.read(path)
    return 0
}

/// SwiftPM links an executable target's entry point as `<target>_main`; hand control to libFuzzer.
@_cdecl("TorchArchiveFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzOneInput(data, size) }
}
