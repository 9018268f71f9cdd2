import Foundation
/// The rows a statement returned, as text (libpq's text format).
public struct PostgresRows: Sendable {
    /// The columns' names, in order.
    public let columns: [String]
    /// Each row's values as text, nil for NULL.
    public let rows: [[String?]]
    /// The number of rows the statement changed (from the command tag).
    public let affected: Int

    /// A statement's result.
    public init(columns: [String], rows: [[String?]], affected: Int) {
        self.columns = columns
        self.rows = rows
        self.affected = affected
    }

    /// How many rows it returned.
    public var count: Int { rows.count }
}
