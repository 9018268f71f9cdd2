/// Exponential back-off: `delay × multiplier^(attempt − 1)`, capped by `maxDelay`, spread by `jitter`.
///
/// The defaults are Symfony's: 3 retries, 1 s, ×2, no cap, ±10 %.
public struct MultiplierRetryStrategy: RetryStrategy, Equatable {
    /// How many times a failed message is retried before it is parked.
    public var maxRetries: Int
    /// The first delay, in milliseconds.
    public var delayMilliseconds: Int
    /// What each retry's delay is multiplied by.
    public var multiplier: Double
    /// The longest delay in milliseconds; 0 means no cap.
    public var maxDelayMilliseconds: Int
    /// The share of the delay added or removed at random, from 0 to 1.
    public var jitter: Double

    /// No retry waits longer than a year, whatever the multiplier and the attempt.
    public static let longestDelayMilliseconds = 31_536_000_000

    /// Retries up to `maxRetries` times, waiting `delayMilliseconds × multiplier^(retry − 1)`, capped by `maxDelayMilliseconds` (none when 0), ± `jitter` (a fraction).
    public init(maxRetries: Int = 3, delayMilliseconds: Int = 1000, multiplier: Double = 2, maxDelayMilliseconds: Int = 0, jitter: Double = 0.1) {
        self.maxRetries = maxRetries
        self.delayMilliseconds = delayMilliseconds
        self.multiplier = multiplier
        self.maxDelayMilliseconds = maxDelayMilliseconds
        self.jitter = jitter
    }

    public func isRetryable(_ envelope: Envelope, error: any Error, failedAttempts: Int) -> Bool {
        failedAttempts <= maxRetries
    }

    public func waitingTime(_ envelope: Envelope, error: any Error, failedAttempts: Int) -> Duration {
        .milliseconds(delay(forFailedAttempts: failedAttempts, random: Double.random(in: -1...1)))
    }

    /// The delay in milliseconds, with `random` in −1...1 choosing where in the jitter band it falls.
    public func delay(forFailedAttempts failedAttempts: Int, random: Double) -> Int {
        var delay = Double(delayMilliseconds) * Foundation.pow(multiplier, Double(max(0, failedAttempts - 1)))
        delay = min(delay, Double(Self.longestDelayMilliseconds))
        if maxDelayMilliseconds > 0 { delay = min(delay, Double(maxDelayMilliseconds)) }
        delay += delay * jitter * random
        if maxDelayMilliseconds > 0 { delay = min(delay, Double(maxDelayMilliseconds)) }
        return Int(min(Double(Self.longestDelayMilliseconds), max(0, delay.rounded())))
    }
}

import Foundation
