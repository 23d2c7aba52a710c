import Foundation

/// Checks a zip archive's directory before ZIPFoundation reads it: every offset the end records
/// and the central directory give (ZIP64 ones included) must lie inside the file. ZIPFoundation
/// 0.9.20 converts such an offset to `off_t` unchecked, so a crafted `model.pt` whose directory
/// points past 2^63 stopped the process (found by TorchArchiveFuzz); here it is a typed error.
enum ZipDirectoryCheck {
    static func validate(_ path: String) throws(WeightsError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .malformed(path: path, reason: "unreadable") }
        let bytes = [UInt8](data)
        let size = UInt64(bytes.count)
        func fail(_ reason: String) -> WeightsError { .malformed(path: path, reason: "zip directory: \(reason)") }
        func value(_ offset: Int, _ width: Int) -> UInt64? {
            guard offset >= 0, offset + width <= bytes.count else { return nil }
            return (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        // The end of central directory record: the last "PK\u{5}\u{6}" within 64 KiB + 22 bytes of the end.
        let earliest = max(0, bytes.count - 65_557)
        guard let end = stride(from: bytes.count - 22, through: earliest, by: -1).first(where: { value($0, 4) == 0x0605_4B50 }),
              var entries = value(end + 10, 2), var directorySize = value(end + 12, 4), var directoryOffset = value(end + 16, 4) else {
            throw fail("no end record")
        }
        // ZIP64: the locator just before the end record names the ZIP64 end record.
        if end >= 20, value(end - 20, 4) == 0x0706_4B50 {
            guard let record = value(end - 12, 8), record < size, value(Int(record), 4) == 0x0606_4B50,
                  let entries64 = value(Int(record) + 32, 8), let size64 = value(Int(record) + 40, 8), let offset64 = value(Int(record) + 48, 8) else {
                throw fail("a ZIP64 end record outside the file")
            }
            (entries, directorySize, directoryOffset) = (entries64, size64, offset64)
        }
        guard directoryOffset <= size, directorySize <= size - directoryOffset, entries <= directorySize / 46 + 1 else {
            throw fail("the central directory lies outside the file")
        }
        var position = Int(directoryOffset)
        for _ in 0..<entries {
            guard value(position, 4) == 0x0201_4B50, let compressed = value(position + 20, 4), let uncompressed = value(position + 24, 4),
                  let nameLength = value(position + 28, 2), let extraLength = value(position + 30, 2), let commentLength = value(position + 32, 2),
                  let localOffset = value(position + 42, 4) else {
                throw fail("a damaged central directory entry")
            }
            var offsets = [localOffset]
            // ZIP64 extra field (id 1): 8-byte values for the fields saturated at 0xFFFFFFFF, in order.
            var extra = position + 46 + Int(nameLength)
            let extraEnd = extra + Int(extraLength)
            while extra + 4 <= extraEnd, let id = value(extra, 2), let length = value(extra + 2, 2) {
                if id == 1 {
                    var field = extra + 4
                    for (stored, isOffset) in [(uncompressed, false), (compressed, false), (localOffset, true)] where stored == 0xFFFF_FFFF {
                        guard field + 8 <= extra + 4 + Int(length), let wide = value(field, 8) else { throw fail("a short ZIP64 field") }
                        if isOffset { offsets.append(wide) }
                        field += 8
                    }
                }
                extra += 4 + Int(length)
            }
            for offset in offsets where offset != 0xFFFF_FFFF && offset >= size { throw fail("an entry's header lies outside the file") }
            position = extraEnd + Int(commentLength)
            guard position <= bytes.count else { throw fail("a damaged central directory entry") }
        }
    }
}
