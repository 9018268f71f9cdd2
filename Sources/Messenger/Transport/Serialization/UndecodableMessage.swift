/// A stored message that could not be decoded: its raw text and why.
///
/// Workers never hand it to a handler: they park it in the failure transport, from which
/// `messenger:failed:retry` decodes the original again (after the fix is deployed).
public struct UndecodableMessage: Message, Equatable {
    public static let messageName = "Messenger.UndecodableMessage"
    public let body: String
    public let headers: String
    public let error: String

    public init(body: String, headers: String, error: String) {
        self.body = body
        self.headers = headers
        self.error = error
    }
}
