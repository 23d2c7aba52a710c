// Writes a Swift source file that holds a text file as a string constant.
// Usage: KernelEmbedder INPUT OUTPUT CONSTANT_NAME
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: KernelEmbedder INPUT OUTPUT CONSTANT_NAME\n".utf8))
    exit(2)
}
let (inputPath, outputPath, constantName) = (arguments[1], arguments[2], arguments[3])
guard let source = try? String(contentsOfFile: inputPath, encoding: .utf8) else {
    FileHandle.standardError.write(Data("KernelEmbedder: cannot read \(inputPath) as UTF-8\n".utf8))
    exit(1)
}
// A raw string delimiter longer than any run of '#' in the text keeps every character literal.
var longestHashRun = 0
var currentRun = 0
for character in source {
    currentRun = character == "#" ? currentRun + 1 : 0
    longestHashRun = max(longestHashRun, currentRun)
}
let delimiter = String(repeating: "#", count: longestHashRun + 1)
let generated = """
    // Generated at build time from \((inputPath as NSString).lastPathComponent) by KernelEmbedder. Do not edit.
    let \(constantName): String = \(delimiter)\"\"\"
    \(source)
    \"\"\"\(delimiter)

    """
do {
    try generated.write(toFile: outputPath, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("KernelEmbedder: cannot write \(outputPath): \(error)\n".utf8))
    exit(1)
}
