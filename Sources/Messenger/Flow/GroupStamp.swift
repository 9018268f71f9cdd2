/// Puts a message in an ordered group (e.g. a student's id): the messages of one group run one at a
/// time, in dispatch order, across every worker of a database transport; different groups run in
/// parallel. While a message of the group waits for its retry, the group waits with it, unless its
/// type's limits say `group_failure: continue`; a message parked in the failure transport leaves its
/// group. Kept through retries.
public struct GroupStamp: TransportableStamp, Equatable {
    public static let stampName = "Messenger.Group"
    /// The longest key, in characters.
    public static let maximumLength = 190

    /// The group's key: messages with the same key run one at a time, in dispatch order.
    public let key: String

    /// A stamp putting the message in group `key`.
    public init(_ key: String) { self.key = key }
}

extension Envelope {
    /// The ordered group the message belongs to, if any (`GroupStamp`).
    public var groupKey: String? { last(GroupStamp.self)?.key }
}
