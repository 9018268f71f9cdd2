import Foundation
/// The rows a statement returned, as text (libpq's text format).
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [[String?]]
    /// The number of rows the statement changed (from the command tag).
    public let affected: Int

    public init(columns: [String], rows: [[String?]], affected: Int) {
        self.columns = columns
        self.rows = rows
        self.affected = affected
    }

    public var count: Int { rows.count }
}

/// A value bound to a statement parameter, sent as text.
public enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    case int(Int64)
    case double(Double)
    /// A `bigint[]` / `int[]` / `text[]` literal.
    case array([String])

    var text: String? {
        switch self {
        case .null: nil
        case .text(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .array(let items): "{" + items.map(Self.quoted).joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ item: String) -> String {
        "\"" + item.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
