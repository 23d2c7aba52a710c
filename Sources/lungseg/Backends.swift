import AHNet
import AHNetCL
import AHNetCPU
import ArgumentParser
import Foundation
import LungSegKit

/// The backends this program knows: each backend module's registration. A new backend adds its
/// registration here and nowhere else in the command line.
enum Backends {
    static let registry = BackendRegistry([OpenCLBackend.registration, CPUBackend.registration], fallback: "cpu")
}

/// `--backend`, `--device` and `--threads`, shared by every command that runs the network.
struct BackendFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Compute backend: \(Backends.registry.names.joined(separator: ", ")).", valueName: "name"))
    var backend: String = BackendRegistry.automatic

    @Option(help: "Device index within the backend (OpenCL: see `lungseg devices`).")
    var device: Int?

    @Option(help: "CPU threads (the network and every loop of the pipeline).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard Backends.registry.names.contains(backend) else {
            throw ValidationError("--backend must be one of \(Backends.registry.names.joined(separator: ", "))")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// The options the chosen backend opens with; OpenCL's settings come from the environment
    /// (`LUNGSEG_NARROW_TILES=0`) and `tiles`.
    func options(tiles: String? = nil) -> BackendOptions {
        BackendOptions(threads: threads, device: device, settings: OpenCLSetup.settings(tiles: tiles))
    }

    /// AH-Net on the chosen backend, with `auto`'s CPU fallback.
    func predictor(weights: AHNetWeights) throws -> FallbackPredictor {
        try Backends.registry.predictor(backend, options: options(), weights: weights, warn: warn)
    }
}
