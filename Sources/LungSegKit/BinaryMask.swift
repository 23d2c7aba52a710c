/// Operations on 3D binary masks (UInt8, 0 or 1) in NIfTI order: connected components with
/// 6-connectivity, hole filling, bounding boxes. Flood fills run on a copy padded with one voxel
/// of background on every side, so that neighbours need no bounds checks.
public enum BinaryMask {
    /// Connected components: a label per voxel (0 = background, 1... by discovery order) and the
    /// size of each label (`sizes[0]` unused).
    public struct Labels {
        public var labels: [Int32]
        public var sizes: [Int]

        /// Labels sorted by size, largest first.
        public var bySize: [Int32] { (1..<sizes.count).sorted { sizes[$0] > sizes[$1] }.map(Int32.init) }
    }

    /// Labels the 6-connected components of the set voxels.
    public static func label(_ mask: [UInt8], dims: [Int]) -> Labels {
        let grid = PaddedGrid(dims: dims)
        var padded = grid.pad(mask)
        var labelsPadded = [Int32](repeating: 0, count: padded.count)
        var sizes = [0]
        var stack: [Int] = []
        let offsets = grid.neighbourOffsets
        padded.withUnsafeMutableBufferPointer { set in
            labelsPadded.withUnsafeMutableBufferPointer { labels in
                for k in 0..<dims[2] {
                    for j in 0..<dims[1] {
                        let row = grid.paddedIndex(0, j, k)
                        for start in row..<(row + dims[0]) where set[start] != 0 {
                    let label = Int32(sizes.count)
                    var count = 0
                    set[start] = 0
                    labels[start] = label
                    stack.append(start)
                    while let current = stack.popLast() {
                        count += 1
                        for offset in offsets {
                            let next = current + offset
                            if set[next] != 0 {
                                set[next] = 0
                                labels[next] = label
                                stack.append(next)
                            }
                        }
                    }
                    sizes.append(count)
                        }
                    }
                }
            }
        }
        return Labels(labels: grid.unpad(labelsPadded), sizes: sizes)
    }

    /// The components of the set voxels, largest first: (size, a seed voxel index).
    public static func components(_ mask: [UInt8], dims: [Int]) -> [(size: Int, seed: Int)] {
        let result = label(mask, dims: dims)
        var seeds = [Int](repeating: -1, count: result.sizes.count)
        for index in result.labels.indices where result.labels[index] != 0 && seeds[Int(result.labels[index])] < 0 {
            seeds[Int(result.labels[index])] = index
        }
        return result.bySize.map { (result.sizes[Int($0)], seeds[Int($0)]) }
    }

    /// Fills every background region that does not touch the volume border (3D, 6-connectivity).
    public static func fillHoles(_ mask: [UInt8], dims: [Int]) -> [UInt8] {
        let grid = PaddedGrid(dims: dims)
        // Background in the padded grid, the padding included (it pads with 0): one flood from a
        // padding voxel reaches every region that touches the border.
        var background = grid.pad(mask).map { $0 == 0 ? UInt8(1) : 0 }
        var stack: [Int] = [0]
        background[0] = 0
        let offsets = grid.neighbourOffsets
        background.withUnsafeMutableBufferPointer { open in
            while let current = stack.popLast() {
                for offset in offsets {
                    let next = current + offset
                    if next >= 0 && next < open.count && open[next] != 0 {
                        open[next] = 0
                        stack.append(next)
                    }
                }
            }
        }
        // What the outside flood did not reach is lung or hole.
        let reached = grid.unpad(background)
        var result = mask
        for index in result.indices where result[index] == 0 && reached[index] != 0 { result[index] = 1 }
        return result
    }

    /// Fills holes in each axial (k) slice separately: 2D regions not connected to the slice border.
    public static func fillHolesPerSlice(_ mask: [UInt8], dims: [Int]) -> [UInt8] {
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        let plane = nx * ny
        var result = mask
        var stack: [Int] = []
        var outside = [UInt8](repeating: 0, count: plane)
        for k in 0..<nz {
            let base = k * plane
            for index in 0..<plane { outside[index] = 0 }
            func seed(_ index: Int) {
                if mask[base + index] == 0 && outside[index] == 0 {
                    outside[index] = 1
                    stack.append(index)
                }
            }
            for i in 0..<nx {
                seed(i)
                seed(i + nx * (ny - 1))
            }
            for j in 0..<ny {
                seed(nx * j)
                seed(nx - 1 + nx * j)
            }
            while let current = stack.popLast() {
                let i = current % nx
                if i > 0 { seed(current - 1) }
                if i < nx - 1 { seed(current + 1) }
                if current >= nx { seed(current - nx) }
                if current < plane - nx { seed(current + nx) }
            }
            for index in 0..<plane where outside[index] == 0 { result[base + index] = 1 }
        }
        return result
    }

    /// Smallest box (lower, upper exclusive per axis) holding every set voxel; nil when empty.
    public static func boundingBox(_ mask: [UInt8], dims: [Int]) -> (lower: [Int], upper: [Int])? {
        var lower = dims
        var upper = [0, 0, 0]
        var index = 0
        for k in 0..<dims[2] {
            for j in 0..<dims[1] {
                for i in 0..<dims[0] {
                    if mask[index] != 0 {
                        lower = [min(lower[0], i), min(lower[1], j), min(lower[2], k)]
                        upper = [max(upper[0], i + 1), max(upper[1], j + 1), max(upper[2], k + 1)]
                    }
                    index += 1
                }
            }
        }
        return upper[0] > 0 ? (lower, upper) : nil
    }
}

/// A grid with one voxel of padding on every side.
struct PaddedGrid {
    let dims: [Int]
    let padded: [Int]

    init(dims: [Int]) {
        self.dims = dims
        padded = dims.map { $0 + 2 }
    }

    var count: Int { padded.reduce(1, *) }
    var neighbourOffsets: [Int] { [-1, 1, -padded[0], padded[0], -padded[0] * padded[1], padded[0] * padded[1]] }

    func paddedIndex(_ i: Int, _ j: Int, _ k: Int) -> Int { (i + 1) + padded[0] * ((j + 1) + padded[1] * (k + 1)) }

    func pad<T: Numeric>(_ values: [T]) -> [T] {
        var result = [T](repeating: 0, count: count)
        var index = 0
        for k in 0..<dims[2] {
            for j in 0..<dims[1] {
                let row = paddedIndex(0, j, k)
                for i in 0..<dims[0] {
                    result[row + i] = values[index]
                    index += 1
                }
            }
        }
        return result
    }

    func unpad<T>(_ values: [T]) -> [T] {
        var result: [T] = []
        result.reserveCapacity(dims.reduce(1, *))
        for k in 0..<dims[2] {
            for j in 0..<dims[1] {
                let row = paddedIndex(0, j, k)
                result.append(contentsOf: values[row..<(row + dims[0])])
            }
        }
        return result
    }
}
