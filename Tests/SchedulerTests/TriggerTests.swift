import Foundation
import Scheduler
import Testing

@Suite("Triggers")
struct TriggerTests {
    func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test("a hashed expression is the same for the same name, within range, and spreads different names")
    func hashed() throws {
        let first = try CronTrigger("#daily", context: "app:recompute-roles")
        let again = try CronTrigger("#daily", context: "app:recompute-roles")
        #expect(first.expression.source == again.expression.source)
        let fields = first.expression.source.split(separator: " ")
        #expect(fields.count == 5 && fields[2...] == ["*", "*", "*"])
        #expect((0...59).contains(Int(fields[0])!) && (0...23).contains(Int(fields[1])!))
        // 40 names over 1,440 minutes of the day: about 39.5 distinct times are expected.
        let spread = Set(try (0..<40).map { try CronTrigger("#daily", context: "task-\($0)").expression.source })
        #expect(spread.count >= 37)
        #expect(first.description == "#daily (\(first.expression.source))")
    }

    @Test("#(low-high) stays in its range; #monthly never picks a day some month lacks; #midnight stays before 03:00")
    func hashedRanges() throws {
        for index in 0..<200 {
            let ranged = try HashedCron.expand("#(10-20) #(1-2) * * *", context: "t\(index)").split(separator: " ")
            #expect((10...20).contains(Int(ranged[0])!) && (1...2).contains(Int(ranged[1])!))
            #expect((1...28).contains(Int(try HashedCron.expand("#monthly", context: "t\(index)").split(separator: " ")[2])!))
            #expect((0...2).contains(Int(try HashedCron.expand("#midnight", context: "t\(index)").split(separator: " ")[1])!))
        }
    }

    @Test("malformed hashed fields are errors naming the field", arguments: [("#(5-1) * * * *", "minute"), ("#(1-99) * * * *", "minute"), ("* 1# * * *", "hour"), ("# # #", nil)])
    func badHashed(expression: String, field: String?) {
        let error = #expect(throws: CronError.self) { try CronTrigger(expression, context: "x") }
        #expect(error?.field == field)
    }

    @Test("every N counts from `from` and stops after `until`")
    func interval() throws {
        let trigger = try IntervalTrigger(every: try IntervalTrigger.parseInterval("10 minutes"), from: date("2026-01-01T00:05:00Z"), until: date("2026-01-01T00:30:00Z"))
        #expect(trigger.nextRun(after: date("2025-12-31T00:00:00Z")) == date("2026-01-01T00:05:00Z"))
        #expect(trigger.nextRun(after: date("2026-01-01T00:05:00Z")) == date("2026-01-01T00:15:00Z"))
        #expect(trigger.nextRun(after: date("2026-01-01T00:17:00Z")) == date("2026-01-01T00:25:00Z"))
        #expect(trigger.nextRun(after: date("2026-01-01T00:25:00Z")) == nil)
        #expect(trigger.description == "every 10 minutes from 2026-01-01T00:05:00Z until 2026-01-01T00:30:00Z")
    }

    @Test("interval words", arguments: [("30 seconds", 30.0), ("1 minute", 60), ("2 hours", 7200), ("1 day", 86_400), ("2 weeks", 1_209_600)])
    func words(text: String, seconds: Double) throws {
        #expect(try IntervalTrigger.parseInterval(text) == seconds)
    }

    @Test("a zero interval, an unknown unit and `until` before `from` are errors")
    func badIntervals() {
        #expect(throws: TriggerError.self) { try IntervalTrigger.parseInterval("0 minutes") }
        #expect(throws: TriggerError.self) { try IntervalTrigger.parseInterval("5 fortnights") }
        #expect(throws: TriggerError.self) { try IntervalTrigger.parseInterval("soon") }
        #expect(throws: TriggerError.self) { try IntervalTrigger(every: 0, from: Date()) }
        let error = #expect(throws: TriggerError.self) { try IntervalTrigger(every: 60, from: self.date("2026-02-01T00:00:00Z"), until: self.date("2026-01-01T00:00:00Z")) }
        #expect(error?.description.contains("before from") == true)
    }

    @Test("jitter delays each run by a stable amount within bounds, and runs still come in order", arguments: [60.0, 600.0])
    func jitter(interval: Double) throws {
        let base = try IntervalTrigger(every: interval, from: date("2026-01-01T00:00:00Z"))
        let jittered = try JitterTrigger(base, maxSeconds: 300, seed: "reminders")
        var cursor = date("2026-01-01T00:00:00Z")
        var delays: Set<TimeInterval> = []
        for _ in 0..<200 {
            let next = try #require(jittered.nextRun(after: cursor))
            #expect(next > cursor)
            cursor = next
        }
        var run = date("2026-01-01T00:00:00Z")
        for _ in 0..<50 {
            run = base.nextRun(after: run)!
            let delay = jittered.delay(for: run)
            #expect((0...300).contains(delay))
            #expect(delay == (try JitterTrigger(base, maxSeconds: 300, seed: "reminders")).delay(for: run))
            delays.insert(delay)
        }
        #expect(delays.count > 10)
    }
}
