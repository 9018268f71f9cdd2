/// The transportable stamp types a serializer can read back from headers.
public struct StampTypes: Sendable {
    /// Reads the next stamp of one type from the list of that type's stamps.
    typealias Decode = @Sendable (inout any UnkeyedDecodingContainer) throws -> any Stamp
    private(set) var decoders: [String: Decode] = [:]

    /// The stamps of the messenger itself.
    public static let builtIn: StampTypes = {
        var types = StampTypes()
        types.register(BusNameStamp.self)
        types.register(HandledStamp.self)
        types.register(RedeliveryStamp.self)
        types.register(ErrorDetailsStamp.self)
        types.register(SentToFailureTransportStamp.self)
        types.register(DeduplicateStamp.self)
        types.register(MessageIdStamp.self)
        types.register(PriorityStamp.self)
        types.register(GroupStamp.self)
        types.register(TraceContextStamp.self)
        return types
    }()

    /// No stamp types.
    public init() {}

    /// Makes an application's own transportable stamp readable.
    public mutating func register<S: TransportableStamp>(_ type: S.Type) {
        decoders[S.stampName] = { list in try list.decode(S.self) }
    }
}
