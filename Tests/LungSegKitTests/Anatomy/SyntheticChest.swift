import AHNet
@testable import LungSegKit

/// A small synthetic chest CT on a RAS grid (2 x 2 x 5 mm voxels, i toward the patient's right,
/// j anterior, k superior) with what each anatomical stage guards against, and its truth.
struct SyntheticChest {
    struct Options {
        /// HU outside the reconstruction circle (-1024, -2048, -3024).
        var padding: Float = -3024
        /// The reconstruction circle's radius, mm (below 100 it cuts into the lungs' sides).
        var circleMM = 118.0
        var table = true
        var rightLung = true
        var leftLung = true
        /// A bridge of lung between the two lungs in front of the heart (the anterior junction).
        var touchingInFront = false
        var trachea = true
        /// Slices below the carina through which the left main bronchus runs.
        var leftBronchusSlices = 4
        /// A bulla (pure air, part of the lung) that the right main bronchus opens into two
        /// slices below the carina: there the right branch leaks into the lung.
        var bullaAtRightBronchus = false
        /// A gas bubble under the left lung (the stomach), separated by tissue.
        var gasUnderDiaphragm = false
        /// Colon gas pressed into the left lung's base, touching it over a broad face through the
        /// diaphragm (a layer of partial volume at -450 HU above the gas, in an air mask).
        var gasInLungBase = false
        /// A bulla of the same shape, part of the left lung, in its lower third: lung above it.
        var bullaInLungBase = false
        /// A third of the lung's voxels at -980 HU, scattered (emphysema or low-dose noise).
        var emphysema = false
        /// Vessels as tissue lines along i that reach the chest wall (every 8th row of every
        /// other slice, about 6 %), as real vessels join the patient, instead of scattered voxels.
        var connectedVessels = false
        /// The trachea and bronchi moved toward the patient's right, mm (a deviated trachea).
        var tracheaShiftMM = 0.0
        /// An air-filled esophagus (radius 6 mm) at the body's midline behind the trachea, from
        /// the top down into the lungs' lowest fifth, 5 mm of tissue between them.
        var esophagus = false
        /// An endotracheal tube in the trachea (wall from 3.5 to 5 mm, +100 HU) from the top
        /// down to 20 mm above the carina: a ring of air around the tube, air inside it.
        var endotrachealTube = false
        /// A channel of air this wide (mm, along j; 0: none) through the right chest wall into
        /// the right lung in slices 18 and 19, open to the padding at the image's side: an open
        /// drain tract or wound. The lung must stay in the body.
        var wallBreachMM = 0.0
        /// Air under the skin in front of the lungs that runs like a trachea (subcutaneous
        /// emphysema): a tube of 12 mm at the midline 78 mm in front (the lungs reach 65 mm),
        /// from the top down to slice 22, then two branches for four slices.
        var subcutaneousTube = false
        /// Air beside the trachea (pneumomediastinum) from slice 37 down to 32: 15 pixels in front
        /// of it and to the patient's right, touching its lumen only diagonally (two regions).
        var peritrachealAir = false
    }

    static let dims = Size3(160, 120, 40)
    static let spacing = [2.0, 2.0, 5.0]
    /// RAS: x = (i - 80) * 2 mm, so i > 80 is the patient's right.
    static let affine = Affine(rows: [[2, 0, 0, -160], [0, 2, 0, -120], [0, 0, 5, -100], [0, 0, 0, 1]])
    static let carinaSlice = 26

    /// The CT as float32, as a reader gives it.
    var values: [Float]
    /// The CT as the anatomical stages read it (`WholeHU`).
    var hu: [Int16] = []
    var body: [UInt8]
    /// 1 = right lung, 2 = left lung (true lung voxels).
    var lungs: [UInt8]
    var tracheaLumen: [UInt8]
    var gas: [UInt8]
    var esophagusLumen: [UInt8]
    /// The channel of `wallBreachMM`.
    var breach: [UInt8]
    /// The tube of `subcutaneousTube`.
    var subcutaneousAir: [UInt8]
    var grid: AnatomyGrid { AnatomyGrid(dims: Self.dims, affine: Self.affine) }

