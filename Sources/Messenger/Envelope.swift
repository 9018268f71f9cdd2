/// A message together with the stamps that describe its journey through the bus.
///
/// Envelopes are values: every `with`/`without` returns a new envelope, so middleware can never
/// change what another part of the stack already holds.
public struct Envelope: Sendable {
    /// The message being dispatched or handled.
    public let message: any Message
    /// Every stamp, oldest first.
    public private(set) var stamps: [any Stamp]

    /// An envelope around `message` with `stamps`, in the order given.
    public init(_ message: any Message, stamps: [any Stamp] = []) {
        self.message = message
        self.stamps = stamps
    }

    /// The wire name of the carried message.
    public var messageName: String { type(of: message).messageName }

    /// A copy with the given stamps appended.
    public func with(_ added: any Stamp...) -> Envelope { with(contentsOf: added) }

    /// A copy with the given stamps appended.
    public func with(contentsOf added: [any Stamp]) -> Envelope {
        var copy = self
        copy.stamps.append(contentsOf: added)
        return copy
    }

    /// A copy with every stamp of the given type removed.
    public func withoutAll<S: Stamp>(_ type: S.Type) -> Envelope {
        var copy = self
        copy.stamps.removeAll { $0 is S }
        return copy
    }

    /// The most recently added stamp of the given type.
    public func last<S: Stamp>(_ type: S.Type) -> S? {
        for stamp in stamps.reversed() { if let match = stamp as? S { return match } }
        return nil
    }

    /// All stamps of the given type, oldest first.
    public func all<S: Stamp>(_ type: S.Type) -> [S] {
        stamps.compactMap { $0 as? S }
    }
}
