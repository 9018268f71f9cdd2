/// The timing of workers' records.
public enum WorkerHeartbeat {
    /// How often a worker beats: it marks the attempts it started `running`, writes its handlers'
    /// latest progress and looks for cancellations of its messages (a primary-key look-up of the
    /// messages in hand, skipped when there are none).
    public static let interval: Duration = .milliseconds(250)
    /// Every how many beats the worker's own record is renewed (every 2 s).
    public static let recordEvery = 8
    /// A worker whose record is older than this died: its claims are taken back (SQLite) and
    /// `messenger:workers` shows it as gone.
    public static let goneAfter: Duration = .seconds(10)
}
