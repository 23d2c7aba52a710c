/// One slot per iteration of a `DispatchQueue.concurrentPerform`: each iteration writes only its
/// own slot, so no two threads touch the same memory, and the slots are read after the loop.
final class ParallelResults<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    /// Every slot, in iteration order (nil where an iteration wrote nothing).
    var values: [Value?] { Array(slots) }
}
