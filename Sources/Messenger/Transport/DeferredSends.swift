import Synchronization

/// A sender that stores many messages in one round trip.
public protocol BatchSender: Sender {
    /// Sends the envelopes, in order; returns them with what the transport adds (their ids).
    func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope]
}

extension BatchSender {
    /// Sends the envelopes one at a time: for a batch that one multi-row statement cannot store, such
    /// as messages that must each be checked for a pending duplicate.
    public func sendEach(_ envelopes: [Envelope]) async throws -> [Envelope] {
        var sent: [Envelope] = []
        for envelope in envelopes { sent.append(try await send(envelope)) }
        return sent
    }
}

/// Messages routed to batch senders while a task runs `collect`: each dispatch returns at once, and
/// `flush` stores them, one batch per transport. Used where many messages are dispatched together
/// inside one transaction (a scheduler tick).
public final class DeferredSends: Sendable {
    /// The collector of the current task, if any.
    @TaskLocal public static var current: DeferredSends?

    private struct Pending {
        let tag: Int
        let transport: String
        let sender: any BatchSender
        let envelope: Envelope
    }

    private let pending = Mutex<[Pending]>([])

    /// A collector with nothing held.
    public init() {}

    /// Runs `body` with this collector as the current one.
    public func collect<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        try await Self.$current.withValue(self, operation: body, isolation: isolation)
    }

    /// Holds a message for `flush`; `tag` tells the dispatches apart (the order they were made in).
    func hold(_ envelope: Envelope, to transport: String, sender: any BatchSender, tag: Int) {
        pending.withLock { $0.append(Pending(tag: tag, transport: transport, sender: sender, envelope: envelope)) }
    }

    /// Sends what was collected, one batch per transport; returns the last transport id of each tag.
    public func flush() async throws -> [Int: String] {
        let all = pending.withLock { pending in defer { pending = [] }; return pending }
        var ids: [Int: String] = [:]
        for transport in Array(Set(all.map(\.transport))).sorted() {
            let batch = all.filter { $0.transport == transport }
            let sent = try await batch[0].sender.send(contentsOf: batch.map(\.envelope))
            for (item, envelope) in zip(batch, sent) {
                if let id = envelope.last(TransportMessageIdStamp.self)?.id { ids[item.tag] = id }
            }
        }
        return ids
    }
}

/// The tag of a deferred dispatch, carried in memory so that the caller can find its id after `flush`.
public struct DeferredSendTagStamp: Stamp, Equatable {
    /// The tag the dispatch was given.
    public let tag: Int
    /// A stamp with `tag`.
    public init(_ tag: Int) { self.tag = tag }
}
