/// Records that the message was sent to a transport instead of being handled now.
public struct SentStamp: Stamp {
    /// The transport it was stored in.
    public let transportName: String
    /// A stamp saying the message was stored in `transportName`.
    public init(transportName: String) { self.transportName = transportName }
}
