import CLibPQ
import Foundation
import Messenger

/// One libpq connection, every call on a dispatch queue of its own (libpq blocks).
///
/// Connects on first use and again after the connection is lost, waiting longer after each failed
/// attempt (0.1 s doubling up to 10 s) so that a down server is not hammered. Before each statement
/// it looks whether the server has ended the idle session (restarted, or the session terminated):
/// then it reconnects first, so that the statement is not lost with a connection that was already
/// dead. Statements that repeat are prepared once per connection. Hooks (`onConnect`) run after
/// every (re)connection.
public actor PostgresConnection {
    /// Where it connects (its DSN's settings; `description` hides the password).
    public nonisolated let info: PostgresConnectionInfo
    private nonisolated let executor: SerialQueueExecutor
    private let handle = PostgresHandle()
    private var preparedNames: [String: String] = [:]
    private var failedAttempts = 0
    private var retryAfter: ContinuousClock.Instant?
    private var lastConnectError: PostgresError?
    private let connectHooks: [@Sendable (isolated PostgresConnection) throws -> Void]
    /// Set while `withTransaction` runs: only that task may use the connection.
    private var openTransaction = false

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// A connection that runs `onConnect` after every successful (re)connection, e.g. to take a session lock.
    public init(info: PostgresConnectionInfo, onConnect: [@Sendable (isolated PostgresConnection) throws -> Void] = []) {
        self.info = info
        executor = SerialQueueExecutor(label: "postgres \(info.redacted)")
        connectHooks = onConnect
    }

    /// A connection to the database of a `postgresql://` URL (its password is never logged).
    public init(url: String) throws {
        self.init(info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)))
    }

    /// True while a session is open and healthy.
    public var isConnected: Bool { handle.connection.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Closes the connection; the next call opens it again.
    public func close() {
        handle.close()
        preparedNames = [:]
    }

    /// Connects now if not connected, reporting why it cannot.
    public func connect() throws { _ = try connection() }

    private func connection() throws -> OpaquePointer {
        if let connection = handle.connection {
            if isAlive(connection) { return connection }
            // The server ended the session while it was idle: nothing was sent on it yet.
            close()
        }
        if let retryAfter, ContinuousClock.now < retryAfter, let lastConnectError { throw lastConnectError }
        let connection = PQconnectdb(info.conninfo)
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = info.scrub(connection.map { Self.trimmed(PQerrorMessage($0)) } ?? "out of memory")
            if let connection { PQfinish(connection) }
            failedAttempts += 1
            retryAfter = ContinuousClock.now + min(.seconds(10), .milliseconds(100) * (1 << min(failedAttempts - 1, 7)))
            let error = PostgresError(kind: .connection, message: message, target: info.redacted)
            lastConnectError = error
            throw error
        }
        failedAttempts = 0
        retryAfter = nil
        handle.connection = connection
        handle.watchNotices()
        preparedNames = [:]
        do {
            for hook in connectHooks { try hook(self) }
        } catch {
            close()
            throw error
        }
        // A hook that lost the session (ended again while it was set up) closed and freed it, even
        // when it went on without throwing: never hand out a freed connection.
        guard handle.connection == connection else {
            throw PostgresError(kind: .connectionLost, message: "the session ended while it was being set up", target: info.redacted)
        }
        return connection
    }

    /// False when the server has closed an idle connection: its farewell (an error, then the end of
    /// the stream) is waiting on the socket. Reading it costs one `poll` when nothing is there.
    private func isAlive(_ connection: OpaquePointer) -> Bool {
        // The farewell may take two reads: the error message, then the end of the stream.
        for _ in 0..<4 {
            guard PQstatus(connection) == CONNECTION_OK else { return false }
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { return true }
            // PQconsumeInput reads; PQisBusy parses what it read, handing a FATAL to the notice receiver.
            guard PQconsumeInput(connection) == 1 else { return false }
            _ = PQisBusy(connection)
            if handle.sessionEnded { return false }
        }
        return PQstatus(connection) == CONNECTION_OK
    }

    /// Runs one statement with parameters; prepared once per connection when `prepare` is true.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], prepare: Bool = true) throws -> PostgresRows {
        try checkNotInOtherTransaction()
        let connection = try connection()
        // One buffer holds every parameter's bytes; libpq reads them through pointers into it.
        let wires = parameters.map(\.wire)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(wires.reduce(0) { $0 + ($1?.bytes.count ?? 0) })
        var offsets: [Int?] = []
        for wire in wires {
            offsets.append(wire.map { _ in buffer.count })
            if let wire { buffer.append(contentsOf: wire.bytes) }
        }
        let lengths = wires.map { Int32($0?.bytes.count ?? 0) }
        let formats = wires.map { $0?.format ?? 0 }
        let count = Int32(parameters.count)
        let result: OpaquePointer? = buffer.withUnsafeBufferPointer { bytes in
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { UnsafeRawPointer(bytes.baseAddress!.advanced(by: $0)).assumingMemoryBound(to: CChar.self) }
            }
            if prepare {
                let name: String
                if let existing = preparedNames[sql] {
                    name = existing
                } else {
                    name = "m\(preparedNames.count + 1)"
                    let prepared = PQprepare(connection, name, sql, count, nil)
                    // A failed prepare is reported like a failed statement, with its SQLSTATE.
                    guard PQresultStatus(prepared) == PGRES_COMMAND_OK else { return prepared }
                    PQclear(prepared)
                    preparedNames[sql] = name
                }
                return PQexecPrepared(connection, name, count, values, lengths, formats, 0)
            }
            return PQexecParams(connection, sql, count, nil, values, lengths, formats, 0)
        }
        return try rows(from: result, connection)
    }

    /// Runs one or more statements without parameters (simple protocol).
    public func execute(_ sql: String) throws {
        try checkNotInOtherTransaction()
        let connection = try connection()
        _ = try rows(from: PQexec(connection, sql), connection)
    }

    /// Runs `body` in `BEGIN … COMMIT` on this connection, rolling back if it throws.
    public func transaction<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` on this connection as it stands: inside the caller's open transaction.
    public func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) throws -> T {
        try body(self)
    }

    /// Runs `body` in a transaction that messages dispatched inside join: a message sent by `body` to a
    /// PostgreSQL transport of this database is stored if and only if the transaction commits.
    ///
    /// The connection belongs to this task until the transaction ends; other tasks get an error.
    public func withTransaction<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard !openTransaction else { throw PostgresError(kind: .busy, message: "a transaction is already open on this connection", target: info.redacted) }
        try execute("BEGIN")
        openTransaction = true
        do {
            let result = try await PostgresTransactionContext.$current.withValue(self) { try await body() }
            openTransaction = false
            try execute("COMMIT")
            return result
        } catch {
            openTransaction = false
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func checkNotInOtherTransaction() throws {
        if openTransaction && PostgresTransactionContext.current !== self {
            throw PostgresError(kind: .busy, message: "another task's transaction is open on it; use a connection per task", target: info.redacted)
        }
    }

    private func rows(from result: OpaquePointer?, _ connection: OpaquePointer) throws -> PostgresRows {
        defer { PQclear(result) }
        guard let result else { throw lostOrFailed(connection, sqlState: nil, info.scrub(Self.trimmed(PQerrorMessage(connection)))) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let sqlState = PQresultErrorField(result, clibpq_diag_sqlstate()).map { String(cString: $0) }
            throw lostOrFailed(connection, sqlState: sqlState, info.scrub(Self.trimmed(PQresultErrorMessage(result))))
        }
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affected: affected)
    }

    private func lostOrFailed(_ connection: OpaquePointer, sqlState: String?, _ message: String) -> PostgresError {
        if PQstatus(connection) != CONNECTION_OK {
            close()
            return PostgresError(kind: .connectionLost, sqlState: sqlState, message: message, target: info.redacted)
        }
        return PostgresError(kind: .statement, sqlState: sqlState, message: message, target: info.redacted)
    }

    static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }
}

/// The transaction a task is inside (`PostgresConnection.withTransaction`), for transports to join.
public enum PostgresTransactionContext {
    /// The connection of the transaction the current task is in, if any.
    @TaskLocal public static var current: PostgresConnection?
}

/// The libpq handle of a connection, finished when the connection goes away. Only its actor touches it.
final class PostgresHandle: @unchecked Sendable {
    var connection: OpaquePointer?
    /// The server said, outside any statement, that it ends the session (a FATAL message: a restart
    /// or a terminated backend), perhaps before the end of the stream reached the socket.
    var sessionEnded = false

    /// Notices go to this handle instead of standard error: the server's farewell on an idle
    /// connection marks the session ended; the others are dropped.
    func watchNotices() {
        sessionEnded = false
        guard let connection else { return }
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result, let severity = PQresultErrorField(result, clibpq_diag_severity_nonlocalized()) else { return }
            let level = String(cString: severity)
            if level == "FATAL" || level == "PANIC" {
                Unmanaged<PostgresHandle>.fromOpaque(context).takeUnretainedValue().sessionEnded = true
            }
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    deinit { close() }
}
