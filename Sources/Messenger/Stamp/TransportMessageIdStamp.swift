/// The identifier a transport gave the stored message (a row id for table transports).
public struct TransportMessageIdStamp: Stamp, Equatable {
    /// The transport's id of the stored message.
    public let id: String
    /// A stamp with the transport's `id`.
    public init(_ id: String) { self.id = id }
}
