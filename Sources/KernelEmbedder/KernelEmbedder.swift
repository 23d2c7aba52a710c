// Writes a Swift source file that holds a text file as a string constant.
// Usage: KernelEmbedder INPUT OUTPUT CONSTANT_NAME
import Foundation

@main
struct KernelEmbedder {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count == 4 else { fail("usage: KernelEmbedder INPUT OUTPUT CONSTANT_NAME", code: 2) }
        let (inputPath, outputPath, constantName) = (arguments[1], arguments[2], arguments[3])
        guard let source = try? String(contentsOfFile: inputPath, encoding: .utf8) else {
            fail("KernelEmbedder: cannot read \(inputPath) as UTF-8", code: 1)
        }
        let generated = swiftSource(embedding: source, as: constantName, from: (inputPath as NSString).lastPathComponent)
        do {
            try generated.write(toFile: outputPath, atomically: true, encoding: .utf8)
        } catch {
            fail("KernelEmbedder: cannot write \(outputPath): \(error)", code: 1)
        }
    }

    /// A raw string literal whose delimiter is longer than any run of '#' in the text, so that
    /// every character stays literal.
    static func swiftSource(embedding source: String, as constantName: String, from fileName: String) -> String {
        var longestHashRun = 0
        var currentRun = 0
        for character in source {
            currentRun = character == "#" ? currentRun + 1 : 0
            longestHashRun = max(longestHashRun, currentRun)
        }
        let delimiter = String(repeating: "#", count: longestHashRun + 1)
        return """
            // Generated at build time from \(fileName) by KernelEmbedder. Do not edit.
            let \(constantName): String = \(delimiter)\"\"\"
            \(source)
            \"\"\"\(delimiter)

            """
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}
