import Foundation

/// What a running worker tracks between iterations: counts, the local queue, batch sizing.
struct WorkerLoopState {
    struct Counts {
        var handled = 0
        var failed = 0
    }

    var run = Counts()
    /// Handlers started so far (the message limit counts them, so that no extra one starts).
    var started = 0
    /// Handlers in progress.
    var running = 0
    /// Claimed messages not started yet, with the index of their transport.
    var pending: [(Envelope, Int)] = []
    var sizer: BatchSizer
    var lastReceiver: Int?
    var consecutiveErrors = 0
    var tickPending = false
    let startedAt = ContinuousClock.now
    let startDate = Date()
    var lastStopSignalCheck = Date.distantPast
    private let limit: Int?
    /// The last claim, for sizing the next: how many, and when.
    private var lastClaim: (count: Int, at: ContinuousClock.Instant)?

    init(options: WorkerOptions) {
        sizer = BatchSizer(maximum: options.maxBatchSize)
        limit = options.limit
    }

    var reachedLimit: Bool { limit.map { started >= $0 } ?? false }

    /// Records a claimed batch; the time since the previous claim sizes the next one.
    mutating func claimed(_ batch: [Envelope], from index: Int) {
        let now = ContinuousClock.now
        if let last = lastClaim {
            let elapsed = now - last.at
            sizer.record(count: last.count, seconds: elapsed.seconds)
        }
        lastClaim = (batch.count, now)
        pending.append(contentsOf: batch.map { ($0, index) })
    }

    /// Nothing was claimed: the time until the next claim says nothing about handler speed.
    mutating func idle() { lastClaim = nil }

    mutating func takePending() -> [(Envelope, Int)] {
        defer { pending = [] }
        return pending
    }
}
