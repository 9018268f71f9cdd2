/// A stamp that says where a message came from, for its status record (a schedule's occurrence).
public protocol OriginStamp: Stamp {
    /// Where the message came from, as its record shows it (`schedule default/reminders @ 2026-11-29T02:30:00Z`).
    var origin: String { get }
}

extension Envelope {
    /// Where the message came from: an `OriginStamp`'s origin, else its deduplication key.
    public var origin: String? {
        for stamp in stamps.reversed() { if let origin = stamp as? any OriginStamp { return origin.origin } }
        return last(DeduplicateStamp.self).map { "dedup:" + $0.key }
    }
}
