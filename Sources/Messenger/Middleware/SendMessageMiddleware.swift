/// Sends routed messages to their transports instead of handling them; received messages go on.
/// While `DeferredSends` collects, an envelope tagged with `DeferredSendTagStamp` bound for a
/// `BatchSender` is held for its batch instead.
public struct SendMessageMiddleware: Middleware {
    public let senders: SendersLocator
    public init(senders: SendersLocator) { self.senders = senders }

    public func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
        if envelope.last(ReceivedStamp.self) != nil { return try await next(envelope) }
        let targets = try senders.senders(for: envelope)
        if targets.isEmpty { return try await next(envelope) }
        var current = envelope
        if let keyed = envelope.message as? any DeduplicatedMessage, envelope.last(DeduplicateStamp.self) == nil {
            current = current.with(keyed.deduplication)
        }
        if let grouped = envelope.message as? any GroupedMessage, envelope.last(GroupStamp.self) == nil {
            current = current.with(grouped.group)
        }
        var handleNow = false
        for (name, sender) in targets {
            if sender is SyncTransport {
                handleNow = true
                continue
            }
            if let deferred = DeferredSends.current, let batch = sender as? any BatchSender, let tag = current.last(DeferredSendTagStamp.self)?.tag {
                deferred.hold(current, to: name, sender: batch, tag: tag)
                current = current.with(SentStamp(transportName: name))
                continue
            }
            current = try await sender.send(current).with(SentStamp(transportName: name))
        }
        if handleNow { return try await next(current.with(ReceivedStamp(transportName: "sync"))) }
        return current
    }
}
