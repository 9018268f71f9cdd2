/// A small value attached to an envelope to carry metadata through the bus.
public protocol Stamp: Sendable {}

/// A stamp that survives a transport: it is serialized into the stored row's headers.
public protocol TransportableStamp: Stamp, Codable {
    /// The stable name under which the stamp is written into headers.
    static var stampName: String { get }
}
