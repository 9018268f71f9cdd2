import Dispatch

/// A serial executor on a dispatch queue of its own.
///
/// An actor using it runs its blocking C calls (sqlite3, libpq) off Swift's cooperative thread pool.
public final class SerialQueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    /// An executor over a new serial queue labelled `label` (shown by debuggers and crash reports).
    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `job` on the queue, after the jobs enqueued before it.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Traps unless called on the queue: lets an actor on this executor `assumeIsolated` in `async(_:)`.
    public func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }

    /// Runs `body` on the queue, after the jobs enqueued before it, without Swift's cooperative
    /// thread pool: work that must happen even while other tasks hold every thread of the pool.
    public func async(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}
