import Foundation

/// When a received message became due (its delay over, or its retry's), as its transport stored
/// it: what the worker measures a message's wait from. Set on receipt, never stored.
public struct AvailableAtStamp: Stamp, Equatable {
    /// When the message fell due.
    public let date: Date
    /// A stamp saying the message fell due at `date`.
    public init(_ date: Date) { self.date = date }
}

extension Envelope {
    /// The envelope stamped with when its stored row fell due, `availableAt` in milliseconds since
    /// 1970. A priority stores a row as due earlier than it was sent (so that it is claimed first):
    /// that offset is taken back out, so that its wait is counted from its dispatch.
    public func received(availableAt milliseconds: Int64, priorityAgingMilliseconds aging: Int64) -> Envelope {
        let offset = availabilityOffsetMilliseconds(priorityAgingMilliseconds: aging)
        return with(AvailableAtStamp(Date(timeIntervalSince1970: Double(milliseconds - min(0, offset)) / 1000)))
    }
}
