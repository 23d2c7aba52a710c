import AHNet
import Dispatch
import Synchronization

/// Host memory for activations, freed with the object.
public final class CPUBuffer: @unchecked Sendable {
    // Owned exclusively; ops write through it from one thread at a time.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    init(count: Int) {
        self.count = count
        // Every element is written by an operation before it is read; no zero fill.
        pointer = .allocate(capacity: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// A convolution with its weights in host memory, ready for SGEMM: `[Cout][Cin*kD*kW*kH]`.
public final class CPUConvolution: @unchecked Sendable {
    let spec: PreparedConvolution
    /// Winograd-transformed weights by tile size, made on first use (only layers large enough use them).
    private let winograd = Mutex<[Int: [Float]]>([:])

    init(_ spec: PreparedConvolution) { self.spec = spec }

    /// `U[ξ][Cout][Cin]` of a tiling, for `convolveWinograd`.
    func winogradWeights(_ tiling: any WinogradTiling.Type) -> [Float] {
        winograd.withLock { cached in
            if let transformed = cached[tiling.tile] { return transformed }
            let transformed = tiling.transformWeights(spec)
            cached[tiling.tile] = transformed
            return transformed
        }
    }
}

/// Per-channel scale and shift in host memory.
public final class CPUAffine: @unchecked Sendable {
    let scale: [Float]
    let shift: [Float]
    init(_ affine: ChannelAffine) {
        scale = affine.scale
        shift = affine.shift
    }
}

/// Optional per-channel values copied where C kernels can read them for as long as this lives.
final class PinnedFloats {
    /// The first value, or nil when there are none.
    let pointer: UnsafeMutablePointer<Float>?

    init(_ values: [Float]?) {
        guard let values, !values.isEmpty else {
            pointer = nil
            return
        }
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        storage.initialize(from: values, count: values.count)
        pointer = storage
    }

    deinit { pointer?.deallocate() }
}

/// The CPU backend: convolutions as SGEMM on OpenBLAS (no im2col for plain 1x1x1 convolutions,
/// a bounded im2col buffer otherwise), everything else as plain loops with fused epilogues.
public final class CPUBackend: AHNetBackend {
    public typealias Buffer = CPUBuffer
    public typealias Convolution = CPUConvolution
    public typealias Affine = CPUAffine

    /// Largest im2col buffer, in bytes, whatever the window size.
    public let im2colBudgetBytes: Int
    /// Size of one worker's im2col chunk: cache-sized, so that OpenBLAS packs it from L2.
    let im2colChunkBytes = 1 << 20
    public let threads: Int
    /// Whether the convolutions run on CConvolution's fused kernels (`FusedKernels`) instead of
    /// OpenBLAS's SGEMM wherever those apply.
    public let fusedKernels: Bool
    var columns: UnsafeMutablePointer<Float>
    var columnCapacity: Int

    /// - Parameters:
    ///   - threads: worker threads (OpenBLAS itself is set to one thread, process-wide).
    ///   - im2colBudgetBytes: the bound on the im2col buffer (16 MB by default).
    ///   - fusedKernels: whether to use the fused kernels (`FusedKernels.preferred` when nil;
    ///     never where the CPU lacks them).
    public init(threads: Int = 2, im2colBudgetBytes: Int = 16 << 20, fusedKernels: Bool? = nil) {
        self.threads = max(1, threads)
        self.fusedKernels = FusedKernels.available && (fusedKernels ?? FusedKernels.preferred)
        self.im2colBudgetBytes = max(im2colBudgetBytes, 1 << 16)
        // The backend splits work between its own threads; each SGEMM runs on one.
        BLAS.setThreadCount(1)
        columnCapacity = 0
        columns = .allocate(capacity: 1)
    }

    deinit { columns.deallocate() }

    public var deviceDescription: String {
        "CPU (OpenBLAS\(fusedKernels ? " and FMA kernels" : ""), \(threads) thread\(threads == 1 ? "" : "s"))"
    }

    /// No limit by default (`Int` indexing); a smaller one makes the graph split batches as it
    /// does for OpenCL's 32-bit kernels (tests use it to check that splitting changes nothing).
    public var maximumBufferElements: Int = .max

    public func makeBuffer(count: Int) throws -> CPUBuffer { CPUBuffer(count: count) }
    public func prepare(_ convolution: PreparedConvolution) throws -> CPUConvolution { CPUConvolution(convolution) }
    public func prepare(_ affine: ChannelAffine) throws -> CPUAffine { CPUAffine(affine) }

    public func upload(_ values: UnsafeBufferPointer<Float>, to buffer: CPUBuffer, at offset: Int) throws {
        precondition(offset + values.count <= buffer.count)
        guard let base = values.baseAddress else { return }
        (buffer.pointer + offset).update(from: base, count: values.count)
    }

    public func download(_ buffer: CPUBuffer, at offset: Int, into values: UnsafeMutableBufferPointer<Float>) throws {
        precondition(offset + values.count <= buffer.count)
        guard let base = values.baseAddress else { return }
        base.update(from: buffer.pointer + offset, count: values.count)
    }

    public func synchronize() throws {}

    /// Runs `body(index, worker)` for every index of `0..<count` on the backend's threads. Each
    /// worker takes the next index when it has finished one, so neither uneven work nor an
    /// unevenly fast machine (measured here: about 10 % of a window's thread time was spent
    /// waiting with fixed shares) leaves a thread waiting for another's share. `worker` (below
    /// `min(threads, count)`) names the thread, for scratch memory of its own; which indices a
    /// worker gets varies from run to run, so results must not depend on it.
    func parallelFor(_ count: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        let workers = min(threads, count)
        guard workers > 1 else {
            for index in 0..<count { body(index, 0) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let work = UnsafeSendableClosure(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < count else { return }
                    work.body(index, worker)
                }
            }
        }
    }

    /// Runs `body(index)` for every index of `0..<count` on the backend's threads.
    func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        parallelFor(count) { index, _ in body(index) }
    }

    /// Scratch for im2col, grown on demand up to the budget.
    func columnBuffer(count: Int) -> UnsafeMutablePointer<Float> {
        if count > columnCapacity {
            columns.deallocate()
            columns = .allocate(capacity: count)
            columnCapacity = count
        }
        return columns
    }
}

/// A non-escaping closure handed to `concurrentPerform`, whose iterations write disjoint memory.
struct UnsafeSendableClosure: @unchecked Sendable {
    let body: (Int, Int) -> Void
    init(_ body: @escaping (Int, Int) -> Void) { self.body = body }
}

extension CPUBackend {
    /// The CPU backend in a `BackendRegistry`: always available, never accelerated.
    public static let registration = BackendRegistration(
        name: "cpu", summary: "OpenBLAS im2col + SGEMM and Winograd on the CPU",
        availability: { BackendAvailability(available: true, accelerated: false, reason: "OpenBLAS on the CPU") },
        open: { options in CPUBackend(threads: options.threads) })
}
