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
    /// A TorchScript module (`__torch__.*`): its class name and the attributes BUILD gave it.
    /// Only read in a TorchScript archive; no class is instantiated, no code is run.
    case module(type: String, attributes: [PickleValue: PickleValue])
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

    /// Bounds that keep a hostile pickle from exhausting memory or time: stack and memo sizes,
    /// how deeply containers nest (a state dict nests about five deep; a chain of a million
    /// one-element tuples would overflow the call stack when freed), and how many container
    /// elements may be built in all.
    static let maximumStackDepth = 100_000
    static let maximumMemo = 1_000_000
    static let maximumNesting = 64
    static let maximumElements = 50_000_000

    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    /// How deeply each stack entry nests (0 for a scalar), kept beside the stack.
    private var nesting: [Int] = []
    private var marks: [Int] = []
    private var memo: [Int: (value: PickleValue, nesting: Int)] = [:]
    private var elements = 0

    /// Whether `__torch__.*` classes (the modules of a TorchScript archive's data.pkl) are read as
    /// `.module` values: made empty by NEWOBJ, given their attribute dict by BUILD, never called.
    private let readsTorchScriptModules: Bool

    init(_ bytes: [UInt8], readsTorchScriptModules: Bool = false) {
        self.bytes = bytes
        self.readsTorchScriptModules = readsTorchScriptModules
    }

    /// Runs the pickle to its STOP and returns the top value.
    static func load(_ bytes: [UInt8], readsTorchScriptModules: Bool = false) throws(PickleError) -> PickleValue {
        var unpickler = Unpickler(bytes, readsTorchScriptModules: readsTorchScriptModules)
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
            case 0x29: try push(.tuple([]), nesting: 1)  // EMPTY_TUPLE
            case 0x5D: try push(.list([]), nesting: 1)  // EMPTY_LIST
            case 0x7D: try push(.dict([:]), nesting: 1)  // EMPTY_DICT
            case 0x74:  // TUPLE
                let (items, depth) = try popMark()
                try push(.tuple(items), nesting: depth + 1)
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = []
                var depth = 0
                for _ in 0..<Int(opcode - 0x84) {
                    let (item, itemDepth) = try popNested()
                    items.insert(item, at: 0)
                    depth = max(depth, itemDepth)
                }
                try push(.tuple(items), nesting: depth + 1)
            case 0x6C:  // LIST
                let (items, depth) = try popMark()
                try push(.list(items), nesting: depth + 1)
            case 0x61:  // APPEND
                let (item, depth) = try popNested()
                try modifyTop(adding: [item], nesting: depth) { value throws(PickleError) in
                    guard case .list(let items) = value else { throw .malformed("APPEND to a non-list") }
                    value = .list(items + [item])
                }
            case 0x65:  // APPENDS
                let (items, depth) = try popMark()
                try modifyTop(adding: items, nesting: depth) { value throws(PickleError) in
                    guard case .list(let existing) = value else { throw .malformed("APPENDS to a non-list") }
                    value = .list(existing + items)
                }
            case 0x73:  // SETITEM
                let (value, valueDepth) = try popNested()
                let (key, keyDepth) = try popNested()
                try setItems([key, value], nesting: max(keyDepth, valueDepth))
            case 0x75:  // SETITEMS
                let (items, depth) = try popMark()
                try setItems(items, nesting: depth)
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try readLine()
                let name = try readLine()
                try push(try allowedGlobal(module + "." + name))
            case 0x93:  // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else { throw .malformed("STACK_GLOBAL needs strings") }
                try push(try allowedGlobal(m + "." + n))
            case 0x51: try push(try persistentLoad(try pop()), nesting: 1)  // BINPERSID
            case 0x52, 0x81:  // REDUCE, NEWOBJ: only the allowed globals, only to build values
                let arguments = try pop()
                let callable = try pop()
                try push(try reduce(callable, arguments), nesting: 1)
            case 0x62:  // BUILD: a module's attributes; other state (a state dict's _metadata) is not needed
                let (state, stateDepth) = try popNested()
                if case .module(let type, _) = stack.last, case .dict(let attributes) = state {
                    let (_, depth) = try popNested()
                    try push(.module(type: type, attributes: attributes), nesting: max(depth, stateDepth + 1))
                }
            case 0x71: try remember(Int(try readByte()))  // BINPUT
            case 0x72: try remember(Int(try readUInt32()))  // LONG_BINPUT
            case 0x94: try remember(memo.count)  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let index = opcode == 0x68 ? Int(try readByte()) : Int(try readUInt32())
                guard let entry = memo[index] else { throw .malformed("memo \(index) not set") }
                try push(entry.value, nesting: entry.nesting)
            case 0x30: _ = try pop()  // POP
            case 0x32:  // DUP
                let (value, depth) = try popNested()
                try push(value, nesting: depth)
                try push(value, nesting: depth)
            default:
                throw .unsupportedOpcode(opcode, offset: opcodeOffset)
            }
        }
    }

    // MARK: - Semantics

    private func allowedGlobal(_ name: String) throws(PickleError) -> PickleValue {
        guard Self.allowedGlobals.contains(name) || (readsTorchScriptModules && name.hasPrefix("__torch__.")) else {
            throw .forbiddenGlobal(name)
        }
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
        if name.hasPrefix("__torch__.") {
            guard args.isEmpty else { throw .malformed("a TorchScript module built with arguments") }
            return .module(type: name, attributes: [:])
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

    private mutating func setItems(_ items: [PickleValue], nesting depth: Int) throws(PickleError) {
        guard items.count % 2 == 0 else { throw .malformed("SETITEMS with an odd number of items") }
        // A state dict's keys are names. Hashing a nested key costs its whole size, and a
        // 439-byte pickle can nest a tuple that doubles at every level: scalars only.
        for index in stride(from: 0, to: items.count, by: 2) {
            switch items[index] {
            case .string, .int, .bool, .float, .none: break
            default: throw .malformed("a dict key that is not a name or a number")
            }
        }
        try modifyTop(adding: items, nesting: depth) { value throws(PickleError) in
            guard case .dict(var dictionary) = value else { throw .malformed("SETITEMS on a non-dict") }
            for index in stride(from: 0, to: items.count, by: 2) { dictionary[items[index]] = items[index + 1] }
            value = .dict(dictionary)
        }
    }

    // MARK: - Stack

    /// Pushes a value that nests `depth` containers deep (0 for a scalar).
    private mutating func push(_ value: PickleValue, nesting depth: Int = 0) throws(PickleError) {
        guard stack.count < Self.maximumStackDepth else { throw .malformed("stack too deep") }
        guard depth <= Self.maximumNesting else { throw .malformed("containers nested deeper than \(Self.maximumNesting)") }
        stack.append(value)
        nesting.append(depth)
    }

    private mutating func pop() throws(PickleError) -> PickleValue { try popNested().value }

    private mutating func popNested() throws(PickleError) -> (value: PickleValue, nesting: Int) {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast(), let depth = nesting.popLast() else {
            throw .malformed("pop from an empty stack")
        }
        return (value, depth)
    }

    /// Changes the top container, which takes in `items` nesting `depth` deep.
    private mutating func modifyTop(adding items: [PickleValue], nesting depth: Int, _ change: (inout PickleValue) throws(PickleError) -> Void) throws(PickleError) {
        guard !stack.isEmpty, stack.count > (marks.last ?? 0) else { throw .malformed("empty stack") }
        try count(items.count)
        let top = stack.count - 1
        nesting[top] = max(nesting[top], depth + 1)
        guard nesting[top] <= Self.maximumNesting else { throw .malformed("containers nested deeper than \(Self.maximumNesting)") }
        try change(&stack[top])
    }

    /// The items above the last MARK and the deepest nesting among them.
    private mutating func popMark() throws(PickleError) -> ([PickleValue], Int) {
        guard let mark = marks.popLast(), mark <= stack.count else { throw .malformed("no MARK") }
        let items = Array(stack[mark...])
        let depth = nesting[mark...].max() ?? 0
        stack.removeSubrange(mark...)
        nesting.removeSubrange(mark...)
        try count(items.count)
        return (items, depth)
    }

    /// Counts container elements built, against `maximumElements`.
    private mutating func count(_ added: Int) throws(PickleError) {
        elements += added
        guard elements <= Self.maximumElements else { throw .malformed("more than \(Self.maximumElements) container elements") }
    }

    private mutating func remember(_ index: Int) throws(PickleError) {
        guard memo.count < Self.maximumMemo || memo[index] != nil else { throw .malformed("memo too large") }
        guard let value = stack.last, let depth = nesting.last else { throw .malformed("empty stack") }
        memo[index] = (value, depth)
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
