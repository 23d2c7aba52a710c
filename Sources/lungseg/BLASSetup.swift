import AHNetCPU
import Foundation

/// The command line's choice of OpenBLAS kernels (the library makes none on its own): when
/// OpenBLAS fell back to pre-AVX2 kernels on a CPU with AVX2 or AVX-512 (an unknown virtual CPU
/// model), lungseg runs itself again with OPENBLAS_CORETYPE set, before any work. A user's own
/// OPENBLAS_CORETYPE is never overridden; LUNGSEG_KEEP_BLAS_KERNELS=1 keeps OpenBLAS's choice.
enum BLASSetup {
    static func reexecuteIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["LUNGSEG_KEEP_BLAS_KERNELS"] != "1",
              let family = BLASKernels.better(than: BLASKernels.current, cpuFlags: BLASKernels.cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", family, 1)
        // A failed exec returns and the run goes on with OpenBLAS's own choice.
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
    }
}
