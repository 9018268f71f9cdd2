import CoreMetrics
import Tracing

/// Sends routed messages to their transports instead of handling them; received messages go on.
/// While `DeferredSends` collects, an envelope tagged with `DeferredSendTagStamp` bound for a
/// `BatchSender` is held for its batch instead.
///
/// Each send is a `send <transport>` span (PRODUCER) whose context the message carries
/// (`TraceContextStamp`), and counts in ``MessengerMetrics/messagesSent``.
public struct SendMessageMiddleware: Middleware {
    /// Where each message type goes.
    public let senders: SendersLocator
    private let sent = InstrumentCache<[String], Counter> { key in
        Counter(label: MessengerMetrics.messagesSent, dimensions: [("transport", key[0]), ("message_type", key[1])])
    }

    /// Sends to the transports `senders` routes each message to.
    public init(senders: SendersLocator) { self.senders = senders }

    /// Sends a routed message (and stops there, unless a target is `sync://`); passes a received or unrouted one on.
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
            // Without a bootstrapped tracer a send is not wrapped in a span at all (the dispatch path).
            guard MessagingSpan.isTracing else {
                current = try await store(current, to: name, sender: sender)
                continue
            }
            current = try await withSpan("send \(name)", ofKind: .producer) { [current] span in
                MessagingSpan.describe(span, operation: "send", destination: name, envelope: current)
                return try await store(current.withCurrentTraceContext(), to: name, sender: sender)
            }
        }
        if handleNow { return try await next(current.with(ReceivedStamp(transportName: "sync"))) }
        return current
    }

    /// Stores `envelope` in transport `name` (held for its batch while `DeferredSends` collects) and
    /// counts it; the envelope as stored, with its `SentStamp`.
    private func store(_ envelope: Envelope, to name: String, sender: any Sender) async throws -> Envelope {
        let stored: Envelope
        if let deferred = DeferredSends.current, let batch = sender as? any BatchSender, let tag = envelope.last(DeferredSendTagStamp.self)?.tag {
            deferred.hold(envelope, to: name, sender: batch, tag: tag)
            stored = envelope
        } else {
            stored = try await sender.send(envelope)
        }
        sent[[name, envelope.messageName]].increment()
        return stored.with(SentStamp(transportName: name))
    }
}
