import AHNetCL
import Foundation

/// The command line's choices about OpenCL that change the process or read its environment; the
/// library makes neither on its own.
enum OpenCLSetup {
    /// What the NVIDIA ICD fallback did (it may set OCL_ICD_VENDORS), once per process, before the
    /// first OpenCL call; nil when nothing was needed.
    static let icdNote: String? = NVIDIAICDFallback.applyIfNeeded()

    /// LUNGSEG_NARROW_TILES=0 turns off the narrow-tile build of kernels.cl (a diagnostic switch:
    /// docs/GPU.md measures both).
    static var narrowTiles: Bool { ProcessInfo.processInfo.environment["LUNGSEG_NARROW_TILES"] != "0" }

    /// Runs the fallback if it has not run yet; call before any OpenCL use.
    static func prepare() { _ = icdNote }

    /// The OpenCL settings the command line passes in `BackendOptions` (after `prepare`).
    static func settings(tiles: String? = nil) -> [String: String] {
        prepare()
        var settings: [String: String] = [:]
        if let tiles { settings["tiles"] = tiles }
        if !narrowTiles { settings["narrow-tiles"] = "0" }
        return settings
    }
}
