import AHNet
import Testing
@testable import LungSegKit

@Suite("Anatomical post-processing on a synthetic chest", .timeLimit(.minutes(3)))
struct AnatomyTests {
    static func run(_ chest: SyntheticChest, mask: [UInt8]) -> AnatomicalPostprocessing.Outcome {
        AnatomicalPostprocessing(grid: chest.grid).run(mask: mask, hu: chest.hu, coarse: chest.coarseBody, fillHoles: true)
    }

    @Test(arguments: [-1024, -2048, -3024] as [Float])
    func bodyLeavesOutPaddingRoomAirAndTable(padding: Float) throws {
        let chest = SyntheticChest(.init(padding: padding))
        let coarse = try #require(chest.coarseBody)
        let body = BodyMask.find(hu: chest.hu, grid: chest.grid, coarse: coarse)
        // Voxel-exact: the elliptic body with its lungs and trachea; not the table, not the air under it.
        #expect(body == chest.body)
        #expect(body[SyntheticChest.index(80, 5, 20)] == 0)  // between the table and the back
        #expect(body[SyntheticChest.index(80, 8, 20)] == 0)  // the table
    }

    /// An air channel from the image's side into the right lung (a drain tract, a wound) lets the
    /// slice's flood into the lung: without `NarrowPassages` those slices of the lung were taken
    /// out as outside the body and the lung above them was named left.
    @Test(arguments: [4.0, 8.0])
    func aLungBehindAnAirChannelThroughTheChestWallStaysInTheBody(widthMM: Double) throws {
        let intact = SyntheticChest()
        let breached = SyntheticChest(.init(wallBreachMM: widthMM))
        let body = BodyMask.find(hu: breached.hu, grid: breached.grid, coarse: try #require(breached.coarseBody))
        let lung = breached.lungs.indices.filter { breached.lungs[$0] != 0 }
        #expect(lung.allSatisfy { body[$0] == 1 })
        // The channel's part outside the patient stays outside; inside it, it is enclosed air.
        let channel = breached.breach.indices.filter { breached.breach[$0] != 0 }
        #expect(channel.contains { breached.body[$0] == 0 })
        #expect(channel.allSatisfy { breached.body[$0] == 1 || body[$0] == 0 })
        // The network's mask (the true lungs) comes out as on the intact chest, but where the
        // channel meets the lung (the edge grows into air next to it).
        let mask = breached.lungs.map { $0 != 0 ? UInt8(1) : 0 }
        let expected = Self.run(intact, mask: intact.lungs.map { $0 != 0 ? UInt8(1) : 0 }).labels
        let labels = Self.run(breached, mask: mask).labels
        let differing = labels.indices.filter { labels[$0] != expected[$0] }
        #expect(differing.allSatisfy { breached.breach[$0] != 0 && labels[$0] == 1 })
        #expect(differing.count <= 20)
    }

    @Test(arguments: [-1024, -3024] as [Float])
    func nothingOutsideTheBodyIsLung(padding: Float) {
        let chest = SyntheticChest(.init(padding: padding))
        // The failure guarded against: a network calling the room air lung.
        let mask = chest.airMask()
        let outsideAir = zip(mask, chest.body).filter { $0.0 != 0 && $0.1 == 0 }.count
        #expect(outsideAir > 10_000)
        let outcome = Self.run(chest, mask: mask)
        #expect(zip(outcome.labels, chest.body).allSatisfy { $0.0 == 0 || $0.1 != 0 })
        #expect(outcome.removed.first { $0.0 == .outsideBody }?.1 == outsideAir)
        #expect(outcome.lungCount == 2)
    }

    @Test func theTracheaIsTheTubeInFrontOfAnAirFilledEsophagus() {
        var options = SyntheticChest.Options()
        options.esophagus = true
        options.tracheaShiftMM = 10  // the esophagus is nearer the body's midline than the trachea
        let chest = SyntheticChest(options)
        let plane = SyntheticChest.dims[0] * SyntheticChest.dims[1]
        let top = SyntheticChest.dims[2] - 1
        let candidates = Airways.tracheaCandidates(in: top, hu: chest.hu, body: chest.body, grid: chest.grid)
        #expect(candidates.count == 2)
        #expect(candidates.first?.allSatisfy { chest.tracheaLumen[top * plane + $0] != 0 } == true)
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let outcome = Self.run(chest, mask: mask)
        #expect(zip(chest.tracheaLumen, outcome.airways.mask).allSatisfy { $0.0 == 0 || $0.1 != 0 })
        #expect(zip(chest.esophagusLumen, outcome.airways.mask).allSatisfy { $0.0 == 0 || $0.1 == 0 })
        #expect(zip(chest.esophagusLumen, outcome.labels).allSatisfy { $0.0 == 0 || $0.1 == 0 })
        #expect(outcome.lungCount == 2)
    }

    @Test func aTracheaWithAnEndotrachealTubeIsFollowedFromTheTop() {
        var options = SyntheticChest.Options()
        options.endotrachealTube = true
        let chest = SyntheticChest(options)
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let airways = Airways.find(hu: chest.hu, body: chest.body, lungs: mask, grid: chest.grid)
        // The tube's lumen inside the ring of air is no carina; the real one is found, and the
        // tube ends 20 mm above it: too short a trachea below the tube alone.
        #expect(airways.carinaSlice == SyntheticChest.carinaSlice - 1)
        // All of the lumen, the tube's too, but the tube's in the first slice (the start is the ring).
        let plane = SyntheticChest.dims[0] * SyntheticChest.dims[1]
        let below = chest.tracheaLumen.indices.filter { chest.tracheaLumen[$0] != 0 && $0 / plane < SyntheticChest.dims[2] - 1 }
        #expect(below.allSatisfy { airways.mask[$0] != 0 })
        let outcome = Self.run(chest, mask: mask)
        #expect(zip(chest.tracheaLumen, outcome.labels).allSatisfy { $0.0 == 0 || $0.1 == 0 })
    }

    @Test func theOutlineOfARingFillsItsBoxAsADisc() {
        // A ring of 8 mm around a tube of 5 mm (pixels of 1 mm), and the disc it outlines.
        let width = 30
        var labels = [Int32](repeating: 0, count: width * width)
        var ring = SliceRegions.Region()
        for j in 0..<width {
            for i in 0..<width {
                let radius = (Double((i - 15) * (i - 15) + (j - 15) * (j - 15))).squareRoot()
                guard radius > 5, radius <= 8 else { continue }
                labels[i + width * j] = 1
                ring.area += 1
                (ring.lowerI, ring.upperI) = (min(ring.lowerI, i), max(ring.upperI, i))
                (ring.lowerJ, ring.upperJ) = (min(ring.lowerJ, j), max(ring.upperJ, j))
            }
        }
        #expect(ring.fill < 0.45)
        let disc = (0..<(width * width)).filter { index in
            let (i, j) = (index % width, index / width)
            return (Double((i - 15) * (i - 15) + (j - 15) * (j - 15))).squareRoot() <= 8
        }.count
        let box = (ring.upperI - ring.lowerI + 1) * (ring.upperJ - ring.lowerJ + 1)
        #expect(SliceRegions.outlineFill(of: ring, number: 1, labels: labels, width: width) == Double(disc) / Double(box))
    }

    @Test func tracheaAndCarinaAreFoundAndTakenOut() {
        let chest = SyntheticChest()
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let airways = Airways.find(hu: chest.hu, body: chest.body, lungs: mask, grid: chest.grid)
        // The first slice below the carina holds two bronchi.
        #expect(airways.carinaSlice == SyntheticChest.carinaSlice - 1)
        #expect(abs((airways.tracheaX ?? 99) - 0) < 1.5)
        #expect(zip(chest.tracheaLumen, airways.mask).allSatisfy { $0.0 == 0 || $0.1 != 0 })
        // Lumen and a wall of 2 mm (one pixel here) and nothing of the lungs' depth.
        let lumen = chest.tracheaLumen.reduce(0) { $0 + Int($1) }
        #expect(airways.voxelCount > lumen && airways.voxelCount < 2 * lumen)
        let outcome = Self.run(chest, mask: mask)
        #expect(zip(chest.tracheaLumen, outcome.labels).allSatisfy { $0.0 == 0 || $0.1 == 0 })
        #expect((outcome.removed.first { $0.0 == .airways }?.1 ?? 0) >= lumen)
    }

    /// The search finds candidate slices in parallel batches and follows them in order: the same
    /// airways at 1, 2 and 7 threads (7 puts the carina's batch beyond the first), and the voxel
    /// count kept while growing the wall equals the mask's.
    /// Air under the skin that branches in front of the lungs (subcutaneous emphysema in a
    /// ventilated patient) was taken for the trachea, being its most anterior round tube: it has
    /// lung on both sides of its slice, but none beside it.
    @Test func airUnderTheSkinBranchingInFrontOfTheLungsIsNoTrachea() {
        var options = SyntheticChest.Options()
        options.subcutaneousTube = true
        let chest = SyntheticChest(options)
        let top = SyntheticChest.dims[2] - 1
        let plane = SyntheticChest.dims[0] * SyntheticChest.dims[1]
        let candidates = Airways.tracheaCandidates(in: top, hu: chest.hu, body: chest.body, grid: chest.grid)
        #expect(candidates.first?.allSatisfy { chest.subcutaneousAir[top * plane + $0] != 0 } == true)
        let lungs = chest.lungs.map { $0 != 0 ? UInt8(1) : 0 }
        let airways = Airways.find(hu: chest.hu, body: chest.body, lungs: lungs, grid: chest.grid)
        #expect(airways.carinaSlice == SyntheticChest.carinaSlice - 1)
        #expect(zip(chest.tracheaLumen, airways.mask).allSatisfy { $0.0 == 0 || $0.1 != 0 })
        #expect(zip(chest.subcutaneousAir, airways.mask).allSatisfy { $0.0 == 0 || $0.1 == 0 })
    }

    /// Air beside the trachea (pneumomediastinum) that touches its lumen was a second branch, so
    /// a carina, high up; a bronchus continues under the trachea, the air only touches its edge.
    @Test func airBesideTheTracheaIsNoCarina() {
        var options = SyntheticChest.Options()
        options.peritrachealAir = true
        let chest = SyntheticChest(options)
        let lungs = chest.lungs.map { $0 != 0 ? UInt8(1) : 0 }
        let airways = Airways.find(hu: chest.hu, body: chest.body, lungs: lungs, grid: chest.grid)
        #expect(airways.carinaSlice == SyntheticChest.carinaSlice - 1)
        #expect(abs((airways.tracheaX ?? 99) - 0) < 1.5)
        #expect(zip(chest.tracheaLumen, airways.mask).allSatisfy { $0.0 == 0 || $0.1 != 0 })
    }

    @Test func airwaysAreTheSameAtAnyThreadCount() {
        let chest = SyntheticChest()
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let found = [1, 2, 7].map { threads in
            ParallelFor.$threadCount.withValue(threads) { Airways.find(hu: chest.hu, body: chest.body, lungs: mask, grid: chest.grid) }
        }
        for airways in found {
            #expect(airways.mask == found[0].mask && airways.carinaSlice == found[0].carinaSlice && airways.tracheaX == found[0].tracheaX)
            #expect(airways.voxelCount == airways.mask.reduce(0) { $0 + Int($1) })
        }
        #expect(found[0].voxelCount > 0)
    }

    @Test func aBronchusOpeningIntoTheLungDoesNotEndTheOther() {
        var options = SyntheticChest.Options()
        options.leftBronchusSlices = 8
        options.bullaAtRightBronchus = true
        let chest = SyntheticChest(options)
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let airways = Airways.find(hu: chest.hu, body: chest.body, lungs: mask, grid: chest.grid)
        // The left bronchus is followed to its end, eight slices below the carina.
        let leftLumen = (0..<chest.hu.count).filter { chest.tracheaLumen[$0] != 0 && $0 % SyntheticChest.dims[0] < 80 }
        #expect(leftLumen.allSatisfy { airways.mask[$0] != 0 })
        let deepest = SyntheticChest.carinaSlice - 8
        #expect(leftLumen.contains { $0 / (SyntheticChest.dims[0] * SyntheticChest.dims[1]) == deepest })
        // The right one stops in the bulla after a few slices under its own footprint: the bulla
        // (about 1250 mm² a slice) stays lung.
        let plane = SyntheticChest.dims[0] * SyntheticChest.dims[1]
        let rightInBulla = (0..<chest.hu.count).filter { airways.mask[$0] != 0 && $0 % SyntheticChest.dims[0] > 100 && $0 / plane < SyntheticChest.carinaSlice - 1 }
        #expect(rightInBulla.count < 300)
    }

    @Test func noTracheaIsInventedWithoutACarinaFlankedByLung() {
        var options = SyntheticChest.Options()
        options.trachea = false
        let chest = SyntheticChest(options)
        let airways = Airways.find(hu: chest.hu, body: chest.body, lungs: chest.lungs.map { $0 == 0 ? 0 : 1 }, grid: chest.grid)
        #expect(airways.voxelCount == 0 && airways.carinaSlice == nil)
    }

    /// One lung (a pneumonectomy): lung flanks the carina on one side only. The trachea, coming
    /// down from the neck above the lungs, is still found and taken out (the failure guarded
    /// against: a flank demanded on both sides left it inside the one lung's mask).
    @Test func theTracheaIsTakenOutWithOneLung() {
        var options = SyntheticChest.Options()
        options.rightLung = false
        let chest = SyntheticChest(options)
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let outcome = Self.run(chest, mask: mask)
        #expect(outcome.airways.carinaSlice == SyntheticChest.carinaSlice - 1)
        #expect(zip(chest.tracheaLumen, outcome.labels).allSatisfy { $0.0 == 0 || $0.1 == 0 })
        #expect(outcome.lungCount == 1)
        #expect(outcome.warnings.contains(.oneLungOnly(right: false)))
    }

    /// The same tube starting inside the lungs' height (a colon seen end-on under a lung's base
    /// looks like it): with lung on one side only it is not taken for a trachea.
    @Test func aTubeWithLungOnOneSideIsNoTracheaUnlessItComesFromTheNeck() {
        var options = SyntheticChest.Options()
        options.rightLung = false
        var chest = SyntheticChest(options)
        let plane = SyntheticChest.dims[0] * SyntheticChest.dims[1]
        for index in chest.tracheaLumen.indices where chest.tracheaLumen[index] != 0 && index / plane >= 34 {
            chest.values[index] = 40
        }
        chest.hu = chest.values.map(WholeHU.from)
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let airways = Airways.find(hu: chest.hu, body: chest.body, lungs: mask, grid: chest.grid)
        #expect(airways.voxelCount == 0 && airways.carinaSlice == nil)
    }

    @Test func touchingLungsAreSplitAlongTheJunctionAndNamedByWorldSide() {
        var options = SyntheticChest.Options()
        options.touchingInFront = true
        options.trachea = false
        let chest = SyntheticChest(options)
        let mask = chest.lungs.map { $0 == 0 ? UInt8(0) : 1 }
        #expect(BinaryMask.label(mask, dims: SyntheticChest.dims).sizes.count == 2)  // one component
        let outcome = Self.run(chest, mask: mask)
        #expect(outcome.lungCount == 2)
        #expect(outcome.warnings.contains(.lungsSeparatedAtJunction))
        // Right (world x > 0, i > 80) is 1, left is 2, voxel for voxel away from the bridge.
        var wrong = 0
        var away = 0
        for index in chest.lungs.indices where chest.lungs[index] != 0 {
            let i = index % SyntheticChest.dims[0]
            guard abs(i - 80) > 8 else { continue }
            away += 1
            if outcome.labels[index] != chest.lungs[index] { wrong += 1 }
        }
        #expect(away > 50_000 && wrong == 0)
    }

    @Test func oneLungIsNamedByItsSideAndNotSplit() {
        var options = SyntheticChest.Options()
        options.rightLung = false
        options.trachea = false
        let chest = SyntheticChest(options)
        let outcome = Self.run(chest, mask: chest.lungs.map { $0 == 0 ? 0 : 1 })
        #expect(outcome.lungCount == 1)
        #expect(outcome.labels.allSatisfy { $0 != 1 })
        #expect(zip(outcome.labels, chest.lungs).filter { $0.1 == 2 }.allSatisfy { $0.0 == 2 })
        #expect(outcome.warnings.contains(.oneLungOnly(right: false)))
    }

    /// The chest cut along i to `columns` (a field of view over one side): CT, lung truth and grid.
    static func cropped(_ chest: SyntheticChest, columns: Range<Int>) -> (values: [Float], lungs: [UInt8], grid: AnatomyGrid) {
        let dims = SyntheticChest.dims
        var values: [Float] = []
        var lungs: [UInt8] = []
        for row in 0..<(dims[1] * dims[2]) {
            for i in columns {
                values.append(chest.values[row * dims[0] + i])
                lungs.append(chest.lungs[row * dims[0] + i])
            }
        }
        var rows = SyntheticChest.affine.rows
        rows[0][3] += 2 * Double(columns.lowerBound)
        return (values, lungs, AnatomyGrid(dims: Size3(columns.count, dims[1], dims[2]), affine: Affine(rows: rows)))
    }

    /// A field of view that ends just past the patient's midline holds one lung; the body's middle
    /// is then the middle of half a chest, lateral to the lung (the right lung, x 10..100 mm, in a
    /// body from x = 8 to 118 mm): the failure guarded against names it by that middle, wrongly.
    @Test(arguments: [true, false])
    func aLungAloneInAFieldOfViewOfOneSideIsNamedByItsChestWall(right: Bool) throws {
        var options = SyntheticChest.Options()
        options.trachea = false
        let chest = SyntheticChest(options)
        // i 84... is x >= 8 mm (the whole right lung, no left); ..<77 is x <= -8 mm.
        let (values, lungs, grid) = Self.cropped(chest, columns: right ? 84..<160 : 0..<77)
        let side: UInt8 = right ? 1 : 2
        #expect(lungs.allSatisfy { $0 == 0 || $0 == side })
        let coarse = try #require(CoarseBody(subsampled: values, dims: grid.dims, factors: Size3(1, 1, 1)))
        let hu = values.map(WholeHU.from)
        let outcome = AnatomicalPostprocessing(grid: grid).run(mask: lungs.map { $0 == 0 ? 0 : 1 }, hu: hu, coarse: coarse, fillHoles: true)
        #expect(outcome.lungCount == 1)
        #expect(outcome.warnings.contains(.oneLungOnly(right: right)))
        #expect(zip(outcome.labels, lungs).allSatisfy { $0.0 == $0.1 })
        // The body's middle alone would have named it the other side.
        let body = BodyMask.find(hu: hu, grid: grid, coarse: coarse)
        let middle = AnatomicalPostprocessing(grid: grid).bodyMidlineX(body)
        #expect(right ? 55.0 < middle : -55.0 > middle, "the body's middle at x = \(middle) mm")
    }

    /// A field of view that ends inside the right lung (x >= 32 mm) cuts it: the cut part, which
    /// the outside air reaches through the image's border, is kept (its vessels tell it from room
    /// air; its air-like part alone has the narrow spread of room air), and the lung is named by
    /// the cut (the medial side), also when the body fills the field of view on the other side.
    @Test(arguments: [160, 137])
    func aLungCutByTheFieldOfViewIsKeptAndNamedByTheCut(end: Int) throws {
        var options = SyntheticChest.Options()
        options.trachea = false
        options.connectedVessels = true
        let chest = SyntheticChest(options)
        let (values, lungs, grid) = Self.cropped(chest, columns: 96..<end)
        let coarse = try #require(CoarseBody(subsampled: values, dims: grid.dims, factors: Size3(1, 1, 1)))
        let hu = values.map(WholeHU.from)
        let body = BodyMask.find(hu: hu, grid: grid, coarse: coarse)
        let cutOutside = zip(lungs, body).filter { $0.0 != 0 && $0.1 == 0 }.count
        #expect(cutOutside > 5_000)  // the outside reaches into the cut lung
        let outcome = AnatomicalPostprocessing(grid: grid).run(mask: lungs.map { $0 == 0 ? 0 : 1 }, hu: hu, coarse: coarse, fillHoles: true)
        #expect(outcome.removed.isEmpty)
        #expect(zip(outcome.labels, lungs).allSatisfy { $0.0 == $0.1 })
        #expect(outcome.warnings.contains(.oneLungOnly(right: true)))
        #expect(outcome.warnings.contains { if case .lungCutByImageBorder = $0 { true } else { false } })
    }

    /// A reconstruction circle of 90 mm cuts both lungs' lateral sides (they reach x = ±100 mm):
    /// the outside air reaches into them through the padding, as through the image's border, and
    /// they are kept as lungs cut by the field of view.
    @Test(arguments: [-2048, -3024] as [Float])
    func lungsCutByTheReconstructionCircleAreKept(padding: Float) {
        var options = SyntheticChest.Options(padding: padding, circleMM: 90)
        options.trachea = false
        options.connectedVessels = true
        let chest = SyntheticChest(options)
        #expect(zip(chest.lungs, chest.body).filter { $0.0 != 0 && $0.1 == 0 }.isEmpty)
        let outcome = Self.run(chest, mask: chest.lungs.map { $0 == 0 ? 0 : 1 })
        #expect(outcome.removed.isEmpty)
        #expect(zip(outcome.labels, chest.lungs).filter { $0.0 != $0.1 }.count == 0)
        #expect(outcome.warnings.contains { if case .lungCutByImageBorder = $0 { true } else { false } })
    }

    /// Room air at the image's side that reads above -950 HU (a narrow spread, not pure air), with
    /// a little padding at -2048 where the field of view's corner leaves the reconstruction circle:
    /// the padding must not widen the spread into that of lung tissue cut by the field of view.
    @Test func paddingDoesNotMakeRoomAirLookLikeLungCutByTheFieldOfView() throws {
        var chest = SyntheticChest(.init(padding: -1024))
        let dims = SyntheticChest.dims
        var mask = chest.lungs.map { $0 == 0 ? UInt8(0) : 1 }
        var block = 0
        var random = 99 as UInt64
        for k in 10..<30 {
            for j in 100..<dims[1] {
                for i in 130..<dims[0] {
                    let index = SyntheticChest.index(i, j, k)
                    guard chest.body[index] == 0 else { continue }
                    random = random &* 6364136223846793005 &+ 1442695040888963407
                    let atFace = i >= dims[0] - 2 || j >= dims[1] - 2
                    chest.values[index] = atFace ? -2048 : Float(-970 + Int(random >> 58))
                    mask[index] = 1
                    block += 1
                }
            }
        }
        chest.hu = chest.values.map(WholeHU.from)
        let outcome = Self.run(chest, mask: mask)
        #expect(zip(outcome.labels, chest.body).allSatisfy { $0.0 == 0 || $0.1 != 0 })
        #expect(outcome.removed.first { $0.0 == .outsideBody }?.1 == block)
        #expect(!outcome.warnings.contains { if case .lungCutByImageBorder = $0 { true } else { false } })
    }

    /// What is left of a right lung collapsed by an effusion: a ball of about 60 mL at its hilum
    /// (7 % of the left lung, 25 mm from it). It is the right lung, not an island to drop.
    @Test func theRemnantOfACollapsedLungIsKeptAsALung() {
        var options = SyntheticChest.Options()
        options.trachea = false
        var chest = SyntheticChest(options)
        var mask = [UInt8](repeating: 0, count: chest.lungs.count)
        var remnant = 0
        for index in chest.lungs.indices where chest.lungs[index] != 0 {
            let (x, y, z) = SyntheticChest.position(index)
            if chest.lungs[index] == 2 {
                mask[index] = 1
            } else if (x - 40) * (x - 40) + y * y + (z - 115) * (z - 115) <= 25 * 25 {
                mask[index] = 1
                remnant += 1
            } else {
                chest.values[index] = 20  // the effusion
                chest.lungs[index] = 0
            }
        }
        chest.hu = chest.values.map(WholeHU.from)
        #expect(Double(remnant) * chest.grid.voxelML > 50 && remnant * 10 < chest.lungs.filter { $0 == 2 }.count)
        let outcome = Self.run(chest, mask: mask)
        #expect(outcome.lungCount == 2)
        #expect(outcome.removed.isEmpty)
        #expect(zip(outcome.labels, chest.lungs).filter { $0.0 != $0.1 }.count == 0)
    }

    /// One lung, and colon gas mixed with stool under the empty hemithorax (46 % pure air, a
    /// narrower spread than the gas rule's): as large as a collapsed lung's remnant and across the
    /// midline, but not parenchyma, so not the second lung.
    @Test func colonGasUnderAnEmptyHemithoraxIsNoSecondLung() {
        var options = SyntheticChest.Options()
        options.rightLung = false
        options.trachea = false
        var chest = SyntheticChest(options)
        var mask = chest.lungs.map { $0 == 0 ? UInt8(0) : 1 }
        var colon = 0
        for index in chest.values.indices where chest.body[index] != 0 {
            let (x, y, z) = SyntheticChest.position(index)
            guard (x - 55) * (x - 55) + y * y + (z - 60) * (z - 60) <= 25 * 25 else { continue }
            chest.values[index] = [-990, -990, -800, -990, -800, -300, -990, -800, -990, -800, -990][colon % 11]
            mask[index] = 1
            colon += 1
        }
        chest.hu = chest.values.map(WholeHU.from)
        #expect(Double(colon) * chest.grid.voxelML > 50)
        let outcome = Self.run(chest, mask: mask)
        #expect(outcome.lungCount == 1)
        #expect(outcome.warnings.contains(.oneLungOnly(right: false)))
        #expect(zip(outcome.labels, chest.lungs).filter { $0.0 != $0.1 }.count == 0)
    }

    /// Touching lungs held in one component, and the right apex cut off from it (10 mm of tissue,
    /// about 100 mL): the apex lies across the midline from the component's centroid, but the
    /// component itself spans both sides, so it is split at the junction, not taken for one lung
    /// beside a small second one.
    @Test func aSmallPartAcrossTheMidlineDoesNotStopTheSplitOfTouchingLungs() {
        var options = SyntheticChest.Options()
        options.trachea = false
        options.touchingInFront = true
        var chest = SyntheticChest(options)
        let plane = SyntheticChest.dims[0] * SyntheticChest.dims[1]
        let gap = { (index: Int) in chest.lungs[index] != 0 && index % SyntheticChest.dims[0] > 80 && (30...31).contains(index / plane) }
        for index in chest.values.indices where gap(index) { chest.values[index] = 40 }  // tissue: the edge cannot close the gap
        chest.hu = chest.values.map(WholeHU.from)
        let mask = chest.lungs.indices.map { index -> UInt8 in chest.lungs[index] == 0 || gap(index) ? 0 : 1 }
        let outcome = Self.run(chest, mask: mask)
        #expect(outcome.lungCount == 2)
        #expect(outcome.warnings.contains(.lungsSeparatedAtJunction))
        // Both lungs below the gap keep their sides.
        var (wrong, counted) = (0, 0)
        for index in mask.indices where mask[index] != 0 && abs(index % SyntheticChest.dims[0] - 80) > 8 && index / plane < 30 {
            counted += 1
            if outcome.labels[index] != chest.lungs[index] { wrong += 1 }
        }
        #expect(counted > 50_000 && wrong == 0)
    }

    @Test func gasUnderTheDiaphragmIsDropped() {
        var options = SyntheticChest.Options()
        options.gasUnderDiaphragm = true
        let chest = SyntheticChest(options)
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let gas = chest.gas.reduce(0) { $0 + Int($1) }
        #expect(gas > 1_000)
        let outcome = Self.run(chest, mask: mask)
        #expect(zip(chest.gas, outcome.labels).allSatisfy { $0.0 == 0 || $0.1 == 0 })
        #expect(outcome.removed.first { $0.0 == .gas }?.1 == gas)
        // The lungs (as far as the mask had them) are untouched but for the bronchial walls, and keep their sides.
        for index in chest.lungs.indices where chest.lungs[index] != 0 && mask[index] != 0 && outcome.labels[index] != chest.lungs[index] {
            #expect(outcome.labels[index] == 0 && outcome.airways.mask[index] != 0)
        }
    }

    @Test func gasPressedIntoALungsBaseIsTakenOutButEmphysemaIsNot() {
        var options = SyntheticChest.Options()
        options.gasInLungBase = true
        options.trachea = false
        let chest = SyntheticChest(options)
        let gas = chest.gas.reduce(0) { $0 + Int($1) }
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        #expect(BinaryMask.label(mask, dims: SyntheticChest.dims).sizes.count == 3)  // the gas is part of the left lung
        var lungsAndGas = zip(chest.lungs, chest.gas).map { $0.0 != 0 || $0.1 != 0 ? UInt8(1) : 0 }
        #expect(GasPockets.remove(from: &lungsAndGas, hu: chest.hu, grid: chest.grid) >= gas)
        let outcome = Self.run(chest, mask: mask)
        #expect(gas > 3_000)
        #expect(zip(chest.gas, outcome.labels).allSatisfy { $0.0 == 0 || $0.1 == 0 })
        // Only the pocket and its rim (2 mm, one slice) go: most of the left lung stays.
        let left = chest.lungs.filter { $0 == 2 }.count
        let kept = zip(chest.lungs, outcome.labels).filter { $0.0 == 2 && $0.1 == 2 }.count
        #expect(Double(kept) > 0.9 * Double(left))
        // Scattered pure-air voxels (a third of the lungs at -980 HU) are lung, not a pocket.
        var emphysematous = SyntheticChest.Options()
        emphysematous.emphysema = true
        emphysematous.trachea = false
        let copd = SyntheticChest(emphysematous)
        var copdMask = copd.lungs.map { $0 == 0 ? UInt8(0) : 1 }
        #expect(GasPockets.remove(from: &copdMask, hu: copd.hu, grid: copd.grid) == 0)
    }

    @Test func aBullaInALungsBaseStaysLung() {
        var options = SyntheticChest.Options()
        options.bullaInLungBase = true
        options.trachea = false
        let chest = SyntheticChest(options)
        // The bulla: the pure air of the left lung (its parenchyma is -860..-820 HU).
        let bulla = chest.lungs.indices.filter { chest.lungs[$0] == 2 && chest.values[$0] < -950 }
        #expect(bulla.count > 1_000)
        var lungs = chest.lungs.map { $0 == 0 ? UInt8(0) : 1 }
        #expect(GasPockets.remove(from: &lungs, hu: chest.hu, grid: chest.grid) == 0)
        // Without the look above it, it is a pocket like the colon gas.
        let regions = BinaryMask.label(chest.values.map { $0 < -950 && $0 > -1100 ? UInt8(1) : 0 }, dims: SyntheticChest.dims)
        let label = Int(regions.labels[bulla[0]])
        var candidates = [Bool](repeating: false, count: regions.sizes.count)
        candidates[label] = true
        #expect(!GasPockets.underTheDiaphragm(candidates, regions: regions, hu: chest.hu, grid: chest.grid)[label])
        let outcome = Self.run(chest, mask: zip(chest.airMask(), chest.body).map { $0.0 & $0.1 })
        #expect(bulla.allSatisfy { outcome.labels[$0] == 2 })
        #expect(!outcome.removed.contains { $0.0 == .gas })
    }

    @Test func lungTissueUnderALungIsDroppedAsBelowTheDiaphragm() {
        let chest = SyntheticChest(.init(trachea: false))
        var mask = chest.lungs.map { $0 == 0 ? UInt8(0) : 1 }
        // A blob of lung-like voxels (not gas) 20 mm under the right lung's base.
        var blob = 0
        for k in 1...3 {
            for j in 50...70 {
                for i in 100...120 {
                    mask[SyntheticChest.index(i, j, k)] = 1
                    blob += 1
                }
            }
        }
        var hu = chest.hu
        for index in mask.indices where mask[index] != 0 && chest.lungs[index] == 0 { hu[index] = index % 7 == 0 ? 40 : -850 }
        let outcome = AnatomicalPostprocessing(grid: chest.grid).run(mask: mask, hu: hu, coarse: chest.coarseBody, fillHoles: true)
        #expect(outcome.removed.first { $0.0 == .belowDiaphragm }?.1 == blob)
    }

    @Test func theEdgeGrowsOneVoxelIntoAirLikeVoxelsOnly() {
        let chest = SyntheticChest(.init(trachea: false))
        let truth = chest.lungs.map { $0 == 0 ? UInt8(0) : 1 }
        var mask = LungSides.erodeInPlane(truth, dims: SyntheticChest.dims)
        let before = mask
        let added = LungBoundary.refine(&mask, hu: chest.hu, body: chest.body, airways: [UInt8](repeating: 0, count: mask.count), grid: chest.grid)
        #expect(added > 0)
        for index in mask.indices where mask[index] != before[index] {
            #expect(chest.hu[index] < -500 && chest.body[index] != 0)
        }
        // Never beyond the true lung here: outside it is tissue.
        #expect(zip(mask, truth).allSatisfy { $0.0 == 0 || $0.1 != 0 })
        // Slices in parallel: the same voxels at any thread count.
        for threads in [1, 7] {
            var again = before
            let count = ParallelFor.$threadCount.withValue(threads) {
                LungBoundary.refine(&again, hu: chest.hu, body: chest.body, airways: [UInt8](repeating: 0, count: mask.count), grid: chest.grid)
            }
            #expect(count == added && again == mask, "\(threads) threads")
        }
    }

    /// Stages 3-5 on the whole grid with the box's coarse origin (what the post-processing does
    /// when the box around the mask is most of the crop) give the mask they give on the box: on a
    /// grid fine enough that every coarse grid (gas bridges, "near the lungs", the junction's
    /// erosion) skips voxels, with a junction to split and gas to take out.
    @Test func theWholeGridWithTheBoxsCoarseOriginGivesTheBoxsMask() throws {
        var options = SyntheticChest.Options()
        options.touchingInFront = true
        options.trachea = false
        options.gasUnderDiaphragm = true
        let chest = SyntheticChest(options)
        // The same voxels declared 0.8 x 0.8 x 2 mm: the coarse grids take every 2nd or 3rd voxel.
        let grid = AnatomyGrid(dims: SyntheticChest.dims, affine: Affine(rows: [[0.8, 0, 0, -64], [0, 0.8, 0, -48], [0, 0, 2, -40], [0, 0, 0, 1]]))
        let mask = zip(chest.airMask(), chest.body).map { $0.0 & $0.1 }
        let none = [UInt8](repeating: 0, count: grid.count)
        let box = try #require(GridBox(around: mask, dims: grid.dims, margin: 3))
        // A corner off the whole grid's own coarse grids (multiples of 2 and 3).
        #expect(box.lower.i % 6 != 0 || box.lower.j % 6 != 0)
        let onBox = AnatomicalPostprocessing(grid: box.grid(in: grid)).lungsAndSides(
            mask: box.extract(mask, from: grid.dims), hu: box.extract(chest.hu, from: grid.dims), body: box.extract(chest.body, from: grid.dims),
            airways: box.extract(none, from: grid.dims), fillHoles: true, midlineX: 0)
        var whole = AnatomicalPostprocessing(grid: grid)
        whole.coarseOrigin = box.lower
        let onWhole = whole.lungsAndSides(mask: mask, hu: chest.hu, body: chest.body, airways: none, fillHoles: true, midlineX: 0)
        #expect(onWhole.lungCount == 2 && onWhole.notes.contains(.lungsSeparatedAtJunction))
        #expect(onWhole.removed.contains { $0.0 == .gas })
        let onBoxEmbedded = box.embed(onBox.labels, in: grid.dims, background: 0)
        #expect(zip(onBoxEmbedded, onWhole.labels).filter { $0.0 != $0.1 }.count == 0)
        #expect(onBox.removed.map { "\($0.0) \($0.1)" } == onWhole.removed.map { "\($0.0) \($0.1)" })
    }
}

extension SyntheticChest.Options {
    init(trachea: Bool) {
        self.init()
        self.trachea = trachea
    }

