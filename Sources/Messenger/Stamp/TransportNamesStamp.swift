/// Sends the message to these transports, overriding the routing configuration.
public struct TransportNamesStamp: Stamp {
    public let transportNames: [String]
    public init(_ transportNames: [String]) { self.transportNames = transportNames }
}
