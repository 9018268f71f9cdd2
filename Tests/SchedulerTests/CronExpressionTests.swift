import Foundation
import Scheduler
import Testing

@Suite("Cron expressions")
struct CronExpressionTests {
    let utc = TimeZone(identifier: "UTC")!

    func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    func next(_ expression: String, after: String, zone: String = "UTC", count: Int = 1) throws -> [String] {
        let zone = TimeZone(identifier: zone)!
        return try CronExpression(expression).occurrences(after: date(after), count: count, in: zone).map { $0.formatted(.iso8601) }
    }

    @Test("lists, ranges, steps, names, and 7 for Sunday")
    func syntax() throws {
        #expect(try next("*/20 9-10 * * *", after: "2026-01-05T09:50:00Z", count: 3) == ["2026-01-05T10:00:00Z", "2026-01-05T10:20:00Z", "2026-01-05T10:40:00Z"])
        #expect(try next("0 12 * jan,mar mon-fri", after: "2026-01-30T13:00:00Z", count: 2) == ["2026-03-02T12:00:00Z", "2026-03-03T12:00:00Z"])
        #expect(try next("0 0 * * 7", after: "2026-01-01T00:00:00Z") == ["2026-01-04T00:00:00Z"])
        #expect(try next("5/20 * * * *", after: "2026-01-01T00:00:00Z", count: 3) == ["2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z"])
    }

    @Test("day of month and day of week are OR-ed when both are restricted, AND-ed otherwise")
    func dayRule() throws {
        // The 13th, or any Friday.
        #expect(try next("0 0 13 * fri", after: "2026-02-01T00:00:00Z", count: 3) == ["2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"])
        #expect(try next("0 0 13 * *", after: "2026-02-01T00:00:00Z") == ["2026-02-13T00:00:00Z"])
        #expect(try next("0 0 * * fri", after: "2026-02-01T00:00:00Z") == ["2026-02-06T00:00:00Z"])
    }

    @Test("macros", arguments: [
        ("@yearly", "2027-01-01T00:00:00Z"), ("@annually", "2027-01-01T00:00:00Z"), ("@monthly", "2026-06-01T00:00:00Z"),
        ("@weekly", "2026-05-17T00:00:00Z"), ("@daily", "2026-05-16T00:00:00Z"), ("@midnight", "2026-05-16T00:00:00Z"), ("@hourly", "2026-05-15T11:00:00Z"),
    ])
    func macros(macro: String, expected: String) throws {
        #expect(try next(macro, after: "2026-05-15T10:30:00Z") == [expected])
    }

    @Test("leap day: the 29th of February waits for a leap year")
    func leapDay() throws {
        #expect(try next("0 0 29 2 *", after: "2026-03-01T00:00:00Z") == ["2028-02-29T00:00:00Z"])
    }

    @Test("malformed expressions name the field and the problem", arguments: [
        ("* * * *", "expected 5 fields"), ("60 * * * *", "minute field: 60 is out of range 0-59"),
        ("* 24 * * *", "hour field: 24 is out of range 0-23"), ("* * 0 * *", "day of month field: 0 is out of range"),
        ("* * * 13 *", "month field: 13 is out of range"), ("* * * * 8", "day of week field: 8 is out of range"),
        ("* * * foo *", "month field: \"foo\" is not a number or a name (jan…dec)"), ("*/0 * * * *", "minute field: step \"0\" must be a positive number"),
        ("5-1 * * * *", "minute field: range 5-1 runs backwards"), ("1,,2 * * * *", "minute field: empty item"), ("@often", "unknown macro @often"),
    ])
    func malformed(expression: String, expected: String) {
        let error = #expect(throws: CronError.self) { try CronExpression(expression) }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }

    @Test("an expression that can never fire is an error, not a hang", arguments: ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 2 *"])
    func impossible(expression: String) {
        let error = #expect(throws: CronError.self) { try CronExpression(expression) }
        #expect(error?.field == "day of month")
    }

    @Test("spring forward in Paris: a skipped time fires once, when the gap ends")
    func parisSpring() throws {
        #expect(try next("30 2 * * *", after: "2026-03-28T23:00:00Z", zone: "Europe/Paris", count: 2) == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
        // Every quarter hour: the four skipped ones collapse into one at 03:00 local.
        #expect(try next("*/15 2,3 * * *", after: "2026-03-29T00:50:00Z", zone: "Europe/Paris", count: 3) == ["2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"])
    }

    @Test("fall back in Paris: a repeated time fires once, the first time")
    func parisAutumn() throws {
        #expect(try next("30 2 * * *", after: "2026-10-24T23:00:00Z", zone: "Europe/Paris", count: 2) == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        #expect(try next("0 * * * *", after: "2026-10-24T23:30:00Z", zone: "Europe/Paris", count: 3) == ["2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"])
    }

    @Test("New York spring forward")
    func newYork() throws {
        #expect(try next("*/30 2 * * *", after: "2026-03-08T06:00:00Z", zone: "America/New_York", count: 2) == ["2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z"])
    }

    @Test("Lord Howe's 30-minute shift, both ways")
    func lordHowe() throws {
        #expect(try next("15 2 * * *", after: "2026-10-03T14:00:00Z", zone: "Australia/Lord_Howe") == ["2026-10-03T15:30:00Z"])
        #expect(try next("45 1 * * *", after: "2026-04-04T14:00:00Z", zone: "Australia/Lord_Howe", count: 2) == ["2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"])
    }
}
