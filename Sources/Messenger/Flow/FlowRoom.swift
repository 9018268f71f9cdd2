import Foundation

/// What each rule allows now, as a claim or an inspection reads it from the database: messages
/// running under it, whole tokens of its rate, and the room left (the least of both).
public struct FlowRoom: Sendable {
    /// The rules read, in order.
    public let rules: [FlowRule]
    /// Messages running under each rule now.
    public let running: [Int]
    /// Tokens in the bucket of each rule with a rate, refilled to now.
    public let tokens: [Int: Double]

    /// The room read for `rules`: running counts and tokens, each by the rule's index.
    public init(rules: [FlowRule], running: [Int], tokens: [Int: Double]) {
        self.rules = rules
        self.running = running
        self.tokens = tokens
    }

    /// How many more messages each rule lets start now (its concurrency left, or its whole tokens, the least).
    public var room: [Int] { rules.indices.map { FlowSelection.room(rules[$0], running: running[$0], tokens: tokens[$0]) } }

    /// The rules with no room left because of their running count, and because of their rate.
    public var full: [FlowRule] { rules.indices.filter { index in rules[index].concurrency.map { running[index] >= $0 } ?? false }.map { rules[$0] } }
    /// The rules whose rate has no whole token left.
    public var spent: [FlowRule] { rules.indices.filter { (tokens[$0] ?? 1) < 1 }.map { rules[$0] } }

    /// The buckets to write back once `started` (the type and queue of each message under flow
    /// control just claimed) have taken their tokens: each spent rule's key and its tokens left.
    public func tokensLeft(afterStarting started: [(type: String?, queue: String)]) -> [(key: String, tokens: Double)] {
        rules.indices.compactMap { index in
            guard let available = tokens[index] else { return nil }
            let used = started.filter { rules[index].matches(type: $0.type, queue: $0.queue) }.count
            return used > 0 ? (rules[index].key, available - Double(used)) : nil
        }
    }

    /// Why a due message is not started, in words; nil when nothing holds it back.
    public func reason(type: String?, queue: String, group: String?, earlierInGroup: Int) -> String? {
        if let group, earlierInGroup > 0 {
            return "ordered group \"\(group)\": \(earlierInGroup) earlier message(s) of the group first"
        }
        for index in rules.indices where rules[index].matches(type: type, queue: queue) {
            let rule = rules[index]
            if let concurrency = rule.concurrency, running[index] >= concurrency {
                return "concurrency limit of \(rule.key): \(running[index]) of \(concurrency) running"
            }
            if let rate = rule.rateLimit, let available = tokens[index], available < 1 {
                let seconds = rate.millisecondsUntilToken(available) / 1000
                return "rate limit of \(rule.key) (\(rate)): next start in \(seconds < 10 ? String(format: "%.1f", seconds) : String(Int(seconds))) s"
            }
        }
        return nil
    }
}

/// Due messages that flow control holds back now, by cause (`messenger:stats`, the dashboard).
public struct HeldBackCounts: Sendable, Encodable, Equatable {
    /// Behind an earlier message of their ordered group.
    public var group = 0
    /// Under a concurrency limit that is full.
    public var limit = 0
    /// Under a rate limit whose tokens are spent.
    public var rate = 0

    /// Counts of held-back messages by cause.
    public init(group: Int = 0, limit: Int = 0, rate: Int = 0) {
        self.group = group
        self.limit = limit
        self.rate = rate
    }

    /// Every held-back message, whatever the cause.
    public var total: Int { group + limit + rate }

    /// `group 2, limit 1, rate 40` (the causes that hold some back); nil when none is.
    public var summary: String? {
        let parts = [("group", group), ("limit", limit), ("rate", rate)].filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}

/// A transport that enforces `limits:` and ordered groups, and says what they hold back.
public protocol FlowControlledTransport: Transport {
    /// The due messages of its queue held back now, by cause.
    func heldBack() async throws -> HeldBackCounts
    /// Why a waiting message (its transport row id) is not started yet; nil when nothing holds it back.
    func waitingReason(rowId: String) async throws -> String?
}
