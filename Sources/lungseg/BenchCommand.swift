import AHNet
import AHNetCL
import AHNetCPU
import ArgumentParser
import Foundation
import LungSegKit

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one 224x224x32 window per backend (and a whole CT with --input), beside the machine's SGEMM peak.",
        discussion: "Uses the seeded full-size network (timing does not depend on trained values). 80.87 GFLOP per window.")

    @Option(help: ArgumentHelp("Backends to measure: all (every available one, each device of a backend that has several) or one of \(Backends.registry.registrations.map(\.name).joined(separator: ", ")).", valueName: "name"))
    var backend: String = "all"

    @Option(help: "CPU threads (the network and every loop of the pipeline).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Forward passes per backend (the first is reported apart as warm-up).")
    var repeats: Int = 4

    @Option(help: "Device index within the backend (OpenCL: see `lungseg devices`).")
    var device: Int?

    func validate() throws {
        guard backend == "all" || Backends.registry.registration(named: backend) != nil else {
            throw ValidationError("--backend must be all or one of \(Backends.registry.registrations.map(\.name).joined(separator: ", "))")
        }
    }

    /// The backends to measure, opened: asked for by name, that one (on `--device`); `all`, every
    /// available backend (one that selects devices: each accelerated device, or the given one).
    private func backends() throws -> [any AHNetBackend] {
        let settings = OpenCLSetup.settings()
        var opened: [any AHNetBackend] = []
        for registration in Backends.registry.registrations where backend == "all" || registration.name == backend {
            let availability = registration.availability()
            guard backend != "all" || availability.available else { continue }
            if registration.selectsDevices && device == nil && backend == "all" {
                for index in availability.acceleratedDevices {
                    opened.append(try registration.open(BackendOptions(threads: threads, device: index, settings: settings)))
                }
            } else {
                opened.append(try registration.open(BackendOptions(threads: threads, device: device, settings: settings)))
            }
        }
        return opened
    }

    @Option(help: "A CT to run the whole pipeline on, per backend.")
    var input: String?

    static let gflopPerWindow = 80.87

    /// `--threads` bounds every CPU loop of the run, not only the network's.
    func run() throws {
        try ParallelFor.$threadCount.withValue(threads) { try runWithThreads() }
    }

    private func runWithThreads() throws {
        do {
            let weights = try AHNetWeights(stateDict: SeededWeights.stateDict())
            let window = SeededWeights.uniform(seed: 2024, count: 224 * 224 * 32)
            let size = Size3(224, 224, 32)
            let peak = measureSGEMM(threads: threads)
            print(String(format: "machine: %d CPU threads used, SGEMM 2048^3 %.1f GFLOP/s (best of 3), OpenBLAS kernels %@",
                         threads, peak, BLASKernels.current))
            print("backend                                   | first (s) | median (s) | windows/s | GFLOP/s | share of SGEMM peak")
            var results: [(String, [Double])] = []
            var wholeCTLines: [String] = []
            for opened in try backends() {
                results.append((opened.deviceDescription, try time(weights, opened, window, size)))
                wholeCTLines += try wholeCT(weights, opened)
            }
            for (name, times) in results {
                let median = times.dropFirst().sorted()[max(0, (times.count - 1) / 2)]
                let gflops = Self.gflopPerWindow / median
                let label = String(name.prefix(41)).padding(toLength: 41, withPad: " ", startingAt: 0)
                print(label + String(format: " | %9.3f | %10.3f | %9.2f | %7.1f | %5.1f %%", times[0], median, 1 / median, gflops, 100 * gflops / peak))
            }
            for line in wholeCTLines { print(line) }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print(String(format: "peak resident memory: %.2f GB", Double(usage.ru_maxrss) / 1_048_576))
        } catch {
            throw fail(error)
        }
    }

    private func time<Backend: AHNetBackend>(_ weights: AHNetWeights, _ backend: Backend, _ window: [Float], _ size: Size3) throws -> [Double] {
        let graph = try AHNetGraph(weights: weights, backend: backend)
        let clock = ContinuousClock()
        return try (0..<max(2, repeats)).map { _ in
            let start = clock.now
            _ = try graph.forward(window, batch: 1, size: size)
            return (clock.now - start).seconds
        }
    }

    private func wholeCT<Backend: AHNetBackend>(_ weights: AHNetWeights, _ backend: Backend) throws -> [String] {
        guard let input else { return [] }
        let clock = ContinuousClock()
        let start = clock.now
        let volume = try NIfTIReader.read(input)
        let read = (clock.now - start).seconds
        let predictor = try AHNetPredictor(weights: weights, backend: backend)
        var options = SegmentationOptions()
        options.batchSize = 1
        let result = try LungSegmenter(parameters: weights.metadata.pipeline, options: options, keepsProbabilities: false).segment(volume, predictor: predictor)
        let total = (clock.now - start).seconds
        let stages = result.timings.map { String(format: "%@ %.2f", $0.stage.rawValue, $0.seconds) }.joined(separator: ", ")
        let network = result.timings.filter { $0.stage == .inference }.reduce(0) { $0 + $1.seconds }
        return [String(format: "whole CT on %@: %d of %d windows; read %.2f s, %@ s; total %.2f s, the network %.0f %% of it, the rest %.2f s",
                       backend.deviceDescription, result.windows.run, result.windows.windows, read, stages, total, 100 * network / total,
                       total - network)]
    }

    /// Best of three 2048^3 SGEMMs, in GFLOP/s.
    private func measureSGEMM(threads: Int) -> Double {
        BLAS.setThreadCount(threads)
        let n = 2048
        let a = SeededWeights.symmetric(seed: 1, count: n * n)
        let b = SeededWeights.symmetric(seed: 2, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<3 {
            let start = clock.now
            BLAS.sgemm(m: n, n: n, k: n, a: a, b: b, c: &c)
            best = min(best, (clock.now - start).seconds)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
