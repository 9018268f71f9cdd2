import Foundation

/// The handlers' result as stored in a status record: the JSON of the `Encodable` value a handler
/// returned (an object keyed by handler name when several did), capped in size.
enum HandlerResult {
    /// Results larger than this are replaced by a note of their size.
    static let maximumBytes = 64 * 1024

    static func json(of envelope: Envelope) -> String? {
        let results = envelope.all(HandledStamp.self).compactMap { stamp -> (String, any Encodable)? in
            guard let value = stamp.result as? any Encodable else { return nil }
            return (stamp.handlerName, value)
        }
        guard !results.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data?
        if results.count == 1 {
            data = try? encoder.encode(AnyEncodable(results[0].1))
        } else {
            data = try? encoder.encode(Dictionary(results.map { ($0.0, AnyEncodable($0.1)) }, uniquingKeysWith: { first, _ in first }))
        }
        guard let data else { return nil }
        guard data.count <= maximumBytes else { return #"{"truncated":true,"bytes":\#(data.count)}"# }
        return String(decoding: data, as: UTF8.self)
    }

    private struct AnyEncodable: Encodable {
        let value: any Encodable
        init(_ value: any Encodable) { self.value = value }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }
}
