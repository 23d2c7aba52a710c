import Foundation
import PackagePlugin

/// Embeds the package's `kernels.cl` into the target as the constant `embeddedKernelSource`,
/// so that the OpenCL backend never looks for its kernels on disk.
@main
struct EmbedKernels: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "kernels.cl")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedKernels.swift")
        return [
            .buildCommand(
                displayName: "Embedding kernels.cl",
                executable: try context.tool(named: "KernelEmbedder").url,
                arguments: [input.path(), output.path(), "embeddedKernelSource"],
                inputFiles: [input],
                outputFiles: [output])
        ]
    }
}
