import COpenBLAS
import Foundation

/// Which of OpenBLAS's kernel families runs the CPU backend's SGEMMs.
///
/// OpenBLAS (built with DYNAMIC_ARCH, as Debian ships it) picks its kernels once, when it is
/// loaded, from the CPU's model number. On a virtual CPU it may not know the model: on the
/// project's VM (an AVX-512 "Intel Xeon Processor") OpenBLAS 0.3.21 chose "Prescott", SSE3
/// kernels, and SGEMM ran at 39-58 GFLOP/s instead of 230 with its SkylakeX kernels
/// (docs/BENCHMARKS.md). The choice can only be changed before the library loads, through the
/// environment (OPENBLAS_CORETYPE); the command line does that (`lungseg` re-executes itself),
/// a library caller decides for itself.
public enum BLASKernels {
    /// The kernel family OpenBLAS chose, e.g. "Haswell", "SkylakeX", "Zen", "Prescott".
    public static var current: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Families that use AVX-512 (all of AVX2 and FMA too) and those that use AVX2 and FMA.
    static let avx512Families: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]
    static let avx2Families: Set<String> = avx512Families.union(["Haswell", "Zen", "Excavator"])

    /// The family to ask for instead of `current` when OpenBLAS fell back to kernels older than
    /// AVX2 on a CPU whose instruction sets (`cpuFlags`, as /proc/cpuinfo names them) have AVX2
    /// and FMA, or AVX-512; nil otherwise. A family OpenBLAS chose among the AVX2 ones is kept.
    public static func better(than current: String, cpuFlags flags: Set<String>) -> String? {
        guard !avx2Families.contains(current) else { return nil }
        if ["avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The CPU's flags from /proc/cpuinfo (Linux); empty where there is none.
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
