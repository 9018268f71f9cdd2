/// Sends routed messages to their transports instead of handling them; received messages go on.
public struct SendMessageMiddleware: Middleware {
    public let senders: SendersLocator
    public init(senders: SendersLocator) { self.senders = senders }

    public func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
        if envelope.last(ReceivedStamp.self) != nil { return try await next(envelope) }
        let targets = try senders.senders(for: envelope)
        if targets.isEmpty { return try await next(envelope) }
        var current = envelope
        var handleNow = false
        for (name, sender) in targets {
            if sender is SyncTransport {
                handleNow = true
                continue
            }
            current = try await sender.send(current).with(SentStamp(transportName: name))
        }
        if handleNow { return try await next(current.with(ReceivedStamp(transportName: "sync"))) }
        return current
    }
}
