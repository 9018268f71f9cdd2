/// What sits between a transport and its PostgreSQL server (the `pooler` option).
public enum PostgresPooler: String, Sendable, Equatable, CaseIterable {
    /// A direct connection: statements are prepared once per connection, LISTEN works.
    case none
    /// A pooler in session mode (PgBouncer's `pool_mode = session`): a client keeps its server
    /// connection, so everything works as on a direct one.
    case session
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`): each transaction may run
    /// on another server connection. Statements are sent unnamed, settings are made per transaction,
    /// and wake-ups come from `listen_dsn` or from polling.
    case transaction
}
