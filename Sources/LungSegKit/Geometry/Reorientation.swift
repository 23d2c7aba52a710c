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
    public func apply<T>(_ values: [T]) -> [T] { remap(values, forward: true) }

    /// Target array back to the source grid.
    public func invert<T>(_ values: [T]) -> [T] { remap(values, forward: false) }

    private func remap<T>(_ values: [T], forward: Bool) -> [T] {
        precondition(values.count == sourceDims.product)
        if isIdentity { return values }
        let (nx, ny) = (sourceDims[0], sourceDims[1])
        let sourceStrides = [1, nx, nx * ny]
        // Source offset of target index (a, b, c) = base + a*step0 + b*step1 + c*step2.
        var steps = [0, 0, 0]
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
        var result = values
        let (tx, ty, tz) = (targetDims[0], targetDims[1], targetDims[2])
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                var index = 0
                for c in 0..<tz {
                    for b in 0..<ty {
                        var offset = base + b * steps[1] + c * steps[2]
                        for _ in 0..<tx {
                            if forward { target[index] = source[offset] } else { target[offset] = source[index] }
                            offset += steps[0]
                            index += 1
                        }
                    }
                }
            }
        }
        return result
    }
}
