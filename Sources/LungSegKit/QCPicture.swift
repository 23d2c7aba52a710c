import CPNG
import Foundation

/// The quality-control picture: axial, coronal and sagittal slices through the lungs in the lung
/// window (W 1500, L -600), the mask outlined (right lung red, left lung green, unsplit lung
/// yellow), radiological convention (the patient's right on the image's left), 1 mm per pixel.
public struct QCPicture {
    public var width: Int
    public var height: Int
    /// RGB, rows top to bottom.
    public var pixels: [UInt8]

    /// Renders `labels` (input grid) over `volume`; `split` says whether labels 1/2 mean right/left.
    public init(volume: Volume, labels: [UInt8], split: Bool) throws {
        let reorientation = try Reorientation(affine: volume.affine, dims: volume.dims, to: "RAS")
        let hu = reorientation.apply(volume.voxels)
        let mask = reorientation.apply(labels)
        let dims = reorientation.targetDims
        let spacing = reorientation.affine(volume.affine).columnLengths
        // Slices through the centre of the mask (or of the volume).
        var sum = [0.0, 0.0, 0.0]
        var count = 0
        for index in mask.indices where mask[index] != 0 {
            sum[0] += Double(index % dims[0])
            sum[1] += Double((index / dims[0]) % dims[1])
            sum[2] += Double(index / (dims[0] * dims[1]))
            count += 1
        }
        let centre = (0..<3).map { count > 0 ? Int(sum[$0] / Double(count)) : dims[$0] / 2 }

        // Each panel: horizontal and vertical voxel axes, their directions, the fixed axis.
        typealias Panel = (horizontal: Int, vertical: Int, fixed: Int, marks: (String, String))
        let panels: [Panel] = [(0, 1, 2, ("R", "L")), (0, 2, 1, ("R", "L")), (1, 2, 0, ("A", "P"))]
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
                    var index3 = [0, 0, 0]
                    index3[panel.horizontal] = u
                    index3[panel.vertical] = v
                    index3[panel.fixed] = centre[panel.fixed]
                    let index = index3[0] + dims[0] * (index3[1] + dims[1] * index3[2])
                    let gray = UInt8(max(0, min(255, (Double(hu[index]) + 1350) / 1500 * 255)))
                    let pixel = (row * w + column) * 3
                    rgb[pixel] = gray
                    rgb[pixel + 1] = gray
                    rgb[pixel + 2] = gray
                    labelImage[row * w + column] = mask[index]
                }
            }
            // Outline: labelled pixels with a differently labelled 4-neighbour.
            for row in 0..<h {
                for column in 0..<w {
                    let label = labelImage[row * w + column]
                    guard label != 0 else { continue }
                    let edge = [(0, -1), (0, 1), (-1, 0), (1, 0)].contains { dr, dc in
                        let (r, c) = (row + dr, column + dc)
                        return r < 0 || r >= h || c < 0 || c >= w || labelImage[r * w + c] != label
                    }
                    guard edge else { continue }
                    let color: (UInt8, UInt8, UInt8) = !split ? (255, 220, 0) : (label == 1 ? (255, 60, 60) : (60, 220, 60))
                    let pixel = (row * w + column) * 3
                    (rgb[pixel], rgb[pixel + 1], rgb[pixel + 2]) = color
                }
            }
            Self.draw(panel.marks.0, into: &rgb, width: w, height: h, x: 4, y: h / 2 - 7)
            Self.draw(panel.marks.1, into: &rgb, width: w, height: h, x: w - 14, y: h / 2 - 7)
            rendered.append((w, h, rgb))
        }
        let gap = 8
        width = rendered.reduce(0) { $0 + $1.w } + gap * (rendered.count - 1)
        height = rendered.map(\.h).max() ?? 1
        var canvas = [UInt8](repeating: 0, count: width * height * 3)
        var x0 = 0
        for panel in rendered {
            for row in 0..<panel.h {
                let source = row * panel.w * 3
                let target = (row * width + x0) * 3
                canvas.replaceSubrange(target..<(target + panel.w * 3), with: panel.rgb[source..<(source + panel.w * 3)])
            }
            x0 += panel.w + gap
        }
        pixels = canvas
    }

    /// Writes the picture as PNG (libpng), atomically.
    public func write(to path: String) throws(NIfTIError) {
        let output = AtomicOutput(path)
        let status = pixels.withUnsafeBufferPointer { cpng_write_rgb(output.temporary, $0.baseAddress, Int32(width), Int32(height)) }
        guard status == 0 else {
            output.discard()
            throw .writeFailed(path: path, reason: status == -1 ? "cannot create the file" : "libpng failed")
        }
        if let reason = output.commit() { throw .writeFailed(path: path, reason: reason) }
    }

    /// 5x7 glyphs for the orientation marks, drawn 2x in white with a black shadow.
    static let glyphs: [Character: [UInt8]] = [
        "R": [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001],
        "L": [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111],
        "A": [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        "P": [0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000],
    ]

    static func draw(_ text: String, into rgb: inout [UInt8], width: Int, height: Int, x: Int, y: Int) {
        guard let letter = text.first, let rows = glyphs[letter] else { return }
        for (shadow, value) in [(1, UInt8(0)), (0, UInt8(255))] {
            for (r, bits) in rows.enumerated() {
                for c in 0..<5 where bits & (1 << (4 - c)) != 0 {
                    for dy in 0..<2 {
                        for dx in 0..<2 {
                            let px = x + c * 2 + dx + shadow
                            let py = y + r * 2 + dy + shadow
                            guard px >= 0, px < width, py >= 0, py < height else { continue }
                            let pixel = (py * width + px) * 3
                            rgb[pixel] = value
                            rgb[pixel + 1] = value
                            rgb[pixel + 2] = value
                        }
                    }
                }
            }
        }
    }
}
