/// A value bound to a statement parameter.
public enum PostgresValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// A text value.
    case text(String)
    /// An integer.
    case int(Int64)
    /// A floating-point number.
    case double(Double)
    /// A `text[]` value; sent in PostgreSQL's binary array format, so that neither side quotes or
    /// parses its items (batches of message bodies travel this way).
    case array([String])
    /// A `text[]` value whose items may be NULL.
    case optionalArray([String?])
    /// A `bigint[]` / `int[]` literal.
    case integers([Int64])

    /// How libpq sends the value: its bytes and format (0 text, NUL-terminated; 1 binary), or nil for NULL.
    var wire: (bytes: [UInt8], format: Int32)? {
        switch self {
        case .null: nil
        case .text(let value): (Self.terminated(value), 0)
        case .int(let value): (Self.terminated(String(value)), 0)
        case .double(let value): (Self.terminated(String(value)), 0)
        case .array(let items): (Self.binaryTextArray(items), 1)
        case .optionalArray(let items): (Self.binaryTextArray(items), 1)
        case .integers(let items): (Self.terminated("{" + items.map(String.init).joined(separator: ",") + "}"), 0)
        }
    }

    private static func terminated(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        bytes.append(0)
        return bytes
    }

    /// `array_recv`'s input: dimensions, no nulls, element type `text` (oid 25), one bound, then each
    /// item as a length and its UTF-8 bytes; integers big-endian.
    static func binaryTextArray(_ items: [String]) -> [UInt8] { binaryTextArray(items.map(Optional.some)) }

    /// As above; a nil item is a NULL (length -1, and the array's has-nulls flag set).
    static func binaryTextArray(_ items: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + items.reduce(0) { $0 + 4 + ($1?.utf8.count ?? 0) })
        func append(_ value: Int32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        append(items.isEmpty ? 0 : 1)
        append(items.contains { $0 == nil } ? 1 : 0)
        append(25)
        if !items.isEmpty {
            append(Int32(items.count))
            append(1)
        }
        for item in items {
            guard let item else {
                append(-1)
                continue
            }
            append(Int32(item.utf8.count))
            bytes.append(contentsOf: item.utf8)
        }
        return bytes
    }
}
