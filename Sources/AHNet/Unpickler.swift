/// A value a state-dict pickle can produce.
indirect enum PickleValue: Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    case dict([PickleValue: PickleValue])
    /// An allowed global, by "module.name".
    case global(String)
    /// A storage named by a persistent id: its key in the archive and its element type.
    case storage(key: String, type: String)
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`.
    case tensor(storageKey: String, storageType: String, offset: Int, size: [Int], stride: [Int])
}

extension PickleValue: Hashable {}

/// Why a pickle was not read. Nothing from a refused pickle is ever executed: this unpickler
/// only builds values.
enum PickleError: Error, Equatable {
    case forbiddenGlobal(String)
    case unsupportedOpcode(UInt8, offset: Int)
    case truncated(offset: Int)
    case malformed(String)
}

/// A restricted unpickler for `torch.save` state dicts (pickle protocol 2, as torch writes it;
/// the protocol 3-5 opcodes a state dict can use are understood too). Globals outside a short
/// allow-list are refused on sight, before anything could call them.
struct Unpickler {
    /// The only globals a state dict needs.
    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
    ]

    /// Bounds that keep a hostile pickle from exhausting memory.
    static let maximumStackDepth = 100_000
    static let maximumMemo = 1_000_000

    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Runs the pickle to its STOP and returns the top value.
    static func load(_ bytes: [UInt8]) throws(PickleError) -> PickleValue {
        var unpickler = Unpickler(bytes)
        return try unpickler.run()
    }

    private mutating func run() throws(PickleError) -> PickleValue {
        while true {
            let opcodeOffset = position
            let opcode = try readByte()
            switch opcode {
            case 0x80: _ = try readByte()  // PROTO
            case 0x95: try skip(8)  // FRAME (protocol 4): the frame length is advisory
            case 0x2E:  // STOP
                guard let top = stack.last, marks.isEmpty else { throw .malformed("STOP with an empty stack or an open mark") }
                return top
            case 0x28: marks.append(stack.count)  // MARK
            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4A: try push(.int(Int64(Int32(bitPattern: try readUInt32()))))  // BININT
            case 0x4B: try push(.int(Int64(try readByte())))  // BININT1
            case 0x4D: try push(.int(Int64(try readUInt16())))  // BININT2
            case 0x8A: try push(.int(try readLong(count: Int(try readByte()))))  // LONG1
            case 0x47: try push(.float(Double(bitPattern: try readBigEndianUInt64())))  // BINFLOAT
            case 0x58: try push(.string(try readString(count: Int(try readUInt32()))))  // BINUNICODE
            case 0x8C: try push(.string(try readString(count: Int(try readByte()))))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try readString(count: try boundedCount(try readUInt64()))))  // BINUNICODE8
            case 0x55: try push(.bytes(try read(Int(try readByte()))))  // SHORT_BINSTRING
            case 0x54: try push(.bytes(try read(Int(try readUInt32()))))  // BINSTRING
            case 0x43: try push(.bytes(try read(Int(try readByte()))))  // SHORT_BINBYTES
            case 0x42: try push(.bytes(try read(Int(try readUInt32()))))  // BINBYTES
            case 0x29: try push(.tuple([]))  // EMPTY_TUPLE
            case 0x5D: try push(.list([]))  // EMPTY_LIST
            case 0x7D: try push(.dict([:]))  // EMPTY_DICT
            case 0x74: try push(.tuple(try popMark()))  // TUPLE
            case 0x85: try push(.tuple([try pop()]))  // TUPLE1
            case 0x86:  // TUPLE2
                let second = try pop()
                try push(.tuple([try pop(), second]))
            case 0x87:  // TUPLE3
                let third = try pop()
                let second = try pop()
                try push(.tuple([try pop(), second, third]))
            case 0x6C: try push(.list(try popMark()))  // LIST
            case 0x61:  // APPEND
                let item = try pop()
                try modifyTop { value throws(PickleError) in
                    guard case .list(let items) = value else { throw .malformed("APPEND to a non-list") }
                    value = .list(items + [item])
                }
            case 0x65:  // APPENDS
                let items = try popMark()
                try modifyTop { value throws(PickleError) in
                    guard case .list(let existing) = value else { throw .malformed("APPENDS to a non-list") }
                    value = .list(existing + items)
                }
            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                try setItems([key, value])
            case 0x75: try setItems(try popMark())  // SETITEMS
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try readLine()
                let name = try readLine()
                try push(try allowedGlobal(module + "." + name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else { throw .malformed("STACK_GLOBAL needs strings") }
                try push(try allowedGlobal(m + "." + n))
            case 0x51: try push(try persistentLoad(try pop()))  // BINPERSID
            case 0x52:  // REDUCE
                let arguments = try pop()
                let callable = try pop()
                try push(try reduce(callable, arguments))
            case 0x81:  // NEWOBJ: only OrderedDict.__new__ is allowed
                let arguments = try pop()
                let callable = try pop()
                try push(try reduce(callable, arguments))
            case 0x62: _ = try pop()  // BUILD: state (e.g. a state dict's _metadata) is not needed
            case 0x71: memo[Int(try readByte())] = try peek()  // BINPUT
            case 0x72: memo[Int(try readUInt32())] = try peek()  // LONG_BINPUT
            case 0x94:  // MEMOIZE
                guard memo.count < Self.maximumMemo else { throw .malformed("memo too large") }
                memo[memo.count] = try peek()
            case 0x68: try push(try memoValue(Int(try readByte())))  // BINGET
            case 0x6A: try push(try memoValue(Int(try readUInt32())))  // LONG_BINGET
            case 0x30: _ = try pop()  // POP
            case 0x32: try push(try peek())  // DUP
            default:
                throw .unsupportedOpcode(opcode, offset: opcodeOffset)
            }
        }
    }

    // MARK: - Semantics

    private func allowedGlobal(_ name: String) throws(PickleError) -> PickleValue {
        guard Self.allowedGlobals.contains(name) else { throw .forbiddenGlobal(name) }
        return .global(name)
    }

    /// `('storage', storage_type, key, location, numel)`: the only persistent id torch writes.
    private func persistentLoad(_ id: PickleValue) throws(PickleError) -> PickleValue {
        guard case .tuple(let fields) = id, fields.count >= 3, fields[0] == .string("storage"),
              case .global(let type) = fields[1] else { throw .malformed("unknown persistent id") }
        let key: String
        switch fields[2] {
        case .string(let text): key = text
        case .int(let number): key = String(number)
        default: throw .malformed("storage key is neither a string nor an int")
        }
        return .storage(key: key, type: type)
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws(PickleError) -> PickleValue {
        guard case .global(let name) = callable, case .tuple(let args) = arguments else {
            throw .malformed("REDUCE needs an allowed global and an argument tuple")
        }
        switch name {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw .malformed("OrderedDict with arguments") }
            return .dict([:])
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard args.count >= 4, case .storage(let key, let type) = args[0], case .int(let offset) = args[1],
                  case .tuple(let size) = args[2], case .tuple(let stride) = args[3] else {
                throw .malformed("bad arguments to \(name)")
            }
            return .tensor(storageKey: key, storageType: type, offset: Int(offset), size: try integers(size), stride: try integers(stride))
        case "torch._utils._rebuild_parameter":
            guard let tensor = args.first, case .tensor = tensor else { throw .malformed("bad arguments to \(name)") }
            return tensor
        default:
            // Storage types are values, never called.
            throw .forbiddenGlobal(name + "()")
        }
    }

    private func integers(_ values: [PickleValue]) throws(PickleError) -> [Int] {
        var result: [Int] = []
        for value in values {
            guard case .int(let number) = value, number >= 0, number < 1 << 40 else { throw .malformed("bad tensor size or stride") }
            result.append(Int(number))
        }
        return result
    }

    private mutating func setItems(_ items: [PickleValue]) throws(PickleError) {
        guard items.count % 2 == 0 else { throw .malformed("SETITEMS with an odd number of items") }
        try modifyTop { value throws(PickleError) in
            guard case .dict(var dictionary) = value else { throw .malformed("SETITEMS on a non-dict") }
            for index in stride(from: 0, to: items.count, by: 2) { dictionary[items[index]] = items[index + 1] }
            value = .dict(dictionary)
        }
    }

    // MARK: - Stack

    private mutating func push(_ value: PickleValue) throws(PickleError) {
        guard stack.count < Self.maximumStackDepth else { throw .malformed("stack too deep") }
        stack.append(value)
    }

    private mutating func pop() throws(PickleError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else { throw .malformed("pop from an empty stack") }
        return value
    }

    private func peek() throws(PickleError) -> PickleValue {
        guard let value = stack.last else { throw .malformed("empty stack") }
        return value
    }

    private mutating func modifyTop(_ change: (inout PickleValue) throws(PickleError) -> Void) throws(PickleError) {
        guard !stack.isEmpty, stack.count > (marks.last ?? 0) else { throw .malformed("empty stack") }
        try change(&stack[stack.count - 1])
    }

    private mutating func popMark() throws(PickleError) -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw .malformed("no MARK") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func memoValue(_ index: Int) throws(PickleError) -> PickleValue {
        guard let value = memo[index] else { throw .malformed("memo \(index) not set") }
        return value
    }

    // MARK: - Bytes

    // No `defer` here: with `-sanitize=fuzzer,address` the optimizer released a discarded
    // `read` result before copying into it (a use-after-free the pickle fuzzer found).
    private mutating func read(_ count: Int) throws(PickleError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else { throw .truncated(offset: position) }
        let start = position
        position += count
        return Array(bytes[start..<position])
    }

    private mutating func skip(_ count: Int) throws(PickleError) {
        guard count >= 0, count <= bytes.count - position else { throw .truncated(offset: position) }
        position += count
    }

    private mutating func readByte() throws(PickleError) -> UInt8 {
        guard position < bytes.count else { throw .truncated(offset: position) }
        let byte = bytes[position]
        position += 1
        return byte
    }

    private mutating func readUInt16() throws(PickleError) -> UInt16 {
        let b = try read(2)
        return UInt16(b[0]) | UInt16(b[1]) << 8
    }

    private mutating func readUInt32() throws(PickleError) -> UInt32 {
        let b = try read(4)
        return b.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    private mutating func readUInt64() throws(PickleError) -> UInt64 {
        let b = try read(8)
        return b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private mutating func readBigEndianUInt64() throws(PickleError) -> UInt64 {
        try read(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private func boundedCount(_ value: UInt64) throws(PickleError) -> Int {
        guard value <= UInt64(bytes.count) else { throw .truncated(offset: position) }
        return Int(value)
    }

    /// Little-endian two's complement of up to 8 bytes.
    private mutating func readLong(count: Int) throws(PickleError) -> Int64 {
        guard count <= 8 else { throw .malformed("integer wider than 64 bits") }
        let b = try read(count)
        guard !b.isEmpty else { return 0 }
        var value = b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        if count < 8, b[count - 1] & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(count)) }
        return Int64(bitPattern: value)
    }

    private mutating func readString(count: Int) throws(PickleError) -> String {
        String(decoding: try read(count), as: UTF8.self)
    }

    private mutating func readLine() throws(PickleError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw .truncated(offset: position) }
        let line = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        return line
    }
}
