/// Reads a transport's options (strings from the DSN and the configuration) with errors that name the
/// transport, the option and what was expected.
public struct TransportOptionReader: Sendable {
    /// The options, as written.
    public let options: [String: String]
    /// The transport they are for (named in errors).
    public let transport: String

    /// A reader of `options` of `transport`.
    public init(_ options: [String: String], transport: String) {
        self.options = options
        self.transport = transport
    }

    /// An error naming the transport, saying `text`.
    public func error(_ text: String) -> MessengerError {
        MessengerError(.invalidOption, "transport \"\(transport)\": \(text)")
    }

    /// Fails on the first option (alphabetically) that is neither known nor passed through.
    public func rejectUnknown(known: Set<String>, passedThrough: Set<String> = [], scheme: String, hint: String? = nil) throws {
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) && !passedThrough.contains($0) }) {
            throw error("unknown option \"\(unknown)\" for a \(scheme):// transport; known: \(hint ?? known.sorted().joined(separator: ", "))")
        }
    }

    /// Option `key` as an integer within `range`; nil when absent, an error naming it when it is not.
    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = options[key] else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            throw error("option \(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(raw)\"")
        }
        return value
    }

    /// Option `key` as a boolean (`true`/`false`, `1`/`0`); nil when absent.
    public func bool(_ key: String) throws -> Bool? {
        guard let raw = options[key] else { return nil }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw error("\(key) must be true or false, got \"\(raw)\"")
        }
    }

    /// `queue_name`: 1 to 190 characters (the column's width).
    public func queueName() throws -> String? {
        guard let queue = options["queue_name"] else { return nil }
        guard !queue.isEmpty, queue.count <= 190 else { throw error("queue_name must be 1 to 190 characters") }
        return queue
    }

    /// `table_name`, checked by `isValid`, which `rule` describes.
    public func tableName(isValid: (String) -> Bool, rule: String) throws -> String? {
        guard let table = options["table_name"] else { return nil }
        guard isValid(table) else { throw error("table_name \"\(table)\" is not a plain SQL identifier (\(rule))") }
        return table
    }
}
