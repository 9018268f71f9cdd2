import Foundation
import Logging
import Tracing

extension Worker {
    /// Handles one received message to its end: acked, retried, or parked. Returns true on success.
    ///
    /// The attempt is a `process <transport>` span (CONSUMER) in the sender's trace, linked to its
    /// `send` span, and counts in the worker's metrics.
    func handle(_ received: Envelope, from transport: WorkerTransport) async -> Bool {
        let attempt = tracing ? await traced(received, from: transport) : await process(received, from: transport)
        metrics.ended(attempt.messageType, transport: transport.name, instruments: attempt.instruments, outcome: attempt.outcome, after: attempt.duration,
                      errorType: attempt.error.map { FailureClassification.details(of: $0, transportName: transport.name).errorType })
        return attempt.outcome == .completed || attempt.outcome == .cancelled
    }

    /// The attempt in its `process` span, in the sender's trace.
    private func traced(_ received: Envelope, from transport: WorkerTransport) async -> Attempt {
        let sender = received.last(TraceContextStamp.self)?.context
        return await withSpan("process \(transport.name)", context: sender ?? .topLevel, ofKind: .consumer) { span in
            if let sender { span.addLink(SpanLink(context: sender, attributes: [:])) }
            MessagingSpan.describe(span, operation: "process", destination: transport.name, envelope: received)
            let attempt = await process(received, from: transport)
            span.attributes["messenger.message.type"] = attempt.messageType
            span.attributes["messenger.attempt"] = attempt.number
            span.attributes["messenger.outcome"] = attempt.outcome.rawValue
            if let error = attempt.error {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
            }
            return attempt
        }
    }

    /// What one attempt came to.
    struct Attempt: Sendable {
        var messageType: String
        var number: Int
        var outcome: HandlingOutcome
        /// How long the handlers ran; nil when none started.
        var duration: Duration?
        /// The metrics' instruments taken when the handlers started.
        var instruments: WorkerMetrics.Instruments?
        var error: (any Error)?
    }

    private func process(_ received: Envelope, from transport: WorkerTransport) async -> Attempt {
        var envelope = received.with(ReceivedStamp(transportName: transport.name))
        var log = MessageLog(logger: logger, metadata: ["transport": .string(transport.name), "message.type": .string(envelope.messageName)])
        if let id = envelope.last(TransportMessageIdStamp.self)?.id { log.metadata["message.id"] = .string(id) }
        let retries = envelope.last(RedeliveryStamp.self)?.retryCount ?? 0
        var attempt = Attempt(messageType: envelope.messageName, number: retries + 1, outcome: .completed)
        func failed(_ error: any Error, _ outcome: HandlingOutcome) -> Attempt {
            attempt.outcome = outcome
            attempt.error = error
            return attempt
        }

        if let undecodable = envelope.message as? UndecodableMessage {
            guard let decoded = decodeAgain(undecodable, keeping: envelope) else {
                let error = MessengerError(.decodingFailed, undecodable.error)
                return failed(error, await fail(envelope, error: error, from: transport, log: log, forceUnrecoverable: true,
                                                prelude: "Stored message cannot be decoded: \(undecodable.error)"))
            }
            envelope = decoded
            attempt.messageType = envelope.messageName
            log.metadata["message.type"] = .string(envelope.messageName)
        }

        if let delivery = envelope.last(DeliveryCountStamp.self), delivery.count > 1 {
            // Only deliveries known to have started a handler count: the rest of a dead worker's
            // batch may never have reached one.
            let abandoned = AbandonedDeliveryError(starts: delivery.abandonedStarts)
            if delivery.abandonedStarts > 0,
               !transport.retryStrategy.isRetryable(envelope, error: abandoned, failedAttempts: retries + delivery.abandonedStarts) {
                return failed(abandoned, await fail(envelope, error: abandoned, from: transport, log: log, forceUnrecoverable: true, prelude: "Message \(abandoned)"))
            }
            log.warning("Message delivered again (delivery \(delivery.count)): its previous worker stopped before acknowledging it")
        }

        log.info("Received message \(envelope.messageName)")
        attempt.instruments = metrics.started(envelope, transport: transport.name)
        let start = ContinuousClock.now
        attempt.number = retries + (envelope.last(DeliveryCountStamp.self)?.abandonedStarts ?? 0) + 1
        let entry = inHand.begin(envelope, attempt: attempt.number, store: transport.receiver as? any MessageRecordStore)
        let started = entry?.start
        defer { inHand.end(entry) }
        let dispatched = entry.map { envelope.with(InHandStamp(entry: $0)) } ?? envelope
        let handled: Envelope
        do {
            handled = try await cancellable(entry) { try await self.withKeepalive(dispatched, on: transport) { try await self.bus.dispatch(dispatched) } }
        } catch {
            attempt.duration = ContinuousClock.now - start
            if entry?.isCancelRequested == true {
                // Asked to stop, and it did: cancelled, never retried.
                await finish(envelope.with(MessageOutcomeStamp(.cancelled, start: started)), from: transport, log: log, level: .notice,
                             "Message \(envelope.messageName) cancelled on request after \(Self.milliseconds(ContinuousClock.now - start)) ms")
                attempt.outcome = .cancelled
                return attempt
            }
            return failed(error, await fail(envelope, error: error, from: transport, log: log, forceUnrecoverable: false, start: started))
        }
        attempt.duration = ContinuousClock.now - start
        // The result is encoded only for a message with a record to keep it.
        let result = entry == nil ? nil : HandlerResult.json(of: handled)
        await finish(envelope.with(MessageOutcomeStamp(.completed(result: result), start: started)), from: transport, log: log,
                     "Message \(envelope.messageName) handled in \(Self.milliseconds(ContinuousClock.now - start)) ms")
        return attempt
    }

