import AHNet
import AHNetCPU
import AHNetCL
import ArgumentParser
import Foundation
import LungSegKit

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
    var weights: WeightsSource

    @Option(help: "Input .npy, float32 [N, 1, H, W, D].")
    var input: String

    @Option(help: "Output .npy for the logits, float32 [N, 2, H, W, D].")
    var output: String

    @OptionGroup var compute: BackendFlags

    @Option(name: .customLong("repeat"), help: "Run the forward this many times and report each time (the first includes warm-up).")
    var repetitions: Int = 1

    @Option(help: "OpenCL convolution tiles M,N,K,perItemM,perItemN (default: chosen per device).")
    var tiles: String?

    func validate() throws {
        if let tiles {
            do { _ = try ConvolutionTiles(parsing: tiles) } catch { throw ValidationError("--tiles: \(error)") }
        }
    }

    func run() throws {
        do {
            let clock = ContinuousClock()
            let start = clock.now
            let weights = try weights.loadNetwork()
            let array = try NumPyArray.read(input)
            guard array.shape.count == 5, array.shape[1] == weights.architecture.inChannels else {
                throw CommandFailure(description: "\(input): shape \(array.shape); expected [N, \(weights.architecture.inChannels), H, W, D]", exitStatus: ExitStatus.badInput)
            }
            let (batch, h, w, d) = (array.shape[0], array.shape[2], array.shape[3], array.shape[4])
            let loaded = clock.now
            var times: [Double] = []
            let (logits, description) = try Backends.registry.run(compute.backend, options: compute.options(tiles: tiles), warn: warn) { backend in
                times = []
                return try timedForward(weights, on: backend, array.values, batch: batch, h: h, w: w, d: d, repetitions: repetitions, times: &times)
            }
            let device = description
            let done = clock.now
            try NumPyArray(shape: [batch, weights.architecture.outChannels, h, w, d], values: logits).write(to: output)
            let format = { (value: Double) in String(format: "%.3f s", value) }
            var report = "forward: \(batch) window(s) of \(h)x\(w)x\(d) on \(device): load \(format((loaded - start).seconds)), forward \(format((done - loaded).seconds))"
            if times.count > 1 {
                let sorted = times.dropFirst().sorted()
                report += "; each forward: " + times.map { String(format: "%.4f", $0) }.joined(separator: " ")
                report += String(format: "; median after the first %.4f s", sorted[sorted.count / 2])
            }
            FileHandle.standardError.write(Data((report + "\n").utf8))
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }
}

/// Runs the graph `repetitions` times on any backend, MONAI layout in and out; returns the logits
/// of the last run and the backend's description, and appends each run's seconds to `times`.
func timedForward<Backend: AHNetBackend>(
    _ weights: AHNetWeights, on backend: Backend, _ monaiInput: [Float], batch: Int, h: Int, w: Int, d: Int, repetitions: Int,
    times: inout [Double]
) throws -> ([Float], String) {
    let clock = ContinuousClock()
    let graph = try AHNetGraph(weights: weights, backend: backend)
    let input = MONAILayout.toActivation(monaiInput, batch: batch, channels: weights.architecture.inChannels, h: h, w: w, d: d)
    var output: [Float] = []
    for _ in 0..<max(1, repetitions) {
        let begin = clock.now
        output = try graph.forward(input, batch: batch, size: Size3(h, w, d))
        times.append((clock.now - begin).seconds)
    }
    let logits = MONAILayout.fromActivation(output, batch: batch, channels: weights.architecture.outChannels, h: h, w: w, d: d)
    return (logits, backend.deviceDescription)
}
