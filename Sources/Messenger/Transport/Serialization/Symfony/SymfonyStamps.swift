import Foundation

/// The stamps both Symfony Messenger and this project have, as Symfony's headers and back.
enum SymfonyStamps {
    static let namespace = "Symfony\\Component\\Messenger\\Stamp\\"

    /// Whether a stamp travels in a Symfony header of its own.
    static func isMapped(_ stamp: any Stamp) -> Bool {
        stamp is BusNameStamp || stamp is RedeliveryStamp || stamp is SentToFailureTransportStamp || stamp is DelayStamp || stamp is SymfonyHeaderStamp
            || stamp is HandledStamp || stamp is TransportMessageIdStamp
    }

    /// Symfony's headers for the stamps it knows, each kind in one header (a JSON array as text).
    /// Error details go both ways: Symfony's header, and this project's own (which keeps where and when).
    static func headers(for stamps: [any Stamp]) throws -> [(String, String)] {
        var headers: [(String, String)] = []
        func add(_ name: String, _ items: [[String: Any]]) throws {
            guard !items.isEmpty else { return }
            headers.append((SymfonySerializer.stampPrefix + namespace + name, try SymfonySerializer.text(items)))
        }
        try add("BusNameStamp", stamps.compactMap { $0 as? BusNameStamp }.map { ["busName": $0.busName] })
        try add("DelayStamp", stamps.compactMap { $0 as? DelayStamp }.map { ["delay": $0.milliseconds] })
        try add("RedeliveryStamp", stamps.compactMap { $0 as? RedeliveryStamp }.map {
            ["retryCount": $0.retryCount, "exceptionMessage": NSNull(), "flattenException": NSNull(), "redeliveredAt": phpDate($0.redeliveredAt)]
        })
        try add("ErrorDetailsStamp", stamps.compactMap { $0 as? ErrorDetailsStamp }.map {
            ["exceptionClass": $0.errorType, "exceptionCode": 0, "exceptionMessage": $0.message, "flattenException": NSNull()]
        })
        try add("SentToFailureTransportStamp", stamps.compactMap { $0 as? SentToFailureTransportStamp }.map { ["originalReceiverName": $0.originalTransportName] })
        // Handlers that already ran (by name; a result stays in memory), and the id the message had in
        // the transport it was last received from (Doctrine's row ids are integers).
        try add("HandledStamp", stamps.compactMap { $0 as? HandledStamp }.map { ["result": NSNull(), "handlerName": $0.handlerName] })
        try add("TransportMessageIdStamp", stamps.compactMap { $0 as? TransportMessageIdStamp }.suffix(1).map { ["id": Int($0.id).map { $0 as Any } ?? $0.id] })
        return headers
    }

    /// The stamps of a Symfony stamp header this project has; nil for a class it does not have.
    /// Error details already read from this project's own header are not read twice.
    static func stamps(header: String, value: String, alongside known: [any Stamp]) throws -> [any Stamp]? {
        let items: [[String: Any]]
        do {
            guard let array = try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [[String: Any]] else { return nil }
            items = array
        } catch {
            throw MessengerError(.decodingFailed, "cannot decode stamp header \(header): \(JSONSerializer.describe(error, in: value))")
        }
        switch header.dropFirst(SymfonySerializer.stampPrefix.count) {
        case namespace + "BusNameStamp":
            return items.compactMap { ($0["busName"] as? String).map { BusNameStamp($0) } }
        case namespace + "DelayStamp":
            return items.compactMap { ($0["delay"] as? NSNumber).map { DelayStamp(milliseconds: $0.intValue) } }
        case namespace + "RedeliveryStamp":
            return items.compactMap { item in
                (item["retryCount"] as? NSNumber).map { RedeliveryStamp(retryCount: $0.intValue, redeliveredAt: (item["redeliveredAt"] as? String).flatMap(date) ?? Date()) }
            }
        case namespace + "ErrorDetailsStamp":
            if known.contains(where: { $0 is ErrorDetailsStamp }) { return [] }
            return items.map {
                ErrorDetailsStamp(errorType: $0["exceptionClass"] as? String ?? "Exception", message: $0["exceptionMessage"] as? String ?? "",
                                  location: "a Symfony worker")
            }
        case namespace + "HandledStamp":
            return items.compactMap { ($0["handlerName"] as? String).map { HandledStamp(handlerName: $0) } }
        case namespace + "TransportMessageIdStamp":
            return items.compactMap { item in
                (item["id"] as? String).map(TransportMessageIdStamp.init) ?? (item["id"] as? NSNumber).map { TransportMessageIdStamp($0.stringValue) }
            }
        case namespace + "SentToFailureTransportStamp":
            return items.compactMap { ($0["originalReceiverName"] as? String).map(SentToFailureTransportStamp.init(originalTransportName:)) }
        default:
            return nil
        }
    }

    /// PHP's `DateTimeInterface::RFC3339` in UTC, as Symfony's serializer writes dates.
    static func phpDate(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)).replacingOccurrences(of: "Z", with: "+00:00")
    }

    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
