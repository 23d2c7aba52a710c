import Foundation

/// One line on stderr, prefixed like every lungseg message.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("lungseg: warning: \(message)\n".utf8))
}

/// One line on stderr, for progress.
func note(_ message: String) {
    FileHandle.standardError.write(Data("lungseg: \(message)\n".utf8))
}
