import CoreMetrics
import Foundation

/// The worker's instruments, per transport and message type. Without a metrics backend (the
/// default), nothing is looked up or measured.
struct WorkerMetrics: Sendable {
    /// False when no metrics backend was bootstrapped before the worker was made.
    let enabled = !(MetricsSystem.factory is NOOPMetricsHandler)

    struct Key: Hashable, Sendable {
        let transport: String
        let messageType: String
    }

    /// The instruments of one transport and message type, looked up once per attempt.
    struct Instruments: Sendable {
        let handled: [HandlingOutcome: Counter]
        let handling: CoreMetrics.Timer
        let wait: CoreMetrics.Timer
        let inFlight: Meter
    }

    private let instruments: InstrumentCache<Key, Instruments>
    private let failures = InstrumentCache<[String], Counter> { key in
        Counter(label: MessengerMetrics.messageFailures, dimensions: [("transport", key[0]), ("message_type", key[1]), ("error_type", key[2])])
    }

    init() {
        let inFlight = InstrumentCache<String, Meter> { transport in
            Meter(label: MessengerMetrics.messagesInFlight, dimensions: [("transport", transport)])
        }
        instruments = InstrumentCache { key in
            let labels = [("transport", key.transport), ("message_type", key.messageType)]
            return Instruments(
            handled: Dictionary(uniqueKeysWithValues: HandlingOutcome.allCases.map {
                ($0, Counter(label: MessengerMetrics.messagesHandled, dimensions: labels + [("outcome", $0.rawValue)]))
            }),
                handling: CoreMetrics.Timer(label: MessengerMetrics.handlingDuration, dimensions: labels, preferredDisplayUnit: .seconds),
                wait: CoreMetrics.Timer(label: MessengerMetrics.waitDuration, dimensions: labels, preferredDisplayUnit: .seconds),
                inFlight: inFlight[key.transport]
            )
        }
    }

    /// A handler starts: how long the message waited since it was due, and one more in flight.
    /// Returns the instruments for `ended` (nil without a backend).
    func started(_ envelope: Envelope, transport: String) -> Instruments? {
        guard enabled else { return nil }
        let set = instruments[Key(transport: transport, messageType: envelope.messageName)]
        set.inFlight.increment()
        if let due = envelope.last(AvailableAtStamp.self)?.date {
            set.wait.recordNanoseconds(Int64(max(0, Date().timeIntervalSince(due)) * 1e9))
        }
        return set
    }

    /// The attempt ended: its duration (from `started`, whose instruments are given then), outcome
    /// and, for a failure, the error's type.
    func ended(_ messageType: String, transport: String, instruments started: Instruments?, outcome: HandlingOutcome, after duration: Duration?,
               errorType: @autoclosure () -> String?) {
        guard enabled else { return }
        let set = started ?? instruments[Key(transport: transport, messageType: messageType)]
        if let duration, started != nil {
            set.inFlight.decrement()
            set.handling.recordNanoseconds(duration.wholeNanoseconds)
        }
        set.handled[outcome]?.increment()
        if let errorType = errorType() { failures[[transport, messageType, errorType]].increment() }
    }
}
