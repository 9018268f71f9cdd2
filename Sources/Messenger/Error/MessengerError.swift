/// An error raised by the messenger itself (not by a handler): a code to match on and a sentence to read.
public struct MessengerError: Error, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case noHandler
        case handlerTypeMismatch
        case unknownTransport
        case unknownMessageType
        case invalidDSN
        case unsupportedDSNScheme
        case invalidOption
        case decodingFailed
        case encodingFailed
        case transportFailure
        case notSupported
        case deferredDispatchFailed
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
