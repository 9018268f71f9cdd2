/// Which PHP class of a Symfony application stands for which message type here (`type_map`).
///
/// An entry maps a class (`App\Message\SendMail: App.SendMail`); an entry whose class ends with `\`
/// maps a namespace prefix (`App\Message\: App.` maps `App\Message\SendMail` to `App.SendMail` and
/// back). Exact entries win over prefixes, longer prefixes over shorter ones.
public struct SymfonyTypeMap: Sendable, Equatable {
    /// Class → wire name, as configured.
    public let entries: [String: String]

    /// A map of `entries` (PHP class or namespace prefix ending in `\` → wire name or prefix).
    public init(_ entries: [String: String]) {
        self.entries = entries
    }

    private var prefixes: [(php: String, wire: String)] {
        entries.filter { $0.key.hasSuffix("\\") }.map { (php: $0.key, wire: $0.value) }.sorted { $0.php.count > $1.php.count }
    }

    /// The wire name of a PHP class; nil when no entry maps it.
    public func wireName(forClass phpClass: String) -> String? {
        if let exact = entries[phpClass], !phpClass.hasSuffix("\\") { return exact }
        guard let rule = prefixes.first(where: { phpClass.hasPrefix($0.php) }) else { return nil }
        return rule.wire + phpClass.dropFirst(rule.php.count)
    }

    /// The PHP class of a wire name; nil when no entry maps it.
    public func phpClass(forWireName name: String) -> String? {
        if let exact = entries.first(where: { !$0.key.hasSuffix("\\") && $0.value == name }) { return exact.key }
        let rules = prefixes.filter { name.hasPrefix($0.wire) }.sorted { $0.wire.count > $1.wire.count }
        guard let rule = rules.first else { return nil }
        return rule.php + name.dropFirst(rule.wire.count)
    }
}
