import Foundation
import Messenger
import MessengerTestSupport
import Scheduler
import Testing

@Suite("Schedules and recurring messages")
struct ScheduleTests {
    @Test("two recurring messages with one name are an error that says which")
    func duplicateNames() throws {
        let first = try RecurringMessage.every("1 hour", Numbered(number: 1))
        let second = try RecurringMessage.cron("@daily", Numbered(number: 2))
        #expect(throws: ScheduleError("schedule default has two recurring messages named \"Test.Numbered\"; give one of them another name")) {
            try Schedule([first, second])
        }
        let named = try RecurringMessage.cron("@daily", Numbered(number: 2), name: "daily-number")
        #expect(try Schedule([first, named]).messages.map(\.name) == ["Test.Numbered", "daily-number"])
    }

    @Test("bad triggers are named with their task: malformed cron, impossible date, unknown zone, until before from, zero interval")
    func badTriggers() throws {
        #expect(throws: TriggerError.unknownTimeZone("Mars/Olympus")) { try RecurringMessage.cron("@daily", timeZone: "Mars/Olympus", Numbered(number: 1)) }
        #expect(throws: TriggerError.self) { try RecurringMessage.every("0 minutes", Numbered(number: 1)) }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(throws: TriggerError.self) { try RecurringMessage.every("1 hour", from: start, until: start.addingTimeInterval(-60), Numbered(number: 1)).makeTrigger(schedule: "default") }
        for (expression, fragment) in [("61 * * * *", "minute field"), ("0 0 30 2 *", "never occurs")] {
            let schedule = try Schedule([try RecurringMessage.cron(expression, Numbered(number: 1), name: "bad")])
            let error = #expect(throws: ScheduleError.self) { try schedule.validate() }
            #expect(error?.description.contains("task bad") == true)
            #expect(error?.description.contains(fragment) == true)
        }
    }

    @Test("hashed cron is stable per schedule and name, and differs between names")
    func hashed() throws {
        let a = try RecurringMessage.cron("#daily", Numbered(number: 1), name: "a").makeTrigger(schedule: "default")
        let again = try RecurringMessage.cron("#daily", Numbered(number: 1), name: "a").makeTrigger(schedule: "default")
        #expect(a.description == again.description)
        let names = (0..<20).map { "task-\($0)" }
        let expanded = try Set(names.map { try RecurringMessage.cron("#daily", Numbered(number: 1), name: $0).makeTrigger(schedule: "default").description })
        #expect(expanded.count > 10)
    }

    @Test("SCHEDULER_CLOCK: every process given the same values shows the same time; bad values are named")
    func acceleratedClock() throws {
        let anchor = Date().addingTimeInterval(-10)
        let clock = try AcceleratedSchedulerClock(parsing: "start=2026-03-29T00:00:00Z speed=3600 anchor=\(anchor.timeIntervalSince1970)")
        let shown = clock.now().timeIntervalSince(try Date("2026-03-29T00:00:00Z", strategy: .iso8601))
        #expect(shown >= 36_000 && shown < 36_000 + 3600)
        let due = try Date("2026-03-29T12:00:00Z", strategy: .iso8601)
        #expect(abs(clock.realDate(for: due).timeIntervalSince(anchor) - 12) < 0.001)
        #expect(throws: ScheduleError.self) { try AcceleratedSchedulerClock(parsing: "start=yesterday speed=2") }
        #expect(throws: ScheduleError.self) { try AcceleratedSchedulerClock(parsing: "start=2026-03-29T00:00:00Z speed=0") }
        #expect(throws: ScheduleError.self) { try AcceleratedSchedulerClock(parsing: "begin=2026-03-29T00:00:00Z") }
    }
}
