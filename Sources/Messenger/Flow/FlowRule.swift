/// The limits of `config/messenger.yaml`'s `limits:` entry for one key: a message wire name, a
/// `Prefix.*`, or `queue:NAME`. A rule's budget is shared by everything it matches (`App.Apogee.*`
/// limits every Apogée call together); a message under several rules needs room in each.
public struct FlowRule: Sendable, Equatable {
    /// What a rule applies to.
    public enum Scope: Sendable, Equatable, Hashable {
        /// One message type, by wire name.
        case type(String)
        /// Every message type whose wire name starts with the prefix (`App.` for `App.*`).
        case prefix(String)
        /// Every message of a queue (`queue:async`).
        case queue(String)
    }

    /// What the rule applies to.
    public var scope: Scope
    /// The most messages it matches running at once, on every worker together.
    public var concurrency: Int?
    /// The most starts per interval, on every worker together.
    public var rateLimit: RateLimit?
    /// Whether a failed message of an ordered group holds its group while it waits for its retry
    /// (the default) or lets the next message of the group go first.
    public var holdsGroupOnFailure: Bool

    /// A rule over `scope`: at most `concurrency` running at once, at most `rateLimit` starts, and whether a failed group member holds its group until it is retried or parked.
    public init(_ scope: Scope, concurrency: Int? = nil, rateLimit: RateLimit? = nil, holdsGroupOnFailure: Bool = true) {
        self.scope = scope
        self.concurrency = concurrency
        self.rateLimit = rateLimit
        self.holdsGroupOnFailure = holdsGroupOnFailure
    }

    /// Reads a `limits:` key: `queue:NAME`, `Prefix.*` or a wire name; nil when malformed.
    public static func scope(parsing key: String) -> Scope? {
        if key.hasPrefix("queue:") {
            let queue = String(key.dropFirst("queue:".count))
            return queue.isEmpty ? nil : .queue(queue)
        }
        if key.hasSuffix(".*") {
            let prefix = String(key.dropLast())
            return prefix.count > 1 ? .prefix(prefix) : nil
        }
        return key.isEmpty || key.contains("*") ? nil : .type(key)
    }

    /// The key as written in `limits:`, and the name of its rate limit's bucket.
    public var key: String {
        switch scope {
        case .type(let name): name
        case .prefix(let prefix): prefix + "*"
        case .queue(let queue): "queue:" + queue
        }
    }

    /// Whether the rule applies to a message of `type` in `queue`.
    public func matches(type: String?, queue: String) -> Bool {
        switch scope {
        case .type(let name): type == name
        case .prefix(let prefix): type?.hasPrefix(prefix) == true
        case .queue(let name): queue == name
        }
    }

    /// Whether the rule restricts starts (a concurrency or a rate); a rule that only sets the group
    /// failure policy does not.
    public var limitsStarts: Bool { concurrency != nil || rateLimit != nil }

    /// What the rule allows, for `debug:messenger` and the stats: `concurrency 1, rate 10 per 1 s`.
    public var summary: String {
        var parts: [String] = []
        if let concurrency { parts.append("concurrency \(concurrency)") }
        if let rateLimit { parts.append("rate \(rateLimit)") }
        if !holdsGroupOnFailure { parts.append("groups go on past a failure") }
        return parts.joined(separator: ", ")
    }
}
