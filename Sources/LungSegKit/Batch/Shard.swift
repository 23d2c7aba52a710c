/// This process's share of a batch: shard `index` of `count` (0-based). Cases, sorted by name,
/// go round-robin: case number p belongs to shard p mod count, so shards partition the cases
/// exactly and the assignment depends only on the list of cases.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init(index: Int, count: Int) throws(BatchInputError) {
        guard count >= 1 else { throw .badShard("the shard count must be at least 1, not \(count)") }
        guard (0..<count).contains(index) else { throw .badShard("shard index \(index) is outside 0..<\(count)") }
        self.init(uncheckedIndex: index, count: count)
    }

    /// `i/n`, e.g. `0/4`.
    public init(parsing text: String) throws(BatchInputError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw .badShard("\(text) is not i/n (e.g. 0/4)")
        }
        try self.init(index: index, count: count)
    }

    /// The shard a scheduler gives this process, when `--shard` is not given:
    /// - Slurm job arrays: `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN` (0 if unset), of
    ///   `countOverride` or `SLURM_ARRAY_TASK_COUNT`;
    /// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`, of `countOverride` or `LUNGSEG_SHARD_COUNT`
    ///   (Kubernetes does not export the completions count; set it from the Job's spec);
    /// - otherwise the whole batch. Returns the shard and where it came from.
    public static func fromEnvironment(_ environment: [String: String], countOverride: Int?) throws(BatchInputError) -> (Shard, String) {
        if let task = environment["SLURM_ARRAY_TASK_ID"] {
            guard let id = Int(task) else { throw .badShard("SLURM_ARRAY_TASK_ID=\(task) is not a number") }
            let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            guard let count = countOverride ?? environment["SLURM_ARRAY_TASK_COUNT"].flatMap({ Int($0) }) else {
                throw .badShard("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor --shard-count is")
            }
            return (try Shard(index: id - minimum, count: count), "Slurm job array (SLURM_ARRAY_TASK_ID=\(id))")
        }
        if let completion = environment["JOB_COMPLETION_INDEX"] {
            guard let index = Int(completion) else { throw .badShard("JOB_COMPLETION_INDEX=\(completion) is not a number") }
            guard let count = countOverride ?? environment["LUNGSEG_SHARD_COUNT"].flatMap({ Int($0) }) else {
                throw .badShard("JOB_COMPLETION_INDEX is set but neither --shard-count nor LUNGSEG_SHARD_COUNT is")
            }
            return (try Shard(index: index, count: count), "Kubernetes Indexed Job (JOB_COMPLETION_INDEX=\(index))")
        }
        if countOverride != nil {
            throw .badShard("--shard-count needs a scheduler index (SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); use --shard i/n otherwise")
        }
        return (.whole, "no shard given: every case")
    }

    /// The cases of this shard, from cases sorted by name.
    public func select(_ cases: [BatchCase]) -> [BatchCase] {
        cases.sorted { $0.name < $1.name }.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    public var description: String { "\(index)/\(count)" }
}
