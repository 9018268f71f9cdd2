import Foundation
import Logging
import Messenger
import MessengerPostgres
import MessengerSQLite
import Scheduler
import Synchronization

/// One scheduler tick over a schedule of many recurring messages, on a real ledger and transport.
enum SchedulerBenchmarks {
    final class StepClock: SchedulerClock {
        private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { current.withLock { $0 } }
        func realDate(for date: Date) -> Date { date }
        func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    struct Result {
        var load: Double = 0
        var idle: Double = 0
        var minute: Double = 0
        var dueAtMinute = 0
        var allDue: Double = 0
    }

    /// Tasks: 70 % `#hourly`, 20 % `#daily` (Europe/Paris), 10 % every 5 minutes; or all every minute.
    static func schedule(count: Int, everyMinute: Bool) throws -> Schedule {
        try Schedule(name: everyMinute ? "bench-all" : "bench", (0..<count).map { index in
            let message = BenchmarkMessage(id: index)
            if everyMinute { return try .every("1 minute", message, name: "task-\(index)") }
            switch index % 10 {
            case 0: return try .cron("*/5 * * * *", message, name: "task-\(index)")
            case 1, 2: return try .cron("#daily", timeZone: "Europe/Paris", message, name: "task-\(index)")
            default: return try .cron("#hourly", message, name: "task-\(index)")
            }
        })
    }

    static func milliseconds(_ duration: Duration) -> Double { SQLiteBenchmarks.seconds(duration) * 1000 }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// `transport` makes a fresh transport (and through it the ledger) for each scenario.
    static func run(count: Int, transport: () throws -> any Transport & OccurrenceLedgerProvider & ClosableTransport) async throws -> Result {
        var result = Result()
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        for everyMinute in [false, true] {
            let target = try transport()
            let ledger = target.makeOccurrenceLedger()
            let clock = StepClock()
            let senders = SendersLocator(routing: [BenchmarkMessage.messageName: ["async"]], senders: ["async": target])
            let bus = MessageBus(registry: benchmarkRegistry(), senders: senders)
            let receiver = try ScheduleReceiver(schedule: try schedule(count: count, everyMinute: everyMinute), ledger: ledger, bus: bus, senders: senders, clock: clock, logger: logger)
            var start = ContinuousClock.now
            try await receiver.tick()
            let load = milliseconds(ContinuousClock.now - start)
            if everyMinute {
                clock.advance(by: 60)
                start = ContinuousClock.now
                let summary = try await receiver.tick()
                precondition(summary.emitted == count, "expected every task due, got \(summary.emitted)")
                result.allDue = milliseconds(ContinuousClock.now - start)
            } else {
                result.load = load
                var idle: [Double] = []
                var minutes: [Double] = []
                var due = 0
                for _ in 0..<30 {
                    // Within a minute: nothing due.
                    for _ in 0..<5 {
                        clock.advance(by: 1)
                        start = ContinuousClock.now
                        let summary = try await receiver.tick()
                        precondition(summary.emitted == 0)
                        idle.append(milliseconds(ContinuousClock.now - start))
                    }
                    // The next whole minute: what falls due then.
                    let now = clock.now().timeIntervalSince1970
                    clock.advance(by: 60 - now.truncatingRemainder(dividingBy: 60))
                    start = ContinuousClock.now
                    due += try await receiver.tick().emitted
                    minutes.append(milliseconds(ContinuousClock.now - start))
                }
                result.idle = median(idle)
                result.minute = median(minutes)
                result.dueAtMinute = due / 30
            }
            await receiver.close()
            await target.close()
        }
        return result
    }

    static func sqlite(count: Int, directory: String) async throws -> Result {
        var run = 0
        return try await Self.run(count: count) {
            run += 1
            return SQLiteBenchmarks.transport(path: "\(directory)/schedule-\(run).sqlite", synchronous: "FULL")
        }
    }

    static func postgres(count: Int, url: String) async throws -> Result {
        let table = PostgresBenchmarks.table("schedule")
        let admin = try PostgresConnection(url: url)
        let clear = "DELETE FROM messenger_scheduler_occurrences WHERE schedule IN ('bench', 'bench-all')"
        try? await admin.execute(clear)
        let result = try await Self.run(count: count) {
            try PostgresBenchmarks.transport(url: url, table: table)
        }
        try? await admin.execute(clear)
        await admin.close()
        await PostgresBenchmarks.drop(url: url, table: table)
        return result
    }

    static func add(_ result: Result, count: Int, to table: inout BenchmarkTable) {
        table.add("scheduler tick, nothing due", "\(count) recurring messages, median of 150", String(format: "%.3f ms", result.idle))
        table.add("scheduler tick, one minute's due", "\(count) recurring messages, ~\(result.dueAtMinute) due, median of 30", String(format: "%.1f ms", result.minute))
        table.add("scheduler tick, every one due", "\(count) recurring messages, \(count) emitted + stored", String(format: "%.0f ms", result.allDue))
        table.add("scheduler first tick (load + register)", "\(count) recurring messages", String(format: "%.0f ms", result.load))
    }
}
