import Foundation
import Synchronization

/// A wall clock that tests move by hand, for delays and redelivery timeouts without waiting.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    public var now: Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// The clock as the `now` closure transports take.
    public var closure: @Sendable () -> Date { { self.now } }
}
