import Foundation
import Logging

extension Worker {
    /// Handles one received message to its end: acked, retried, or parked. Returns true on success.
    func handle(_ received: Envelope, from transport: WorkerTransport) async -> Bool {
        var envelope = received.with(ReceivedStamp(transportName: transport.name))
        var log = MessageLog(logger: logger, metadata: ["transport": .string(transport.name), "message.type": .string(envelope.messageName)])
        if let id = envelope.last(TransportMessageIdStamp.self)?.id { log.metadata["message.id"] = .string(id) }

        if let undecodable = envelope.message as? UndecodableMessage {
            guard let decoded = decodeAgain(undecodable, keeping: envelope) else {
                log.error("Stored message cannot be decoded: \(undecodable.error)")
                await fail(envelope, error: MessengerError(.decodingFailed, undecodable.error), from: transport, log: log, forceUnrecoverable: true)
                return false
            }
            envelope = decoded
            log.metadata["message.type"] = .string(envelope.messageName)
        }

        let retries = envelope.last(RedeliveryStamp.self)?.retryCount ?? 0
        let deliveries = envelope.last(DeliveryCountStamp.self)?.count ?? 1
        if deliveries > 1 {
            let abandoned = AbandonedDeliveryError(deliveries: deliveries - 1)
            let attemptsSoFar = retries + deliveries - 1
            if !transport.retryStrategy.isRetryable(envelope, error: abandoned, failedAttempts: attemptsSoFar) {
                log.error("Message \(abandoned)")
                await fail(envelope, error: abandoned, from: transport, log: log, forceUnrecoverable: true)
                return false
            }
            log.warning("Message delivered again (delivery \(deliveries)): its previous worker stopped before acknowledging it")
        }

        log.info("Received message \(envelope.messageName)")
        let start = ContinuousClock.now
        let dispatched = envelope
        do {
            _ = try await withKeepalive(dispatched, on: transport) { try await self.bus.dispatch(dispatched) }
        } catch {
            await fail(envelope, error: error, from: transport, log: log, forceUnrecoverable: false)
            return false
        }
        do {
            try await transport.receiver.ack(envelope)
            log.info("Message \(envelope.messageName) handled in \(Self.milliseconds(ContinuousClock.now - start)) ms")
        } catch {
            log.error("Message handled but its acknowledgement failed; it will be delivered again: \(error)")
        }
        return true
    }

    /// Sends a failed message for a retry or to the failure transport, then rejects the original.
    /// When that send fails the original stays claimed, so that it is delivered again: never lost.
    private func fail(_ envelope: Envelope, error: any Error, from transport: WorkerTransport, log: MessageLog, forceUnrecoverable: Bool) async {
        let failedEnvelope = (error as? HandlerFailedError)?.envelope ?? envelope
        let retries = envelope.last(RedeliveryStamp.self)?.retryCount ?? 0
        let crashes = max(0, (envelope.last(DeliveryCountStamp.self)?.count ?? 1) - 1)
        let decision = forceUnrecoverable
            ? (transport.failureDestination == nil ? .discard : .park)
            : FailureDecision.decide(
                error: error, envelope: failedEnvelope, failedAttempts: retries + crashes + 1,
                strategy: transport.retryStrategy, hasFailureTransport: transport.failureDestination != nil)
        let base = failedEnvelope.withoutAll(DelayStamp.self).withoutAll(TransportNamesStamp.self)
        do {
            switch decision {
            case .retry(let delay):
                _ = try await transport.retrySender.send(base.with(RedeliveryStamp(retryCount: retries + 1), DelayStamp(milliseconds: delay)))
                log.warning("Error while handling message; retry \(retries + 1) in \(delay) ms: \(error)")
            case .park:
                guard let destination = transport.failureDestination else { return }
                let details = FailureClassification.details(of: error, transportName: transport.name)
                var parked = base.withoutAll(ErrorDetailsStamp.self).with(details)
                if parked.last(SentToFailureTransportStamp.self) == nil {
                    parked = parked.with(SentToFailureTransportStamp(originalTransportName: transport.name))
                }
                _ = try await destination.sender.send(parked)
                log.error("Message parked in failure transport \(destination.name) after \(retries + crashes + 1) attempt(s): \(error)")
            case .discard:
                log.critical("Message dropped after \(retries + crashes + 1) attempt(s): no failure transport is configured: \(error)")
            }
        } catch let sendError {
            log.error("Cannot store the failed message for a retry or in the failure transport; it stays claimed and will be delivered again: \(sendError)")
            return
        }
        do {
            try await transport.receiver.reject(envelope)
        } catch {
            log.error("Cannot remove the failed original; it will be delivered again: \(error)")
        }
    }

    private func decodeAgain(_ undecodable: UndecodableMessage, keeping envelope: Envelope) -> Envelope? {
        guard let serializer, let decoded = try? serializer.decode(EncodedEnvelope(body: undecodable.body, headers: undecodable.headers)) else { return nil }
        return decoded.with(contentsOf: envelope.stamps.filter { !($0 is BusNameStamp) })
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
    /// Handles one message outside the receive loop (e.g. `messenger:failed:retry`); true on success.
    public func handleOne(_ envelope: Envelope, from transport: WorkerTransport) async -> Bool {
        let succeeded = await handle(envelope, from: transport)
        do { try await transport.receiver.flush() } catch { logger.error("Cannot flush acknowledgements: \(error)") }
        return succeeded
    }
}
