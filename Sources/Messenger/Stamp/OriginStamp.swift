/// A stamp that says where a message came from, for its status record (a schedule's occurrence).
public protocol OriginStamp: Stamp {
    var origin: String { get }
}

extension Envelope {
    /// Where the message came from: an `OriginStamp`'s origin, else its deduplication key.
    public var origin: String? {
        for stamp in stamps.reversed() { if let origin = stamp as? any OriginStamp { return origin.origin } }
        return last(DeduplicateStamp.self).map { "dedup:" + $0.key }
    }
}
