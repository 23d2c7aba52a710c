import AHNet

/// The components of a mask read straight from its runs, for the stages that only need each
/// component's voxels in scan order: no label per voxel (an Int32 array four times the mask's
/// size, the largest array the post-processing used to make).
extension MaskRuns {
    /// The runs and components of the set voxels of `mask` (6-connectivity).
    init(mask: [UInt8], dims: Size3) {
        self = mask.withUnsafeBufferPointer { set in MaskRuns(dims: dims) { set[$0] != 0 } }
    }

    /// Components sorted by size, largest first (as `BinaryMask.Labels.bySize`).
    var bySize: [Int32] { (1..<sizes.count).sorted { sizes[$0] > sizes[$1] }.map(Int32.init) }

    /// The runs of rows `rows` (row = j + ny * k), as indices into the run arrays.
    func runs(inRows rows: Range<Int>) -> Range<Int> { Int(rowStart[rows.lowerBound])..<Int(rowStart[rows.upperBound]) }

    /// The component of voxel (i, row), 0 when the voxel is not set (a binary search in its row).
    func component(i: Int, row: Int) -> Int32 {
        var (low, high) = (Int(rowStart[row]), Int(rowStart[row + 1]))
        while low < high {
            let middle = (low + high) / 2
            if Int(last[middle]) < i { low = middle + 1 } else { high = middle }
        }
        return low < Int(rowStart[row + 1]) && Int(first[low]) <= i ? component[low] : 0
    }

    /// A mask of `count` voxels with `value(component)` on each component's voxels and 0 elsewhere.
    func paint(count: Int, nx: Int, _ value: (Int32) -> UInt8) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        paint(into: &result, nx: nx, value)
        return result
    }

    /// Writes `value(component)` over each component's voxels of `target` (the voxels of no run
    /// are left as they are): the mask the runs came from relabelled in place. Rows in parallel
    /// (each run is written by the piece that holds its row).
    func paint(into target: inout [UInt8], nx: Int, _ value: (Int32) -> UInt8) {
        let rows = rowStart.count - 1
        target.withUnsafeMutableBufferPointer { target in
            ParallelFor.run(0..<rows, minimumChunk: 256) { pieceRows in
                for run in runs(inRows: pieceRows) {
                    let painted = value(component[run])
                    let start = Int(row[run]) * nx
                    for i in Int(first[run])...Int(last[run]) { target[start + i] = painted }
                }
            }
        }
    }
}
