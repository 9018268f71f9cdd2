import Foundation
import Scheduler

/// A scheduler clock moved by hand (its real-time mapping is the identity).
public struct ManualSchedulerClock: SchedulerClock {
    public let clock: TestClock
    public init(_ clock: TestClock) { self.clock = clock }
    public func now() -> Date { clock.now }
    public func realDate(for date: Date) -> Date { date }
}
