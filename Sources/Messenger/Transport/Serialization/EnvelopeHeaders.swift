import Foundation

/// The headers column: `{"type": "<wire name>", "stamps": {"<stamp name>": [ ... ]}}`.
struct EnvelopeHeaders: Codable {
    static let stampTypesKey = CodingUserInfoKey(rawValue: "messenger.stampTypes")!

    var type: String
    var stamps: [any Stamp]

    init(type: String, stamps: [any Stamp]) {
        self.type = type
        self.stamps = stamps
    }

    private enum CodingKeys: String, CodingKey { case type, stamps }

    private struct NameKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        stamps = []
        guard container.contains(.stamps) else { return }
        let types = decoder.userInfo[Self.stampTypesKey] as? StampTypes ?? .builtIn
        let byName = try container.nestedContainer(keyedBy: NameKey.self, forKey: .stamps)
        // Stamps of types this process does not know are kept out of the envelope, not fatal.
        for key in byName.allKeys {
            guard let decode = types.decoders[key.stringValue] else { continue }
            var list: any UnkeyedDecodingContainer = try byName.nestedUnkeyedContainer(forKey: key)
            while !list.isAtEnd { stamps.append(try decode(&list)) }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        var groups: [(String, [any TransportableStamp])] = []
        for case let stamp as any TransportableStamp in stamps {
            let name = Swift.type(of: stamp).stampName
            if let index = groups.firstIndex(where: { $0.0 == name }) {
                groups[index].1.append(stamp)
            } else {
                groups.append((name, [stamp]))
            }
        }
        guard !groups.isEmpty else { return }
        var byName = container.nestedContainer(keyedBy: NameKey.self, forKey: .stamps)
        for (name, list) in groups {
            var items = byName.nestedUnkeyedContainer(forKey: NameKey(stringValue: name))
            for stamp in list { try items.encode(stamp) }
        }
    }
}
