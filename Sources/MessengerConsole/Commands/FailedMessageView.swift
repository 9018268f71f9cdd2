import Foundation
import Messenger

/// A parked message as the failed-message commands show it.
struct FailedMessageView: Encodable {
    let id: String
    let type: String
    let failedAt: Date?
    let errorType: String?
    let error: String?
    let location: String?
    let originalTransport: String?
    let retries: Int
    /// The message body as JSON, for `failed:show ID`.
    let body: String?

    init(_ envelope: Envelope, serializer: JSONSerializer, withBody: Bool) {
        id = envelope.last(TransportMessageIdStamp.self)?.id ?? "?"
        let details = envelope.last(ErrorDetailsStamp.self)
        if let undecodable = envelope.message as? UndecodableMessage {
            type = "\(UndecodableMessage.messageName) (\(Self.storedType(undecodable.headers)))"
            body = withBody ? undecodable.body : nil
        } else {
            type = envelope.messageName
            body = withBody ? (try? serializer.encode(Envelope(envelope.message)).body) : nil
        }
        failedAt = details?.failedAt
        errorType = details?.errorType
        error = details?.message ?? (envelope.message as? UndecodableMessage)?.error
        location = details?.location
        originalTransport = envelope.last(SentToFailureTransportStamp.self)?.originalTransportName
        retries = envelope.last(RedeliveryStamp.self)?.retryCount ?? 0
    }

    /// The type named in raw headers, when they are readable enough to tell.
    private static func storedType(_ headers: String) -> String {
        guard let data = headers.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let type = object["type"] as? String else { return "unreadable headers" }
        return type
    }
}
