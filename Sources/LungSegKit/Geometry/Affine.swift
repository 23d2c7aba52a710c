import AHNet

/// A 4x4 voxel-to-world matrix (row-major, millimetres, NIfTI RAS+ world), as nibabel reports it.
public struct Affine: Equatable, Sendable {
    /// Row-major entries: `rows[r][c]`.
    public var rows: [[Double]]

    public init(rows: [[Double]]) {
        precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "an affine is 4x4")
        self.rows = rows
    }

    /// A diagonal scaling with no offset: NIfTI's "method 1" when neither sform nor qform is set.
    public static func scaling(_ spacing: Spacing3) -> Affine {
        var rows = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for axis in 0..<3 { rows[axis][axis] = spacing[axis] }
        rows[3][3] = 1
        return Affine(rows: rows)
    }

    /// Determinant of the upper-left 3x3 (rotation and zooms).
    public var linearDeterminant: Double {
        let m = rows
        return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    /// Length of each voxel axis in world millimetres (the column norms).
    public var columnLengths: Spacing3 {
        Spacing3.byAxis { column in
            (0..<3).map { rows[$0][column] * rows[$0][column] }.reduce(0, +).squareRoot()
        }
    }

    /// Whether the matrix is finite and invertible, judged relative to its own scale.
    public var isInvertible: Bool {
        guard rows.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return false }
        let scale = columnLengths.product
        return scale > 0 && abs(linearDeterminant) > 1e-6 * scale
    }

    /// World position (RAS+ mm) of a voxel index (i, j, k).
    public func world(_ i: Double, _ j: Double, _ k: Double) -> [Double] {
        (0..<3).map { rows[$0][0] * i + rows[$0][1] * j + rows[$0][2] * k + rows[$0][3] }
    }

    /// The axis codes as nibabel's `aff2axcodes` gives them: for each voxel axis the world
    /// direction it points toward ("R"/"L", "A"/"P", "S"/"I"), e.g. "LPS" or "RAS".
    ///
    /// Each voxel axis takes the world axis it is most aligned with; when two voxel axes would
    /// claim the same world axis, the stronger alignment wins and the other takes the best free one.
    public var orientationCode: String {
        let positive: [Character] = ["R", "A", "S"]
        let negative: [Character] = ["L", "P", "I"]
        // Normalised columns so that zooms do not bias the choice.
        let lengths = columnLengths
        var candidates: [(weight: Double, voxelAxis: Int, worldAxis: Int)] = []
        for voxelAxis in 0..<3 {
            for worldAxis in 0..<3 {
                let length = lengths[voxelAxis] > 0 ? lengths[voxelAxis] : 1
                candidates.append((abs(rows[worldAxis][voxelAxis]) / length, voxelAxis, worldAxis))
            }
        }
        candidates.sort { $0.weight > $1.weight }
        var worldOf = [Int?](repeating: nil, count: 3)
        var taken = Set<Int>()
        for candidate in candidates where worldOf[candidate.voxelAxis] == nil && !taken.contains(candidate.worldAxis) {
            worldOf[candidate.voxelAxis] = candidate.worldAxis
            taken.insert(candidate.worldAxis)
        }
        return String((0..<3).map { voxelAxis -> Character in
            guard let worldAxis = worldOf[voxelAxis] else { return "?" }
            return rows[worldAxis][voxelAxis] >= 0 ? positive[worldAxis] : negative[worldAxis]
        })
    }
}
