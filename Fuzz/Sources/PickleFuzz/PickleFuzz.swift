@testable import AHNet
import FuzzDriver

/// libFuzzer target over the restricted unpickler that reads `data.pkl` of `torch.save` files.
/// Any input must end in a value or a typed error: no crash, no hang, no unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? Unpickler.load(bytes)
    return 0
}

/// SwiftPM links an executable target's entry point as `<target>_main`; hand control to libFuzzer.
@_cdecl("PickleFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzOneInput(data, size) }
}
