/// Tile sizes of the implicit-GEMM convolution kernel, passed to the OpenCL compiler as -D options.
public struct ConvolutionTiles: Sendable, Equatable, CustomStringConvertible {
    /// Output channels per work-group.
    public var tileM: Int
    /// Output positions per work-group.
    public var tileN: Int
    /// Reduction slice in local memory.
    public var tileK: Int
    /// Output channels and positions per work-item.
    public var workPerThreadM: Int
    public var workPerThreadN: Int

    public init(tileM: Int, tileN: Int, tileK: Int, workPerThreadM: Int, workPerThreadN: Int) {
        precondition(tileM % workPerThreadM == 0 && tileN % workPerThreadN == 0 && tileK % 4 == 0 && tileN % 4 == 0)
        self.tileM = tileM
        self.tileN = tileN
        self.tileK = tileK
        self.workPerThreadM = workPerThreadM
        self.workPerThreadN = workPerThreadN
    }

    /// Work-items per work-group.
    public var workGroupSize: Int { (tileM / workPerThreadM) * (tileN / workPerThreadN) }

    var buildOptions: String {
        "-DTM=\(tileM) -DTN=\(tileN) -DTK=\(tileK) -DWPTM=\(workPerThreadM) -DWPTN=\(workPerThreadN)"
    }

    public var description: String { "M\(tileM) N\(tileN) K\(tileK) per-item \(workPerThreadM)x\(workPerThreadN)" }

    /// 64x64 tiles, K slices of 32, 4x4 outputs per work-item, 256 work-items: the fastest of 12
    /// variants timed on an NVIDIA H200 (docs/GPU.md).
    public static let gpu = ConvolutionTiles(tileM: 64, tileN: 64, tileK: 32, workPerThreadM: 4, workPerThreadN: 4)
    /// Small work-groups for CPU drivers such as PoCL.
    public static let cpu = ConvolutionTiles(tileM: 32, tileN: 32, tileK: 16, workPerThreadM: 4, workPerThreadN: 4)

    /// The variant for convolutions with few output channels (the dense layers' 20, the final 2):
    /// half the channels per work-group, the same positions and work-group size. Nil when the
    /// tiles cannot be halved.
    public var narrow: ConvolutionTiles? {
        guard tileM >= 32, workPerThreadM >= 2 else { return nil }
        return ConvolutionTiles(tileM: tileM / 2, tileN: tileN, tileK: tileK, workPerThreadM: workPerThreadM / 2, workPerThreadN: workPerThreadN)
    }

    /// Per-device defaults: GPU tiles for GPUs, CPU tiles otherwise, capped by the work-group limit.
    public static func defaults(for device: OpenCLDeviceInfo) -> ConvolutionTiles {
        let preferred = device.isGPU ? gpu : cpu
        return preferred.workGroupSize <= device.maxWorkGroupSize ? preferred : ConvolutionTiles(tileM: 16, tileN: 16, tileK: 8, workPerThreadM: 2, workPerThreadN: 2)
    }
}
