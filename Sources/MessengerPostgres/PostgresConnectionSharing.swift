import Logging
import Synchronization

/// The connections that the transports of one process share: one per database (and session
/// settings), so that a worker process holds one server connection for its claims, acknowledgements,
/// records and sends, whatever the number of its transports on that database. The factory that builds
/// a process's transports holds one; a transport made without it has a connection of its own.
///
/// The last transport to let go of a connection closes it.
public final class PostgresConnectionSharing: Sendable {
    private struct Key: Hashable {
        let conninfo: String
        let settings: PostgresSessionSettings
    }

    private struct Entry {
        let connection: PostgresConnection
        var users: Int
    }

    private let entries = Mutex<[Key: Entry]>([:])

    /// No connection shared yet.
    public init() {}

    /// The shared connection to `info` under `settings`, opened on first use; a new one logs, on
    /// `logger`, when it reconnects after its session was closed.
    func acquire(info: PostgresConnectionInfo, settings: PostgresSessionSettings, logger: Logger) -> PostgresConnection {
        entries.withLock { entries in
            let key = Key(conninfo: info.conninfo, settings: settings)
            if var entry = entries[key] {
                entry.users += 1
                entries[key] = entry
                return entry.connection
            }
            let connection = PostgresConnection(info: info, settings: settings, onConnect: [Self.reconnectionNotice(info: info, logger: logger)])
            entries[key] = Entry(connection: connection, users: 1)
            return connection
        }
    }

    /// Lets go of a connection; true when no transport uses it any more (the caller closes it).
    func release(_ connection: PostgresConnection) -> Bool {
        entries.withLock { entries in
            guard let (key, entry) = entries.first(where: { $0.value.connection === connection }) else { return true }
            if entry.users <= 1 {
                entries[key] = nil
                return true
            }
            entries[key]?.users -= 1
            return false
        }
    }

    /// A hook that logs every reconnection after the first connection.
    static func reconnectionNotice(info: PostgresConnectionInfo, logger: Logger) -> ConnectHooks.Hook {
        let connectedBefore = Mutex(false)
        return { _ in
            if connectedBefore.withLock({ before in defer { before = true }; return before }) {
                logger.notice("Reconnected to PostgreSQL at \(info.redacted): the previous session was closed (a server restart, a terminated session or the network)")
            }
        }
    }
}
