import Foundation
import Testing
@testable import AHNetCPU

@Suite("OpenBLAS kernel family")
struct BLASKernelsTests {
    static let avx512 = Set("fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl".split(separator: " ").map(String.init))
    static let avx2 = Set("fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2".split(separator: " ").map(String.init))

    /// The project's VM: OpenBLAS 0.3.21 chose Prescott on an AVX-512 Xeon it did not know.
    @Test func aFallbackToOldKernelsIsReplacedByWhatTheCPUHas() {
        #expect(BLASKernels.better(than: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.better(than: "Nehalem", cpuFlags: Self.avx2) == "Haswell")
        #expect(BLASKernels.better(than: "Sandybridge", cpuFlags: Self.avx2) == "Haswell")
    }

    @Test func aChoiceAmongTheAVX2FamiliesIsKept() {
        for family in ["Haswell", "Zen", "SkylakeX", "Cooperlake"] {
            #expect(BLASKernels.better(than: family, cpuFlags: Self.avx512) == nil)
        }
        // No AVX2: nothing better to ask for.
        #expect(BLASKernels.better(than: "Prescott", cpuFlags: ["sse", "sse2", "sse3", "avx"]) == nil)
    }

    @Test func flagsAreReadFromCPUInfo() throws {
        let path = NSTemporaryDirectory() + "lungseg-cpuinfo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu fma avx2 avx512f\nbugs\t\t: spectre_v1\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(BLASKernels.cpuFlags(cpuinfo: path) == ["fpu", "fma", "avx2", "avx512f"])
        #expect(BLASKernels.cpuFlags(cpuinfo: path + ".missing").isEmpty)
    }
}
