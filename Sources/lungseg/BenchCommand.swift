import AHNet
import AHNetCL
import AHNetCPU
import ArgumentParser
import Foundation
import LungSegKit

/// Which backends `bench` measures.
enum BenchBackends: String, ExpressibleByArgument, CaseIterable {
    case all, cpu, opencl
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one 224x224x32 window per backend (and a whole CT with --input), beside the machine's SGEMM peak.",
        discussion: "Uses the seeded full-size network (timing does not depend on trained values). 80.87 GFLOP per window.")

    @Option(help: "Backends to measure: all, cpu or opencl.")
    var backend: BenchBackends = .all

    @Option(help: "CPU threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Forward passes per backend (the first is reported apart as warm-up).")
    var repeats: Int = 4

    @Option(help: "OpenCL device index.")
    var device: Int?

    @Option(help: "A CT to run the whole pipeline on, per backend.")
    var input: String?

    static let gflopPerWindow = 80.87

    func run() throws {
        do {
            let weights = try AHNetWeights(stateDict: SeededWeights.stateDict())
            let window = SeededWeights.uniform(seed: 2024, count: 224 * 224 * 32)
            let size = SpatialSize(d: 32, w: 224, h: 224)
            let peak = measureSGEMM(threads: threads)
            print(String(format: "machine: %d CPU threads used, SGEMM 2048^3 %.1f GFLOP/s (best of 3)", threads, peak))
            print("backend                                   | first (s) | median (s) | windows/s | GFLOP/s | share of SGEMM peak")
            var results: [(String, [Double])] = []
            var wholeCTLines: [String] = []
            if backend != .opencl {
                let cpu = CPUBackend(threads: threads)
                results.append((cpu.deviceDescription, try time(weights, cpu, window, size)))
                wholeCTLines += try wholeCT(weights, cpu)
            }
            if backend != .cpu {
                OpenCLSetup.prepare()
                let devices = OpenCLDevices.all()
                let indices = device.map { [$0] } ?? devices.indices.filter { devices[$0].isGPU || backend == .opencl }
                for index in indices {
                    let opencl = try OpenCLSetup.backend(deviceIndex: index)
                    results.append((opencl.deviceDescription, try time(weights, opencl, window, size)))
                    wholeCTLines += try wholeCT(weights, opencl)
                }
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

    private func time<Backend: AHNetBackend>(_ weights: AHNetWeights, _ backend: Backend, _ window: [Float], _ size: SpatialSize) throws -> [Double] {
        let graph = try AHNetGraph(weights: weights, backend: backend)
        let clock = ContinuousClock()
        return try (0..<max(2, repeats)).map { _ in
            let start = clock.now
            _ = try graph.forward(window, batch: 1, size: size)
            return seconds(clock.now - start)
        }
    }

    private func wholeCT<Backend: AHNetBackend>(_ weights: AHNetWeights, _ backend: Backend) throws -> [String] {
        guard let input else { return [] }
        let clock = ContinuousClock()
        let start = clock.now
        let volume = try NIfTIReader.read(input)
        let read = seconds(clock.now - start)
        let predictor = try AHNetPredictor(weights: weights, backend: backend)
        var options = SegmentationOptions()
        options.batchSize = 1
        let result = try LungSegmenter(parameters: weights.metadata.pipeline, options: options).segment(volume, predictor: predictor)
        let stages = result.timings.map { String(format: "%@ %.2f", $0.stage, $0.seconds) }.joined(separator: ", ")
        return [String(format: "whole CT on %@: %d of %d windows; read %.2f s, %@ s; total %.2f s",
                       backend.deviceDescription, result.windows.run, result.windows.windows, read, stages, seconds(clock.now - start))]
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
            best = min(best, seconds(clock.now - start))
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
