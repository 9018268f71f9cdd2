/// A stored message that could not be decoded: its raw text and why.
///
/// Workers never hand it to a handler: they park it in the failure transport, from which
/// `messenger:failed:retry` decodes the original again (after the fix is deployed).
public struct UndecodableMessage: Message, Equatable {
    public static let messageName = "Messenger.UndecodableMessage"
    /// The stored body, as it is.
    public let body: String
    /// The stored headers, as they are.
    public let headers: String
    /// Why it could not be decoded.
    public let error: String

    /// A stored message that could not be decoded, and why.
    public init(body: String, headers: String, error: String) {
        self.body = body
        self.headers = headers
        self.error = error
    }
}
