import Foundation
import Testing
@testable import AHNetCL

@Suite("OpenCL (PoCL in CI)")
struct OpenCLSmokeTests {
    @Test func embeddedKernelsEqualKernelsCL() throws {
        let onDisk = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("kernels.cl")
        #expect(try String(contentsOf: onDisk, encoding: .utf8) == embeddedKernelSource)
    }

    @Test func devicesAreListed() throws {
        let devices = OpenCLDevices.all()
        try #require(!devices.isEmpty, "no OpenCL device: install pocl-opencl-icd")
        #expect(devices.allSatisfy { !$0.name.isEmpty && $0.computeUnits > 0 && $0.maxAllocationBytes > 0 })
        #expect(devices.allSatisfy { $0.openCLCVersion.hasPrefix("OpenCL C ") })
    }

    @Test func saxpyRunsOnTheFirstDevice() throws {
        let runtime = try OpenCLRuntime(deviceIndex: 0)
        let x = (0..<1000).map { Float($0) * 0.5 }
        let y = (0..<1000).map { Float(1000 - $0) }
        let result = try runtime.saxpy(a: 2, x: x, y: y)
        #expect(result == zip(x, y).map { 2 * $0 + $1 })
    }

    @Test func missingDeviceIsATypedError() throws {
        let count = OpenCLDevices.all().count
        #expect(throws: OpenCLError.noDevice(index: count + 3, available: count)) {
            _ = try OpenCLRuntime(deviceIndex: count + 3)
        }
    }
}