    /// Acknowledges a message whose handling ended (its outcome stamped for the record).
    private func finish(_ envelope: Envelope, from transport: WorkerTransport, log: MessageLog, level: Logger.Level = .info, _ line: String) async {
        do {
            try await transport.receiver.ack(envelope)
            log.log(level, "\(line)")
        } catch {
            log.error("Message handled but its acknowledgement failed; it will be delivered again: \(error)")
        }
    }

    /// Stores a failed message for a retry or in the failure transport, and removes the original: in
    /// one transaction where the receiver can (same database), else sends and then rejects. When the
    /// store fails the original stays claimed, so that it is delivered again: never lost.
    ///
    /// `prelude` is a line said before the outcome (why a message is failed without being handled).
    private func fail(_ envelope: Envelope, error: any Error, from transport: WorkerTransport, log: MessageLog, forceUnrecoverable: Bool, prelude: String? = nil,
                      start: MessageStart? = nil) async -> HandlingOutcome {
        func failedStart(_ envelope: Envelope, _ attempts: Int) -> MessageStart? {
            start ?? envelope.messageId.map { MessageStart(messageId: $0, attempt: attempts, startedAt: Date()) }
        }
        let failedEnvelope = (error as? HandlerFailedError)?.envelope ?? envelope
        let retries = envelope.last(RedeliveryStamp.self)?.retryCount ?? 0
        let crashes = envelope.last(DeliveryCountStamp.self)?.abandonedStarts ?? 0
        let attempts = retries + crashes + 1
        let decision = forceUnrecoverable
            ? (transport.failureDestination == nil ? .discard : .park)
            : FailureDecision.decide(
                error: error, envelope: failedEnvelope, failedAttempts: attempts,
                strategy: transport.retryStrategy, hasFailureTransport: transport.failureDestination != nil)
        let details = FailureClassification.details(of: error, transportName: transport.name)
        let base = failedEnvelope.withoutAll(DelayStamp.self).withoutAll(TransportNamesStamp.self).withoutAll(InHandStamp.self)
            .withoutAll(ErrorDetailsStamp.self).withoutAll(StoredStatusStamp.self).with(details)
        var replaced = false
        do {
            switch decision {
            case .retry(let delay):
                let retry = base.with(RedeliveryStamp(retryCount: retries + 1), DelayStamp(milliseconds: delay), StoredStatusStamp(.retrying, attempts: attempts))
                replaced = try await store(retry, via: transport.retrySender, replacing: envelope, from: transport)
                report(error, of: envelope, from: transport, outcome: "retried", level: .warning, log: log, prelude: prelude,
                       "Error while handling message; retry \(retries + 1) in \(delay) ms: \(error)")
            case .park:
                guard let destination = transport.failureDestination else { return .dropped }
                var parked = base.with(StoredStatusStamp(.failed, attempts: attempts))
                if parked.last(SentToFailureTransportStamp.self) == nil {
                    parked = parked.with(SentToFailureTransportStamp(originalTransportName: transport.name))
                }
                replaced = try await store(parked, via: destination.sender, replacing: envelope, from: transport)
                report(error, of: envelope, from: transport, outcome: "parked in \(destination.name)", level: .error, log: log, prelude: prelude,
                       "Message parked in failure transport \(destination.name) after \(attempts) attempt(s): \(error)")
                if envelope.messageName != MessageParked.messageName {
                    await announce(MessageParked(messageType: envelope.messageName, messageId: envelope.messageId, transport: transport.name,
                                                 failureTransport: destination.name, attempts: attempts, errorType: details.errorType,
                                                 errorMessage: details.message), log: log)
                }
            case .discard:
                // Every dropped message is named: it is gone for good.
                if let prelude { log.error("\(prelude)") }
                log.critical("Message dropped after \(attempts) attempt(s): no failure transport is configured: \(error)")
                do {
                    try await transport.receiver.reject(envelope.with(MessageOutcomeStamp(.failed(details), start: failedStart(envelope, attempts))))
                } catch {
                    log.error("Cannot remove the failed original; it will be delivered again: \(error)")
                    return .unsettled
                }
                return .dropped
            }
        } catch let sendError {
            log.error("Cannot store the failed message for a retry or in the failure transport; it stays claimed and will be delivered again: \(sendError)")
            return .unsettled
        }
        let outcome: HandlingOutcome = decision == .park ? .parked : .retried
        guard !replaced else { return outcome }
        // Parked in another database: this one's record says so too.
        let rejected = decision == .park ? envelope.with(MessageOutcomeStamp(.failed(details), start: failedStart(envelope, attempts))) : envelope
        do {
            try await transport.receiver.reject(rejected)
        } catch {
            log.error("Cannot remove the failed original; it will be delivered again: \(error)")
        }
        return outcome
    }

