/// The identifier a transport gave the stored message (a row id for table transports).
public struct TransportMessageIdStamp: Stamp, Equatable {
    public let id: String
    public init(_ id: String) { self.id = id }
}
