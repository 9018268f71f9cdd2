import Foundation

/// Stores the message as JSON in the body and its type and transportable stamps as JSON in the headers.
///
/// Dates in messages are ISO 8601 with fractional seconds, so that a shell user can write them.
public final class JSONSerializer: Serializer {
    /// The message types it decodes.
    public let registry: MessageRegistry
    /// The stamp types it reads back from headers.
    public let stampTypes: StampTypes
    private let bodyEncoder: JSONEncoder
    private let bodyDecoder: JSONDecoder
    private let headersEncoder: JSONEncoder
    private let headersDecoder: JSONDecoder

    /// A serializer of the types in `registry`, reading back the stamps of `stampTypes`.
    public init(registry: MessageRegistry, stampTypes: StampTypes = .builtIn) {
        self.registry = registry
        self.stampTypes = stampTypes
        bodyEncoder = JSONEncoder()
        bodyEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        bodyEncoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        bodyDecoder = JSONSerializer.makeMessageDecoder()
        headersEncoder = JSONEncoder()
        headersEncoder.outputFormatting = [.withoutEscapingSlashes]
        headersEncoder.dateEncodingStrategy = .millisecondsSince1970
        headersDecoder = JSONDecoder()
        headersDecoder.dateDecodingStrategy = .millisecondsSince1970
        headersDecoder.userInfo[EnvelopeHeaders.stampTypesKey] = stampTypes
    }

    /// Message types every serializer reads, whatever the application registered.
    static let builtInTypes: [String: MessageRegistry.MessageType] = {
        var registry = MessageRegistry()
        registry.register(UndecodableMessage.self)
        return registry.types
    }()

    /// A decoder for message bodies: ISO 8601 dates, with or without fractional seconds.
    public static func makeMessageDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date, got \"\(text)\"")
        }
        return decoder
    }

    /// The message as JSON, with its type and transportable stamps as headers.
    public func encode(_ envelope: Envelope) throws -> EncodedEnvelope {
        do {
            let body = try bodyEncoder.encode(envelope.message)
            let headers = try headersEncoder.encode(EnvelopeHeaders(type: envelope.messageName, stamps: envelope.stamps))
            return EncodedEnvelope(body: String(decoding: body, as: UTF8.self), headers: String(decoding: headers, as: UTF8.self))
        } catch {
            throw MessengerError(.encodingFailed, "cannot encode message \(envelope.messageName): \(error)")
        }
    }

    public func decode(_ encoded: EncodedEnvelope) throws -> Envelope {
        let headers: EnvelopeHeaders
        do {
            headers = try headersDecoder.decode(EnvelopeHeaders.self, from: Data(encoded.headers.utf8))
        } catch {
            throw MessengerError(.decodingFailed, "cannot decode message headers: \(Self.describe(error, in: encoded.headers))")
        }
        guard let type = registry.types[headers.type] ?? Self.builtInTypes[headers.type] else {
            throw MessengerError(.unknownMessageType, "unknown message type \"\(headers.type)\": no such type is registered in this application")
        }
        do {
            let message = try type.decode(Data(encoded.body.utf8), bodyDecoder)
            return Envelope(message, stamps: headers.stamps)
        } catch {
            throw MessengerError(.decodingFailed, "cannot decode the body of a \(headers.type) message: \(Self.describe(error, in: encoded.body))")
        }
    }

    /// Decodes a message of a named type from JSON text, as `messenger:dispatch` does.
    public func decodeMessage(named name: String, json: String) throws -> any Message {
        guard let type = registry.types[name] else {
            let known = registry.types.keys.sorted().joined(separator: ", ")
            throw MessengerError(.unknownMessageType, "unknown message type \"\(name)\"; known types: \(known.isEmpty ? "none" : known)")
        }
        do {
            return try type.decode(Data(json.utf8), bodyDecoder)
        } catch {
            throw MessengerError(.decodingFailed, "the JSON does not decode into \(name): \(Self.describe(error, in: json))")
        }
    }

    /// The deepest nesting of arrays and objects Foundation's JSON parser reads.
    static let maximumNesting = 512

    /// A one-line account of a decoding error of `text`: what, and where in the document. A document
    /// nested deeper than the parser reads is said to be so, not "not valid JSON".
    public static func describe(_ error: any Error, in text: String) -> String {
        if case .dataCorrupted(let context)? = error as? DecodingError, context.codingPath.isEmpty, nesting(of: text) > maximumNesting {
            return "the JSON is nested more than \(maximumNesting) levels deep (arrays or objects within each other); it cannot be read"
        }
        return describe(error)
    }

    /// The deepest nesting of arrays and objects in a JSON text (strings skipped).
    static func nesting(of text: String) -> Int {
        var (depth, deepest, inString, escaped) = (0, 0, false, false)
        for byte in text.utf8 {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// A one-line account of a decoding error: what, and where in the document.
    public static func describe(_ error: any Error) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "the top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "missing key \"\(key.stringValue)\" at \(path(context.codingPath))"
        case .typeMismatch(let type, let context):
            return "expected \(type) at \(path(context.codingPath)): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "missing \(type) value at \(path(context.codingPath))"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return "invalid data at \(path(context.codingPath)): \(context.debugDescription)\(underlying)"
        @unknown default:
            return String(describing: error)
        }
    }
}
