/// A message type that is always deduplicated by its own key: dispatching it adds its
/// `DeduplicateStamp` unless the envelope carries one already.
public protocol DeduplicatedMessage: Message {
    /// The key (and its rules) that keeps a second such message from being stored while one is pending.
    var deduplication: DeduplicateStamp { get }
}
