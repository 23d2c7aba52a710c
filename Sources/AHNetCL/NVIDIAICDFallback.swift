import Foundation

/// Containers often mount NVIDIA's OpenCL driver (`libnvidia-opencl.so.1`) without the
/// `/etc/OpenCL/vendors/nvidia.icd` file that tells the ICD loader about it
/// (NVIDIA/nvidia-container-toolkit#682). Called before the first OpenCL call, this points ocl-icd
/// at a private folder holding the system's .icd files plus one for the driver it found.
///
/// It changes the process's environment (`OCL_ICD_VENDORS`), so the library never calls it on its
/// own: an application chooses to (the `lungseg` command does, before its first OpenCL call).
public enum NVIDIAICDFallback {
    static let library = "libnvidia-opencl.so.1"
    static let systemVendors = "/etc/OpenCL/vendors"

    /// Where drivers are mounted: Debian/Ubuntu multiarch, RHEL, NVIDIA container runtime.
    static func searchFolders(environment: [String: String]) -> [String] {
        let fromEnvironment = (environment["LD_LIBRARY_PATH"] ?? "").split(separator: ":").map(String.init)
        return fromEnvironment + [
            "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
            "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/run/nvidia/driver/usr/lib/x86_64-linux-gnu",
        ]
    }

    /// Applies the fallback when it is needed; returns what it did, or nil when nothing was needed
    /// (an NVIDIA .icd exists, no driver library is present, or the user set OCL_ICD_VENDORS).
    public static func applyIfNeeded() -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OCL_ICD_VENDORS"] == nil else { return nil }
        let manager = FileManager.default
        let icdFiles = ((try? manager.contentsOfDirectory(atPath: systemVendors)) ?? []).filter { $0.hasSuffix(".icd") }
        let mentionsNVIDIA = icdFiles.contains { name in
            let text = (try? String(contentsOfFile: systemVendors + "/" + name, encoding: .utf8)) ?? ""
            return text.lowercased().contains("nvidia")
        }
        guard !mentionsNVIDIA else { return nil }
        guard let driver = searchFolders(environment: environment).map({ $0 + "/" + library }).first(where: manager.fileExists(atPath:))
        else { return nil }

        let folder = NSTemporaryDirectory() + "lungseg-icd-\(getuid())"
        try? manager.removeItem(atPath: folder)
        guard (try? manager.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil else { return nil }
        for name in icdFiles {
            try? manager.copyItem(atPath: systemVendors + "/" + name, toPath: folder + "/" + name)
        }
        guard manager.createFile(atPath: folder + "/nvidia.icd", contents: Data((driver + "\n").utf8)) else { return nil }
        setenv("OCL_ICD_VENDORS", folder, 1)
        return "no NVIDIA .icd file in \(systemVendors); found \(driver) and pointed the ICD loader at it (OCL_ICD_VENDORS=\(folder))"
    }
}
