import Foundation

/// Added each time a failed message is sent again for a retry.
public struct RedeliveryStamp: TransportableStamp, Equatable {
    public static let stampName = "Redelivery"
    /// How many retries this message has had, this one included.
    public let retryCount: Int
    /// When the retry was stored.
    public let redeliveredAt: Date

    /// Retry number `retryCount`, sent at `redeliveredAt`.
    public init(retryCount: Int, redeliveredAt: Date = Date()) {
        self.retryCount = retryCount
        self.redeliveredAt = redeliveredAt
    }
}
