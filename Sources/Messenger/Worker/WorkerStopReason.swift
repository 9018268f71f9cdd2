/// Why a worker stopped.
public enum WorkerStopReason: String, Sendable, Equatable {
    /// `stop()` was called (SIGTERM, SIGINT).
    case stopRequested = "stop requested"
    /// `messenger:stop-workers` was run after this worker started.
    case stopWorkersCommand = "messenger:stop-workers"
    case messageLimit = "message limit reached"
    case failureLimit = "failure limit reached"
    case memoryLimit = "memory limit exceeded"
    case timeLimit = "time limit reached"
    /// Every receiver was empty and the worker was asked to stop then.
    case empty = "no more messages"
}
