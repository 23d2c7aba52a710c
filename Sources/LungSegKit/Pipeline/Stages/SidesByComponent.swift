import AHNet

/// Right and left without the anatomical post-processing (`--no-postprocessing`): by component.
enum SidesByComponent {
    /// Labels 1 = right, 2 = left, by world x: NIfTI's world is RAS+, x grows toward the
    /// patient's right (CIP's right-lung regions of cip_ct64 lie at x = +48 mm, the left at -58).
    /// Never by array index. Two components of comparable size (the second at least a fifth of
    /// the largest): each component goes to the side of its centroid relative to the midpoint of
    /// the two largest. Otherwise the largest holds both lungs (they touch, or the trachea joins
    /// them in the raw output): it is split at its centroid, and the small ones go to the side of
    /// theirs; an island beside one merged pair must not become "the other lung".
    static func split(_ components: BinaryMask.Labels, dims: Size3, affine: Affine) -> ([UInt8], PipelineWarning?) {
        let count = components.sizes.count
        // World x is linear in the voxel index: x = x0 + a*i + b*j + c*k.
        let (a, b, c, x0) = (affine.rows[0][0], affine.rows[0][1], affine.rows[0][2], affine.rows[0][3])
        var sums = [Double](repeating: 0, count: count)
        var index = 0
        for k in 0..<dims.k {
            for j in 0..<dims.j {
                let rowX = x0 + b * Double(j) + c * Double(k)
                for i in 0..<dims.i {
                    let label = Int(components.labels[index])
                    if label != 0 { sums[label] += rowX + a * Double(i) }
                    index += 1
                }
            }
        }
        var labels = [UInt8](repeating: 0, count: components.labels.count)
        let order = components.bySize
        guard let first = order.first else { return (labels, nil) }
        let centroid = { (label: Int32) in sums[Int(label)] / Double(max(components.sizes[Int(label)], 1)) }
        let twoLungs = order.count >= 2 && components.sizes[Int(order[1])] * 5 >= components.sizes[Int(first)]
        let midline = twoLungs ? (centroid(first) + centroid(order[1])) / 2 : centroid(first)
        let side = (0..<count).map { label -> UInt8 in label == 0 ? 0 : (centroid(Int32(label)) > midline ? 1 : 2) }
        if twoLungs {
            for index in labels.indices { labels[index] = side[Int(components.labels[index])] }
            return (labels, nil)
        }
        index = 0
        for k in 0..<dims.k {
            for j in 0..<dims.j {
                let rowX = x0 + b * Double(j) + c * Double(k)
                for i in 0..<dims.i {
                    let label = components.labels[index]
                    if label == first {
                        labels[index] = rowX + a * Double(i) > midline ? 1 : 2
                    } else {
                        labels[index] = side[Int(label)]
                    }
                    index += 1
                }
            }
        }
        return (labels, .oneComponentSplitAtCentre)
    }
}
