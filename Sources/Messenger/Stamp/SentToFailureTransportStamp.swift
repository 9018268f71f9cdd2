/// Marks a message parked in a failure transport, naming the transport it originally came from.
public struct SentToFailureTransportStamp: TransportableStamp, Equatable {
    public static let stampName = "SentToFailureTransport"
    public let originalTransportName: String
    public init(originalTransportName: String) { self.originalTransportName = originalTransportName }
}
