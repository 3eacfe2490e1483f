import AdjoinCore
/// The order in which to try the targets of an SRV answer, as RFC 2782 prescribes: lowest priority
/// first; within one priority, a weighted random order in which a record's chance of coming next is
/// proportional to its weight. A lone target "." means the service is decidedly not available.
public enum SRVOrdering {
    public static func ordered<G: RandomNumberGenerator>(_ records: [SRVRecord], using generator: inout G) -> [SRVRecord] {
        let usable = records.filter { $0.target != "" && $0.target != "." }
        let priorities = Set(usable.map(\.priority)).sorted()
        var result: [SRVRecord] = []
        result.reserveCapacity(usable.count)
        for priority in priorities {
            // Zero-weight records go first in the list, so they have a small chance of being picked
            // when the random number is zero, as the RFC's selection algorithm intends.
            var remaining = usable.filter { $0.priority == priority }
            remaining.sort { ($0.weight == 0 ? 0 : 1) < ($1.weight == 0 ? 0 : 1) }
            while !remaining.isEmpty {
                let total = remaining.reduce(0) { $0 + Int($1.weight) }
                let pick = Int.random(in: 0...total, using: &generator)
                var runningSum = 0
                let index =
                    remaining.firstIndex { record in
                        runningSum += Int(record.weight)
                        return runningSum >= pick
                    } ?? 0
                result.append(remaining.remove(at: index))
            }
        }
        return result
    }

    public static func ordered(_ records: [SRVRecord]) -> [SRVRecord] {
        var generator = SystemRandomNumberGenerator()
        return ordered(records, using: &generator)
    }
}
