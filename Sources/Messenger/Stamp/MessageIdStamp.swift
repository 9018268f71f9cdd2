import Foundation

/// The message's public id: a UUID given at dispatch that stays the same through retries,
/// redeliveries and a stay in the failure transport. Its status record is found by it.
///
/// New ids are version 7 (RFC 9562): they begin with the time in milliseconds, so the records of
/// messages dispatched close together sit close together in the records' primary-key index, and
/// writing them touches few pages however large the history grows.
public struct MessageIdStamp: TransportableStamp, Equatable {
    public static let stampName = "Messenger.MessageId"
    /// The id (a UUID in lower-case text).
    public let id: String

    /// A stamp with `id`, a new time-ordered one by default.
    public init(_ id: String = MessageIdStamp.timeOrderedId()) { self.id = id }

    /// A version 7 UUID for `date`, in lower-case text.
    public static func timeOrderedId(at date: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var random = SystemRandomNumberGenerator()
        var bytes = (UInt64(0), UInt64(0))
        bytes.0 = milliseconds << 16 | 0x7000 | (random.next() & 0x0FFF)
        bytes.1 = 0x8000_0000_0000_0000 | (random.next() & 0x3FFF_FFFF_FFFF_FFFF)
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, word) in [bytes.0, bytes.1].enumerated() {
            for nibble in 0..<16 {
                let position = index * 16 + nibble
                if position == 8 || position == 12 || position == 16 || position == 20 { text.append(UInt8(ascii: "-")) }
                text.append(digits[Int((word >> UInt64(60 - 4 * nibble)) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension Envelope {
    /// The message's public id (`MessageIdStamp`), nil for a message stored before ids existed.
    public var messageId: String? { last(MessageIdStamp.self)?.id }
}
