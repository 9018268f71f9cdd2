import Foundation

/// Picks, from due messages under flow control, those that may start now: the database transports
/// run it inside the claim's serialized step, after reading each rule's room (concurrency left,
/// whole tokens of its rate).
public enum FlowSelection {
    /// A waiting message under flow control, as the claim reads it (its group's head only).
    public struct Candidate: Sendable, Equatable {
        /// Its row id.
        public let id: Int64
        /// Its wire type when a rule or a group controls it.
        public let type: String?
        /// Its group key, if it is in a group.
        public let group: String?
        /// Its queue.
        public let queue: String

        /// A candidate row.
        public init(id: Int64, type: String?, group: String?, queue: String) {
            self.id = id
            self.type = type
            self.group = group
            self.queue = queue
        }
    }

    /// What may start, in the candidates' order, and how much of each rule's room it takes.
    public struct Picked: Sendable, Equatable {
        /// The row ids that may start now, in due order.
        public var ids: [Int64] = []
        /// Per rule (same order as the rules given), the messages picked under it.
        public var used: [Int]
    }

    /// Up to `limit` candidates, each needing one unit of room in every rule that matches it, and
    /// at most one per group.
    public static func pick(_ candidates: [Candidate], rules: [FlowRule], room: [Int], limit: Int) -> Picked {
        var left = room
        var picked = Picked(used: Array(repeating: 0, count: rules.count))
        var groups = Set<String>()
        for candidate in candidates where picked.ids.count < limit {
            if let group = candidate.group, groups.contains(candidate.queue + "\u{0}" + group) { continue }
            let matching = rules.indices.filter { rules[$0].matches(type: candidate.type, queue: candidate.queue) }
            guard matching.allSatisfy({ left[$0] > 0 }) else { continue }
            for index in matching {
                left[index] -= 1
                picked.used[index] += 1
            }
            if let group = candidate.group { groups.insert(candidate.queue + "\u{0}" + group) }
            picked.ids.append(candidate.id)
        }
        return picked
    }

    /// How long to wait before looking again when messages wait on a running count or a group.
    public static let recheckMilliseconds: Int64 = 250

    /// When messages under flow control that cannot start now may (epoch ms), given the earliest due
    /// time among them (nil: none waits): at that time when it is ahead; else at the next token of a
    /// spent rate, or after a short wait for a running count or a group to move.
    public static func nextLook(earliestDue: Int64?, now: Int64, rules: [FlowRule], room: [Int], tokens: [Int: Double]) -> Int64? {
        guard let earliestDue else { return nil }
        if earliestDue > now { return earliestDue }
        let tokenWaits = rules.indices.compactMap { index -> Int64? in
            guard room[index] == 0, let rate = rules[index].rateLimit, let available = tokens[index], available < 1 else { return nil }
            return Int64(rate.millisecondsUntilToken(available).rounded(.up))
        }
        let countFull = rules.indices.contains { room[$0] == 0 && rules[$0].concurrency != nil }
        guard let tokenWait = tokenWaits.min() else { return now + recheckMilliseconds }
        return now + max(1, countFull ? min(tokenWait, recheckMilliseconds) : tokenWait)
    }

    /// A rule's room: the least of its concurrency left and its whole tokens (unbounded when it has
    /// neither).
    public static func room(_ rule: FlowRule, running: Int, tokens: Double?) -> Int {
        var room = Int.max
        if let concurrency = rule.concurrency { room = min(room, max(0, concurrency - running)) }
        if rule.rateLimit != nil, let tokens { room = min(room, max(0, Int(tokens.rounded(.down)))) }
        return room
    }
}

extension FlowRule {
    /// The rule as a standard SQL condition on a transport table's row (its wire type in
    /// `typeColumn`, its queue in `queueColumn`), with its values inlined as quoted literals.
    public func sqlCondition(typeColumn: String, queueColumn: String) -> String {
        func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        switch scope {
        case .type(let name): return "\(typeColumn) = \(literal(name))"
        case .prefix(let prefix): return "substr(\(typeColumn), 1, \(prefix.unicodeScalars.count)) = \(literal(prefix))"
        case .queue(let queue): return "\(queueColumn) = \(literal(queue))"
        }
    }
}