    static func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + dims[0] * (j + dims[1] * k) }

    /// The world position (mm, RAS, z from the grid's first slice) of voxel `index`.
    static func position(_ index: Int) -> (x: Double, y: Double, z: Double) {
        let (i, j, k) = (index % dims[0], (index / dims[0]) % dims[1], index / (dims[0] * dims[1]))
        return (Double(i - 80) * 2, Double(j - 60) * 2, Double(k) * 5)
    }

    init(_ options: Options = Options()) {
        let (nx, ny, nz) = (Self.dims[0], Self.dims[1], Self.dims[2])
        let count = nx * ny * nz
        values = [Float](repeating: -1000, count: count)
        body = [UInt8](repeating: 0, count: count)
        lungs = [UInt8](repeating: 0, count: count)
        tracheaLumen = [UInt8](repeating: 0, count: count)
        gas = [UInt8](repeating: 0, count: count)
        esophagusLumen = [UInt8](repeating: 0, count: count)
        breach = [UInt8](repeating: 0, count: count)
        subcutaneousAir = breach
        var random = 12345 as UInt64
        func noise() -> Double {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return Double(random >> 11) / Double(1 << 53)
        }
        for k in 0..<nz {
            for j in 0..<ny {
                for i in 0..<nx {
                    let index = Self.index(i, j, k)
                    let (x, y, z) = (Double(i - 80) * 2, Double(j - 60) * 2, Double(k) * 5)
                    // Outside the reconstruction circle: padding.
                    if x * x + y * y > options.circleMM * options.circleMM { values[index] = options.padding; continue }
                    // The table: a slab 16 mm under the back, with air between.
                    if options.table && y < -96 && y > -106 { values[index] = 200; continue }
                    // The body: an elliptic cylinder 260 x 180 mm.
                    guard (x / 130) * (x / 130) + (y / 90) * (y / 90) <= 1 else { continue }
                    body[index] = 1
                    values[index] = 40
                    // Lungs: ellipsoids left and right of the midline, from z = 40 to 190 mm.
                    let lungZ = (z - 115) / 75
                    for (side, centre) in [(UInt8(1), 55.0), (UInt8(2), -55.0)] where (side == 1 ? options.rightLung : options.leftLung) {
                        let dx = (x - centre) / 45
                        let dy = y / 65
                        if dx * dx + dy * dy + lungZ * lungZ <= 1 { lungs[index] = side }
                    }
                    if options.touchingInFront && abs(x) <= 14 && y > 30 && y < 50 && abs(lungZ) < 0.6 && options.rightLung && options.leftLung {
                        lungs[index] = x >= 0 ? 1 : 2
                    }
                    if lungs[index] != 0 {
                        // Parenchyma with vessels: their spread tells lung from gas.
                        let vessel = options.connectedVessels ? j % 8 == 0 && k % 2 == 0 : noise() < 0.06
                        values[index] = vessel ? 40 : Float(-860 + 40 * noise())
                    }
                    if options.emphysema && lungs[index] != 0 && noise() < 0.33 { values[index] = -980 }
                    // Colon gas in the left lung's base: pure air where the two overlap, lung gone there.
                    if options.gasInLungBase || options.bullaInLungBase {
                        // The bulla 20 mm higher: above the lung's base, not half under it.
                        let centre = options.gasInLungBase ? 45.0 : 65.0
                        let (gx, gy, gz) = ((x + 55) / 28, (y - 10) / 28, (z - centre) / 20)
                        let inside = gx * gx + gy * gy + gz * gz
                        if inside <= 1 && (options.gasInLungBase || lungs[index] != 0) {
                            gas[index] = options.gasInLungBase ? 1 : 0
                            if options.gasInLungBase { lungs[index] = 0 }
                            values[index] = Float(-1000 + 10 * noise())
                        } else if options.gasInLungBase && inside <= 1.6 && z > 45 && lungs[index] != 0 {
                            lungs[index] = 0
                            values[index] = -450
                        }
                    }
                    // The stomach: a gas bubble under the left lung, 25 mm of tissue below its base.
                    if options.gasUnderDiaphragm {
                        let (gx, gy, gz) = ((x + 55) / 30, (y + 5) / 30, (z - 12) / 12)
                        if gx * gx + gy * gy + gz * gz <= 1 {
                            gas[index] = 1
                            values[index] = Float(-1000 + 10 * noise())
                        }
                    }
                }
            }
        }
        if options.trachea { addAirways(options) }
        if options.endotrachealTube {
            for k in (Self.carinaSlice + 4)..<nz {
                for j in 0..<ny {
                    for i in 0..<nx {
                        let (x, y) = (Double(i - 80) * 2 - options.tracheaShiftMM, Double(j - 60) * 2 - 20)
                        let radius = (x * x + y * y).squareRoot()
                        guard radius >= 3.5 && radius <= 5 else { continue }
                        let index = Self.index(i, j, k)
                        tracheaLumen[index] = 0
                        values[index] = 100
                    }
                }
            }
        }
        if options.esophagus {
            for k in 11..<nz {
                for j in 0..<ny {
                    for i in 0..<nx {
                        let (x, y) = (Double(i - 80) * 2, Double(j - 60) * 2)
                        guard x * x + (y - 1) * (y - 1) <= 6 * 6 else { continue }
                        let index = Self.index(i, j, k)
                        esophagusLumen[index] = 1
                        lungs[index] = 0
                        values[index] = -1000
                    }
                }
            }
        }
        if options.peritrachealAir {
            // Trachea pixels are offsets (di, dj) with di² + dj² <= 16 from (80, 70); (3, 3) would
            // touch them along a side.
            for k in 32...37 {
                for dj in 3...6 {
                    for di in 3...6 where (di, dj) != (3, 3) { values[Self.index(80 + di, 70 + dj, k)] = -1000 }
                }
            }
        }
        if options.subcutaneousTube {
            for k in 18..<nz {
                for j in 0..<ny {
                    for i in 0..<nx {
                        let (x, y) = (Double(i - 80) * 2, Double(j - 60) * 2)
                        let centres = k >= 22 ? [0.0] : [-6.0 - 4.0 * Double(22 - k), 6.0 + 4.0 * Double(22 - k)]
                        guard centres.contains(where: { (x - $0) * (x - $0) + (y - 78) * (y - 78) <= (k >= 22 ? 36 : 25) }) else { continue }
                        values[Self.index(i, j, k)] = -1000
                        subcutaneousAir[Self.index(i, j, k)] = 1
                    }
                }
            }
        }
        if options.wallBreachMM > 0 {
            for k in 18...19 {
                for j in 0..<ny {
                    for i in 0..<nx {
                        let (x, y) = (Double(i - 80) * 2, Double(j - 60) * 2)
                        let index = Self.index(i, j, k)
                        guard x >= 90, abs(y) <= options.wallBreachMM / 2, lungs[index] == 0 else { continue }
                        breach[index] = 1
                        values[index] = Float(-1000 + 10 * noise())
                    }
                }
            }
        }
        hu = values.map(WholeHU.from)
    }

    /// A trachea of 16 mm from the top down to the carina at the midline, then two main bronchi
    /// running 4 mm outward per slice for four slices (the left: `leftBronchusSlices`) into each lung.
    private mutating func addAirways(_ options: Options) {
        let (nx, ny, nz) = (Self.dims[0], Self.dims[1], Self.dims[2])
        func disc(_ cx: Double, _ cy: Double, _ k: Int, radius: Double) {
            for j in 0..<ny {
                for i in 0..<nx {
                    let (x, y) = (Double(i - 80) * 2, Double(j - 60) * 2)
                    guard (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius else { continue }
                    let index = Self.index(i, j, k)
                    tracheaLumen[index] = 1
                    lungs[index] = 0
                    values[index] = -1000
                }
            }
        }
        let shift = options.tracheaShiftMM
        for k in Self.carinaSlice..<nz { disc(shift, 20, k, radius: 8) }
        for step in 1...max(4, options.leftBronchusSlices) {
            let k = Self.carinaSlice - step
            let offset = 6.0 + 4.0 * Double(step)
            if step <= 4 { disc(shift + offset, 20, k, radius: 6) }
            if step <= options.leftBronchusSlices { disc(shift - offset, 20, k, radius: 6) }
        }
        if options.bullaAtRightBronchus {
            for k in (Self.carinaSlice - 8)...(Self.carinaSlice - 2) {
                for j in 0..<ny {
                    for i in 0..<nx {
                        let (x, y) = (Double(i - 80) * 2, Double(j - 60) * 2)
                        if (x - 40) * (x - 40) + (y - 20) * (y - 20) <= 20 * 20 { values[Self.index(i, j, k)] = -1000 }
                    }
                }
            }
        }
    }

    /// What a network that labels all air inside the reconstruction circle as lung would give.
    func airMask() -> [UInt8] { values.map { $0 < -400 && $0 > -1100 ? 1 : 0 } }

    var coarseBody: CoarseBody? { CoarseBody(subsampled: values, dims: Self.dims, factors: Size3(1, 1, 1)) }
}
