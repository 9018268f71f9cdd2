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
    /// A `text[]` literal (each item quoted), or any array type PostgreSQL can read from text.
    case array([String])
    /// A `bigint[]` / `int[]` literal.
    case integers([Int64])

    var text: String? {
        switch self {
        case .null: nil
        case .text(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .array(let items): Self.arrayLiteral(items)
        case .integers(let items): "{" + items.map(String.init).joined(separator: ",") + "}"
        }
    }

    /// `{"a","b\"c"}`: every item in double quotes, `"` and `\` escaped; built byte by byte, since
    /// batches of message bodies go through here.
    static func arrayLiteral(_ items: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(items.reduce(2) { $0 + $1.utf8.count + 3 })
        bytes.append(UInt8(ascii: "{"))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in item.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
