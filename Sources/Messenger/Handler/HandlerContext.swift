import Logging

/// What a handler receives beside its message: the envelope, the bus to dispatch follow-ups on, a logger.
public struct HandlerContext: Sendable {
    /// The envelope being handled, with all its stamps.
    public let envelope: Envelope
    /// The bus the message is handled on; dispatch follow-up messages here.
    public let bus: MessageBus
    private let baseLogger: Logger

    /// The context of a handler called for `envelope` on `bus`.
    public init(envelope: Envelope, bus: MessageBus, logger: Logger) {
        self.envelope = envelope
        self.bus = bus
        self.baseLogger = logger
    }

    /// A logger carrying the message's type and id as metadata (made when a handler asks for it).
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "message.type"] = .string(envelope.messageName)
        if let id = envelope.last(TransportMessageIdStamp.self)?.id { logger[metadataKey: "message.id"] = .string(id) }
        return logger
    }

    /// Which attempt this is: 1 for the first, 2 for the first retry, and so on.
    public var attempt: Int { (envelope.last(RedeliveryStamp.self)?.retryCount ?? 0) + 1 }

    /// The message's public id (`MessageIdStamp`), to give to whoever polls its status.
    public var messageId: String? { envelope.messageId }

    /// Reports how far the handling is (0...1) with a short note ("3 of 7 files"), for the message's
    /// status record. Cheap enough for a tight loop: the worker writes the latest report at its next heartbeat (`WorkerHeartbeat.interval`).
    /// Outside a worker (a message handled at dispatch) it does nothing.
    public func progress(_ fraction: Double, _ note: String? = nil) {
        envelope.last(InHandStamp.self)?.entry.report(fraction, note: note)
    }

    /// True when an operator asked to cancel this message (the handler's task is cancelled too:
    /// `Task.isCancelled`, `try Task.checkCancellation()`).
    public var isCancellationRequested: Bool { envelope.last(InHandStamp.self)?.entry.isCancelRequested ?? false }

    /// Dispatches a follow-up message that goes out only if the current handling succeeds.
    @discardableResult
    public func dispatchAfterCurrentBus(_ message: some Message, stamps: [any Stamp] = []) async throws -> Envelope {
        try await bus.dispatch(message, stamps: stamps + [DispatchAfterCurrentBusStamp()])
    }
}
