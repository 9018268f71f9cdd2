/// Names the bus a message was dispatched on, so that a worker handles it on the same bus.
public struct BusNameStamp: TransportableStamp, Equatable {
    public static let stampName = "BusName"
    /// The bus's name.
    public let busName: String
    /// A stamp naming bus `busName`.
    public init(_ busName: String) { self.busName = busName }
}
