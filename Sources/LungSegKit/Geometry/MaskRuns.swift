import AHNet

/// Connected components of a 3D mask (6-connectivity) from its row runs: every row (fixed j, k) is
/// cut into runs of set voxels, each run is joined (union-find) to the runs it overlaps in the row
/// before (j - 1) and in the same row of the slice before (k - 1). One pass over the voxels, then
/// work in proportion to the runs: much less than a voxel-by-voxel flood fill, and no padded copy.
struct MaskRuns {
    /// Runs in scan order: row index (j + ny * k), first and last i (inclusive).
    var row: [Int32] = []
    var first: [Int32] = []
    var last: [Int32] = []
    /// Where each row's runs start in the arrays above (count: rows + 1).
    var rowStart: [Int32]
    /// The component of each run, 1-based, numbered in scan order of their first voxel.
    var component: [Int32] = []
    var sizes: [Int] = [0]

    /// The runs of voxels where `isSet` holds, and their components.
    init(dims: Size3, isSet: (Int) -> Bool) {
        let (nx, ny, nz) = (dims.i, dims.j, dims.k)
        let rows = ny * nz
        // The runs of each piece of slices found in parallel, joined in slice order: the same
        // runs in the same order as one pass.
        typealias Runs = (row: [Int32], first: [Int32], last: [Int32])
        let found = ParallelFor.reduce(0..<nz, initial: { Runs([], [], []) }) { slices, runs in
            for r in (slices.lowerBound * ny)..<(slices.upperBound * ny) {
                let base = r * nx
                var i = 0
                while i < nx {
                    guard isSet(base + i) else { i += 1; continue }
                    let start = i
                    while i < nx && isSet(base + i) { i += 1 }
                    runs.row.append(Int32(r))
                    runs.first.append(Int32(start))
                    runs.last.append(Int32(i - 1))
                }
            }
        } combine: { runs, piece in
            runs.row += piece.row
            runs.first += piece.first
            runs.last += piece.last
        }
        (row, first, last) = found
        rowStart = [Int32](repeating: 0, count: rows + 1)
        var run = 0
        for r in 0..<rows {
            rowStart[r] = Int32(run)
            while run < row.count && Int(row[run]) == r { run += 1 }
        }
        rowStart[rows] = Int32(first.count)
        var parent = (0..<first.count).map { Int32($0) }
        func find(_ run: Int32) -> Int32 {
            var root = run
            while parent[Int(root)] != root { root = parent[Int(root)] }
            var current = run
            while parent[Int(current)] != root {
                let next = parent[Int(current)]
                parent[Int(current)] = root
                current = next
            }
            return root
        }
        func union(_ a: Int32, _ b: Int32) {
            let (ra, rb) = (find(a), find(b))
            if ra != rb { parent[Int(max(ra, rb))] = min(ra, rb) }
        }
        /// Joins the runs of row `r` to the overlapping runs of row `other`.
        func join(_ r: Int, _ other: Int) {
            var a = Int(rowStart[r])
            var b = Int(rowStart[other])
            let (endA, endB) = (Int(rowStart[r + 1]), Int(rowStart[other + 1]))
            while a < endA && b < endB {
                if last[a] < first[b] { a += 1; continue }
                if last[b] < first[a] { b += 1; continue }
                union(Int32(a), Int32(b))
                if last[a] < last[b] { a += 1 } else { b += 1 }
            }
        }
        for k in 0..<nz {
            for j in 0..<ny {
                let r = j + ny * k
                if j > 0 { join(r, r - 1) }
                if k > 0 { join(r, r - ny) }
            }
        }
        // Components numbered by their first run in scan order (the root is the smallest run).
        component = [Int32](repeating: 0, count: first.count)
        for run in 0..<first.count {
            let root = Int(find(Int32(run)))
            if root == run {
                sizes.append(0)
                component[run] = Int32(sizes.count - 1)
            } else {
                component[run] = component[root]
            }
            sizes[Int(component[run])] += Int(last[run] - first[run]) + 1
        }
    }

    /// Calls `body(firstIndex, count, component)` for every run (voxel indices of the grid).
    func forEachRun(nx: Int, _ body: (Int, Int, Int32) -> Void) {
        for run in 0..<first.count {
            body(Int(row[run]) * nx + Int(first[run]), Int(last[run] - first[run]) + 1, component[run])
        }
    }
}
