/// Marks a message that came from a transport: it is handled, never sent again by routing.
public struct ReceivedStamp: Stamp {
    /// The transport it was received from (`sync` when handled at once).
    public let transportName: String
    /// A stamp saying the message came from `transportName`.
    public init(transportName: String) { self.transportName = transportName }
}
