/// Stamps the bus name on messages that have none, so that workers handle them on the same bus.
public struct AddBusNameMiddleware: Middleware {
    /// The name stamped.
    public let busName: String
    /// Stamps `busName` on every message without a bus name.
    public init(busName: String) { self.busName = busName }

    /// Adds a ``BusNameStamp`` unless the envelope has one, then goes on.
    public func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
        guard envelope.last(BusNameStamp.self) == nil else { return try await next(envelope) }
        return try await next(envelope.with(BusNameStamp(busName)))
    }
}
