import Foundation

/// A page of status records, newest first (`messenger:history`, the HTTP API).
public struct MessageRecordQuery: Sendable, Equatable {
    /// Only records in this status.
    public var status: MessageStatus?
    /// Only messages of this wire type.
    public var type: String?
    /// Only messages of this queue.
    public var queue: String?
    /// Only records created at or after this instant.
    public var since: Date?
    /// Text the message body contains.
    public var search: String?
    /// The most records a page holds.
    public var limit: Int
    /// The cursor of the previous page's last record (`MessageRecordCursor`): the page continues after it.
    public var after: MessageRecordCursor?

    /// A query for the records matching every criterion given, newest first, `limit` at a time, after `after`.
    public init(status: MessageStatus? = nil, type: String? = nil, queue: String? = nil, since: Date? = nil, search: String? = nil,
                limit: Int = 50, after: MessageRecordCursor? = nil) {
        self.status = status
        self.type = type
        self.queue = queue
        self.since = since
        self.search = search
        self.limit = limit
        self.after = after
    }

    /// Whether `record` passes the filter (every field but `limit`): what a store's query selects.
    public func matches(_ record: MessageRecord) -> Bool {
        (status.map { record.status == $0 } ?? true) && (type.map { record.type == $0 } ?? true)
            && (queue.map { record.queue == $0 } ?? true) && (since.map { record.createdAt >= $0 } ?? true)
            && (search.map { record.body?.contains($0) == true } ?? true)
            && (after.map { MessageRecordCursor(after: record) < $0 } ?? true)
    }
}

/// A position in the newest-first order of records: creation time in milliseconds, then id.
public struct MessageRecordCursor: Sendable, Comparable, CustomStringConvertible {
    /// The creation time of the last record of the previous page, in milliseconds since 1970.
    public var createdAtMilliseconds: Int64
    /// Its id (ties on the time are ordered by id).
    public var id: String

    /// The cursor after the record created at `createdAtMilliseconds` with `id`.
    public init(createdAtMilliseconds: Int64, id: String) {
        self.createdAtMilliseconds = createdAtMilliseconds
        self.id = id
    }

    /// The cursor that continues after `record`.
    public init(after record: MessageRecord) {
        self.init(createdAtMilliseconds: record.createdAt.epochMilliseconds, id: record.id)
    }

    /// Reads the `"<milliseconds>:<id>"` form that `description` prints; nil when malformed.
    public init?(_ text: String) {
        // By scalar, not by character: a combining mark after the colon would hide it in one grapheme.
        let scalars = text.unicodeScalars
        guard let colon = scalars.firstIndex(of: ":"), let milliseconds = Int64(String(scalars[..<colon])) else { return nil }
        let id = String(scalars[scalars.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        self.init(createdAtMilliseconds: milliseconds, id: id)
    }

    public var description: String { "\(createdAtMilliseconds):\(id)" }

    /// Older first: a page newest first continues with the cursors below its last one.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.createdAtMilliseconds, lhs.id) < (rhs.createdAtMilliseconds, rhs.id) }
}
