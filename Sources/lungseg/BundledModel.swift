import Foundation

/// The trained lung weights that ship with lungseg (`Models/lungseg-ahnet-lung.safetensors`),
/// used when `--weights` is not given.
enum BundledModel {
    static let fileName = "lungseg-ahnet-lung.safetensors"
    /// Overrides every other place; an error if it names a missing file.
    static let environmentVariable = "LUNGSEG_MODEL"

    /// The first of: `$LUNGSEG_MODEL`; the file next to the executable or in `../share/lungseg/`
    /// beside its folder (an installed bundle, see scripts/bundle.sh); the `Models/` folder of the
    /// checkout the executable was built from (`swift run`, `swift test`).
    static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) throws -> String {
        if let chosen = environment[environmentVariable], !chosen.isEmpty {
            guard fileExists(chosen) else {
                throw CommandFailure(
                    description: "\(environmentVariable) names \(chosen), which does not exist; no mask was written",
                    exitStatus: ExitStatus.noModel)
            }
            return chosen
        }
        let candidates = searchPaths()
        if let found = candidates.first(where: fileExists) { return found }
        throw CommandFailure(
            description: "the bundled model \(fileName) was not found (looked in \(candidates.joined(separator: ", "))); pass --weights FILE or set \(environmentVariable); no mask was written",
            exitStatus: ExitStatus.noModel)
    }

    static func searchPaths() -> [String] {
        var paths: [String] = []
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        paths.append(executable.appendingPathComponent(fileName).path)
        paths.append(executable.deletingLastPathComponent().appendingPathComponent("share/lungseg/\(fileName)").path)
        // This file is Sources/lungseg/BundledModel.swift in the checkout the binary was built from.
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        paths.append(checkout.appendingPathComponent("Models/\(fileName)").path)
        return paths
    }
}