    init(padding: Float) {
        self.init()
        self.padding = padding
    }
}

@Suite("Lung sides on a real CT")
struct LungSidesRealTests {
    /// The anatomical split names CIP's right-lung regions (12-14) 1 and its left (9-11) 2 on
    /// cip_ct64 (stored LPS: i runs toward the patient's left).
    @Test func rightLungLandsOnCIPsRightLung() throws {
        let labelmap = try NIfTIReader.read(RepositoryData.path("cip_ct64_cip_labelmap.nii.gz"))
        let lungs = labelmap.voxels.map { (1...14).contains(Int($0) & 0xFF) ? UInt8(1) : 0 }
        let grid = AnatomyGrid(dims: labelmap.dims, affine: labelmap.affine)
        #expect(grid.isAxial)
        let midline = grid.worldX(Double(labelmap.dims[0]) / 2, Double(labelmap.dims[1]) / 2, Double(labelmap.dims[2]) / 2)
        let outcome = LungSides.split(lungs, grid: grid, midlineX: midline)
        var agree = 0
        var total = 0
        for index in lungs.indices where lungs[index] != 0 {
            let region = Int(labelmap.voxels[index]) & 0xFF
            guard (9...14).contains(region) else { continue }
            total += 1
            if (region >= 12 ? UInt8(1) : 2) == outcome.labels[index] { agree += 1 }
        }
        #expect(outcome.lungCount == 2)
        #expect(total > 10_000)
        #expect(Double(agree) / Double(total) > 0.995, "\(agree) of \(total)")
    }
}
