import AHNet
import AHNetCPU
import ArgumentParser
import Foundation
import LungSegKit

/// Which compute backend runs the network.
enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, cpu, opencl
}

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run the raw network on NumPy arrays in MONAI's axis order, for validation against PyTorch.",
        discussion: """
            The input is float32 [N, 1, H, W, D] (H, W, D multiples of 32; several windows in N); the
            output is the logits, float32 [N, 2, H, W, D]. --weights takes a safetensors file, a
            torch.save file (NVIDIA's model.pt), or "seeded[:SALT]" for the reproducible test weights.
            """)

    @Option(help: "Weights: a .safetensors or torch.save file, or seeded[:SALT].")
    var weights: String

    @Option(help: "Input .npy, float32 [N, 1, H, W, D].")
    var input: String

    @Option(help: "Output .npy for the logits, float32 [N, 2, H, W, D].")
    var output: String

    @Option(help: "Compute backend: auto, cpu or opencl.")
    var backend: BackendChoice = .auto

    @Option(help: "OpenCL device index (see `lungseg devices`).")
    var device: Int?

    @Option(help: "CPU threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        do {
            let clock = ContinuousClock()
            let start = clock.now
            let weights = try loadWeights(weights)
            let array = try NumPyArray.read(input)
            guard array.shape.count == 5, array.shape[1] == weights.architecture.inChannels else {
                throw CommandFailure(description: "\(input): shape \(array.shape); expected [N, \(weights.architecture.inChannels), H, W, D]", exitStatus: ExitStatus.badInput)
            }
            let (batch, h, w, d) = (array.shape[0], array.shape[2], array.shape[3], array.shape[4])
            let loaded = clock.now
            let (logits, description) = try BackendSelection.run(backend, device: device, threads: threads) { backend in
                (try runNetwork(weights, on: backend, array.values, batch: batch, h: h, w: w, d: d), backend.deviceDescription)
            }
            let device = description
            let done = clock.now
            try NumPyArray(shape: [batch, weights.architecture.outChannels, h, w, d], values: logits).write(to: output)
            let seconds = { (duration: Duration) in String(format: "%.3f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18) }
            FileHandle.standardError.write(Data("forward: \(batch) window(s) of \(h)x\(w)x\(d) on \(device): load \(seconds(loaded - start)), forward \(seconds(done - loaded))\n".utf8))
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }
}

/// Loads a weights file, or makes the seeded test weights for "seeded[:SALT]".
func loadWeights(_ argument: String) throws -> AHNetWeights {
    if argument == "seeded" || argument.hasPrefix("seeded:") {
        let salt = UInt64(argument.dropFirst("seeded:".count)) ?? 0
        return try AHNetWeights(stateDict: SeededWeights.stateDict(salt: salt))
    }
    return try WeightsFile.load(argument)
}

/// Runs the graph on any backend; inputs and outputs in MONAI layout.
func runNetwork<Backend: AHNetBackend>(
    _ weights: AHNetWeights, on backend: Backend, _ monaiInput: [Float], batch: Int, h: Int, w: Int, d: Int
) throws -> [Float] {
    let graph = try AHNetGraph(weights: weights, backend: backend)
    let input = MONAILayout.toActivation(monaiInput, batch: batch, channels: weights.architecture.inChannels, h: h, w: w, d: d)
    let logits = try graph.forward(input, batch: batch, size: SpatialSize(d: d, w: w, h: h))
    return MONAILayout.fromActivation(logits, batch: batch, channels: weights.architecture.outChannels, h: h, w: w, d: d)
}
