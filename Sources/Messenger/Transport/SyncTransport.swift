/// `sync://`: a routed message is handled at once in the dispatching process, as if not routed.
public struct SyncTransport: Transport {
    /// The transport.
    public init() {}

    public func send(_ envelope: Envelope) async throws -> Envelope {
        throw MessengerError(.notSupported, "the sync transport handles messages in the bus; it does not store them")
    }
    public func get(limit: Int) async throws -> [Envelope] { [] }
    public func ack(_ envelope: Envelope) async throws {}
    public func reject(_ envelope: Envelope) async throws {}
}
