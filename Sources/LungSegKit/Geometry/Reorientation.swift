import AHNet

/// A permutation and flips of the voxel axes that bring a grid into a target orientation (e.g.
/// "RAS"), with no interpolation, and back.
public struct Reorientation: Sendable, Equatable {
    /// Grid size before and after.
    public let sourceDims: Size3
    public let targetDims: Size3
    /// Target axis t is source axis `permutation[t]`, reversed when `flips[t]`.
    public let permutation: [Int]
    public let flips: [Bool]

    /// From the axis codes of `affine` to `target`.
    public init(affine: Affine, dims: Size3, to target: String) throws(PipelineError) {
        let source = Array(affine.orientationCode)
        let wanted = Array(target.uppercased())
        let opposite: [Character: Character] = ["R": "L", "L": "R", "A": "P", "P": "A", "S": "I", "I": "S"]
        guard wanted.count == 3, Set(wanted.map { [$0, opposite[$0] ?? "?"].sorted() }).count == 3,
              wanted.allSatisfy({ opposite[$0] != nil }) else { throw .invalidOrientationCode(target) }
        guard Set(source.map { [$0, opposite[$0] ?? "?"].sorted() }).count == 3, !source.contains("?") else {
            throw .obliqueAxes(String(source))
        }
        var permutation: [Int] = []
        var flips: [Bool] = []
        for letter in wanted {
            guard let axis = source.firstIndex(where: { $0 == letter || $0 == opposite[letter] }) else { throw .obliqueAxes(String(source)) }
            permutation.append(axis)
            flips.append(source[axis] != letter)
        }
        self.sourceDims = dims
        self.permutation = permutation
        self.flips = flips
        self.targetDims = Size3.byAxis { dims[permutation[$0]] }
    }

    /// Whether this is the identity.
    public var isIdentity: Bool { permutation == [0, 1, 2] && !flips.contains(true) }

    /// The affine of the reoriented grid (same world positions for the same voxels).
    public func affine(_ source: Affine) -> Affine {
        var rows = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        rows[3][3] = 1
        for r in 0..<3 {
            rows[r][3] = source.rows[r][3]
            for t in 0..<3 {
                let column = source.rows[r][permutation[t]]
                rows[r][t] = flips[t] ? -column : column
                if flips[t] { rows[r][3] += column * Double(sourceDims[permutation[t]] - 1) }
            }
        }
        return Affine(rows: rows)
    }

    /// Source array (NIfTI order) to target array.
    public func apply<T>(_ values: [T]) -> [T] {
        isIdentity ? values : gather(values, box: GridBox(whole: targetDims))
    }

    /// Target array back to the source grid.
    public func invert<T>(_ values: [T]) -> [T] {
        guard !isIdentity, var result = values.first.map({ [T](repeating: $0, count: values.count) }) else { return values }
        scatter(values, box: GridBox(whole: targetDims), into: &result)
        return result
    }

    /// The voxels of `box` (a box of the target grid) read from `values` on the source grid,
    /// every `factors`-th voxel along each target axis: reorientation, crop and subsampling in
    /// one pass, without the reoriented volume.
    func gather<T>(_ values: [T], box: GridBox, every factors: Size3 = .one) -> [T] {
        gather(values, box: box, every: factors) { $0 }
    }

    /// `gather`, each value converted by `convert` on the way (the crop as whole-number HU).
    func gather<T, U>(_ values: [T], box: GridBox, every factors: Size3 = .one, convert: (T) -> U) -> [U] {
        precondition(values.count == sourceDims.product)
        let walk = sourceWalk
        let counts = box.dims.dividedRoundingUp(by: factors)
        guard !values.isEmpty, counts.product > 0 else { return [] }
        let steps = walk.steps.zip(factors, *)
        let plane = counts.i * counts.j
        // Written straight into uninitialised storage: every voxel is set once, none filled first.
        return [U](unsafeUninitializedCapacity: counts.product) { target, initialized in
            values.withUnsafeBufferPointer { source in
                guard let target = target.baseAddress else { return }
                ParallelFor.run(0..<counts.k) { slices in
                    for c in slices {
                        var index = c * plane
                        for b in 0..<counts.j {
                            var offset = walk.offset(of: box.lower) + b * steps.j + c * steps.k
                            for _ in 0..<counts.i {
                                (target + index).initialize(to: convert(source[offset]))
                                offset += steps.i
                                index += 1
                            }
                        }
                    }
                }
            }
            initialized = counts.product
        }
    }

    /// `values` (the voxels of `box`, a box of the target grid) written to their places in
    /// `target`, an array on the source grid; the voxels outside the box are left as they are.
    func scatter<T>(_ values: [T], box: GridBox, into target: inout [T]) {
        precondition(values.count == box.dims.product && target.count == sourceDims.product)
        let walk = sourceWalk
        let plane = box.dims.i * box.dims.j
        values.withUnsafeBufferPointer { source in
            target.withUnsafeMutableBufferPointer { target in
                ParallelFor.run(0..<box.dims.k) { slices in
                    for c in slices {
                        var index = c * plane
                        for b in 0..<box.dims.j {
                            var offset = walk.offset(of: box.lower) + b * walk.steps.j + c * walk.steps.k
                            for _ in 0..<box.dims.i {
                                target[offset] = source[index]
                                offset += walk.steps.i
                                index += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Offset in the source array of target voxel `index`.
    func sourceOffset(of index: Index3) -> Int { sourceWalk.offset(of: index) }

    /// Target-grid index of the voxel at `offset` in the source array.
    func targetIndex(ofSourceOffset offset: Int) -> Index3 {
        let source = Index3(offset % sourceDims.i, (offset / sourceDims.i) % sourceDims.j, offset / (sourceDims.i * sourceDims.j))
        return Index3.byAxis { t in
            let value = source[permutation[t]]
            return flips[t] ? targetDims[t] - 1 - value : value
        }
    }

    /// The sum along target axis `t` of `count` voxels whose source indices sum to `sourceSum`
    /// (a flip turns each value v into n - 1 - v).
    func targetSum(_ sourceSum: Index3, count: Int, axis t: Int) -> Int {
        let value = sourceSum[permutation[t]]
        return flips[t] ? count * (targetDims[t] - 1) - value : value
    }

    /// Where target voxel (a, b, c) lies in the source array: `base + a*steps.i + b*steps.j + c*steps.k`.
    private struct SourceWalk {
        let base: Int
        let steps: Index3

        func offset(of index: Index3) -> Int { base + index.i * steps.i + index.j * steps.j + index.k * steps.k }
    }

    private var sourceWalk: SourceWalk {
        let sourceStrides = Index3(1, sourceDims.i, sourceDims.i * sourceDims.j)
        var steps = Index3.zero
        var base = 0
        for t in 0..<3 {
            let stride = sourceStrides[permutation[t]]
            if flips[t] {
                steps[t] = -stride
                base += stride * (targetDims[t] - 1)
            } else {
                steps[t] = stride
            }
        }
        return SourceWalk(base: base, steps: steps)
    }
}
