/// One of the five fields of a cron expression, as the set of values it allows.
struct CronField: Sendable, Equatable {
    enum Kind: Sendable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day of month"
            case .month: "month"
            case .dayOfWeek: "day of week"
            }
        }

        var range: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        var names: [String] {
            switch self {
            case .month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            case .dayOfWeek: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            default: []
            }
        }

        /// Where the first name counts from: months start at 1, weekdays at 0 (Sunday).
        var firstNameValue: Int { self == .month ? 1 : 0 }
    }

    /// Bit `v` is set when value `v` is allowed.
    let bits: UInt64
    /// False when the field starts with `*`: for the day fields, the classic rule ORs them only when both are restricted.
    let restricted: Bool

    func contains(_ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }

    /// Allowed values in ascending order.
    var values: [Int] { (0..<64).filter { contains($0) } }

    init(_ text: String, kind: Kind, expression: String) throws {
        func fail(_ problem: String) -> CronError { CronError(field: kind.name, expression: expression, problem: problem) }
        func value(_ token: Substring) throws -> Int {
            let lower = token.lowercased()
            if let index = kind.names.firstIndex(of: lower) { return index + kind.firstNameValue }
            guard let number = Int(token) else {
                let hint = kind.names.isEmpty ? "" : " or a name (\(kind.names.first!)…\(kind.names.last!))"
                throw fail("\"\(token)\" is not a number\(hint)")
            }
            guard kind.range.contains(number) else {
                throw fail("\(number) is out of range \(kind.range.lowerBound)-\(kind.range.upperBound)")
            }
            return number
        }
        guard !text.isEmpty else { throw fail("empty") }
        var bits: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw fail("empty item in list \"\(text)\"") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw fail("more than one step in \"\(part)\"") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw fail("step \"\(pieces[1])\" must be a positive number") }
                step = parsed
            }
            let span = pieces[0]
            var low: Int
            var high: Int
            if span == "*" {
                (low, high) = (kind.range.lowerBound, kind == .dayOfWeek ? 6 : kind.range.upperBound)
            } else if let dash = span.firstIndex(of: "-") {
                low = try value(span[..<dash])
                high = try value(span[span.index(after: dash)...])
                guard low <= high else { throw fail("range \(span) runs backwards") }
            } else {
                low = try value(span)
                // `5/15` means from 5 to the end, every 15.
                high = pieces.count == 2 ? kind.range.upperBound : low
            }
            for candidate in stride(from: low, through: high, by: step) {
                // 7 is Sunday too.
                bits |= 1 << UInt64(kind == .dayOfWeek && candidate == 7 ? 0 : candidate)
            }
        }
        self.bits = bits
        restricted = !text.hasPrefix("*")
    }
}
