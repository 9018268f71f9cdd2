import CLibPQ
import Foundation
import Messenger
import Synchronization

/// One libpq connection, every call on a dispatch queue of its own (libpq blocks).
///
/// Connects on first use and again after the connection is lost, waiting longer after each failed
/// attempt (0.1 s doubling up to 10 s) so that a down server is not hammered. Before each statement
/// it looks whether the server has ended the idle session (restarted, or the session terminated):
/// then it reconnects first, so that the statement is not lost with a connection that was already
/// dead. Statements that repeat are prepared once per connection, unless a transaction pooler may sit
/// in between (`PostgresSessionSettings`): then nothing is left in the session. Hooks (`onConnect`)
/// run after every (re)connection.
public actor PostgresConnection {
    /// Where it connects (its DSN's settings; `description` hides the password).
    public nonisolated let info: PostgresConnectionInfo
    private nonisolated let executor: SerialQueueExecutor
    private let handle = PostgresHandle()
    private var preparedNames: [String: String] = [:]
    private var failedAttempts = 0
    private var retryAfter: ContinuousClock.Instant?
    private var lastConnectError: PostgresError?
    private nonisolated let connectHooks: ConnectHooks
    /// Set while `withTransaction` runs: only that task may use the connection.
    private var openTransaction = false
    /// Set while a transaction (`transaction` or `withTransaction`) is open: its parameters are set.
    private var inTransaction = false
    /// What the session may keep, and the parameters statements run under.
    public nonisolated let settings: PostgresSessionSettings

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// A connection whose statements run under `settings`, and that runs `onConnect` after every
    /// successful (re)connection.
    public init(info: PostgresConnectionInfo, settings: PostgresSessionSettings = PostgresSessionSettings(),
                onConnect: [@Sendable (isolated PostgresConnection) throws -> Void] = []) {
        self.info = info
        self.settings = settings
        executor = SerialQueueExecutor(label: "postgres \(info.redacted)")
        connectHooks = ConnectHooks(onConnect)
    }

    /// Adds a hook run after every (re)connection from now on (a transport sharing the connection);
    /// answers its key for `removeConnectHook`.
    public nonisolated func addConnectHook(_ hook: @escaping @Sendable (isolated PostgresConnection) throws -> Void) -> Int {
        connectHooks.add(hook)
    }

    /// Runs `body` on the connection's own queue, after the calls already waiting, outside Swift's
    /// cooperative thread pool: a timer that must fire even while handlers hold every thread of the
    /// pool (a lease renewal) uses it.
    public nonisolated func runOnOwnQueue(_ body: @escaping @Sendable (isolated PostgresConnection) -> Void) {
        executor.async { self.assumeIsolated { connection in body(connection) } }
    }

    /// Removes a hook added by `addConnectHook`.
    public nonisolated func removeConnectHook(_ key: Int) { connectHooks.remove(key) }

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
            if let statements = settings.sessionStatements { _ = try rows(from: PQexec(connection, statements), connection) }
            for hook in connectHooks.all { try hook(self) }
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

    /// Runs one statement with parameters; prepared once per connection when `prepare` is true (and
    /// no transaction pooler may sit in between).
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
            if let parameters = settings.transactionStatement, !inTransaction {
                return pipelined(connection, settingsFirst: parameters, sql, count, values, lengths, formats)
            }
            if prepare && !settings.transactionPooled {
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

    /// Runs one or more statements without parameters (simple protocol), as one transaction unless
    /// they say otherwise.
    public func execute(_ sql: String) throws {
        try checkNotInOtherTransaction()
        let connection = try connection()
        let text = settings.transactionStatement.map { inTransaction ? sql : $0 + "; " + sql } ?? sql
        _ = try rows(from: PQexec(connection, text), connection)
    }

    /// Opens a transaction, its parameters set when they are set per transaction.
    private func begin() throws {
        try checkNotInOtherTransaction()
        let connection = try connection()
        _ = try rows(from: PQexec(connection, settings.transactionStatement.map { "BEGIN; " + $0 } ?? "BEGIN"), connection)
        inTransaction = true
    }

    /// Ends the open transaction with `COMMIT` or `ROLLBACK` (nothing set before it: the transaction's
    /// parameters end with it).
    private func end(_ statement: String) throws {
        inTransaction = false
        try checkNotInOtherTransaction()
        let connection = try connection()
        _ = try rows(from: PQexec(connection, statement), connection)
    }

    /// Runs `body` in `BEGIN … COMMIT` on this connection, rolling back if it throws.
    public func transaction<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) throws -> T {
        try begin()
        do {
            let result = try body(self)
            try end("COMMIT")
            return result
        } catch {
            try? end("ROLLBACK")
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
        try begin()
        openTransaction = true
        do {
            let result = try await PostgresTransactionContext.$current.withValue(self) { try await body() }
            openTransaction = false
            try end("COMMIT")
            return result
        } catch {
            openTransaction = false
            try? end("ROLLBACK")
            throw error
        }
    }

    private func checkNotInOtherTransaction() throws {
        if openTransaction && PostgresTransactionContext.current !== self {
            throw PostgresError(kind: .busy, message: "another task's transaction is open on it; use a connection per task", target: info.redacted)
        }
    }

    /// Sends the parameters' statement and `sql` in one pipeline, ended by one sync: one round trip,
    /// one implicit transaction, so that the parameters hold for `sql` and nothing else. Answers
    /// `sql`'s result, or the first failure.
    private func pipelined(_ connection: OpaquePointer, settingsFirst parameters: String, _ sql: String, _ count: Int32,
                           _ values: [UnsafePointer<CChar>?], _ lengths: [Int32], _ formats: [Int32]) -> OpaquePointer? {
        guard PQenterPipelineMode(connection) == 1 else { return nil }
        defer { _ = PQexitPipelineMode(connection) }
        guard PQsendQueryParams(connection, parameters, 0, nil, nil, nil, nil, 0) == 1,
              PQsendQueryParams(connection, sql, count, nil, values, lengths, formats, 0) == 1,
              PQpipelineSync(connection) == 1 else { return nil }
        var answer: OpaquePointer?
        var failure: OpaquePointer?
        // Each statement's results end with a null; the sync's result ends the pipeline.
        var statements = 0
        while true {
            guard let result = PQgetResult(connection) else {
                statements += 1
                if PQstatus(connection) != CONNECTION_OK || statements > 2 { break }
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC { PQclear(result); break }
            if status == PGRES_FATAL_ERROR && failure == nil {
                failure = result
            } else if statements == 1 && answer == nil && status != PGRES_PIPELINE_ABORTED {
                answer = result
            } else {
                PQclear(result)
            }
        }
        if let failure {
            PQclear(answer)
            return failure
        }
        return answer
    }

    private func rows(from result: OpaquePointer?, _ connection: OpaquePointer) throws -> PostgresRows {
        defer { PQclear(result) }
        guard let result else { throw lostOrFailed(connection, sqlState: nil, info.scrub(Self.trimmed(PQerrorMessage(connection)))) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let sqlState = PQresultErrorField(result, clibpq_diag_sqlstate()).map { String(cString: $0) }
            var message = info.scrub(Self.trimmed(PQresultErrorMessage(result)))
            // A statement prepared by name that collides or is missing: another client's session, or none.
            if !settings.transactionPooled, sqlState == "42P05" || sqlState == "26000" {
                message += " (a pooler in transaction mode, such as PgBouncer's pool_mode = transaction, sits in front of the server: set the transport option pooler=transaction)"
            }
            throw lostOrFailed(connection, sqlState: sqlState, message)
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

/// The hooks a connection runs after every (re)connection, in the order they were added.
final class ConnectHooks: Sendable {
    typealias Hook = @Sendable (isolated PostgresConnection) throws -> Void
    private let hooks: Mutex<(next: Int, list: [(key: Int, hook: Hook)])>

    init(_ initial: [Hook]) {
        hooks = Mutex((initial.count, initial.enumerated().map { (key: $0.offset, hook: $0.element) }))
    }

    var all: [Hook] { hooks.withLock { $0.list.map(\.hook) } }

    func add(_ hook: @escaping Hook) -> Int {
        hooks.withLock { state in
            defer { state.next += 1 }
            state.list.append((state.next, hook))
            return state.next
        }
    }

    func remove(_ key: Int) { hooks.withLock { $0.list.removeAll { $0.key == key } } }
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
