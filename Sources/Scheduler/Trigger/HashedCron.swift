import Foundation

/// Symfony-style hashed cron: `#` in a field stands for one value chosen from the recurring message's
/// name, so that many tasks written `#daily` spread over the day instead of all firing at midnight, and
/// each keeps its time from one run (and host) to the next.
///
/// `#` takes the field's whole range (day of month: 1-28, so that it exists every month), `#(lo-hi)`
/// a range. Macros: `#hourly`, `#daily`, `#weekly`, `#monthly`, `#yearly`/`#annually`, `#midnight`
/// (between 00:00 and 02:59).
public enum HashedCron {
    /// The hashed macros (`#hourly`, `#daily`, `#weekly`, `#monthly`, `#yearly`, `#annually`, `#midnight`) and the fields each stands for.
    public static let macros: [String: String] = [
        "#hourly": "# * * * *", "#daily": "# # * * *", "#weekly": "# # * * #", "#monthly": "# # # * *",
        "#yearly": "# # # # *", "#annually": "# # # # *", "#midnight": "# #(0-2) * * *",
    ]

    /// Replaces every `#` of `expression` by a value drawn from `context` (the recurring message's name).
    public static func expand(_ expression: String, context: String) throws -> String {
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        let written = macros[trimmed.lowercased()] ?? trimmed
        guard written.contains("#") else { return written }
        let fields = written.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError(field: nil, expression: expression, problem: "expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        let ranges = [0...59, 0...23, 1...28, 1...12, 0...6]
        let names = ["minute", "hour", "day of month", "month", "day of week"]
        return try fields.enumerated().map { index, field in
            try expandField(field, index: index, range: ranges[index], name: names[index], context: context, expression: expression)
        }.joined(separator: " ")
    }

    private static func expandField(_ field: String, index: Int, range: ClosedRange<Int>, name: String, context: String, expression: String) throws -> String {
        guard field.hasPrefix("#") else {
            guard !field.contains("#") else { throw CronError(field: name, expression: expression, problem: "# must stand alone or as #(low-high)") }
            return field
        }
        var bounds = range
        if field != "#" {
            guard field.hasPrefix("#("), field.hasSuffix(")") else {
                throw CronError(field: name, expression: expression, problem: "expected # or #(low-high), got \"\(field)\"")
            }
            let inner = field.dropFirst(2).dropLast().split(separator: "-")
            guard inner.count == 2, let low = Int(inner[0]), let high = Int(inner[1]), low <= high, range.contains(low), range.contains(high) else {
                throw CronError(field: name, expression: expression, problem: "\(field) must be #(low-high) within \(range.lowerBound)-\(range.upperBound)")
            }
            bounds = low...high
        }
        let hash = stableHash("\(context)#\(index)")
        return String(bounds.lowerBound + Int(hash % UInt64(bounds.count)))
    }

    /// FNV-1a, 64 bits, then the SplitMix64 finalizer so that the low bits (read by `%`) vary as much as
    /// the high ones for names that differ in one character. The same on every platform and run (Swift's
    /// `Hasher` is seeded per process).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }
}
