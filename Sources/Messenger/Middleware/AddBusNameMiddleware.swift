/// Stamps the bus name on messages that have none, so that workers handle them on the same bus.
public struct AddBusNameMiddleware: Middleware {
    public let busName: String
    public init(busName: String) { self.busName = busName }

    public func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
        guard envelope.last(BusNameStamp.self) == nil else { return try await next(envelope) }
        return try await next(envelope.with(BusNameStamp(busName)))
    }
}
