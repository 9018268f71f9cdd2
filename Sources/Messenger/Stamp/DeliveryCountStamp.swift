/// How many times a transport has delivered this stored message, this delivery included.
///
/// A count above one means an earlier worker claimed the message and never acknowledged it: it died.
public struct DeliveryCountStamp: Stamp, Equatable {
    public let count: Int
    public init(_ count: Int) { self.count = count }
}
