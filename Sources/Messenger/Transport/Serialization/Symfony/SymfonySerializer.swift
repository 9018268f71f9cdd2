import Foundation

/// Symfony Messenger's JSON wire format (its `messenger.transport.symfony_serializer`), so that a PHP
/// Symfony application and this project share a queue.
///
/// The body is the message's JSON; the headers are a JSON object with `type` (the message's PHP
/// class, through a ``SymfonyTypeMap``), one `X-Message-Stamp-<PHP class>` header per kind of
/// Symfony stamp (a JSON array as text) and `Content-Type: application/json`. Stamps both sides have
/// are mapped both ways: bus name, delay, redelivery, error details, sent to the failure transport,
/// handled, transport message id.
/// Symfony stamps without a counterpart here are kept (``SymfonyHeaderStamp``) and written back
/// unchanged. This project's other stamps go in one header of their own, `X-Messenger-Stamps` (the
/// same object as the JSON serializer's `stamps`): Symfony fails on an `X-Message-Stamp-` header
/// whose class it does not have, and ignores other headers (a message that Symfony writes again loses
/// them). It also reads what the JSON serializer wrote (a table this project kept before it was shared).
public final class SymfonySerializer: Serializer {
    /// The message types it decodes.
    public let registry: MessageRegistry
    /// PHP classes ↔ wire names.
    public let typeMap: SymfonyTypeMap
    private let json: JSONSerializer

    /// The header of this project's own stamps.
    public static let ownStampsHeader = "X-Messenger-Stamps"
    static let stampPrefix = "X-Message-Stamp-"

    /// A serializer of the types in `registry`, named in PHP through `typeMap`.
    public init(registry: MessageRegistry, typeMap: SymfonyTypeMap, stampTypes: StampTypes = .builtIn) {
        self.registry = registry
        self.typeMap = typeMap
        json = JSONSerializer(registry: registry, stampTypes: stampTypes)
    }

    public func encode(_ envelope: Envelope) throws -> EncodedEnvelope {
        if let undecodable = envelope.message as? UndecodableMessage { return try encodeAgain(undecodable, stamps: envelope.stamps) }
        guard let phpClass = typeMap.phpClass(forWireName: envelope.messageName) else {
            throw MessengerError(.encodingFailed, "message type \(envelope.messageName) has no PHP class in the transport's type_map")
        }
        // The JSON serializer's body, and its stamps object for the stamps Symfony has no class for.
        let own = try json.encode(Envelope(envelope.message, stamps: envelope.stamps.filter { !SymfonyStamps.isMapped($0) }))
        var headers: [(String, String)] = [("type", phpClass)]
        headers += try SymfonyStamps.headers(for: envelope.stamps)
        if let stamps = try Self.object(own.headers)["stamps"] {
            headers.append((Self.ownStampsHeader, try Self.text(stamps)))
        }
        headers += envelope.all(SymfonyHeaderStamp.self).map { ($0.name, $0.value) }
        headers.append(("Content-Type", "application/json"))
        return EncodedEnvelope(body: own.body, headers: try Self.orderedObject(headers))
    }

    public func decode(_ encoded: EncodedEnvelope) throws -> Envelope {
        let headers: [String: Any]
        do {
            headers = try Self.object(encoded.headers)
        } catch {
            throw MessengerError(.decodingFailed, "cannot decode message headers: \(JSONSerializer.describe(error, in: encoded.headers))")
        }
        guard let phpClass = headers["type"] as? String else {
            throw MessengerError(.decodingFailed, "cannot decode message headers: no \"type\" header")
        }
        // A row this project's JSON serializer wrote (before the transport was shared): its own type name.
        if typeMap.wireName(forClass: phpClass) == nil, registry.types[phpClass] != nil || JSONSerializer.builtInTypes[phpClass] != nil {
            return try json.decode(encoded)
        }
        guard let wireName = typeMap.wireName(forClass: phpClass) else {
            throw MessengerError(.unknownMessageType, "unknown message type \"\(phpClass)\": no type_map entry maps this PHP class to a message type of this application")
        }
        var own = "{\"type\":" + (try Self.text(wireName))
        if let stamps = headers[Self.ownStampsHeader] as? String { own += ",\"stamps\":" + stamps }
        let decoded = try json.decode(EncodedEnvelope(body: encoded.body, headers: own + "}"))
        var stamps = decoded.stamps
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) where name.hasPrefix(Self.stampPrefix) {
            guard let text = value as? String else { continue }
            let mapped = try SymfonyStamps.stamps(header: name, value: text, alongside: stamps)
            stamps += mapped ?? [SymfonyHeaderStamp(name: name, value: text)]
        }
        return Envelope(decoded.message, stamps: stamps)
    }

    /// A message this side could not decode (a PHP class without a mapping, say), parked: its own body
    /// and headers as stored, so that Symfony still reads it as its class, with the headers of the
    /// stamps added here (the error, the failure transport) in place of those of the same kind.
    private func encodeAgain(_ undecodable: UndecodableMessage, stamps: [any Stamp]) throws -> EncodedEnvelope {
        var headers = (try? Self.object(undecodable.headers)) ?? [:]
        for (name, value) in try SymfonyStamps.headers(for: stamps) { headers[name] = value }
        if let added = try Self.object(try json.encode(Envelope(undecodable, stamps: stamps.filter { !SymfonyStamps.isMapped($0) })).headers)["stamps"] as? [String: Any] {
            let stored = (headers[Self.ownStampsHeader] as? String).flatMap { try? Self.object($0) } ?? [:]
            headers[Self.ownStampsHeader] = try Self.text(stored.merging(added) { _, new in new })
        }
        let type = headers.removeValue(forKey: "type")
        let pairs = headers.sorted { $0.key < $1.key }.compactMap { pair in (pair.value as? String).map { (pair.key, $0) } }
        return EncodedEnvelope(body: undecodable.body, headers: try Self.orderedObject(((type as? String).map { [("type", $0)] } ?? []) + pairs))
    }

    static func object(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw MessengerError(.decodingFailed, "expected a JSON object")
        }
        return object
    }

    /// Any JSON value as compact text.
    static func text(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes, .sortedKeys]), as: UTF8.self)
    }

    /// A JSON object of string values, in the given order (as Symfony writes its headers).
    static func orderedObject(_ pairs: [(String, String)]) throws -> String {
        "{" + (try pairs.map { try text($0.0) + ":" + text($0.1) }).joined(separator: ",") + "}"
    }
}
