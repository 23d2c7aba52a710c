import AHNet
import AHNetCL
import ArgumentParser
import Foundation

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List the OpenCL platforms and devices this machine offers.")

    @Flag(help: ArgumentHelp("Probe whether inline PTX mma.sync (tensor cores) builds and runs in OpenCL on each GPU.", visibility: .hidden))
    var probePTX = false

    func run() throws {
        OpenCLSetup.prepare()
        let devices = OpenCLDevices.all()
        if let note = OpenCLSetup.icdNote { print("note: \(note)") }
        if devices.isEmpty {
            print("OpenCL: no platform found.")
        }
        for (index, device) in devices.enumerated() {
            let memory = Double(device.globalMemoryBytes) / 1_073_741_824
            print("[\(index)] \(device.name) (\(device.type), \(device.vendor))")
            print("    platform: \(device.platformName), \(device.platformVersion)")
            print("    memory: \(String(format: "%.1f", memory)) GiB, largest buffer \(device.maxAllocationBytes >> 20) MiB, compute units: \(device.computeUnits)")
            print("    kernel language: \(device.openCLCVersion), driver \(device.driverVersion)")
        }
        print("backends:")
        for registration in Backends.registry.registrations {
            let availability = registration.availability()
            print("  \(registration.name): \(availability.available ? "available" : "unavailable") (\(availability.reason)); \(registration.summary)")
        }
        let threads = ProcessInfo.processInfo.activeProcessorCount
        if let chosen = try? Backends.registry.resolve(BackendRegistry.automatic, options: BackendOptions(threads: threads)) {
            print("auto picks \(chosen.reason ?? chosen.primary.name)")
        }
        if probePTX {
            for (index, device) in devices.enumerated() where device.isGPU {
                do {
                    for line in try PTXProbe.run(deviceIndex: index) { print("PTX probe [\(index)] \(line)") }
                } catch {
                    print("PTX probe [\(index)] failed: \(error)")
                }
            }
        }
    }
}
