import Tracing

/// The trace context of the span that sent the message (W3C `traceparent` and `tracestate`, or
/// whatever the bootstrapped instrument propagates), so that the worker's `process` span joins the
/// sender's trace, in this process or another. Present only when an instrument is bootstrapped.
public struct TraceContextStamp: TransportableStamp, Equatable {
    public static let stampName = "Messenger.TraceContext"
    /// The propagated fields, as the instrument wrote them.
    public let fields: [String: String]

    /// A stamp carrying `fields`.
    public init(_ fields: [String: String]) { self.fields = fields }

    /// The context of the current span, or nil when the instrument propagates nothing (none is
    /// bootstrapped, say).
    public static func current() -> TraceContextStamp? {
        guard let context = ServiceContext.current else { return nil }
        var fields: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &fields, using: DictionaryInjector())
        return fields.isEmpty ? nil : TraceContextStamp(fields)
    }

    /// The sender's context, read by the bootstrapped instrument into a new top-level context.
    public var context: ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(fields, into: &context, using: DictionaryExtractor())
        return context
    }

    public init(from decoder: any Decoder) throws { fields = try [String: String](from: decoder) }
    public func encode(to encoder: any Encoder) throws { try fields.encode(to: encoder) }
}

extension Envelope {
    /// The envelope carrying the current span's context in place of any it had.
    public func withCurrentTraceContext() -> Envelope {
        guard let stamp = TraceContextStamp.current() else { return self }
        return withoutAll(TraceContextStamp.self).with(stamp)
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
