import Messenger
import Testing

@Suite("Retry strategy")
struct RetryStrategyTests {
    @Test("Symfony's defaults: 3 retries, 1 s, ×2, no cap, 10 % jitter")
    func defaults() {
        #expect(MultiplierRetryStrategy() == MultiplierRetryStrategy(maxRetries: 3, delayMilliseconds: 1000, multiplier: 2, maxDelayMilliseconds: 0, jitter: 0.1))
    }

    @Test("delays grow by the multiplier and stop at max_delay")
    func delays() {
        let strategy = MultiplierRetryStrategy(maxRetries: 5, delayMilliseconds: 1000, multiplier: 3, maxDelayMilliseconds: 5000, jitter: 0)
        #expect((1...4).map { strategy.delay(forFailedAttempts: $0, random: 0) } == [1000, 3000, 5000, 5000])
    }

    @Test("a huge attempt count gives the longest delay, not an overflow")
    func longest() {
        #expect(MultiplierRetryStrategy(jitter: 0).delay(forFailedAttempts: 5000, random: 0) == MultiplierRetryStrategy.longestDelayMilliseconds)
    }

    @Test("jitter stays within its band")
    func jitter() {
        let strategy = MultiplierRetryStrategy(delayMilliseconds: 1000, jitter: 0.1)
        #expect(strategy.delay(forFailedAttempts: 1, random: -1) == 900)
        #expect(strategy.delay(forFailedAttempts: 1, random: 1) == 1100)
        for _ in 0..<100 {
            let wait = DelayStamp(strategy.waitingTime(Envelope(Notify(text: "")), error: PlainFailure(), failedAttempts: 2)).milliseconds
            #expect((1800...2200).contains(wait))
        }
    }

    @Test("retryable while the failed attempts do not exceed max_retries")
    func retryable() {
        let strategy = MultiplierRetryStrategy(maxRetries: 2)
        let envelope = Envelope(Notify(text: ""))
        #expect((1...3).map { strategy.isRetryable(envelope, error: PlainFailure(), failedAttempts: $0) } == [true, true, false])
    }

    @Test("unrecoverable errors park at once, recoverable ones retry past max_retries, no failure transport drops")
    func decisions() {
        let strategy = MultiplierRetryStrategy(maxRetries: 1, jitter: 0)
        let envelope = Envelope(Notify(text: ""))
        func decide(_ error: any Error, _ attempts: Int, failure: Bool = true) -> FailureDecision {
            FailureDecision.decide(error: error, envelope: envelope, failedAttempts: attempts, strategy: strategy, hasFailureTransport: failure)
        }
        #expect(decide(PlainFailure(), 1) == .retry(delayMilliseconds: 1000))
        #expect(decide(PlainFailure(), 2) == .park)
        #expect(decide(UnrecoverableMessageError("x"), 1) == .park)
        #expect(decide(RecoverableMessageError("x"), 50) == .retry(delayMilliseconds: MultiplierRetryStrategy.longestDelayMilliseconds))
        #expect(decide(PlainFailure(), 2, failure: false) == .discard)
        let wrapped = HandlerFailedError(envelope: envelope, failures: [.init(handlerName: "h", error: UnrecoverableMessageError("x"))])
        #expect(decide(wrapped, 1) == .park)
        let mixed = HandlerFailedError(envelope: envelope, failures: [
            .init(handlerName: "a", error: UnrecoverableMessageError("x")), .init(handlerName: "b", error: PlainFailure()),
        ])
        #expect(decide(mixed, 1) == .retry(delayMilliseconds: 1000))
    }
}
