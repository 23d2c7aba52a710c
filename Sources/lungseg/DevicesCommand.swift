import AHNetCL
import ArgumentParser

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List the OpenCL platforms and devices this machine offers.")

    func run() throws {
        let devices = OpenCLDevices.all()
        if devices.isEmpty {
            print("OpenCL: no platform found. The CPU backend (OpenBLAS) is available.")
            return
        }
        for (index, device) in devices.enumerated() {
            let memory = Double(device.globalMemoryBytes) / 1_073_741_824
            print("[\(index)] \(device.name) (\(device.type), \(device.vendor))")
            print("    platform: \(device.platformName), \(device.platformVersion)")
            print("    memory: \(String(format: "%.1f", memory)) GiB, largest buffer \(device.maxAllocationBytes >> 20) MiB, compute units: \(device.computeUnits)")
            print("    kernel language: \(device.openCLCVersion), driver \(device.driverVersion)")
        }
        print("CPU backend (OpenBLAS): available")
    }
}
