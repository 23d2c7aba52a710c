/// Operations on 3D binary masks (UInt8, 0 or 1) in NIfTI order: connected components with
/// 6-connectivity, hole filling, bounding boxes.
public enum BinaryMask {
    /// The connected components of the set voxels, largest first: (size, a seed voxel index).
    public static func components(_ mask: [UInt8], dims: [Int]) -> [(size: Int, seed: Int)] {
        var visited = [UInt8](repeating: 0, count: mask.count)
        var result: [(Int, Int)] = []
        var stack: [Int32] = []
        for start in mask.indices where mask[start] != 0 && visited[start] == 0 {
            result.append((flood(from: start, mask, dims: dims, marking: &visited, value: 1, stack: &stack), start))
        }
        return result.sorted { $0.0 > $1.0 }
    }

    /// The component containing `seed`, as a mask.
    public static func component(_ mask: [UInt8], dims: [Int], containing seed: Int) -> [UInt8] {
        var marked = [UInt8](repeating: 0, count: mask.count)
        var stack: [Int32] = []
        _ = flood(from: seed, mask, dims: dims, marking: &marked, value: 1, stack: &stack)
        return marked
    }

    /// Fills every background region that does not touch the volume border (3D, 6-connectivity).
    public static func fillHoles(_ mask: [UInt8], dims: [Int]) -> [UInt8] {
        let background = mask.map { $0 == 0 ? UInt8(1) : 0 }
        var outside = [UInt8](repeating: 0, count: mask.count)
        var stack: [Int32] = []
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        for k in 0..<nz {
            for j in 0..<ny {
                for i in 0..<nx where i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1 {
                    let index = i + nx * (j + ny * k)
                    if background[index] != 0 && outside[index] == 0 {
                        _ = flood(from: index, background, dims: dims, marking: &outside, value: 1, stack: &stack)
                    }
                }
            }
        }
        return outside.map { $0 == 0 ? 1 : 0 }
    }

    /// Fills holes in each axial (k) slice separately: 2D regions not connected to the slice border.
    public static func fillHolesPerSlice(_ mask: [UInt8], dims: [Int]) -> [UInt8] {
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        var result = mask
        let plane = nx * ny
        var outside = [UInt8](repeating: 0, count: plane)
        var stack: [Int32] = []
        for k in 0..<nz {
            let base = k * plane
            for index in 0..<plane { outside[index] = 0 }
            for j in 0..<ny {
                for i in 0..<nx where i == 0 || j == 0 || i == nx - 1 || j == ny - 1 {
                    let index = i + nx * j
                    guard mask[base + index] == 0, outside[index] == 0 else { continue }
                    outside[index] = 1
                    stack.append(Int32(index))
                    while let current = stack.popLast().map(Int.init) {
                        let (x, y) = (current % nx, current / nx)
                        for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                            let (u, v) = (x + dx, y + dy)
                            guard u >= 0, u < nx, v >= 0, v < ny else { continue }
                            let next = u + nx * v
                            if mask[base + next] == 0 && outside[next] == 0 {
                                outside[next] = 1
                                stack.append(Int32(next))
                            }
                        }
                    }
                }
            }
            for index in 0..<plane where outside[index] == 0 { result[base + index] = 1 }
        }
        return result
    }

    /// Smallest box (lower, upper exclusive per axis) holding every set voxel; nil when empty.
    public static func boundingBox(_ mask: [UInt8], dims: [Int]) -> (lower: [Int], upper: [Int])? {
        var lower = dims
        var upper = [0, 0, 0]
        let (nx, ny) = (dims[0], dims[1])
        var any = false
        for index in mask.indices where mask[index] != 0 {
            let i = index % nx
            let j = (index / nx) % ny
            let k = index / (nx * ny)
            lower = [min(lower[0], i), min(lower[1], j), min(lower[2], k)]
            upper = [max(upper[0], i + 1), max(upper[1], j + 1), max(upper[2], k + 1)]
            any = true
        }
        return any ? (lower, upper) : nil
    }

    /// Flood fill with 6-connectivity over `mask != 0`, writing `value` into `marking`; returns the count.
    private static func flood(
        from start: Int, _ mask: [UInt8], dims: [Int], marking: inout [UInt8], value: UInt8, stack: inout [Int32]
    ) -> Int {
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        let plane = nx * ny
        var count = 0
        marking[start] = value
        stack.append(Int32(start))
        while let current = stack.popLast().map(Int.init) {
            count += 1
            let i = current % nx
            let j = (current / nx) % ny
            let k = current / plane
            if i > 0 { visit(current - 1) }
            if i < nx - 1 { visit(current + 1) }
            if j > 0 { visit(current - nx) }
            if j < ny - 1 { visit(current + nx) }
            if k > 0 { visit(current - plane) }
            if k < nz - 1 { visit(current + plane) }
        }
        return count

        func visit(_ next: Int) {
            if mask[next] != 0 && marking[next] == 0 {
                marking[next] = value
                stack.append(Int32(next))
            }
        }
    }
}
