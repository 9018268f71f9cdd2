import CSQLite
import Foundation
import Messenger

/// One SQLite connection, running every call on a dispatch queue of its own so that blocking I/O and
/// busy waits never hold a thread of the cooperative pool.
///
/// Opened on first use: a database that cannot be opened yet (missing folder, permissions, locked) is
/// an error of that call, and the next call tries again.
public actor SQLiteConnection {
    /// The database file.
    public nonisolated let path: String
    /// How long a statement waits for another process's write lock.
    public nonisolated let busyTimeoutMilliseconds: Int
    /// The `synchronous` pragma (`FULL` or `NORMAL`).
    public nonisolated let synchronous: String
    private nonisolated let executor: SerialQueueExecutor
    private let resources = SQLiteHandles()
    private var handle: OpaquePointer? {
        get { resources.database }
        set { resources.database = newValue }
    }
    private var statements: [String: OpaquePointer] {
        get { resources.statements }
        set { resources.statements = newValue }
    }
    /// Schema set-ups already done on this connection, by key.
    private var setUp: Set<String> = []
    /// Set while `withTransaction` runs.
    private var openTransaction = false

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// A connection to the file at `path`, opened at its first use.
    public init(path: String, busyTimeoutMilliseconds: Int = 5000, synchronous: String = "FULL") {
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.synchronous = synchronous
        self.executor = SerialQueueExecutor(label: "sqlite \(path)")
    }

    /// Closes the connection; the next call opens it again.
    public func close() {
        resources.close()
        setUp = []
    }

    private func database() throws -> OpaquePointer {
        if let handle { return handle }
        if path != ":memory:" {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let opened { sqlite3_close_v2(opened) }
            throw SQLiteError(code: code, message: "cannot open the database file: \(message)", path: path)
        }
        sqlite3_busy_timeout(opened, Int32(busyTimeoutMilliseconds))
        handle = opened
        do {
            try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=\(synchronous);")
        } catch {
            close()
            throw error
        }
        return opened
    }

    /// Runs one or more statements without parameters.
    public func execute(_ sql: String) throws {
        let db = try database()
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(db, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: code, message: message, path: path)
        }
    }

    /// Runs a statement (prepared once and cached) and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let db = try database()
        let statement = try prepared(sql, db)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in bindings.enumerated() {
            let position = Int32(index + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(statement, position)
            case .integer(let number): code = sqlite3_bind_int64(statement, position, number)
            case .real(let number): code = sqlite3_bind_double(statement, position, number)
            // By length: a text holding a NUL byte is stored whole.
            case .text(let text): code = text.withCString { sqlite3_bind_text(statement, position, $0, Int32(text.utf8.count), csqlite_transient()) }
            }
            if code != SQLITE_OK { throw error(code, db) }
        }
        var rows: [[SQLiteValue]] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code, db) }
            let columns = sqlite3_column_count(statement)
            var row: [SQLiteValue] = []
            row.reserveCapacity(Int(columns))
            for column in 0..<columns {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_NULL: row.append(.null)
                default:
                    // By length, not up to the first NUL byte.
                    let text = sqlite3_column_text(statement, column)
                    let count = Int(sqlite3_column_bytes(statement, column))
                    row.append(.text(text.map { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) } ?? ""))
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Whether a transaction is open on this connection.
    public var inTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    /// The rows changed by the last statement.
    public var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// The id of the last inserted row.
    public var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws.
    ///
    /// IMMEDIATE takes the write lock up front, so two workers never both read the same free rows.
    public func transaction<T: Sendable>(_ body: @Sendable (isolated SQLiteConnection) throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` while it awaits other work: a transport on the same
    /// file that sends inside `body` writes through this transaction (`SQLiteTransactionContext`), so its
    /// message is stored if and only if the transaction commits. Only that task may use the connection
    /// meanwhile: give such work a connection of its own.
    public func withTransaction<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard !openTransaction else { throw SQLiteError(code: SQLITE_MISUSE, message: "a transaction is already open on this connection", path: path) }
        try execute("BEGIN IMMEDIATE")
        openTransaction = true
        do {
            let result = try await SQLiteTransactionContext.$current.withValue(self) { try await body() }
            openTransaction = false
            try execute("COMMIT")
            return result
        } catch {
            openTransaction = false
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` on this connection as it stands: inside the caller's open transaction.
    public func run<T: Sendable>(_ body: @Sendable (isolated SQLiteConnection) throws -> T) throws -> T {
        try body(self)
    }

    /// Runs a set-up step once per connection (and again after a reconnect).
    public func once(_ key: String, _ body: @Sendable (isolated SQLiteConnection) throws -> Void) throws {
        guard !setUp.contains(key) else { return }
        try body(self)
        setUp.insert(key)
    }

    private func prepared(_ sql: String, _ db: OpaquePointer) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code, db) }
        statements[sql] = statement
        return statement
    }

    private func error(_ code: Int32, _ db: OpaquePointer) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), path: path)
    }
}

/// The C handles of one connection, closed when the connection goes away.
///
/// Only the owning actor touches them, on its executor; the final `deinit` runs when nothing else can.
final class SQLiteHandles: @unchecked Sendable {
    var database: OpaquePointer?
    var statements: [String: OpaquePointer] = [:]

    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
        if let database { sqlite3_close_v2(database) }
        database = nil
    }

    deinit { close() }
}

/// The transaction a task is inside (`SQLiteConnection.withTransaction`), for transports to join.
public enum SQLiteTransactionContext {
    /// The connection of the transaction the current task is in, if any.
    @TaskLocal public static var current: SQLiteConnection?
}
