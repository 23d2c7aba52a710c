import AHNet

/// The side of a lung found alone (a pneumonectomy, a field of view over one side of the chest)
/// when no trachea marks the midline: the side its chest wall faces.
///
/// Without a trachea the midline would be the body's middle, and on a scan whose field of view
/// ends at the patient's midline that is the middle of one half of the chest, on either side of
/// the lung by chance. The chest wall does not depend on the field of view: along each image row
/// through the lung, the air outside the patient lies a chest wall away (1-6 cm) on the lung's
/// lateral side, and on its medial side the mediastinum and the other hemithorax away (15 cm or
/// more), or beyond the image's border. Rows vote for the side where the outside is reached
/// clearly sooner; a side's lung lies toward the side its chest wall faces. First, though: when
/// the image's border cuts the lung on one side only, that side is the medial one (a field of view
/// ending inside the chest cuts the lung there, while its lateral side lies behind the chest wall;
/// the cut lung, air-like, also lets the outside in on that side, which would confuse the rows).
enum OneLungSide {
    /// The nearer side must be at most this fraction of the farther one's distance to vote.
    static let clearlyNearer = 0.5
    /// The winning side needs this many times the other side's votes.
    static let majority = 2
    /// And at least this many rows.
    static let minimumVotes = 10

    /// Whether the lung in `labels` (any non-zero voxel) lies on the patient's right: nil when the
    /// rows do not agree. `body` is the patient (1) and the air outside (0) on `grid`;
    /// `imageFaces` (low i, high i, low j, high j) are the faces that are the image's own border,
    /// where what lies beyond is unknown; the others lie in the air around the body.
    static func isRight(labels: [UInt8], body: [UInt8], grid: AnatomyGrid, imageFaces: [Bool]) -> Bool? {
        let stepX = grid.affine.rows[0][0]
        guard stepX != 0 else { return nil }
        let nx = grid.dims.i
        let rows = grid.dims.j * grid.dims.k
        // Votes for the outside lying nearer toward larger i, and toward smaller i.
        let (towardHigh, towardLow) = labels.withUnsafeBufferPointer { labels in
            body.withUnsafeBufferPointer { body in
                ParallelFor.reduce(0..<rows, minimumChunk: 256, initial: { (0, 0) }) { range, votes in
                    for row in range {
                        let start = row * nx
                        guard let low = (0..<nx).first(where: { labels[start + $0] != 0 }),
                              let high = (0..<nx).last(where: { labels[start + $0] != 0 }) else { continue }
                        let up = distanceToOutside(from: high, step: 1, row: start, nx: nx, body: body, faceIsImage: imageFaces[1])
                        let down = distanceToOutside(from: low, step: -1, row: start, nx: nx, body: body, faceIsImage: imageFaces[0])
                        switch (up, down) {
                        case let (up?, down?):
                            if Double(up) <= clearlyNearer * Double(down) { votes.0 += 1 }
                            if Double(down) <= clearlyNearer * Double(up) { votes.1 += 1 }
                        case (.some, nil): votes.0 += 1
                        case (nil, .some): votes.1 += 1
                        case (nil, nil): break
                        }
                    }
                } combine: { $0.0 += $1.0; $0.1 += $1.1 }
            }
        }
        let lateralTowardHighI: Bool
        if let medialTowardHighI = decide(cutVoxels(labels, grid: grid, atHighI: true, isImage: imageFaces[1]),
                                          cutVoxels(labels, grid: grid, atHighI: false, isImage: imageFaces[0]), majority: cutMajority) {
            lateralTowardHighI = !medialTowardHighI
        } else if let decided = decide(towardHigh, towardLow) {
            lateralTowardHighI = decided
        } else {
            return nil
        }
        // World x grows toward the patient's right: the chest wall faces +x on a right lung.
        return lateralTowardHighI == (stepX > 0)
    }

    /// The cut side needs this many times the other side's cut voxels.
    static let cutMajority = 10

    /// True when `high` wins (at least `minimumVotes` and `majority` times `low`), false when `low`
    /// does, nil when neither.
    static func decide(_ high: Int, _ low: Int, majority: Int = majority) -> Bool? {
        if high >= minimumVotes && high >= majority * low { return true }
        if low >= minimumVotes && low >= majority * high { return false }
        return nil
    }

    /// Lung voxels on the grid's low-i or high-i face when that face is the image's border.
    static func cutVoxels(_ labels: [UInt8], grid: AnatomyGrid, atHighI: Bool, isImage: Bool) -> Int {
        guard isImage else { return 0 }
        let nx = grid.dims.i
        let i = atHighI ? nx - 1 : 0
        return (0..<(grid.dims.j * grid.dims.k)).reduce(0) { $0 + (labels[$1 * nx + i] != 0 ? 1 : 0) }
    }

    /// Voxels from `from` along the row to the first voxel outside the body; a face of the grid
    /// that is not the image's border counts as outside just past it; nil at the image's border.
    static func distanceToOutside(from: Int, step: Int, row: Int, nx: Int, body: UnsafeBufferPointer<UInt8>, faceIsImage: Bool) -> Int? {
        var i = from + step
        while i >= 0 && i < nx {
            if body[row + i] == 0 { return abs(i - from) }
            i += step
        }
        return faceIsImage ? nil : abs(i - from)
    }
}
