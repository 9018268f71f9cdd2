/// Asks the transport to hand the message out before others of its queue: priority `p` (0, the
/// default, to `PriorityStamp.highest`) counts as `p` aging steps of waiting (the transport's
/// `priority_aging`, a minute by default). A message of priority 3 is taken before those dispatched
/// less than three minutes before it, and after older ones: a steady stream of urgent messages
/// delays the others by at most their priority's worth of steps, never forever. Ties go in dispatch
/// order; a delayed message is ordered by its due time. Kept through retries.
public struct PriorityStamp: TransportableStamp, Equatable {
    public static let stampName = "Messenger.Priority"
    /// The highest priority a message may have.
    public static let highest = 100

    /// The priority, from 0 (none) to ``highest``.
    public let priority: Int

    /// `priority` is clamped to 0...`highest`.
    public init(_ priority: Int) { self.priority = min(max(priority, 0), Self.highest) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try container.decode(Int.self, forKey: .priority))
    }
}

extension Envelope {
    /// Milliseconds from now to the time the transport orders the message by (and makes it
    /// available at): its delay, or, undelayed, minus its priority's aging (`PriorityStamp`).
    public func availabilityOffsetMilliseconds(priorityAgingMilliseconds aging: Int64) -> Int64 {
        let delay = last(DelayStamp.self)?.milliseconds ?? 0
        guard delay == 0, let priority = last(PriorityStamp.self)?.priority, priority > 0 else { return delay }
        return -Int64(priority) * aging
    }
}
