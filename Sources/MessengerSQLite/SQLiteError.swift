import CSQLite

/// An SQLite failure: the result code, SQLite's message, and the database file it concerns.
public struct SQLiteError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let path: String

    public init(code: Int32, message: String, path: String) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// True when the database stayed locked by another connection past the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }

    public var description: String {
        if isBusy {
            return "SQLite database \(path) is locked: another process held it past the busy timeout (\(message)); the operation will be retried"
        }
        return "SQLite error \(code) on \(path): \(message)"
    }
}