    /// Stores a retry or a parked copy; true when the receiver replaces the original with it
    /// atomically (the caller must not reject it then).
    private func store(_ replacement: Envelope, via sender: any Sender, replacing original: Envelope, from transport: WorkerTransport) async throws -> Bool {
        if let replacing = transport.receiver as? any ReplacingReceiver, try replacing.replace(original, with: replacement, via: sender) { return true }
        _ = try await sender.send(replacement)
        return false
    }

    /// Logs a failure's outcome in full when it is the first of its kind in this batch, at debug
    /// level otherwise (the digest sums those up).
    /// Dispatches a worker event on the bus for the application's handlers, handled at once in this
    /// process whatever the routing (a catch-all route would otherwise store it, and a stored event
    /// without handlers would be parked and announced again); one without handlers is not an error,
    /// and a failing handler never changes the message's own outcome.
    private func announce(_ event: some Message, log: MessageLog) async {
        do {
            try await bus.dispatch(Envelope(event, stamps: [ReceivedStamp(transportName: "worker")]))
        } catch let error as MessengerError where error.code == .noHandler {
            return
        } catch {
            log.warning("A handler of \(type(of: event).messageName) failed: \(error)")
        }
    }

    private func report(_ error: any Error, of envelope: Envelope, from transport: WorkerTransport, outcome: String, level: Logger.Level,
                        log: MessageLog, prelude: String?, _ line: String) {
        let kind = FailureDigest.Kind(transport: transport.name, messageType: envelope.messageName, reason: FailureClassification.reason(of: error),
                                      outcome: outcome, level: level)
        if digest.record(kind, id: envelope.last(TransportMessageIdStamp.self)?.id) {
            if let prelude { log.error("\(prelude)") }
            log.log(level, "\(line)")
        } else {
            if let prelude { log.debug("\(prelude)") }
            log.debug("\(line)")
        }
    }

    private func decodeAgain(_ undecodable: UndecodableMessage, keeping envelope: Envelope) -> Envelope? {
        guard let serializer, let decoded = try? serializer.decode(EncodedEnvelope(body: undecodable.body, headers: undecodable.headers)) else { return nil }
        return decoded.with(contentsOf: envelope.stamps.filter { !($0 is BusNameStamp) })
    }

    /// Runs `body` (the handling) so that an operator's cancellation of `entry` cancels it: in a task
    /// of its own, awaited here (the worker's own cancellation reaches it too), which the heartbeat
    /// cancels when asked. One task per message, nothing when the message has no record to ask by.
    private func cancellable<T: Sendable>(_ entry: InHandMessage?, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let entry else { return try await body() }
        // Started on this thread (no hop to another): a handler that does not suspend costs no switch.
        let handling = Task.immediate { try await body() }
        entry.onCancel { handling.cancel() }
        return try await withTaskCancellationHandler { try await handling.value } onCancel: { handling.cancel() }
    }

    /// Runs `body`, telling the transport every `keepaliveInterval` that the message is still in hand.
    private func withKeepalive<T: Sendable>(_ envelope: Envelope, on transport: WorkerTransport, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let interval = options.keepaliveInterval else { return try await body() }
        let receiver = transport.receiver
        let log = logger
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    do { try await receiver.keepalive(envelope) } catch { log.warning("Keepalive failed: \(error)") }
                }
                return nil
            }
            group.addTask { try await body() }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}

extension Worker {
    /// Handles one message outside the receive loop (e.g. `messenger:failed:retry`) and makes its
    /// outcome durable; true when it was handled. Throws when the outcome could not be stored.
    public func handleOne(_ envelope: Envelope, from transport: WorkerTransport) async throws -> Bool {
        let succeeded = await handle(envelope, from: transport)
        digest.summarize(to: logger)
        try await transport.receiver.flush()
        return succeeded
    }
}
