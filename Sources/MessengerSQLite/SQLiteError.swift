import CSQLite

/// An SQLite failure: the result code, SQLite's message, and the database file it concerns.
public struct SQLiteError: Error, CustomStringConvertible {
    /// SQLite's result code.
    public let code: Int32
    /// SQLite's message.
    public let message: String
    /// The database file.
    public let path: String

    /// A failure with `code` and `message` on the file at `path`.
    public init(code: Int32, message: String, path: String) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// True when the database stayed locked by another connection past the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }

    /// True for failures that retrying will not fix: a file that cannot be opened or created, is
    /// read-only, is not a database, or is corrupt.
    public var isPermanent: Bool {
        [SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH, SQLITE_NOTADB, SQLITE_CORRUPT].contains(code & 0xff)
    }

    public var description: String {
        if isBusy {
            return "SQLite database \(path) is locked: another process held it past the busy timeout (\(message)); the operation will be retried"
        }
        return "SQLite error \(code) on \(path): \(message)"
    }
}
