/// Maps messages to the transports they are sent to.
///
/// Keys are wire names (`App.SendMail`), prefixes ending in `*` (`App.*`), or `*` for every message.
/// The most specific key wins; a message matching no key is handled synchronously.
public struct SendersLocator: Sendable {
    /// The routing table as configured: key → transport names.
    public let routing: [String: [String]]
    private let senders: [String: any Sender]

    /// Routes by `routing` (a wire name, a `Prefix.*` or `*`, to transport names) to the `senders` by name.
    public init(routing: [String: [String]], senders: [String: any Sender]) {
        self.routing = routing
        self.senders = senders
    }

    /// The transport names a message is routed to, honouring `TransportNamesStamp`.
    public func transportNames(for envelope: Envelope) -> [String] {
        if let forced = envelope.last(TransportNamesStamp.self) { return forced.transportNames }
        return transportNames(forMessageName: envelope.messageName)
    }

    /// The transport names a message type is routed to by configuration.
    public func transportNames(forMessageName name: String) -> [String] {
        if let exact = routing[name] { return exact }
        let prefixMatch = routing.keys
            .filter { $0.count > 1 && $0.hasSuffix("*") && name.hasPrefix($0.dropLast()) }
            .max { $0.count < $1.count }
        if let prefixMatch { return routing[prefixMatch] ?? [] }
        return routing["*"] ?? []
    }

    /// The senders a message goes to, with their names.
    public func senders(for envelope: Envelope) throws -> [(String, any Sender)] {
        try transportNames(for: envelope).map { name in
            guard let sender = senders[name] else {
                throw MessengerError(.unknownTransport, "message \(envelope.messageName) is routed to unknown transport \"\(name)\"")
            }
            return (name, sender)
        }
    }
}
