/// Every limit of `config/messenger.yaml`'s `limits:` section, enforced by the database transports
/// across all their workers: concurrency and rate per message type, prefix or queue. Ordered groups
/// (`GroupStamp`) need no configuration.
public struct FlowLimits: Sendable, Equatable {
    /// The rules, in configuration order.
    public var rules: [FlowRule]

    /// Limits made of `rules` (none: nothing is limited).
    public init(_ rules: [FlowRule] = []) { self.rules = rules }

    /// True when no rule limits anything.
    public var isEmpty: Bool { rules.isEmpty }

    /// The rules that restrict the starts of a message of `type` in `queue`.
    public func rules(forType type: String?, queue: String) -> [FlowRule] {
        rules.filter { $0.limitsStarts && $0.matches(type: type, queue: queue) }
    }

    /// Whether a message goes through the flow-controlled claim: it is in a group, or a rule limits it.
    public func controls(type: String, queue: String, grouped: Bool) -> Bool {
        grouped || rules.contains { $0.limitsStarts && $0.matches(type: type, queue: queue) }
    }

    /// Whether a failed message of `type` in an ordered group holds the group while it waits for its
    /// retry: yes unless a rule matching it says `group_failure: continue`.
    public func holdsGroupOnFailure(type: String, queue: String) -> Bool {
        !rules.contains { !$0.holdsGroupOnFailure && $0.matches(type: type, queue: queue) }
    }

    /// The keys of the rules that put messages under flow control, as a table remembers them: when
    /// they change, waiting messages stored before are brought under the new rules.
    public var controlledKeys: String { rules.filter(\.limitsStarts).map(\.key).sorted().joined(separator: "\n") }

    /// The rules that limit starts in any of `queues` (type and prefix rules, and those queues' own).
    public func startRules(forQueues queues: [String]) -> [FlowRule] {
        rules.filter { rule in
            guard rule.limitsStarts else { return false }
            if case .queue(let name) = rule.scope { return queues.contains(name) }
            return true
        }
    }
}
