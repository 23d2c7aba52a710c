import AHNet

/// Stage `measure`: labels and airways back in the input orientation; volumes and mean HU per
/// side on the input grid, and the checks that warn (no lung, unequal lungs, the volume border).
enum MeasureStage {
    struct Measured {
        /// 1 = right, 2 = left, on the input grid.
        let labels: [UInt8]
        let airwayVoxels: [Int]
        let rightML: Double
        let leftML: Double
        let airwaysML: Double
        let rightMeanHU: Double?
        let leftMeanHU: Double?
        let touchesBorder: Bool

        func warnings(lungCount: Int) -> [PipelineWarning] {
            var warnings: [PipelineWarning] = []
            if rightML + leftML < 1 { warnings.append(.noLung) }
            if lungCount == 2 && min(rightML, leftML) * 3 < max(rightML, leftML) {
                warnings.append(.unequalLungs(rightML: rightML, leftML: leftML))
            }
            if touchesBorder { warnings.append(.lungsTouchVolumeBorder) }
            return warnings
        }
    }

    /// `wholeNumbers`: every voxel of `volume` is a whole number within Int16 (`Volume.valueSummary`).
    static func run(_ volume: Volume, wholeNumbers: Bool, labels cropped: [UInt8], airways: [UInt8]?, mapping: GridMapping) -> Measured {
        let airwayVoxels = airways.map { inputOffsets(of: $0, crop: mapping.crop, reorientation: mapping.reorientation) } ?? []
        let labels = mapping.toInputGrid(cropped, background: 0)
        let voxelML = abs(volume.affine.linearDeterminant) / 1000
        let (counts, sums) = labelSums(labels, hu: volume.voxels, wholeNumbers: wholeNumbers)
        return Measured(
            labels: labels, airwayVoxels: airwayVoxels, rightML: Double(counts[1]) * voxelML, leftML: Double(counts[2]) * voxelML,
            airwaysML: Double(airwayVoxels.count) * voxelML, rightMeanHU: counts[1] > 0 ? sums[1] / Double(counts[1]) : nil,
            leftMeanHU: counts[2] > 0 ? sums[2] / Double(counts[2]) : nil, touchesBorder: touchesBorder(labels, dims: volume.dims))
    }

    /// The input-grid offsets of the set voxels of `mask` (a mask of `crop` on the oriented grid),
    /// in ascending order, without an input-sized array: found in pieces in parallel, joined in
    /// the pieces' order, then sorted (the same list at any thread count).
    static func inputOffsets(of mask: [UInt8], crop: GridBox, reorientation: Reorientation) -> [Int] {
        let dims = crop.dims
        let voxels = mask.withUnsafeBufferPointer { mask in
            ParallelFor.reduce(0..<mask.count, minimumChunk: 1 << 18, initial: { [Int]() }) { range, voxels in
                for index in range where mask[index] != 0 {
                    let local = Index3(index % dims.i, (index / dims.i) % dims.j, index / (dims.i * dims.j))
                    voxels.append(reorientation.sourceOffset(of: crop.lower.zip(local, +)))
                }
            } combine: { $0 += $1 }
        }
        return voxels.sorted()
    }

    /// Voxel counts and HU sums of labels 1 and 2. A CT of whole numbers within Int16
    /// (`wholeNumbers`, nearly every CT) is summed in integers in parallel: exact, so the same as
    /// a sum in index order in Double (whole numbers below 2^53 add exactly in any order).
    /// Otherwise it is summed in Double in index order, on one thread (the order fixes the sums,
    /// whatever the thread count).
    static func labelSums(_ labels: [UInt8], hu: [Float], wholeNumbers: Bool) -> (counts: [Int], sums: [Double]) {
        guard wholeNumbers else {
            var counts = [0, 0, 0]
            var sums = [0.0, 0.0, 0.0]
            labels.withUnsafeBufferPointer { labels in
                hu.withUnsafeBufferPointer { hu in
                    for index in labels.indices where labels[index] != 0 {
                        counts[Int(labels[index])] += 1
                        sums[Int(labels[index])] += Double(hu[index])
                    }
                }
            }
            return (counts, sums)
        }
        let total = labels.withUnsafeBufferPointer { labels in
            hu.withUnsafeBufferPointer { hu in
                ParallelFor.reduce(0..<labels.count, minimumChunk: 1 << 18, initial: { SIMD4<Int>() }) { range, total in
                    // (right count, left count, right sum, left sum), in locals for the loop.
                    var (right, left, rightSum, leftSum) = (0, 0, 0, 0)
                    for index in range where labels[index] != 0 {
                        if labels[index] == 1 {
                            right += 1
                            rightSum += Int(hu[index])
                        } else {
                            left += 1
                            leftSum += Int(hu[index])
                        }
                    }
                    total = SIMD4(right, left, rightSum, leftSum)
                } combine: { $0 &+= $1 }
            }
        }
        return ([0, total[0], total[1]], [0, Double(total[2]), Double(total[3])])
    }

    /// Whether a label lies on a face of the volume: the faces only are read (along k only when
    /// the volume has more than two slices: a thin slab's lungs always touch its ends).
    static func touchesBorder(_ labels: [UInt8], dims: Size3) -> Bool {
        let (nx, ny, nz) = (dims.i, dims.j, dims.k)
        let plane = nx * ny
        let set = { (index: Int) in labels[index] != 0 }
        if nz > 2 && ((0..<plane).contains { set($0) } || (0..<plane).contains { set((nz - 1) * plane + $0) }) { return true }
        for k in 0..<nz {
            let slice = k * plane
            if (0..<nx).contains(where: { set(slice + $0) || set(slice + (ny - 1) * nx + $0) }) { return true }
            if (0..<ny).contains(where: { set(slice + $0 * nx) || set(slice + $0 * nx + nx - 1) }) { return true }
        }
        return false
    }
}
