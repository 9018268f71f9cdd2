/// Marks a message parked in a failure transport, naming the transport it originally came from.
public struct SentToFailureTransportStamp: TransportableStamp, Equatable {
    public static let stampName = "SentToFailureTransport"
    /// The transport whose message failed for good.
    public let originalTransportName: String
    /// A stamp saying the message failed on `originalTransportName`.
    public init(originalTransportName: String) { self.originalTransportName = originalTransportName }
}
