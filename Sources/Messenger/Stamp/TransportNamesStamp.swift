/// Sends the message to these transports, overriding the routing configuration.
public struct TransportNamesStamp: Stamp {
    /// The transports to send to.
    public let transportNames: [String]
    /// Send to `transportNames` whatever the routing says.
    public init(_ transportNames: [String]) { self.transportNames = transportNames }
}
