/// Why a worker stopped.
public enum WorkerStopReason: String, Sendable, Equatable {
    /// `stop()` was called (SIGTERM, SIGINT).
    case stopRequested = "stop requested"
    /// `messenger:stop-workers` was run after this worker started.
    case stopWorkersCommand = "messenger:stop-workers"
    /// `--limit` messages handled.
    case messageLimit = "message limit reached"
    /// `--failure-limit` messages failed.
    case failureLimit = "failure limit reached"
    /// `--memory-limit` exceeded.
    case memoryLimit = "memory limit exceeded"
    /// `--time-limit` passed.
    case timeLimit = "time limit reached"
    /// Every receiver was empty and the worker was asked to stop then.
    case empty = "no more messages"
}
