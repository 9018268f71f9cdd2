/// A message type that always belongs to an ordered group of its own choosing (e.g. its student):
/// dispatching it adds its `GroupStamp` unless the envelope carries one already.
public protocol GroupedMessage: Message {
    /// The group this message belongs to.
    var group: GroupStamp { get }
}
