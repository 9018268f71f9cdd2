/// A message as stored: a body and headers, both text.
public struct EncodedEnvelope: Sendable, Equatable {
    /// The message, as text.
    public var body: String
    /// The type and stamps, as a JSON object.
    public var headers: String

    /// A stored message's `body` and `headers`.
    public init(body: String, headers: String) {
        self.body = body
        self.headers = headers
    }
}

/// Turns envelopes into stored text and back.
public protocol Serializer: Sendable {
    /// The envelope as a stored body and headers.
    func encode(_ envelope: Envelope) throws -> EncodedEnvelope
    /// Decodes a stored message; throws `MessengerError.decodingFailed` naming what could not be read.
    func decode(_ encoded: EncodedEnvelope) throws -> Envelope
}

extension Serializer {
    /// Decodes a stored message, or wraps it whole in an `UndecodableMessage` that keeps the raw text
    /// and the error, so that it can be parked in the failure transport instead of being lost.
    public func decodeOrQuarantine(_ encoded: EncodedEnvelope) -> Envelope {
        do {
            return try decode(encoded)
        } catch {
            return Envelope(UndecodableMessage(body: encoded.body, headers: encoded.headers, error: String(describing: error)))
        }
    }
}
