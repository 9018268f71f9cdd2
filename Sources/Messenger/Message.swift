/// A command or event carried by the bus: a plain `Codable` value with a stable wire name.
///
/// The wire name (for example `App.SendMail`) is what a stored row records, so renaming or moving the
/// Swift type does not strand messages already waiting in a transport.
public protocol Message: Codable, Sendable {
    /// The stable name written into transport headers and used for routing.
    static var messageName: String { get }
}

extension Message {
    /// The wire name of this value's type.
    public var messageName: String { Self.messageName }
}
