import AHNet

/// Operations on 3D binary masks (UInt8, 0 or 1) in NIfTI order: connected components with
/// 6-connectivity and 3D hole filling (both from row runs, `MaskRuns`), per-slice hole filling,
/// bounding boxes.
public enum BinaryMask {
    /// Connected components: a label per voxel (0 = background, 1... by discovery order) and the
    /// size of each label (`sizes[0]` unused).
    public struct Labels {
        public var labels: [Int32]
        public var sizes: [Int]

        /// Labels sorted by size, largest first.
        public var bySize: [Int32] { (1..<sizes.count).sorted { sizes[$0] > sizes[$1] }.map(Int32.init) }
    }

    /// Labels the 6-connected components of the set voxels (`MaskRuns`).
    public static func label(_ mask: [UInt8], dims: Size3) -> Labels {
        let runs = mask.withUnsafeBufferPointer { set in MaskRuns(dims: dims) { set[$0] != 0 } }
        var labels = [Int32](repeating: 0, count: mask.count)
        labels.withUnsafeMutableBufferPointer { labels in
            runs.forEachRun(nx: dims.i) { start, count, component in
                for index in start..<(start + count) { labels[index] = component }
            }
        }
        return Labels(labels: labels, sizes: runs.sizes)
    }

    /// The components of the set voxels, largest first: (size, a seed voxel index).
    public static func components(_ mask: [UInt8], dims: Size3) -> [(size: Int, seed: Int)] {
        let result = label(mask, dims: dims)
        var seeds = [Int](repeating: -1, count: result.sizes.count)
        for index in result.labels.indices where result.labels[index] != 0 && seeds[Int(result.labels[index])] < 0 {
            seeds[Int(result.labels[index])] = index
        }
        return result.bySize.map { (result.sizes[Int($0)], seeds[Int($0)]) }
    }

    /// Fills every background region that does not touch the volume border (3D, 6-connectivity).
    public static func fillHoles(_ mask: [UInt8], dims: Size3) -> [UInt8] {
        var result = mask
        fillHoles(in: &result, dims: dims)
        return result
    }

    /// `fillHoles` in place (no second mask while the holes are found).
    static func fillHoles(in mask: inout [UInt8], dims: Size3) {
        let (nx, ny, nz) = (dims.i, dims.j, dims.k)
        let runs = mask.withUnsafeBufferPointer { set in MaskRuns(dims: dims) { set[$0] == 0 } }
        // Background components that reach a face of the volume are outside; the others are holes.
        var outside = [Bool](repeating: false, count: runs.sizes.count)
        for run in 0..<runs.first.count {
            let r = Int(runs.row[run])
            let (j, k) = (r % ny, r / ny)
            if runs.first[run] == 0 || Int(runs.last[run]) == nx - 1 || j == 0 || j == ny - 1 || k == 0 || k == nz - 1 {
                outside[Int(runs.component[run])] = true
            }
        }
        mask.withUnsafeMutableBufferPointer { result in
            runs.forEachRun(nx: nx) { start, count, component in
                guard !outside[Int(component)] else { return }
                for index in start..<(start + count) { result[index] = 1 }
            }
        }
    }

    /// Fills holes in each axial (k) slice separately: 2D regions not connected to the slice border.
    public static func fillHolesPerSlice(_ mask: [UInt8], dims: Size3) -> [UInt8] {
        let plane = dims.i * dims.j
        var result = mask
        mask.withUnsafeBufferPointer { mask in
            result.withUnsafeMutableBufferPointer { result in
                // Slices are independent: each piece fills its own, with scratch of its own.
                ParallelFor.run(0..<dims.k) { slices in
                    var stack: [Int] = []
                    var open = [UInt8](repeating: 0, count: plane)
                    var outside = [UInt8](repeating: 0, count: plane)
                    for k in slices {
                        let base = k * plane
                        for index in 0..<plane { open[index] = mask[base + index] == 0 ? 1 : 0 }
                        open.withUnsafeBufferPointer { open in
                            outside.withUnsafeMutableBufferPointer { outside in
                                SliceRegions.floodFromBorder(passable: open, width: dims.i, height: dims.j, reached: outside, stack: &stack)
                            }
                        }
                        for index in 0..<plane where outside[index] == 0 { result[base + index] = 1 }
                    }
                }
            }
        }
        return result
    }

    /// Smallest box (lower, upper exclusive per axis) holding every set voxel; nil when empty.
    public static func boundingBox(_ mask: [UInt8], dims: Size3) -> (lower: Index3, upper: Index3)? {
        let (nx, ny) = (dims.i, dims.j)
        // Slices in parallel pieces; minima and maxima combine the same whatever the pieces.
        let (lower, upper) = mask.withUnsafeBufferPointer { mask in
            ParallelFor.reduce(0..<dims.k, initial: { (Index3(nx, ny, dims.k), Index3.zero) }) { slices, box in
                for k in slices {
                    for j in 0..<ny {
                        let row = nx * (j + ny * k)
                        guard let first = (0..<nx).first(where: { mask[row + $0] != 0 }) else { continue }
                        let last = (first..<nx).last { mask[row + $0] != 0 } ?? first
                        box.0 = Index3(min(box.0.i, first), min(box.0.j, j), min(box.0.k, k))
                        box.1 = Index3(max(box.1.i, last + 1), max(box.1.j, j + 1), max(box.1.k, k + 1))
                    }
                }
            } combine: { total, box in
                total = (total.0.zip(box.0) { min($0, $1) }, total.1.zip(box.1) { max($0, $1) })
            }
        }
        return upper.i > 0 ? (lower, upper) : nil
    }
}
