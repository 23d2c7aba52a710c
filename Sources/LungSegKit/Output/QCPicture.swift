import AHNet
import CPNG
import Foundation

/// The quality-control picture: axial, coronal and sagittal slices in the lung window (W 1500,
/// L -600), radiological convention (the patient's right on the image's left), 1 mm per pixel,
/// with each structure outlined in its colour and a legend below: right lung red, left lung green,
/// trachea and main bronchi (taken out of the lungs) cyan. The axial slice passes through the
/// lungs' centre, the coronal through the trachea (or the lungs' centre when no airway was found),
/// the sagittal through the right lung (or the left when there is no right).
public struct QCPicture {
    public var width: Int
    public var height: Int
    /// RGB, rows top to bottom.
    public var pixels: [UInt8]

    init(width: Int, height: Int, pixels: [UInt8]) {
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    /// Outline colours by label: 1 = right lung, 2 = left lung, 3 = airways.
    public static let colors: [UInt8: (UInt8, UInt8, UInt8)] = [1: (255, 60, 60), 2: (60, 220, 60), 3: (0, 200, 255)]

    /// Renders `labels` (input grid, 1 = right, 2 = left) and the `airways` (input-grid voxel
    /// indices) over `volume`; `volumesML` (right, left, airways) go into the legend.
    public init(volume: Volume, labels: [UInt8], airways: [Int] = [], volumesML: [Double]? = nil) throws {
        // Only three planes are drawn: voxels are read through the reorientation, never copied.
        let airwaySet = Set(airways.filter { labels[$0] == 0 })
        let label = { (index: Int) -> UInt8 in labels[index] != 0 ? min(labels[index], 3) : airwaySet.contains(index) ? 3 : 0 }
        let reorientation = try Reorientation(affine: volume.affine, dims: volume.dims, to: "RAS")
        let dims = reorientation.targetDims
        let spacing = reorientation.affine(volume.affine).columnLengths
        // Centroid of each label (RAS voxel indices; sums of integers, exact in any order): the
        // labels summed on the input grid, slices in parallel, then taken to RAS once per label
        // (permutes and flips are linear, so the sums map exactly).
        let labelSums = LabelSums(labels, dims: volume.dims)
        var sums = [[Double]](repeating: [0, 0, 0], count: 4)
        var counts = labelSums.counts
        for value in 1..<4 {
            sums[value] = (0..<3).map { t in Double(reorientation.targetSum(labelSums.sums[value], count: counts[value], axis: t)) }
        }
        for index in airwaySet {
            let target = reorientation.targetIndex(ofSourceOffset: index)
            for axis in 0..<3 { sums[3][axis] += Double(target[axis]) }
            counts[3] += 1
        }
        let centroid = { (labels: [Int]) -> Index3? in
            let n = labels.reduce(0) { $0 + counts[$1] }
            guard n > 0 else { return nil }
            return Index3.byAxis { axis in Int(labels.reduce(0.0) { $0 + sums[$1][axis] } / Double(n)) }
        }
        let middle = dims.map { $0 / 2 }
        let lungs = centroid([1, 2]) ?? middle
        let axial = lungs[2]
        let coronal = (centroid([3]) ?? lungs)[1]
        let sagittal = (centroid([1]) ?? centroid([2]) ?? middle)[0]

        // Each panel: horizontal and vertical voxel axes, the fixed axis and its slice, the marks.
        typealias Panel = (horizontal: Int, vertical: Int, fixed: Int, slice: Int, marks: (String, String))
        let panels: [Panel] = [(0, 1, 2, axial, ("R", "L")), (0, 2, 1, coronal, ("R", "L")), (1, 2, 0, sagittal, ("A", "P"))]
        var rendered: [(w: Int, h: Int, rgb: [UInt8])] = []
        for panel in panels {
            let widthMM = Double(dims[panel.horizontal]) * spacing[panel.horizontal]
            let heightMM = Double(dims[panel.vertical]) * spacing[panel.vertical]
            let scale = max(1, max(widthMM, heightMM) / 512)
            let w = max(1, Int(widthMM / scale))
            let h = max(1, Int(heightMM / scale))
            var labelImage = [UInt8](repeating: 0, count: w * h)
            var rgb = [UInt8](repeating: 0, count: w * h * 3)
            for row in 0..<h {
                for column in 0..<w {
                    // Radiological: x (R) and y (A) decrease to the image's right for axial/coronal;
                    // A decreases to the right on the sagittal panel; S decreases downwards.
                    let u = dims[panel.horizontal] - 1 - min(Int(Double(column) * scale / spacing[panel.horizontal]), dims[panel.horizontal] - 1)
                    let v = dims[panel.vertical] - 1 - min(Int(Double(row) * scale / spacing[panel.vertical]), dims[panel.vertical] - 1)
                    var index3 = Index3.zero
                    index3[panel.horizontal] = u
                    index3[panel.vertical] = v
                    index3[panel.fixed] = min(max(panel.slice, 0), dims[panel.fixed] - 1)
                    let index = reorientation.sourceOffset(of: index3)
                    let gray = UInt8(max(0, min(255, (Double(volume.voxels[index]) + 1350) / 1500 * 255)))
                    let pixel = (row * w + column) * 3
                    (rgb[pixel], rgb[pixel + 1], rgb[pixel + 2]) = (gray, gray, gray)
                    labelImage[row * w + column] = label(index)
                }
            }
            // Outline: labelled pixels with a differently labelled 4-neighbour.
            for row in 0..<h {
                for column in 0..<w {
                    let label = labelImage[row * w + column]
                    guard label != 0, let color = Self.colors[label] else { continue }
                    let edge = [(0, -1), (0, 1), (-1, 0), (1, 0)].contains { dr, dc in
                        let (r, c) = (row + dr, column + dc)
                        return r < 0 || r >= h || c < 0 || c >= w || labelImage[r * w + c] != label
                    }
                    guard edge else { continue }
                    let pixel = (row * w + column) * 3
                    (rgb[pixel], rgb[pixel + 1], rgb[pixel + 2]) = color
                }
            }
            QCFont.draw(panel.marks.0, into: &rgb, width: w, height: h, x: 4, y: h / 2 - 7)
            QCFont.draw(panel.marks.1, into: &rgb, width: w, height: h, x: w - 14, y: h / 2 - 7)
            rendered.append((w, h, rgb))
        }
        let gap = 8
        width = rendered.reduce(0) { $0 + $1.w } + gap * (rendered.count - 1)
        // The legend: a colour swatch and a name (and volume) per structure, in rows that fit.
        let names = ["RIGHT LUNG", "LEFT LUNG", "AIRWAYS (NOT LUNG)"]
        var entries: [(text: String, color: (UInt8, UInt8, UInt8), x: Int, row: Int)] = []
        var (x, row) = (6, 0)
        for (position, name) in names.enumerated() {
            guard let color = Self.colors[UInt8(position + 1)] else { continue }
            // The report's figure (0.1 mL) rounded to whole mL, so that the picture and the report agree.
            let text = volumesML.map { String(format: "%@ %.0f ML", name, (($0[position] * 10).rounded() / 10).rounded()) } ?? name
            let entryWidth = 20 + text.count * QCFont.advance
            if x > 6 && x + entryWidth > width {
                (x, row) = (6, row + 1)
            }
            entries.append((text, color, x, row))
            x += entryWidth + 24
        }
        let rowHeight = 22
        let panelsHeight = rendered.map(\.h).max() ?? 1
        height = panelsHeight + 6 + (row + 1) * rowHeight
        var canvas = [UInt8](repeating: 0, count: width * height * 3)
        var x0 = 0
        for panel in rendered {
            for line in 0..<panel.h {
                let source = line * panel.w * 3
                let target = (line * width + x0) * 3
                canvas.replaceSubrange(target..<(target + panel.w * 3), with: panel.rgb[source..<(source + panel.w * 3)])
            }
            x0 += panel.w + gap
        }
        for entry in entries {
            let top = panelsHeight + 8 + entry.row * rowHeight
            for line in top..<min(top + 14, height) {
                for column in entry.x..<min(entry.x + 14, width) {
                    let pixel = (line * width + column) * 3
                    (canvas[pixel], canvas[pixel + 1], canvas[pixel + 2]) = entry.color
                }
            }
            QCFont.draw(entry.text, into: &canvas, width: width, height: height, x: entry.x + 20, y: top)
        }
        pixels = canvas
    }

    /// Writes the picture as PNG (libpng), atomically; with a transaction, staged until it commits.
    public func write(to path: String, in transaction: OutputTransaction? = nil) throws(NIfTIError) {
        let output = transaction?.stage(path) ?? AtomicOutput(path)
        let status = pixels.withUnsafeBufferPointer { cpng_write_rgb(output.temporary, $0.baseAddress, Int32(width), Int32(height)) }
        guard status == 0 else {
            output.discard()
            throw .writeFailed(path: path, reason: status == -1 ? "cannot create the file" : "libpng failed")
        }
        if transaction == nil, let reason = output.commit() { throw .writeFailed(path: path, reason: reason) }
    }
}

/// Per label (1, 2, and 3 for every value of 3 or more): voxel count and the sums of i, j and k,
/// as integers (exact whatever the order of the pieces).
struct LabelSums {
    var counts = [Int](repeating: 0, count: 4)
    var sums = [Index3](repeating: .zero, count: 4)

    init(_ labels: [UInt8], dims: Size3) {
        let (nx, ny) = (dims.i, dims.j)
        let total = labels.withUnsafeBufferPointer { labels in
            ParallelFor.reduce(0..<dims.k, initial: { [Int](repeating: 0, count: 16) }) { slices, total in
                for k in slices {
                    for j in 0..<ny {
                        let row = nx * (j + ny * k)
                        for i in 0..<nx where labels[row + i] != 0 {
                            let value = Int(min(labels[row + i], 3)) * 4
                            total[value] += 1
                            total[value + 1] += i
                            total[value + 2] += j
                            total[value + 3] += k
                        }
                    }
                }
            } combine: { total, piece in
                for index in total.indices { total[index] += piece[index] }
            }
        }
        for value in 0..<4 {
            counts[value] = total[value * 4]
            sums[value] = Index3(total[value * 4 + 1], total[value * 4 + 2], total[value * 4 + 3])
        }
    }
}
