import AHNet
import AHNetCL
import AHNetCPU
import Benchmark
import Foundation
import LungSegKit

/// One 224x224x32 window of the full-size network per backend (80.87 GFLOP), the heaviest
/// single operations, and the whole pipeline on the repository's real CT. Timing does not depend
/// on trained values: the seeded weights are used.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(30), maxIterations: 5)

    let weights: AHNetWeights
    do {
        weights = try AHNetWeights(stateDict: SeededWeights.stateDict())
    } catch {
        fatalError("seeded weights are always complete: \(error)")
    }
    let window = SeededWeights.uniform(seed: 2024, count: 224 * 224 * 32)
    let size = SpatialSize(d: 32, w: 224, h: 224)

    Benchmark("window forward, CPU backend, 2 threads", configuration: .init(scalingFactor: .one)) { benchmark in
        let graph = try AHNetGraph(weights: weights, backend: CPUBackend(threads: 2))
        benchmark.startMeasurement()
        blackHole(try graph.forward(window, batch: 1, size: size))
    }

    if let device = OpenCLDevices.all().firstIndex(where: \.isGPU) {
        Benchmark("window forward, OpenCL GPU \(device)") { benchmark in
            let graph = try AHNetGraph(weights: weights, backend: OpenCLBackend(deviceIndex: device))
            _ = try graph.forward(window, batch: 1, size: size)  // program build and weight upload
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(try graph.forward(window, batch: 1, size: size)) }
        }
    }

    // The heaviest convolutions of a window, alone: the (7,7,3) stem, a (3,3,1) of layer1, a dense4 (3,3,1) 80->20.
    let cpu = CPUBackend(threads: 2)
    for (name, cin, cout, kernel, stride, padding, spatial) in [
        ("conv stem (7,7,3) 1->64 at 224x224x32", 1, 64, Window3(7, 7, 3), Window3(2, 2, 1), Window3(3, 3, 1), SpatialSize(d: 32, w: 224, h: 224)),
        ("conv (3,3,1) 64->64 at 56x56x8", 64, 64, Window3(3, 3, 1), Window3.one, Window3(1, 1, 0), SpatialSize(d: 8, w: 56, h: 56)),
        ("conv (3,3,1) 80->20 at 112x112x16 (dense4)", 80, 20, Window3(3, 3, 1), Window3.one, Window3(1, 1, 0), SpatialSize(d: 16, w: 112, h: 112)),
        ("conv 1x1x1 124->80 at 112x112x16 (dense4)", 124, 80, Window3.one, Window3.one, Window3.zero, SpatialSize(d: 16, w: 112, h: 112)),
    ] {
        Benchmark(name) { benchmark in
            let spec = PreparedConvolution(
                outChannels: cout, inChannels: cin, kernel: kernel, stride: stride, padding: padding,
                weights: SeededWeights.symmetric(seed: 3, count: cout * cin * kernel.h * kernel.w * kernel.d), bias: nil)
            let input = try cpu.makeBuffer(count: cin * spatial.count)
            let outSize = spec.outputSize(for: spatial)
            let output = try cpu.makeBuffer(count: cout * outSize.count)
            let convolution = try cpu.prepare(spec)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try cpu.convolve(
                    ActivationRegion(buffer: input, batch: 1, bufferChannels: cin, size: spatial), convolution, inputAffine: nil,
                    into: ActivationRegion(buffer: output, batch: 1, bufferChannels: cout, size: outSize), epilogue: Epilogue(relu: true))
            }
        }
    }

    Benchmark("whole pipeline on data/cip_ct64.nii.gz, CPU backend") { benchmark in
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/cip_ct64.nii.gz").path
        let volume = try NIfTIReader.read(path)
        let predictor = try AHNetPredictor(weights: weights, backend: CPUBackend(threads: 2))
        benchmark.startMeasurement()
        blackHole(try LungSegmenter(parameters: weights.metadata.pipeline).segment(volume, predictor: predictor))
    }
}
