/// Marks a message that came from a transport: it is handled, never sent again by routing.
public struct ReceivedStamp: Stamp {
    public let transportName: String
    public init(transportName: String) { self.transportName = transportName }
}
