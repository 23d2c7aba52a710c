import AHNet
import AHNetCL
import Testing
@testable import lungseg

/// `auto`'s fallback, with the OpenCL failure injected: the work itself fails on the OpenCL
/// backend (PoCL's device taken as if it were the GPU), as a driver does when a GPU runs out of
/// memory or is lost mid-run.
@Suite("Backend fallback")
struct BackendFallbackTests {
    @Test func autoRunsAgainOnTheCPUWhenOpenCLFailsAndExplicitOpenCLDoesNot() throws {
        try #require(OpenCLDevices.all().isEmpty == false, "no OpenCL device")
        var attempts: [String] = []
        let result = try BackendSelection.run(.auto, device: 0, threads: 1) { backend -> String in
            attempts.append(backend is OpenCLBackend ? "opencl" : "cpu")
            if backend is OpenCLBackend { throw OpenCLError.outOfMemory(bytes: 1 << 40) }
            return backend.deviceDescription
        }
        #expect(attempts == ["opencl", "cpu"])
        #expect(result.hasPrefix("CPU (OpenBLAS"))
        // Asked for by name, OpenCL's failure is the command's failure.
        attempts = []
        #expect(throws: OpenCLError.outOfMemory(bytes: 1 << 40)) {
            _ = try BackendSelection.run(.opencl, device: 0, threads: 1) { backend -> String in
                attempts.append(backend is OpenCLBackend ? "opencl" : "cpu")
                throw OpenCLError.outOfMemory(bytes: 1 << 40)
            }
        }
        #expect(attempts == ["opencl"])
    }
}
