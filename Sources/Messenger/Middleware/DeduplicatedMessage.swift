/// A message type that is always deduplicated by its own key: dispatching it adds its
/// `DeduplicateStamp` unless the envelope carries one already.
public protocol DeduplicatedMessage: Message {
    var deduplication: DeduplicateStamp { get }
}
