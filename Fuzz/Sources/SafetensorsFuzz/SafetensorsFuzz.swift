import Foundation
@testable import AHNet
import FuzzDriver

/// libFuzzer target over the safetensors reader (the 8-byte length, the JSON header, offsets,
/// shapes, dtypes, `__metadata__`). Every input must end in tensors or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? Safetensors.parse(Data(bytes: data, count: size), path: "fuzz.safetensors")
    return 0
}

/// SwiftPM links an executable target's entry point as `<target>_main`; hand control to libFuzzer.
@_cdecl("SafetensorsFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzOneInput(data, size) }
}
