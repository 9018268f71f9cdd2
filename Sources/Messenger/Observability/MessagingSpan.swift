import Tracing

/// The OpenTelemetry messaging conventions' names, as the messenger's spans carry them.
public enum MessagingSpan {
    /// `messaging.system` of every span.
    public static let system = "messenger"

    /// True when a tracer is bootstrapped: without one the messenger makes no span at all.
    static var isTracing: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// Sets what a `send` or `process` span says of its message.
    static func describe(_ span: any Span, operation: String, destination: String, envelope: Envelope) {
        span.attributes["messaging.system"] = system
        span.attributes["messaging.operation.type"] = operation
        span.attributes["messaging.operation.name"] = operation
        span.attributes["messaging.destination.name"] = destination
        if let id = envelope.messageId { span.attributes["messaging.message.id"] = id }
        span.attributes["messenger.message.type"] = envelope.messageName
    }
}
