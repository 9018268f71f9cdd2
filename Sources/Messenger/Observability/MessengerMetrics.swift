/// The names of the metrics the messenger reports through swift-metrics, whatever backend the
/// application bootstrapped (none by default: then they cost next to nothing).
///
/// Their labels are bounded: `transport`, `message_type`, `outcome`, `error_type`, and the
/// scheduler's `schedule` and `task`; never a message id.
public enum MessengerMetrics {
    /// Messages sent to a transport (counter; `transport`, `message_type`).
    public static let messagesSent = "messenger_messages_sent_total"
    /// Messages whose attempt ended (counter; `transport`, `message_type`, `outcome`: one of
    /// ``HandlingOutcome``).
    public static let messagesHandled = "messenger_messages_handled_total"
    /// Attempts that failed (counter; `transport`, `message_type`, `error_type`: the error's type).
    public static let messageFailures = "messenger_message_failures_total"
    /// How long a handler took, success or not (timer; `transport`, `message_type`).
    public static let handlingDuration = "messenger_message_handling_duration_seconds"
    /// How long a message waited between being due and its handler starting (timer; `transport`,
    /// `message_type`).
    public static let waitDuration = "messenger_message_wait_duration_seconds"
    /// Messages being handled now (meter; `transport`).
    public static let messagesInFlight = "messenger_messages_in_flight"
    /// Occurrences a schedule emitted (counter; `schedule`, `task`, `message_type`).
    public static let schedulerRuns = "scheduler_runs_total"
    /// How late an occurrence was emitted after its date (timer; `schedule`, `task`).
    public static let schedulerRunLag = "scheduler_run_lag_seconds"
    /// Occurrences skipped by a catch-up policy (counter; `schedule`, `task`).
    public static let schedulerMissedRuns = "scheduler_missed_runs_total"
}

/// How one attempt at a message ended: the `outcome` label of
/// ``MessengerMetrics/messagesHandled`` and of the `process` span.
public enum HandlingOutcome: String, Sendable, CaseIterable {
    /// Every handler succeeded.
    case completed
    /// An operator cancelled it while it ran.
    case cancelled
    /// It failed and waits for another attempt.
    case retried
    /// It failed for the last time and was parked in the failure transport.
    case parked
    /// It failed for the last time and no failure transport takes it.
    case dropped
    /// It failed and its failure could not be stored: it stays claimed, to be delivered again.
    case unsettled
}
